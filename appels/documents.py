"""The agreement ("convention") as a document, before and after the centre's signature.

Registered with :mod:`solidaire.documents` when the app is ready.
"""

from decimal import Decimal

from django.db.models import Prefetch

from solidaire.documents import DocumentKind, Rendering, register

from .models import Agreement, ApplicationLine, CallPartner
from .operator import OperatorIdentity

# The signed version once there is one, else the issued one.
AGREEMENT_KINDS = (DocumentKind.AGREEMENT_SIGNED, DocumentKind.AGREEMENT)


def agreement_rendering(agreement, *, signed):
    agreement = (
        Agreement.objects.select_related(
            "application__call", "application__centre", "application__site", "signed_by"
        )
        .prefetch_related(
            Prefetch(
                "application__lines",
                ApplicationLine.objects.filter(granted_quantity__gt=0).select_related(
                    "offer__pack_type"
                ),
                to_attr="granted_lines",
            ),
            Prefetch(
                "application__call__call_partners",
                CallPartner.objects.select_related("partner").order_by("role", "partner__name"),
                to_attr="partner_roles",
            ),
        )
        .get(pk=agreement.pk)
    )
    application = agreement.application
    lines = application.granted_lines
    for line in lines:
        line.device_total = line.granted_quantity * line.offer.pack_type.units_per_pack
        line.amount = line.granted_quantity * (line.granted_unit_price or Decimal(0))
    total = sum((line.amount for line in lines), Decimal(0))
    suffix = "-signee" if signed else ""
    return Rendering(
        template_name="documents/agreement.html",
        context={
            "agreement": agreement,
            "application": application,
            "call": application.call,
            "centre": application.centre,
            "lines": lines,
            "total": total,
            "devices": sum(line.device_total for line in lines),
            # The operator is the party above, as copied; the others as the call lists them.
            "partners": [
                role
                for role in application.call.partner_roles
                if role.role != CallPartner.Role.OPERATOR
            ],
            "signed": signed,
            # The identity copied at issue, also in the running header and footer (agreements
            # issued before identities were copied print the settings' issuer, as then).
            "issuer": agreement.operator or OperatorIdentity.from_settings(),
        },
        filename=f"{agreement.number}{suffix}.pdf",
    )


@register(DocumentKind.AGREEMENT, "appels.Agreement", backfill=lambda agreements: agreements)
def render_agreement(agreement):
    return agreement_rendering(agreement, signed=False)


@register(
    DocumentKind.AGREEMENT_SIGNED,
    "appels.Agreement",
    immutable=True,
    backfill=lambda agreements: agreements.filter(signed_at__isnull=False),
)
def render_signed_agreement(agreement):
    return agreement_rendering(agreement, signed=True)
