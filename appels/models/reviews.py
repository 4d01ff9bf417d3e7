"""Reviews of applications by assigned reviewers, and the committee's decision."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaire.states import Lifecycle

from .applications import ApplicationStatus


class ReviewStatus(models.TextChoices):
    ASSIGNED = "assigned", _("à faire")
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("rendue")
    CONFLICT = "conflict", _("conflit d’intérêts déclaré")


REVIEW_LIFECYCLE = Lifecycle(
    ReviewStatus,
    {
        ReviewStatus.ASSIGNED: [ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.CONFLICT],
        ReviewStatus.DRAFT: [ReviewStatus.SUBMITTED, ReviewStatus.CONFLICT],
        # A submitted review stays editable until the review phase ends (scores updated in
        # place); it cannot go back to a draft nor into a conflict once it counted.
    },
)


class Recommendation(models.TextChoices):
    SELECT = "select", _("retenir")
    WAITLIST = "waitlist", _("liste d’attente")
    REJECT = "reject", _("ne pas retenir")


class ReviewQuerySet(models.QuerySet):
    def assigned_to(self, user):
        return self.filter(reviewer=user).exclude(status=ReviewStatus.CONFLICT)

    def counted(self):
        return self.filter(status=ReviewStatus.SUBMITTED)


class Review(models.Model):
    """A reviewer's assignment to an application and, once done, their evaluation."""

    Status = ReviewStatus

    application = models.ForeignKey(
        "appels.Application",
        verbose_name=_("candidature"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("évaluateur"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.ASSIGNED
    )
    comment = models.TextField(_("commentaire"), blank=True)
    recommendation = models.CharField(
        _("recommandation"), max_length=20, choices=Recommendation.choices, blank=True
    )
    conflict_reason = models.TextField(_("motif du conflit d’intérêts"), blank=True)
    assigned_at = models.DateTimeField(_("attribuée le"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("rendue le"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    # The weighted total of its scores in hundredths of a point /100, None before any score:
    # ``services.weighted_total``, kept by ``services.refresh_review_totals`` whenever a
    # score or a criterion changes, so that lists and the committee's ranking read it
    # without every score.
    total_hundredths = models.PositiveIntegerField(null=True, blank=True, editable=False)

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at", "total_hundredths"])

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")
        ordering = ["application", "assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="review_one_per_reviewer"
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted")
                | (Q(submitted_at__isnull=False) & ~Q(recommendation="")),
                name="review_submitted_complete",
            ),
        ]
        indexes = [models.Index(fields=["reviewer", "status"], name="review_reviewer_status")]

    def __str__(self):
        return f"{self.application} – {self.reviewer}"

    @property
    def total(self):
        """The weighted total /100 of its scores (a ``Decimal``), or None before any."""
        hundredths = self.total_hundredths
        return None if hundredths is None else Decimal(hundredths).scaleb(-2)


class Score(models.Model):
    """A reviewer's score on one criterion of the call's grid."""

    review = models.ForeignKey(
        Review, verbose_name=_("évaluation"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        "appels.Criterion",
        verbose_name=_("critère"),
        on_delete=models.PROTECT,
        related_name="scores",
    )
    value = models.PositiveSmallIntegerField(_("note"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["review", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion"),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self):
        return f"{self.criterion} : {self.value}/{self.criterion.max_score}"


class Decision(models.Model):
    """The committee's decision on an application; locked once results are published."""

    class Outcome(models.TextChoices):
        SELECTED = ApplicationStatus.SELECTED.value, ApplicationStatus.SELECTED.label
        WAITLISTED = ApplicationStatus.WAITLISTED.value, ApplicationStatus.WAITLISTED.label
        REJECTED = ApplicationStatus.REJECTED.value, ApplicationStatus.REJECTED.label

    application = models.OneToOneField(
        "appels.Application",
        verbose_name=_("candidature"),
        on_delete=models.CASCADE,
        related_name="decision",
    )
    outcome = models.CharField(_("décision"), max_length=20, choices=Outcome.choices)
    rank = models.PositiveIntegerField(_("rang"), null=True, blank=True)
    comment = models.TextField(_("motivation"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("décidée le"))
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    notified_at = models.DateTimeField(
        _("centre informé le"), null=True, blank=True, editable=False
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("décision du comité")
        verbose_name_plural = _("décisions du comité")
        ordering = ["application__call", "rank"]

    def __str__(self):
        return f"{self.application} : {self.get_outcome_display()}"

    @property
    def is_locked(self):
        return self.published_at is not None
