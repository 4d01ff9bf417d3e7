"""Database constraints of stock, allocations, shipments and invoices (SQLite and PostgreSQL)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from equipements.models import AllocatedItem, InvoiceKind
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    AllocationLineFactory,
    DataErasureFactory,
    DeviceModelFactory,
    InvoiceCounterFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ItemFactory,
    ShipmentFactory,
    SupportTicketFactory,
)

pytestmark = pytest.mark.django_db


def violates(create, constraint=None):
    """``create()`` must fail with an IntegrityError, rolled back to a savepoint.

    Both SQLite and PostgreSQL name a violated CHECK constraint in their message.
    """
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        create()
    if constraint:
        assert constraint in str(exc.value)


# --- stock ------------------------------------------------------------------------------


def test_serial_numbers_are_unique():
    ItemFactory(serial_number="CZC1234XYZ")
    violates(lambda: ItemFactory(serial_number="CZC1234XYZ"))


def test_asset_tags_are_unique_but_optional():
    ItemFactory(asset_tag="INV-2012-001")
    violates(lambda: ItemFactory(asset_tag="INV-2012-001"))
    ItemFactory(asset_tag=None)
    ItemFactory(asset_tag=None)


def test_device_models_are_unique_per_manufacturer():
    DeviceModelFactory(manufacturer="Dell", name="OptiPlex 780")
    DeviceModelFactory(manufacturer="HP", name="OptiPlex 780")
    violates(lambda: DeviceModelFactory(manufacturer="Dell", name="OptiPlex 780"))


def test_an_item_has_one_erasure_record():
    erasure = DataErasureFactory()
    violates(lambda: DataErasureFactory(item=erasure.item))


# --- allocations ------------------------------------------------------------------------


def test_allocation_line_quantity_is_positive():
    violates(lambda: AllocationLineFactory(quantity=0), "allocline_quantity_positive")
    violates(lambda: AllocationLineFactory(quantity=-1))


def test_allocation_line_price_is_not_negative():
    AllocationLineFactory(unit_price=Decimal("0.00"))
    violates(
        lambda: AllocationLineFactory(unit_price=Decimal("-0.01")), "allocline_price_not_negative"
    )


def test_allocation_line_units_are_positive():
    violates(lambda: AllocationLineFactory(units_per_pack=0), "allocline_units_positive")


def test_an_allocation_line_is_unique_per_offer():
    line = AllocationLineFactory()
    violates(lambda: AllocationLineFactory(allocation=line.allocation, offer=line.offer))


def test_one_allocation_per_application():
    allocation = AllocationFactory()
    violates(lambda: AllocationFactory(application=allocation.application, lines=0))


def test_an_item_is_allocated_once_at_a_time():
    picked = AllocatedItemFactory()
    other_line = AllocationLineFactory(pack_type=picked.item.pack_type)
    violates(lambda: AllocatedItemFactory(line=other_line, item=picked.item))
    violates(lambda: AllocatedItemFactory(line=picked.line, item=picked.item))
    # Once released, the item may go to another allocation; the history stays.
    AllocatedItem.objects.filter(pk=picked.pk).update(released_at=timezone.now())
    AllocatedItemFactory(line=other_line, item=picked.item)
    assert AllocatedItem.objects.filter(item=picked.item).count() == 2


# --- shipments and tickets --------------------------------------------------------------


def test_shipment_references_are_unique():
    shipment = ShipmentFactory()
    violates(lambda: ShipmentFactory(reference=shipment.reference))


def test_a_shipment_has_at_least_one_parcel_and_no_negative_weight():
    violates(lambda: ShipmentFactory(parcels=0), "shipment_parcels_positive")
    violates(lambda: ShipmentFactory(weight_kg=Decimal("-1")), "shipment_weight_not_negative")


def test_a_resolved_ticket_records_its_resolution():
    violates(
        lambda: SupportTicketFactory(status="resolved", resolution=""), "ticket_resolved_complete"
    )
    violates(
        lambda: SupportTicketFactory(status="resolved", resolved_at=None),
        "ticket_resolved_complete",
    )


# --- invoices ---------------------------------------------------------------------------


def test_invoice_numbers_are_unique_per_series_and_year():
    invoice = InvoiceFactory(series="F", year=2013, sequence_number=7)
    violates(
        lambda: InvoiceFactory(
            series="F",
            year=2013,
            sequence_number=7,
            number="F-2013-7-bis",
            allocation=invoice.allocation,
        )
    )
    InvoiceFactory(series="F", year=2014, sequence_number=7)
    InvoiceFactory(
        series="AV", year=2013, sequence_number=7, kind=InvoiceKind.CREDIT_NOTE, corrects=invoice
    )


def test_the_printed_number_is_unique():
    invoice = InvoiceFactory()
    violates(lambda: InvoiceFactory(number=invoice.number))


def test_sequence_numbers_start_at_one():
    violates(lambda: InvoiceFactory(sequence_number=0), "invoice_sequence_positive")


def test_one_counter_per_series_and_year():
    InvoiceCounterFactory(series="F", year=2013)
    InvoiceCounterFactory(series="AV", year=2013)
    violates(lambda: InvoiceCounterFactory(series="F", year=2013))


def test_a_credit_note_must_reference_an_invoice():
    violates(
        lambda: InvoiceFactory(kind=InvoiceKind.CREDIT_NOTE, corrects=None),
        "invoice_credit_note_references_invoice",
    )


def test_an_invoice_corrects_nothing():
    original = InvoiceFactory()
    violates(
        lambda: InvoiceFactory(kind=InvoiceKind.INVOICE, corrects=original),
        "invoice_credit_note_references_invoice",
    )


def test_only_a_credit_note_has_a_negative_total():
    original = InvoiceFactory()
    violates(lambda: InvoiceFactory(total_incl_tax=Decimal("-1")), "invoice_total_not_negative")
    InvoiceFactory(
        kind=InvoiceKind.CREDIT_NOTE,
        series="AV",
        corrects=original,
        total_excl_tax=Decimal("-90"),
        total_incl_tax=Decimal("-90"),
    )


def test_invoice_line_price_is_not_negative():
    InvoiceLineFactory(unit_price=Decimal("0"))
    violates(lambda: InvoiceLineFactory(unit_price=Decimal("-5")), "invoiceline_price_not_negative")
