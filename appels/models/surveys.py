"""Satisfaction survey answers, one per equipped application."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Rating(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("pas du tout satisfait")
    DISSATISFIED = 2, _("peu satisfait")
    SATISFIED = 3, _("satisfait")
    VERY_SATISFIED = 4, _("très satisfait")


def rating_field(label, **kwargs):
    return models.PositiveSmallIntegerField(
        label,
        choices=Rating.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        **kwargs,
    )


class SurveyAnswer(models.Model):
    """A centre's answer to the satisfaction survey after delivery."""

    application = models.OneToOneField(
        "appels.Application",
        verbose_name=_("candidature"),
        on_delete=models.CASCADE,
        related_name="survey_answer",
    )
    satisfaction = rating_field(_("satisfaction générale"))
    equipment_quality = rating_field(_("qualité du matériel"))
    ease_of_installation = rating_field(_("facilité d’installation"))
    after_sales_responsiveness = rating_field(
        _("réactivité du SAV"), null=True, blank=True, help_text=_("Vide si le SAV n’a pas servi.")
    )
    opened_mediation_space = models.BooleanField(
        _("un espace de médiation numérique a été ouvert"), default=False
    )
    testimonial = models.TextField(_("témoignage"), blank=True)
    is_testimonial_publishable = models.BooleanField(
        _("témoignage publiable"),
        default=False,
        help_text=_("Cochée par un chargé de programme après relecture."),
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("répondu par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("répondu le"))

    class Meta:
        verbose_name = _("réponse à l’enquête de satisfaction")
        verbose_name_plural = _("réponses à l’enquête de satisfaction")
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=4)
                & Q(equipment_quality__gte=1, equipment_quality__lte=4)
                & Q(ease_of_installation__gte=1, ease_of_installation__lte=4),
                name="survey_ratings_in_scale",
            ),
        ]

    def __str__(self):
        return str(self.application)

    @property
    def is_satisfied(self):
        return self.satisfaction >= settings.SURVEY_SATISFIED_MIN
