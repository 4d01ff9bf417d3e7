"""Shipments of packs to a centre's receiving site."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from appels.operator import OperatorCopy
from solidaire.states import Lifecycle


class ShipmentStatus(models.TextChoices):
    PREPARING = "preparing", _("en préparation")
    SHIPPED = "shipped", _("expédiée")
    DELIVERED = "delivered", _("livrée par le transporteur")
    RECEIVED = "received", _("réception confirmée")
    INCIDENT = "incident", _("incident")


class Settlement(models.TextChoices):
    RESHIPPED = "reshipped", _("manquants réexpédiés")
    REDUCED = "reduced", _("attribution réduite, avoir émis")
    FOUND = "found", _("matériel retrouvé chez le centre")


SH = ShipmentStatus
# Delivered is the carrier's fact (recorded by logistics); received is the centre's check,
# serial by serial. Anything not ticked is an incident, settled by logistics (re-shipping
# the missing items or reducing the allocation) and never invoiced as delivered.
SHIPMENT_LIFECYCLE = Lifecycle(
    ShipmentStatus,
    {
        SH.PREPARING: [SH.SHIPPED],
        SH.SHIPPED: [SH.DELIVERED, SH.RECEIVED, SH.INCIDENT],
        SH.DELIVERED: [SH.RECEIVED, SH.INCIDENT],
        SH.INCIDENT: [SH.RECEIVED],
    },
)


class ShipmentQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(site__centre=centre)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(site__centre__memberships__user=user)


class Shipment(OperatorCopy, models.Model):
    """Parcels sent to one receiving site, grouping one or more allocations.

    The operator (the sender on the sheet) is copied from the allocations' call when the
    shipment is created.
    """

    Status = ShipmentStatus

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    site = models.ForeignKey(
        "centres.Site",
        verbose_name=_("site de réception"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ShipmentStatus.choices, default=SH.PREPARING
    )
    parcels = models.PositiveSmallIntegerField(_("nombre de colis"), default=1)
    weight_kg = models.DecimalField(
        _("poids total (kg)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    carrier = models.CharField(_("transporteur"), max_length=100, blank=True)
    tracking_number = models.CharField(_("n° de suivi"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    shipped_at = models.DateTimeField(_("expédiée le"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("livrée le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("réception confirmée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("réception confirmée le"), null=True, blank=True)
    incident_note = models.TextField(_("description de l’incident"), blank=True)
    missing_serials = models.JSONField(
        _("n° de série non reçus"), default=list, blank=True, editable=False
    )
    settlement = models.CharField(
        _("suite donnée à l’incident"), max_length=20, choices=Settlement.choices, blank=True
    )
    settled_at = models.DateTimeField(_("incident réglé le"), null=True, blank=True)
    reshipment_of = models.ForeignKey(
        "self",
        verbose_name=_("réexpédition de"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reshipments",
    )
    notified_at = models.DateTimeField(
        _("centre prévenu de l’envoi le"), null=True, blank=True, editable=False
    )

    objects = ShipmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expédition")
        verbose_name_plural = _("expéditions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="shipment_status_created"),
            # The newest first, as listed (the admin adds the pk to the order): a page is
            # read from the index, its document subquery run for that page only.
            models.Index(fields=["-created_at", "-id"], name="shipment_newest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(parcels__gte=1), name="shipment_parcels_positive"),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=0),
                name="shipment_weight_not_negative",
            ),
        ]

    def __str__(self):
        return self.reference
