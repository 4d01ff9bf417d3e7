"""Stock: device models, refurbishers' batches, items with serials, data erasure."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from solidaire.states import Lifecycle
from solidaire.storage import private_storage


class DeviceModel(models.Model):
    """A make and model of device (e.g. Dell OptiPlex 780, Huawei MediaPad 10)."""

    class Kind(models.TextChoices):
        DESKTOP = "desktop", _("unité centrale")
        LAPTOP = "laptop", _("ordinateur portable")
        TABLET = "tablet", _("tablette")
        SCREEN = "screen", _("écran")
        ACCESSORY = "accessory", _("accessoire")

    manufacturer = models.CharField(_("fabricant"), max_length=100)
    name = models.CharField(_("modèle"), max_length=150)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    specifications = models.TextField(_("caractéristiques"), blank=True)
    weight_kg = models.DecimalField(
        _("poids (kg)"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("modèle d’appareil")
        verbose_name_plural = _("modèles d’appareils")
        ordering = ["manufacturer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "name"], name="devicemodel_unique"),
        ]

    def __str__(self):
        return f"{self.manufacturer} {self.name}"


class Batch(models.Model):
    """A batch of items received from a refurbisher, a donor or a purchase."""

    partner = models.ForeignKey(
        "centres.Partner",
        verbose_name=_("fournisseur"),
        on_delete=models.PROTECT,
        related_name="batches",
    )
    reference = models.CharField(_("référence du lot"), max_length=60, unique=True)
    received_on = models.DateField(_("reçu le"))
    notes = models.TextField(_("remarques"), blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["-received_on", "reference"]

    def __str__(self):
        return self.reference


class ItemStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("en stock")
    RESERVED = "reserved", _("réservé")
    SHIPPED = "shipped", _("expédié")
    DELIVERED = "delivered", _("livré")
    LOST = "lost", _("non reçu par le centre")
    RETURNED = "returned", _("retourné")
    UNDER_REPAIR = "under_repair", _("en réparation")
    SCRAPPED = "scrapped", _("réformé")
    RECYCLED = "recycled", _("repris pour recyclage")


I = ItemStatus  # noqa: E741
ITEM_LIFECYCLE = Lifecycle(
    ItemStatus,
    {
        I.IN_STOCK: [I.RESERVED, I.UNDER_REPAIR, I.SCRAPPED, I.RECYCLED],
        I.RESERVED: [I.IN_STOCK, I.SHIPPED],
        I.SHIPPED: [I.DELIVERED, I.RETURNED, I.LOST],
        # Not in the parcel the centre checked: found again (back to stock) or written off.
        I.LOST: [I.IN_STOCK, I.DELIVERED, I.SCRAPPED],
        # End of life: a centre's item is taken back for recycling (recorded with its
        # destination); so is any item the warehouse can no longer use.
        I.DELIVERED: [I.RETURNED, I.RECYCLED],
        I.RETURNED: [I.UNDER_REPAIR, I.IN_STOCK, I.SCRAPPED, I.RECYCLED],
        I.UNDER_REPAIR: [I.IN_STOCK, I.SCRAPPED, I.RECYCLED],
        I.SCRAPPED: [I.RECYCLED],
    },
)


class Grade(models.TextChoices):
    NEW = "new", _("neuf")
    A = "A", _("A – comme neuf")
    B = "B", _("B – traces d’usage légères")
    C = "C", _("C – traces d’usage visibles")


class Provenance(models.TextChoices):
    REFURBISHED = "refurbished", _("reconditionné")
    DONATED = "donated", _("donné")
    PURCHASED = "purchased", _("acheté")


class ItemQuerySet(models.QuerySet):
    def in_stock(self):
        return self.filter(status=ItemStatus.IN_STOCK)

    def for_centre(self, centre):
        return self.filter(
            allocations__line__allocation__application__centre=centre,
            allocations__released_at__isnull=True,
        )


class Item(models.Model):
    """One device with its serial number, provenance and whereabouts."""

    Status = ItemStatus

    serial_number = models.CharField(_("n° de série"), max_length=80, unique=True)
    asset_tag = models.CharField(
        _("n° d’inventaire"), max_length=40, unique=True, null=True, blank=True
    )
    device_model = models.ForeignKey(
        DeviceModel, verbose_name=_("modèle"), on_delete=models.PROTECT, related_name="items"
    )
    pack_type = models.ForeignKey(
        "appels.PackType",
        verbose_name=_("type de pack"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    grade = models.CharField(_("grade"), max_length=5, choices=Grade.choices)
    provenance = models.CharField(_("provenance"), max_length=20, choices=Provenance.choices)
    provenance_partner = models.ForeignKey(
        "centres.Partner",
        verbose_name=_("reconditionné, donné ou financé par"),
        on_delete=models.PROTECT,
        related_name="provided_items",
    )
    batch = models.ForeignKey(
        Batch,
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.IN_STOCK
    )
    received_on = models.DateField(_("entré en stock le"))
    specifications = models.TextField(_("caractéristiques particulières"), blank=True)
    end_of_life_on = models.DateField(_("repris pour recyclage le"), null=True, blank=True)
    end_of_life_destination = models.CharField(
        _("filière de recyclage"),
        max_length=200,
        blank=True,
        help_text=_("Éco-organisme ou recycleur agréé qui reçoit le matériel, et son site."),
    )

    objects = ItemQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["specifications"])

    class Meta:
        verbose_name = _("matériel")
        verbose_name_plural = _("matériels")
        ordering = ["serial_number"]
        indexes = [
            # Picking: oldest stock first within a pack type and grade.
            models.Index(
                fields=["pack_type", "status", "grade", "received_on"], name="item_picking"
            ),
            models.Index(fields=["status"], name="item_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="recycled")
                | (Q(end_of_life_on__isnull=False) & ~Q(end_of_life_destination="")),
                name="item_recycled_has_destination",
            ),
        ]

    def __str__(self):
        return f"{self.device_model} – {self.serial_number}"


class DataErasure(models.Model):
    """The certified erasure of a refurbished item's data, required before shipping."""

    item = models.OneToOneField(
        Item, verbose_name=_("matériel"), on_delete=models.CASCADE, related_name="erasure"
    )
    method = models.CharField(_("méthode"), max_length=120)
    erased_on = models.DateField(_("effacé le"))
    operator = models.CharField(_("opérateur"), max_length=150)
    report = models.FileField(
        _("rapport d’effacement"), upload_to="erasure/%Y/", storage=private_storage, blank=True
    )

    class Meta:
        verbose_name = _("effacement des données")
        verbose_name_plural = _("effacements des données")

    def __str__(self):
        return f"{self.item.serial_number} – {self.method}"


__all__ = [
    "ITEM_LIFECYCLE",
    "Batch",
    "DataErasure",
    "DeviceModel",
    "Grade",
    "Item",
    "ItemStatus",
    "Provenance",
]
