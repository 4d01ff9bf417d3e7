"""After-sales ("SAV"): tickets on delivered items."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaire.states import Lifecycle


class TicketStatus(models.TextChoices):
    OPEN = "open", _("ouvert")
    IN_PROGRESS = "in_progress", _("en cours de traitement")
    RESOLVED = "resolved", _("résolu")


TICKET_LIFECYCLE = Lifecycle(
    TicketStatus,
    {
        TicketStatus.OPEN: [TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED],
        TicketStatus.IN_PROGRESS: [TicketStatus.RESOLVED],
        TicketStatus.RESOLVED: [TicketStatus.IN_PROGRESS],
    },
)


class Resolution(models.TextChoices):
    ADVICE = "advice", _("conseil à distance")
    REPAIR = "repair", _("réparation")
    REPLACEMENT = "replacement", _("remplacement")
    NO_FAULT = "no_fault", _("aucun défaut constaté")


class SupportTicketQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(centre=centre)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(centre__memberships__user=user)


class SupportTicket(models.Model):
    """A centre's after-sales request about a delivered item."""

    Status = TicketStatus

    centre = models.ForeignKey(
        "centres.Centre",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        related_name="support_tickets",
    )
    item = models.ForeignKey(
        "equipements.Item",
        verbose_name=_("matériel"),
        on_delete=models.PROTECT,
        related_name="support_tickets",
    )
    subject = models.CharField(_("objet"), max_length=200)
    description = models.TextField(_("description du problème"))
    status = models.CharField(
        _("statut"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ouvert par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("ouvert le"))
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    resolution = models.CharField(
        _("résolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    resolution_note = models.TextField(_("compte rendu"), blank=True)
    replacement_item = models.ForeignKey(
        "equipements.Item",
        verbose_name=_("matériel de remplacement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacing_tickets",
    )

    objects = SupportTicketQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket SAV")
        verbose_name_plural = _("tickets SAV")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["status", "opened_at"], name="ticket_status_opened")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="resolved")
                | (models.Q(resolved_at__isnull=False) & ~models.Q(resolution="")),
                name="ticket_resolved_complete",
            ),
        ]

    def __str__(self):
        return f"{self.subject} ({self.item.serial_number})"

    @property
    def resolution_time(self):
        return self.resolved_at - self.opened_at if self.resolved_at else None
