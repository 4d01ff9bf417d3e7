"""Render times of the documents, against a bare WeasyPrint render measured in the same run.

Run with ``make bench`` (not collected by ``make test``); prints medians and ratios.
"""

import os
import resource
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
    put_in_shipment,
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
    put_in_shipment(allocation, shipment)
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


# --- On the scale data: each document against a bare render of its own HTML ---------------

BULK_SHEETS = 300


def bare_render_of(rendering, *, warm):
    """WeasyPrint alone on the document's final HTML, with the same stylesheet, URL fetcher
    and ``write_pdf`` options: the floor.

    ``warm=False``: a fresh font configuration and a fresh parse of the stylesheet, as a
    naive WeasyPrint call does. ``warm=True``: the process's fonts and parsed stylesheet,
    as the pipeline uses them, so the ratio is our own overhead only (context, template,
    Factur-X, metadata).
    """
    import weasyprint

    from solidaire.documents.rendering import (
        BASE_URL,
        STATIC_PREFIX,
        layout_html,
        render_html,
        static_only_fetcher,
        write_options,
    )

    html = render_html(rendering)
    options = write_options(rendering)
    if warm:
        return lambda: layout_html(html, rendering.stylesheet, **options).write_pdf(
            BytesIO(), **options
        )

    def cold():
        fetcher = static_only_fetcher()
        stylesheet = weasyprint.CSS(url=STATIC_PREFIX + rendering.stylesheet, url_fetcher=fetcher)
        weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
            BytesIO(), stylesheets=[stylesheet], **options
        )

    return cold


def interleaved_medians(functions, runs):
    """Median seconds of each function, run in turns so that the machine's load (shared,
    noisy) weighs on all of them alike."""
    for function in functions.values():
        function()  # warm-up: imports, fonts, templates
    timings = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in timings.items()}


def scale_objects():
    from appels.models import Agreement
    from equipements import scale
    from equipements.models import Shipment

    shipment = (
        Shipment.objects.filter(reference__startswith=scale.SERIAL_PREFIX)
        .order_by("-parcels", "pk")
        .first()
    )
    allocation = shipment.allocations.get()
    invoice = allocation.invoices.get()
    agreement = Agreement.objects.get(application=allocation.application)
    return invoice, agreement, shipment


def test_documents_against_their_own_html(report):
    invoice, agreement, shipment = scale_objects()
    cases = [
        ("invoice (Factur-X)", lambda: invoice_rendering(invoice)),
        ("agreement", lambda: get_renderer("agreement").render(agreement)),
        ("shipment sheet", lambda: get_renderer("shipment_sheet").render(shipment)),
    ]
    rows = []
    for name, make in cases:
        medians = interleaved_medians(
            {
                "produced": lambda make=make: render_pdf(make()),
                "cold": bare_render_of(make(), warm=False),
                "warm": bare_render_of(make(), warm=True),
            },
            runs=7,
        )
        full, cold, warm = medians["produced"], medians["cold"], medians["warm"]
        rows.append(
            {
                "document": name,
                "produced ms": round(full * 1000),
                "bare WeasyPrint ms": round(cold * 1000),
                "× bare": round(full / cold, 2),
                "bare, warm fonts+CSS ms": round(warm * 1000),
                "× warm bare": round(full / warm, 2),
                "target met": "yes" if full / warm <= 1.3 else "NO",
            }
        )
    report["documents (median of 7, same HTML and options rendered bare)"] = rows


def cpu_seconds():
    """CPU time of this process and of its finished children (the bulk's renderers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def test_bulk_shipment_sheets(report, settings):
    """The 300-sheet PDF through the documents pipeline (chunks, progress, merge, storage)."""
    from equipements import scale
    from equipements.models import Shipment
    from solidaire.documents.services import (
        bulk_processes,
        generate_document,
        request_bulk_document,
    )
    from solidaire.models import Document, DocumentKind

    settings.DOCUMENTS_RENDER_EAGERLY = False  # created pending, produced here, timed
    ids = list(
        Shipment.objects.filter(reference__startswith=scale.SERIAL_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)[:BULK_SHEETS]
    )
    document = request_bulk_document(Shipment, ids, DocumentKind.SHIPMENT_SHEETS_BULK)
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    generate_document(document.pk)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    document = Document.objects.get(pk=document.pk)
    assert document.status == "ready", document.error
    report["bulk PDF"] = [
        {
            "document": f"{len(ids)} shipment sheets in one PDF",
            "seconds": round(elapsed, 1),
            "sheets/s": round(len(ids) / elapsed, 1),
            # The work done, whatever the machine's load: this process and its renderers.
            "CPU s": round(cpu, 1),
            "processes": bulk_processes(),
            "load average": round(os.getloadavg()[0], 1),
            "MB": round(document.size / 1e6, 2),
            "target met": "yes" if elapsed <= 30 else "NO",
        }
    ]
