"""Allocations: the packs granted to a selected application, then the items picked."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaire.states import Lifecycle

from .stock import Grade


class AllocationStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposée")
    CONFIRMED = "confirmed", _("confirmée")
    PICKED = "picked", _("matériel préparé")
    SHIPPED = "shipped", _("expédiée")
    DELIVERED = "delivered", _("livrée")
    CANCELLED = "cancelled", _("annulée")


A = AllocationStatus
ALLOCATION_LIFECYCLE = Lifecycle(
    AllocationStatus,
    {
        A.PROPOSED: [A.CONFIRMED, A.CANCELLED],
        A.CONFIRMED: [A.PICKED, A.CANCELLED],
        A.PICKED: [A.SHIPPED, A.CONFIRMED, A.CANCELLED],
        # Back to picking when items missing at reception are to be sent again.
        A.SHIPPED: [A.DELIVERED, A.CONFIRMED],
    },
)


class AllocationQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(application__centre=centre)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(application__centre__memberships__user=user)


class Allocation(models.Model):
    """Equipment granted to one selected application; prices snapshotted on its lines."""

    Status = AllocationStatus

    application = models.OneToOneField(
        "appels.Application",
        verbose_name=_("candidature"),
        on_delete=models.PROTECT,
        related_name="allocation",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=AllocationStatus.choices, default=A.PROPOSED
    )
    shipment = models.ForeignKey(
        "equipements.Shipment",
        verbose_name=_("expédition"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allocations",
    )
    created_at = models.DateTimeField(_("proposée le"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("livrée le"), null=True, blank=True)

    objects = AllocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="allocation_status")]

    def __str__(self):
        return str(self.application)


class AllocationLine(models.Model):
    """A number of packs of one offer, at the solidarity price granted by the committee."""

    allocation = models.ForeignKey(
        Allocation, verbose_name=_("attribution"), on_delete=models.CASCADE, related_name="lines"
    )
    offer = models.ForeignKey(
        "appels.CallOffer",
        verbose_name=_("offre"),
        on_delete=models.PROTECT,
        related_name="allocation_lines",
    )
    pack_type = models.ForeignKey(
        "appels.PackType",
        verbose_name=_("type de pack"),
        on_delete=models.PROTECT,
        related_name="allocation_lines",
    )
    quantity = models.PositiveIntegerField(_("packs"))
    units_per_pack = models.PositiveSmallIntegerField(_("appareils par pack"))
    unit_price = models.DecimalField(
        _("prix solidaire d’un pack (€)"), max_digits=10, decimal_places=2
    )
    market_unit_value = models.DecimalField(
        _("valeur neuve d’un pack (€)"), max_digits=10, decimal_places=2, default=0
    )
    written_off_devices = models.PositiveIntegerField(
        _("appareils non livrés, déduits"),
        default=0,
        help_text=_("Appareils manquants à la réception que l’attribution ne fournira plus."),
    )
    credited_devices = models.PositiveIntegerField(
        _("appareils déduits facturés"),
        default=0,
        editable=False,
        help_text=_("Appareils non livrés déjà déduits d’une facture ou remboursés par un avoir."),
    )
    grade = models.CharField(
        _("grade demandé"),
        max_length=5,
        choices=Grade.choices,
        blank=True,
        help_text=_("Vide : tout grade ; sinon la préparation ne prend que ce grade."),
    )

    class Meta:
        verbose_name = _("ligne d’attribution")
        verbose_name_plural = _("lignes d’attribution")
        ordering = ["allocation", "pack_type"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "offer"], name="allocline_unique_offer"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="allocline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(units_per_pack__gte=1), name="allocline_units_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="allocline_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.pack_type}"

    # Both are None on a line not filled in yet (a blank inline form shown again).
    @property
    def device_count(self):
        """Devices this line still provides (packs × devices per pack, less those written off)."""
        if self.quantity is None or self.units_per_pack is None:
            return None
        return self.quantity * self.units_per_pack - (self.written_off_devices or 0)

    @property
    def total_price(self):
        if self.quantity is None or self.unit_price is None:
            return None
        return self.quantity * self.unit_price


class AllocatedItem(models.Model):
    """An item picked for an allocation line; released (kept for history) if swapped back."""

    line = models.ForeignKey(
        AllocationLine,
        verbose_name=_("ligne d’attribution"),
        on_delete=models.CASCADE,
        related_name="allocated_items",
    )
    item = models.ForeignKey(
        "equipements.Item",
        verbose_name=_("matériel"),
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    shipment = models.ForeignKey(
        "equipements.Shipment",
        verbose_name=_("expédition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipped_items",
        help_text=_("L’expédition dans laquelle ce matériel est parti."),
    )
    picked_at = models.DateTimeField(_("préparé le"), auto_now_add=True)
    released_at = models.DateTimeField(_("libéré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("matériel attribué")
        verbose_name_plural = _("matériels attribués")
        ordering = ["line", "picked_at"]
        constraints = [
            # An item belongs to at most one allocation at a time.
            models.UniqueConstraint(
                fields=["item"], condition=Q(released_at__isnull=True), name="item_allocated_once"
            ),
        ]

    def __str__(self):
        return f"{self.item} → {self.line.allocation}"
