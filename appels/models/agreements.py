"""Agreements ("conventions") between the operator and a selected centre."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaire.states import Lifecycle

from ..operator import OperatorCopy


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


NUMBER_MAX_LENGTH = 40
# A slug longer than this is shortened to its beginning and a hash of the whole slug.
CALL_CODE_LENGTH = 12


def call_code(slug):
    """A short, stable code of a call, from its slug: ``MCSN-2012``, ``MON-CEN-1A2B``."""
    code = slug.upper()
    if len(code) <= CALL_CODE_LENGTH:
        return code
    digest = hashlib.sha256(slug.encode()).hexdigest()[:4].upper()
    return f"{code[: CALL_CODE_LENGTH - 5].rstrip('-')}-{digest}"


def agreement_number(call, application_pk):
    """``CONV-<call code>-<application pk>``: unique (one agreement per application) and
    at most 5 + 12 + 1 + 19 = 37 characters, whatever the call's slug and the pk."""
    return f"CONV-{call_code(call.slug)}-{application_pk:05d}"


class Agreement(OperatorCopy, models.Model):
    """The agreement issued to a selected application; accepted by the centre in the portal.

    The operator's identity is copied at issue; the signature records who signed, when,
    from which address, and the checksum of the PDF they were shown.
    """

    Status = AgreementStatus

    application = models.OneToOneField(
        "appels.Application",
        verbose_name=_("candidature"),
        on_delete=models.PROTECT,
        related_name="agreement",
    )
    number = models.CharField(_("numéro"), max_length=NUMBER_MAX_LENGTH, unique=True)
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
    signed_from_ip = models.GenericIPAddressField(
        _("signée depuis l’adresse IP"), null=True, blank=True
    )
    signed_document_sha256 = models.CharField(
        _("empreinte SHA-256 du PDF signé"),
        max_length=64,
        blank=True,
        help_text=_("L’empreinte du PDF de la convention que le signataire a lu."),
    )
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
