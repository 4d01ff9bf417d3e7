"""A shipment sheet is rendered again whenever what it prints changes."""

import pytest

from equipements import services
from solidaire.documents import DocumentKind
from solidaire.models import Document
from tests.documents.conftest import pdf_text
from tests.factories import picked_allocation

pytestmark = pytest.mark.django_db(transaction=True)


def sheet_of(shipment):
    return Document.objects.get(object_id=shipment.pk, kind=DocumentKind.SHIPMENT_SHEET)


def test_changing_the_tracking_number_renders_the_sheet_again():
    allocation = picked_allocation(items=1)
    shipment = services.create_shipment([allocation], carrier="Colissimo", tracking_number="A1")
    first = sheet_of(shipment)
    assert first.sha256

    services.update_shipment(shipment, tracking_number="6A999888777", parcels=3)
    sheet = sheet_of(shipment)
    assert sheet.sha256 and sheet.sha256 != first.sha256
    text = pdf_text(sheet.file.read())
    assert "6A999888777" in text

    # Nothing changed, nothing rendered again.
    services.update_shipment(shipment, tracking_number="6A999888777")
    assert sheet_of(shipment).ready_at == sheet.ready_at


def test_a_scanned_item_added_to_a_packed_shipment_renders_its_sheet_again():
    from equipements.models import AllocationStatus  # noqa: PLC0415
    from tests.factories import DataErasureFactory, ItemFactory  # noqa: PLC0415

    allocation = picked_allocation(items=1)
    shipment = services.create_shipment([allocation], carrier="Colissimo")
    first = sheet_of(shipment)
    [picked] = allocation.lines.get().allocated_items.all()
    services.unpick_item(allocation, picked.item)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.CONFIRMED
    spare = ItemFactory(pack_type=picked.item.pack_type)
    DataErasureFactory(item=spare)
    services.scan_item(allocation, spare.serial_number)
    sheet = sheet_of(shipment)
    assert sheet.sha256 != first.sha256
    text = pdf_text(sheet.file.read())
    assert spare.serial_number in text and picked.item.serial_number not in text


def test_printing_a_selection_again_after_a_change_never_hands_out_the_old_sheets():
    from equipements.models import Shipment  # noqa: PLC0415
    from solidaire.documents import request_bulk_document  # noqa: PLC0415

    shipments = [
        services.create_shipment([picked_allocation(items=1)], carrier="Colissimo")
        for _ in range(2)
    ]
    ids = [s.pk for s in shipments]

    def printed():
        return request_bulk_document(
            Shipment, ids, DocumentKind.SHIPMENT_SHEETS_BULK, follows=DocumentKind.SHIPMENT_SHEET
        )

    first = printed()
    first.refresh_from_db()
    assert "6A000111222" not in pdf_text(first.file.read())
    again = printed()
    again.refresh_from_db()
    assert again.ready_at == first.ready_at  # nothing changed: the same PDF

    services.update_shipment(shipments[1], tracking_number="6A000111222")
    fresh = printed()
    fresh.refresh_from_db()
    assert fresh.pk == first.pk and fresh.ready_at > first.ready_at
    assert "6A000111222" in pdf_text(fresh.file.read())
