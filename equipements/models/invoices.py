"""Invoices at the solidarity price and credit notes; immutable once issued."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaire.errors import DomainError
from solidaire.states import Lifecycle


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("facture")
    CREDIT_NOTE = "credit_note", _("avoir")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("émise")
    PAID = "paid", _("payée")


INVOICE_LIFECYCLE = Lifecycle(InvoiceStatus, {InvoiceStatus.ISSUED: [InvoiceStatus.PAID]})

# The only fields that may change on an issued invoice: its settlement.
INVOICE_MUTABLE_FIELDS = frozenset({"status", "paid_on"})


class InvoiceCounter(models.Model):
    """The last number used in a series and year; locked while a number is taken."""

    series = models.CharField(_("série"), max_length=10)
    year = models.PositiveSmallIntegerField(_("année"))
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de factures")
        verbose_name_plural = _("compteurs de factures")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoicecounter_unique"),
        ]

    def __str__(self):
        return f"{self.series}-{self.year} : {self.last_number}"


class InvoiceQuerySet(models.QuerySet):
    def for_centre(self, centre):
        return self.filter(allocation__application__centre=centre)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(allocation__application__centre__memberships__user=user)


class Invoice(models.Model):
    """An invoice or credit note; seller, buyer and amounts are copied at issue."""

    Kind = InvoiceKind
    Status = InvoiceStatus

    kind = models.CharField(_("nature"), max_length=20, choices=InvoiceKind.choices)
    series = models.CharField(_("série"), max_length=10)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence_number = models.PositiveIntegerField(_("n° d’ordre"))
    number = models.CharField(_("numéro"), max_length=40, unique=True)
    allocation = models.ForeignKey(
        "equipements.Allocation",
        verbose_name=_("attribution"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("facture corrigée"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    issued_on = models.DateField(_("date d’émission"))
    due_on = models.DateField(_("date d’échéance"))
    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    seller_name = models.CharField(_("vendeur"), max_length=200)
    seller_address = models.CharField(_("adresse du vendeur"), max_length=300)
    seller_siret = models.CharField(_("SIRET du vendeur"), max_length=14)
    seller_vat_number = models.CharField(_("TVA du vendeur"), max_length=20, blank=True)
    seller_legal_form = models.CharField(
        _("forme juridique du vendeur"), max_length=200, blank=True
    )
    buyer_name = models.CharField(_("acheteur"), max_length=200)
    buyer_address = models.CharField(_("adresse de l’acheteur"), max_length=300)
    buyer_siret = models.CharField(_("SIRET de l’acheteur"), max_length=14)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2)
    vat_mention = models.CharField(_("mention TVA"), max_length=255, blank=True)
    total_excl_tax = models.DecimalField(_("total HT (€)"), max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(_("TVA (€)"), max_digits=12, decimal_places=2)
    total_incl_tax = models.DecimalField(_("total TTC (€)"), max_digits=12, decimal_places=2)
    payment_terms = models.CharField(_("conditions de paiement"), max_length=255)
    reason = models.TextField(_("motif (avoir)"), blank=True)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-year", "series", "-sequence_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "sequence_number"], name="invoice_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(sequence_number__gte=1), name="invoice_sequence_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="credit_note", corrects__isnull=False),
                name="invoice_credit_note_references_invoice",
            ),
            models.CheckConstraint(
                condition=Q(kind="credit_note") | Q(total_incl_tax__gte=0),
                name="invoice_total_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["allocation", "kind"], name="invoice_allocation_kind")]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        # An issued invoice never changes: only its settlement may be recorded.
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= INVOICE_MUTABLE_FIELDS:
                raise DomainError(
                    _("Une facture émise ne peut pas être modifiée : émettez un avoir."),
                    code="invoice_immutable",
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DomainError(
            _("Une facture émise ne peut pas être supprimée : émettez un avoir."),
            code="invoice_undeletable",
        )


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="lines"
    )
    description = models.CharField(_("désignation"), max_length=255)
    quantity = models.IntegerField(_("quantité"))
    unit_price = models.DecimalField(_("prix unitaire HT (€)"), max_digits=10, decimal_places=2)
    total_excl_tax = models.DecimalField(_("total HT (€)"), max_digits=12, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["invoice", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="invoiceline_price_not_negative"
            ),
        ]

    def __str__(self):
        return self.description
