"""Legal ceilings on the resale price of IT equipment given free of charge by public bodies.

Associations recognised of public utility or general interest may resell such equipment to
people in precarious situations (art. L. 3212-2 of the code général de la propriété des
personnes publiques, as amended by art. 178 of the "3DS" law of 21 February 2022) at a
solidarity price no higher than a ceiling set by decree. The ceilings live in a dated
settings table (``RESALE_PRICE_CEILINGS``) that cites its source: a later decree adds a row,
and each invoice is checked against the row in force on its issue date.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from solidaire.errors import DomainError


def ceilings_on(day):
    """The row of ``RESALE_PRICE_CEILINGS`` in force on ``day`` (or ``None``)."""
    rows = [
        row for row in settings.RESALE_PRICE_CEILINGS if date.fromisoformat(row["since"]) <= day
    ]
    return max(rows, key=lambda row: row["since"]) if rows else None


def check_resale_ceilings(lines, vat_rate, day):
    """Refuse allocation lines whose price per device, VAT included, exceeds the ceiling.

    ``lines`` are allocation lines (pack type kind, units per pack and unit price per pack,
    excluding VAT); the ceilings are per device and include VAT.
    """
    if not settings.RESALE_PRICE_CEILINGS_ENFORCED:
        return
    row = ceilings_on(day)
    if row is None:
        return
    for line in lines:
        ceiling = row["ceilings"].get(line.pack_type.kind)
        if ceiling is None:
            continue
        per_device = line.unit_price * (1 + Decimal(vat_rate) / 100) / line.units_per_pack
        if per_device > Decimal(ceiling):
            raise DomainError(
                _(
                    "« %(pack)s » : %(price)s € TTC par appareil dépasse le prix solidaire "
                    "maximal de %(ceiling)s € (%(source)s)."
                )
                % {
                    "pack": line.pack_type,
                    "price": per_device.quantize(Decimal("0.01")),
                    "ceiling": ceiling,
                    "source": row["source"],
                },
                code="resale_ceiling",
            )
