"""Applications ("candidatures"): a centre's project and what it asks for."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaire.states import Lifecycle
from solidaire.storage import private_storage


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("déposée")
    SELECTED = "selected", _("retenue")
    WAITLISTED = "waitlisted", _("en liste d’attente")
    REJECTED = "rejected", _("non retenue")
    WITHDRAWN = "withdrawn", _("retirée")


S = ApplicationStatus
APPLICATION_LIFECYCLE = Lifecycle(
    ApplicationStatus,
    {
        S.DRAFT: [S.SUBMITTED, S.WITHDRAWN],
        S.SUBMITTED: [S.SELECTED, S.WAITLISTED, S.REJECTED, S.WITHDRAWN],
        # The committee may change its mind until results are published (a lock checked by
        # the services); a waitlisted application is promoted when stock frees up.
        S.WAITLISTED: [S.SELECTED, S.REJECTED, S.WITHDRAWN],
        S.SELECTED: [S.WAITLISTED, S.REJECTED, S.WITHDRAWN],
        S.REJECTED: [S.SELECTED, S.WAITLISTED],
    },
)
# Outcomes that only the committee sets.
DECIDED_STATUSES = (S.SELECTED, S.WAITLISTED, S.REJECTED)


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Applications a user may see: platform staff all, centre staff their centres'."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(centre__memberships__user=user)

    def for_centre(self, centre):
        return self.filter(centre=centre)

    def equipped(self):
        return self.filter(status=ApplicationStatus.SELECTED)


class Application(models.Model):
    """A centre's application to a call, with its digital-mediation project."""

    Status = ApplicationStatus

    call = models.ForeignKey(
        "appels.Call",
        verbose_name=_("appel"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    centre = models.ForeignKey(
        "centres.Centre",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    site = models.ForeignKey(
        "centres.Site",
        verbose_name=_("site de réception"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ApplicationStatus.choices, default=S.DRAFT
    )
    title = models.CharField(_("titre du projet"), max_length=200, blank=True)
    summary = models.TextField(_("résumé du projet"), blank=True)
    audience = models.TextField(_("publics visés"), blank=True)
    expected_beneficiaries = models.PositiveIntegerField(
        _("nombre de bénéficiaires attendus"), null=True, blank=True
    )
    activities = models.TextField(_("activités prévues"), blank=True)
    opens_mediation_space = models.BooleanField(
        _("ouvre un espace de médiation numérique"), default=False
    )
    partners_description = models.TextField(_("partenaires du projet"), blank=True)
    aim = models.TextField(_("finalité sociale ou environnementale"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décision le"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    waitlist_rank = models.PositiveIntegerField(_("rang en liste d’attente"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["call", "centre"], name="application_one_per_centre"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"]) | Q(submitted_at__isnull=False),
                name="application_submitted_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "status"], name="application_call_status"),
            models.Index(fields=["centre", "status"], name="application_centre_status"),
        ]

    def __str__(self):
        return f"{self.centre.name} – {self.call.edition}"


class ApplicationLine(models.Model):
    """A requested quantity of one offer, and what the committee granted."""

    application = models.ForeignKey(
        Application, verbose_name=_("candidature"), on_delete=models.CASCADE, related_name="lines"
    )
    offer = models.ForeignKey(
        "appels.CallOffer", verbose_name=_("offre"), on_delete=models.PROTECT, related_name="lines"
    )
    requested_quantity = models.PositiveIntegerField(
        _("packs demandés"), validators=[MinValueValidator(1)]
    )
    granted_quantity = models.PositiveIntegerField(_("packs accordés"), null=True, blank=True)
    # Snapshot of the offer's price when the committee grants the line (invariant 6).
    granted_unit_price = models.DecimalField(
        _("prix solidaire accordé (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ligne de demande")
        verbose_name_plural = _("lignes de demande")
        ordering = ["application", "offer"]
        constraints = [
            models.UniqueConstraint(fields=["application", "offer"], name="line_unique_offer"),
            models.CheckConstraint(
                condition=Q(requested_quantity__gte=1), name="line_requested_positive"
            ),
            models.CheckConstraint(
                condition=Q(granted_quantity__isnull=True) | Q(granted_quantity__gte=0),
                name="line_granted_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(granted_unit_price__isnull=True) | Q(granted_unit_price__gte=0),
                name="line_granted_price_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.requested_quantity} × {self.offer.pack_type}"


class Attachment(models.Model):
    """A file attached to an application; stored privately, served after a permission check."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("candidature"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(
        _("fichier"), upload_to="applications/%Y/%m/", storage=private_storage, max_length=255
    )
    original_name = models.CharField(_("nom d’origine"), max_length=255)
    description = models.CharField(_("description"), max_length=200, blank=True)
    content_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["application", "uploaded_at"]

    def __str__(self):
        return self.original_name
