"""The operator's identity on a call's documents: one source, copied at issue.

The agreement, the shipment sheet and the invoice name the same operator. Each is given
:func:`operator_identity` of its call when it is issued and keeps a copy of it
(:class:`OperatorCopy` fields on agreements and shipments, the ``seller_*`` fields on
invoices), so a later change of the partner's record never alters an issued document.

Where the identity comes from:

- the call's operator partner (``CallPartner`` with the role *opérateur*): its name,
  address, SIRET, VAT number, e-mail and phone;
- the ``DOCUMENTS_ISSUER_*`` settings fill in what that partner's record leaves blank (the
  legal form, which partners do not record, a missing phone...) **only when the partner is
  the organisation the settings describe** (same name, or same SIRET): the settings never
  lend one organisation's SIRET or address to another;
- a call without an operator partner is run by the organisation of the settings.
"""

from dataclasses import asdict, dataclass, fields

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class OperatorIdentity:
    name: str
    legal_form: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    siret: str = ""
    vat_number: str = ""
    email: str = ""
    phone: str = ""

    @property
    def postal_address(self):
        """``street, postcode city``, as on invoices (and parsed back for Factur-X)."""
        town = f"{self.postal_code} {self.city}".strip()
        return ", ".join(part for part in (self.address, town) if part)

    @classmethod
    def from_settings(cls):
        return cls(
            name=settings.DOCUMENTS_ISSUER_NAME,
            legal_form=settings.DOCUMENTS_ISSUER_LEGAL_FORM,
            address=settings.DOCUMENTS_ISSUER_ADDRESS,
            postal_code=settings.DOCUMENTS_ISSUER_POSTAL_CODE,
            city=settings.DOCUMENTS_ISSUER_CITY,
            siret=settings.DOCUMENTS_ISSUER_SIRET,
            vat_number=settings.DOCUMENTS_ISSUER_VAT_NUMBER,
            email=settings.DOCUMENTS_ISSUER_EMAIL,
            phone=settings.DOCUMENTS_ISSUER_PHONE,
        )

    @classmethod
    def from_partner(cls, partner):
        identity = cls(
            name=partner.name,
            address=partner.address,
            postal_code=partner.postal_code,
            city=partner.city,
            siret=partner.siret,
            vat_number=partner.vat_number,
            email=partner.email,
            phone=partner.phone,
        )
        fallback = cls.from_settings()
        if not identity.is_same_organisation(fallback):
            return identity
        return cls(
            **{name: value or getattr(fallback, name) for name, value in asdict(identity).items()}
        )

    def is_same_organisation(self, other):
        same_name = self.name.strip().casefold() == other.name.strip().casefold()
        same_siret = bool(self.siret) and self.siret == other.siret
        return same_name or same_siret


FIELD_NAMES = tuple(field.name for field in fields(OperatorIdentity))


def operator_identity(call):
    """The identity of the operator of ``call``, as its documents print it (see above)."""
    role = call.call_partners.model.Role.OPERATOR
    operator = call.call_partners.select_related("partner").filter(role=role).first()
    if operator is None:
        return OperatorIdentity.from_settings()
    return OperatorIdentity.from_partner(operator.partner)


class OperatorCopy(models.Model):
    """The operator's identity as it was when the row was issued (agreements, shipments)."""

    operator_name = models.CharField(_("opérateur"), max_length=200, blank=True)
    operator_legal_form = models.CharField(
        _("forme juridique de l’opérateur"), max_length=200, blank=True
    )
    operator_address = models.CharField(_("adresse de l’opérateur"), max_length=255, blank=True)
    operator_postal_code = models.CharField(
        _("code postal de l’opérateur"), max_length=10, blank=True
    )
    operator_city = models.CharField(_("commune de l’opérateur"), max_length=120, blank=True)
    operator_siret = models.CharField(_("SIRET de l’opérateur"), max_length=14, blank=True)
    operator_vat_number = models.CharField(_("TVA de l’opérateur"), max_length=20, blank=True)
    operator_email = models.EmailField(_("e-mail de l’opérateur"), blank=True)
    operator_phone = models.CharField(_("téléphone de l’opérateur"), max_length=30, blank=True)

    class Meta:
        abstract = True

    @property
    def operator(self):
        """The copied identity, or ``None`` for a row issued before identities were copied
        (its documents then print the settings' issuer, as they did when issued)."""
        if not self.operator_name:
            return None
        return OperatorIdentity(**{name: getattr(self, f"operator_{name}") for name in FIELD_NAMES})


def operator_fields(identity):
    """``{"operator_name": ..., ...}``: the copied fields, for ``objects.create(**...)``."""
    return {f"operator_{name}": getattr(identity, name) for name in FIELD_NAMES}
