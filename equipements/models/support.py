"""After-sales ("SAV"): tickets on delivered items, their thread, the replacement's own
shipment and the faulty unit's expected return."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaire.states import Lifecycle
from solidaire.storage import private_storage


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
    # The allocation that brought the item to the centre, recorded when the ticket is
    # opened: the ticket counts for that call even once the item has been replaced or taken
    # back (its allocated row is then released).
    allocation = models.ForeignKey(
        "equipements.Allocation",
        verbose_name=_("attribution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
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
    # Each status change is one e-mailed event: the count makes its outbox key unique.
    status_changes = models.PositiveIntegerField(
        _("changements de statut"), default=0, editable=False
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


class TicketMessageQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(ticket__centre=centre)


class TicketMessage(models.Model):
    """One message of a ticket's thread, written by the centre (portal) or logistics (admin).

    The attachment (a photo or a PDF, recognised by its content) is stored privately and
    downloaded only through the ticket's permission check.
    """

    ticket = models.ForeignKey(
        SupportTicket,
        verbose_name=_("ticket SAV"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_centre = models.BooleanField(_("écrit par le centre"))
    body = models.TextField(_("message"))
    attachment = models.FileField(
        _("pièce jointe"),
        upload_to="tickets/%Y/%m/",
        storage=private_storage,
        max_length=255,
        blank=True,
    )
    attachment_name = models.CharField(_("nom d’origine"), max_length=255, blank=True)
    attachment_type = models.CharField(_("type de contenu"), max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(_("taille (octets)"), null=True, blank=True)
    created_at = models.DateTimeField(_("écrit le"))

    objects = TicketMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message SAV")
        verbose_name_plural = _("messages SAV")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmessage_thread")]

    def __str__(self):
        return f"{self.ticket.subject} – {self.created_at:%Y-%m-%d %H:%M}"


class ReplacementStatus(models.TextChoices):
    RESERVED = "reserved", _("en préparation")
    SHIPPED = "shipped", _("expédié")
    DELIVERED = "delivered", _("reçu par le centre")
    CANCELLED = "cancelled", _("annulé")


RS = ReplacementStatus
REPLACEMENT_LIFECYCLE = Lifecycle(
    ReplacementStatus,
    {
        # Delivered only on the centre's confirmation of receipt.
        RS.RESERVED: [RS.SHIPPED, RS.CANCELLED],
        RS.SHIPPED: [RS.DELIVERED],
    },
)


class ReplacementShipmentQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(ticket__centre=centre)


class ReplacementShipment(models.Model):
    """A replacement unit's own parcel: reserved in stock, shipped with its sheet, carrier
    and tracking number, delivered when the centre confirms its receipt."""

    Status = ReplacementStatus

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    ticket = models.ForeignKey(
        SupportTicket,
        verbose_name=_("ticket SAV"),
        on_delete=models.PROTECT,
        related_name="replacement_shipments",
    )
    item = models.ForeignKey(
        "equipements.Item",
        verbose_name=_("matériel de remplacement"),
        on_delete=models.PROTECT,
        related_name="replacement_shipments",
    )
    site = models.ForeignKey(
        "centres.Site",
        verbose_name=_("site de réception"),
        on_delete=models.PROTECT,
        related_name="replacement_shipments",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ReplacementStatus.choices, default=RS.RESERVED
    )
    carrier = models.CharField(_("transporteur"), max_length=100, blank=True)
    tracking_number = models.CharField(_("n° de suivi"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créé le"))
    shipped_at = models.DateTimeField(_("expédié le"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("réception confirmée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReplacementShipmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expédition de remplacement")
        verbose_name_plural = _("expéditions de remplacement")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One replacement on its way per ticket at a time.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status__in=["reserved", "shipped"]),
                name="replacement_one_in_flight_per_ticket",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["reserved", "cancelled"]) | Q(shipped_at__isnull=False),
                name="replacement_shipped_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="replacement_delivered_has_date",
            ),
        ]

    def __str__(self):
        return self.reference


class ReturnStatus(models.TextChoices):
    EXPECTED = "expected", _("attendu")
    RECEIVED = "received", _("reçu à l’entrepôt")
    REPAIRED = "repaired", _("réparé, remis en stock")
    RECYCLED = "recycled", _("repris pour recyclage")


RT = ReturnStatus
RETURN_LIFECYCLE = Lifecycle(
    ReturnStatus,
    {
        RT.EXPECTED: [RT.RECEIVED],
        RT.RECEIVED: [RT.REPAIRED, RT.RECYCLED],
    },
)


class ItemReturnQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(ticket__centre=centre)


class ItemReturn(models.Model):
    """The faulty unit's way back: expected when a replacement is decided, received at the
    warehouse, then repaired (back to stock) or recycled (with its destination)."""

    Status = ReturnStatus

    ticket = models.ForeignKey(
        SupportTicket,
        verbose_name=_("ticket SAV"),
        on_delete=models.PROTECT,
        related_name="returns",
    )
    item = models.ForeignKey(
        "equipements.Item",
        verbose_name=_("matériel retourné"),
        on_delete=models.PROTECT,
        related_name="returns",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ReturnStatus.choices, default=RT.EXPECTED
    )
    expected_at = models.DateTimeField(_("attendu depuis le"))
    received_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reçu par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    objects = ItemReturnQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retour de matériel")
        verbose_name_plural = _("retours de matériel")
        ordering = ["-expected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["expected", "received"]),
                name="itemreturn_one_open_per_item",
            ),
            models.CheckConstraint(
                condition=Q(status="expected") | Q(received_at__isnull=False),
                name="itemreturn_received_has_date",
            ),
        ]

    def __str__(self):
        return _("Retour de %(serial)s") % {"serial": self.item.serial_number}
