"""Render times of the documents, against a bare WeasyPrint render measured in the same run.

Run with ``make bench`` (not collected by ``make test``); prints medians and ratios.
"""

import statistics
import time
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone

from appels import services as appels_services
from equipements import services
from equipements.documents import invoice_rendering, render_shipment_sheets
from equipements.models import AllocationStatus, ItemStatus, ShipmentStatus
from solidaire.documents.registry import get_renderer
from solidaire.documents.rendering import render_pdf
from tests.documents.test_bulk import many_shipments
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    AllocationLineFactory,
    ApplicationFactory,
    PackTypeFactory,
    ShipmentFactory,
)

pytestmark = pytest.mark.django_db

RUNS = 10


def median_seconds(function, runs=RUNS):
    function()  # warm-up: imports, fonts
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bare_render():
    import weasyprint

    weasyprint.HTML(string="<p style='font-family: DejaVu Sans'>Facture</p>").write_pdf(BytesIO())


@pytest.fixture
def delivered():
    pack = PackTypeFactory(kind="tablet", units_per_pack=6)
    application = ApplicationFactory(status="selected", lines=0)
    allocation = AllocationFactory(
        application=application,
        status=AllocationStatus.DELIVERED,
        lines=0,
        delivered_at=timezone.now(),
    )
    line = AllocationLineFactory(
        allocation=allocation,
        pack_type=pack,
        units_per_pack=6,
        quantity=3,
        unit_price=Decimal("90.00"),
    )
    for _ in range(18):
        AllocatedItemFactory(line=line, item__status=ItemStatus.DELIVERED)
    shipment = ShipmentFactory(site=application.site, status=ShipmentStatus.DELIVERED)
    allocation.shipment = shipment
    allocation.save(update_fields=["shipment"])
    return allocation


def test_render_times(delivered):
    invoice = services.issue_invoice(delivered)
    agreement = appels_services.issue_agreement(delivered.application)
    shipment = delivered.shipment
    floor = median_seconds(bare_render)
    rows = {
        "bare WeasyPrint page (floor)": floor,
        "invoice, Factur-X PDF/A-3b": median_seconds(
            lambda: render_pdf(invoice_rendering(invoice))
        ),
        "agreement (2 pages)": median_seconds(
            lambda: render_pdf(get_renderer("agreement").render(agreement))
        ),
        "shipment sheet, 18 serials": median_seconds(
            lambda: render_pdf(get_renderer("shipment_sheet").render(shipment))
        ),
    }
    chunk = many_shipments(25)
    rows["25 shipment sheets, 2 serials each (a bulk chunk)"] = median_seconds(
        lambda: render_pdf(render_shipment_sheets(chunk)), runs=3
    )
    print()
    for name, seconds in rows.items():
        print(f"{name:40s} {seconds * 1000:8.0f} ms  ×{seconds / floor:5.1f}")
