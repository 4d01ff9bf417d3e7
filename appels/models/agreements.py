"""Agreements ("conventions") between the operator and a selected centre."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaire.states import Lifecycle


class AgreementStatus(models.TextChoices):
    ISSUED = "issued", _("émise")
    SIGNED = "signed", _("signée")
    VOID = "void", _("annulée")


AGREEMENT_LIFECYCLE = Lifecycle(
    AgreementStatus,
    {
        AgreementStatus.ISSUED: [AgreementStatus.SIGNED, AgreementStatus.VOID],
        AgreementStatus.SIGNED: [AgreementStatus.VOID],
    },
)


class Agreement(models.Model):
    """The agreement issued to a selected application; accepted by the centre in the portal."""

    Status = AgreementStatus

    application = models.OneToOneField(
        "appels.Application",
        verbose_name=_("candidature"),
        on_delete=models.PROTECT,
        related_name="agreement",
    )
    number = models.CharField(_("numéro"), max_length=40, unique=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("émise le"))
    signed_at = models.DateTimeField(_("signée le"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signer_name = models.CharField(_("nom du signataire"), max_length=150, blank=True)
    signer_role = models.CharField(_("qualité du signataire"), max_length=150, blank=True)
    voided_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    void_reason = models.TextField(_("motif d’annulation"), blank=True)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(signed_at__isnull=False) & ~Q(signer_name="") & ~Q(signer_role="")),
                name="agreement_signed_has_signer",
            ),
        ]

    def __str__(self):
        return self.number
