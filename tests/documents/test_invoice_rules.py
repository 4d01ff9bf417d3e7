"""Invoice rules beyond the PDF: the legal resale ceilings of the decree of 7 November 2022."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from equipements import services
from equipements.models import AllocationStatus, Invoice
from equipements.pricing import ceilings_on
from solidaire.errors import DomainError
from tests.factories import AllocationFactory, PackTypeFactory

pytestmark = pytest.mark.django_db


def allocation_at(price, *, kind="laptop", units_per_pack=1):
    pack = PackTypeFactory(kind=kind, units_per_pack=units_per_pack)
    allocation = AllocationFactory(status=AllocationStatus.DELIVERED, lines=0)
    from tests.factories import AllocationLineFactory

    AllocationLineFactory(
        allocation=allocation,
        pack_type=pack,
        units_per_pack=units_per_pack,
        unit_price=Decimal(price),
        quantity=2,
    )
    return allocation


@pytest.mark.parametrize(
    ("kind", "units", "price", "allowed"),
    [
        ("laptop", 1, "180.00", True),
        ("laptop", 1, "180.01", False),
        ("desktop", 1, "150.00", True),
        ("desktop", 1, "151.00", False),
        ("tablet", 6, "600.00", True),  # 100 € per tablet in a fleet of six
        ("tablet", 6, "606.00", False),
    ],
)
def test_issuing_refuses_a_price_above_the_legal_ceiling(kind, units, price, allowed):
    allocation = allocation_at(price, kind=kind, units_per_pack=units)
    if allowed:
        assert services.issue_invoice(allocation).pk
    else:
        with pytest.raises(DomainError) as error:
            services.issue_invoice(allocation)
        assert error.value.code == "resale_ceiling"
        assert "décret du 7 novembre 2022" in error.value.messages[0]
        assert not Invoice.objects.filter(allocation=allocation).exists()


def test_the_ceiling_includes_vat(settings):
    settings.INVOICE_VAT_RATE = "20"
    with pytest.raises(DomainError):
        services.issue_invoice(allocation_at("160.00"))  # 192 € TTC > 180 €


def test_the_ceilings_apply_from_the_decree_s_entry_into_force():
    assert ceilings_on(datetime(2022, 11, 9).date()) is None
    assert ceilings_on(datetime(2022, 11, 10).date())["ceilings"]["laptop"] == "180.00"
    allocation = allocation_at("250.00")
    before = timezone.make_aware(datetime(2021, 6, 1, 12))
    assert services.issue_invoice(allocation, now=before).total_excl_tax == Decimal("500.00")
