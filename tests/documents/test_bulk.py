"""The bulk shipment-sheet action: 300 shipments in one print-ready PDF, with progress."""

import io
import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from pypdf import PdfReader

from appels.models import ApplicationStatus
from equipements.models import AllocationStatus, ShipmentStatus
from solidaire.documents import DocumentKind
from solidaire.documents import services as document_services
from solidaire.models import Document, DocumentStatus
from tests.documents.conftest import pdf_text, save_pictures
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    ApplicationFactory,
    CallFactory,
    ItemFactory,
    ShipmentFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

SHIPMENTS = 300


def many_shipments(count):
    """``count`` shipments to different centres, each with one pack of two devices."""
    call = CallFactory()
    offer = call.offers.get()
    shipments = []
    for _ in range(count):
        site = SiteFactory()
        application = ApplicationFactory(
            call=call, centre=site.centre, site=site, status=ApplicationStatus.SELECTED, lines=0
        )
        shipment = ShipmentFactory(site=site, status=ShipmentStatus.SHIPPED)
        allocation = AllocationFactory(
            application=application, status=AllocationStatus.SHIPPED, lines=2, shipment=shipment
        )
        line = allocation.lines.get()
        for _ in range(2):
            AllocatedItemFactory(
                line=line,
                item=ItemFactory(
                    pack_type=offer.pack_type,
                    device_model__manufacturer="Lenovo",
                    status="shipped",
                ),
            )
        shipments.append(shipment)
    return shipments


def test_bulk_action_prints_300_shipment_sheets_in_one_pdf_with_progress(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    cache.clear()
    shipments = many_shipments(SHIPMENTS)
    reported = []
    report = document_services._report_progress

    def spy(document_id, done, total):
        reported.append((done, total))
        report(document_id, done, total)

    monkeypatch.setattr(document_services, "_report_progress", spy)

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:equipements_shipment_changelist"),
            {
                "action": "bulk_shipment_sheets_bulk",
                "_selected_action": [s.pk for s in shipments],
                "select_across": "0",
            },
        )
    elapsed = time.perf_counter() - started

    document = Document.objects.get(kind=DocumentKind.SHIPMENT_SHEETS_BULK)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:solidaire_document_progress", args=[document.pk])
    assert document.status == DocumentStatus.READY, document.error
    assert (document.progress_done, document.progress_total) == (SHIPMENTS, SHIPMENTS)
    # Progress was reported chunk by chunk while the worker ran.
    assert reported[0] == (0, SHIPMENTS)
    assert reported[-1] == (SHIPMENTS, SHIPMENTS)
    assert len(reported) == 1 + SHIPMENTS // 25
    assert [done for done, _total in reported] == sorted(done for done, _total in reported)

    data = document.file.read()
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == SHIPMENTS
    text = pdf_text(data)
    for shipment in shipments:
        assert shipment.reference in text
    save_pictures(data, "shipment-sheets-bulk", first=SHIPMENTS, last=SHIPMENTS)

    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert reverse("admin:solidaire_document_download", args=[document.pk]) in html
    assert 'value="300"' in html
    state = admin_client.get(response["Location"], {"format": "json"}).json()
    assert state["status"] == "ready" and state["done"] == state["total"] == SHIPMENTS
    print(f"{SHIPMENTS} sheets in {elapsed:.1f} s, {len(data) / 1e6:.1f} MB")


def test_progress_page_shows_the_worker_s_progress_while_pending(admin_client):
    shipments = ShipmentFactory.create_batch(3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(document_services, "enqueue_on_commit", lambda document_id: None)
        from solidaire.documents import request_bulk_document

        document = request_bulk_document(
            type(shipments[0]), [s.pk for s in shipments], DocumentKind.SHIPMENT_SHEETS_BULK
        )
    document_services._report_progress(document.pk, 2, 3)
    url = reverse("admin:solidaire_document_progress", args=[document.pk])
    html = admin_client.get(url).content.decode()
    assert 'http-equiv="refresh"' in html
    assert 'value="2"' in html and "67" in html
    assert admin_client.get(url, {"format": "json"}).json()["done"] == 2


@pytest.mark.parametrize("processes", [1, 2])
def test_a_failing_chunk_fails_the_whole_bulk_document_and_stores_no_file(
    processes, monkeypatch, settings
):
    """WeasyPrint fails on the second of three chunks (in this process or in a renderer
    process): the document is failed, with no file, and no later chunk is reported."""
    import dataclasses

    from solidaire.documents import registry

    settings.DOCUMENTS_BULK_PROCESSES = processes
    settings.DOCUMENTS_RENDER_EAGERLY = False
    kind = DocumentKind.SHIPMENT_SHEETS_BULK
    renderer = registry.get_renderer(kind)
    monkeypatch.setitem(registry._renderers, kind, dataclasses.replace(renderer, chunk_size=1))
    shipments = many_shipments(3)
    original = registry.get_renderer(kind).render

    def render(objects):
        rendering = original(objects)
        if objects[0].pk == shipments[1].pk:
            rendering.pdf_variant = "no-such-variant"  # WeasyPrint raises KeyError
        return rendering

    monkeypatch.setitem(
        registry._renderers, kind, dataclasses.replace(renderer, chunk_size=1, render=render)
    )
    document = document_services.request_bulk_document(
        type(shipments[0]), [s.pk for s in shipments], kind
    )
    progress = []
    document = document_services.generate_document(
        document.pk, on_progress=lambda done, total: progress.append(done)
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert "no-such-variant" in document.error
    assert not document.file and not document.sha256
    assert document.progress_done == 0
    # The chunk before the failing one may be reported done; none after it.
    assert progress in ([], [1])


@pytest.mark.parametrize("count", [1, 5])
def test_the_sheets_data_takes_four_queries_whatever_the_number_of_shipments(
    count, django_assert_num_queries
):
    """Shipments with their site and centre, their allocations with only the call's edition,
    the lines with their pack types, the picked items: then nothing more while rendering."""
    from equipements.documents import shipment_sheets
    from solidaire.documents.registry import Rendering
    from solidaire.documents.rendering import render_html

    shipments = many_shipments(count)
    with django_assert_num_queries(4):
        sheets = shipment_sheets(shipments)
    assert [len(sheet["items"]) for sheet in sheets] == [2] * count
    assert all(sheet["calls"] for sheet in sheets)
    with django_assert_num_queries(0):
        html = render_html(
            Rendering("documents/shipment_sheets.html", {"sheets": sheets, "title": "-"}, "-.pdf")
        )
    assert html.count('class="sheet"') == count


@pytest.mark.parametrize("other_thread", [False, True])
def test_renderer_processes_are_forked_unless_another_thread_runs(other_thread, monkeypatch):
    """Forked children start with Django, WeasyPrint and the fonts loaded; with another
    thread running (a fork copies only this one), new interpreters render instead. Both give
    each job's PDF, in order."""
    import threading

    from solidaire.documents import render_process

    started = []
    for name in ("_fork_child", "_spawn_child"):
        original = getattr(render_process, name)
        monkeypatch.setattr(
            render_process,
            name,
            lambda *args, name=name, original=original: started.append(name) or original(*args),
        )
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    if other_thread:
        thread.start()
    pdfs = []
    try:
        jobs = (
            (f"<p>Page {n}</p>", {}, "documents/sheet.css") for n in range(3)
        )  # 3 jobs, 2 processes
        render_process.render_in_processes(jobs, 3, 2, lambda index, pdf: pdfs.append((index, pdf)))
    finally:
        stop.set()
        if other_thread:
            thread.join()
    assert started == ["_spawn_child" if other_thread else "_fork_child"] * 2
    assert [index for index, _pdf in pdfs] == [0, 1, 2]
    assert [f"Page {n}" in pdf_text(pdf) for n, (_i, pdf) in enumerate(pdfs)] == [True] * 3
