"""The document service, tasks run in process: requested with the business transaction,
rendered once, failures recorded and retried by the sweeper."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from equipements import services
from equipements.models import AllocationStatus
from solidaire.documents import (
    DocumentKind,
    generate_document,
    registry,
    request_document,
    retry_document,
    sweep_documents,
)
from solidaire.documents import services as document_services
from solidaire.documents.registry import Rendering
from solidaire.documents.rendering import BASE_URL, render_pdf
from solidaire.errors import DomainError
from solidaire.models import Document, DocumentStatus
from tests.factories import AgreementFactory, ShipmentFactory, picked_allocation

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def renders(monkeypatch):
    """Count the PDF renders (the real WeasyPrint render still runs)."""
    calls = []

    def counting(rendering):
        calls.append(rendering.filename)
        return render_pdf(rendering)

    monkeypatch.setattr(document_services, "render_pdf", counting)
    return calls


def break_renderer(monkeypatch, kind):
    renderer = registry.get_renderer(kind)

    def failing(obj):
        raise RuntimeError("imprimante en panne")

    monkeypatch.setitem(registry._renderers, kind, replace(renderer, render=failing))
    return renderer


def test_a_document_requested_in_a_rolled_back_transaction_never_exists(
    renders, django_capture_on_commit_callbacks
):
    shipment = ShipmentFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        request_document(shipment, DocumentKind.SHIPMENT_SHEET)
        raise Rollback
    assert callbacks == []
    assert not Document.objects.exists()
    assert renders == []


def test_a_document_requested_twice_is_one_row_rendered_once(
    renders, django_capture_on_commit_callbacks
):
    shipment = ShipmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    with django_capture_on_commit_callbacks(execute=True):
        second = request_document(shipment, DocumentKind.SHIPMENT_SHEET)

    assert first.pk == second.pk
    assert Document.objects.count() == 1
    assert renders == [f"bordereau-{shipment.reference}.pdf"]
    document = Document.objects.get()
    assert document.status == DocumentStatus.READY
    assert document.attempts == 1
    # Generating a ready document again does nothing.
    assert generate_document(document.pk).sha256 == document.sha256
    assert len(renders) == 1


def test_a_ready_document_is_stored_with_its_checksum_and_size(
    django_capture_on_commit_callbacks,
):
    import hashlib

    shipment = ShipmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    document = Document.objects.get()
    data = document.file.read()
    assert data.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.ready_at is not None
    assert document.content_object == shipment


def test_issuing_an_invoice_requests_its_document_in_the_same_transaction(
    django_capture_on_commit_callbacks,
):
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoice = services.issue_invoice(allocation)
    document = Document.objects.get(kind=DocumentKind.INVOICE, object_id=invoice.pk)
    assert document.status == DocumentStatus.PENDING
    assert len(callbacks) == 1  # the task is sent after commit only


def test_a_failed_render_is_recorded_then_retried_by_the_sweeper(
    monkeypatch, django_capture_on_commit_callbacks
):
    shipment = ShipmentFactory()
    break_renderer(monkeypatch, DocumentKind.SHIPMENT_SHEET)
    with django_capture_on_commit_callbacks(execute=True):
        request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    document = Document.objects.get()
    assert document.status == DocumentStatus.FAILED
    assert "imprimante en panne" in document.error
    assert document.attempts == 1

    monkeypatch.undo()  # the printer is fixed
    monkeypatch.setattr("django.conf.settings.DOCUMENTS_RENDER_EAGERLY", True)
    assert sweep_documents() == []  # too early: the retry delay has not passed
    later = timezone.now() + timedelta(hours=1)
    assert sweep_documents(now=later) == [document.pk]
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert document.error == ""
    assert document.attempts == 2


def test_the_sweeper_sends_again_a_document_left_pending(settings):
    shipment = ShipmentFactory()
    settings.DOCUMENTS_RENDER_EAGERLY = False  # as if the broker had lost the job
    with transaction.atomic():
        document = request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    settings.DOCUMENTS_RENDER_EAGERLY = True
    assert sweep_documents() == []
    sent = sweep_documents(now=timezone.now() + timedelta(seconds=settings.DOCUMENTS_RETRY_AFTER))
    assert sent == [document.pk]
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY


def test_the_sweeper_gives_up_after_the_maximum_attempts(settings, monkeypatch):
    settings.DOCUMENTS_MAX_ATTEMPTS = 2
    shipment = ShipmentFactory()
    break_renderer(monkeypatch, DocumentKind.SHIPMENT_SHEET)
    document = request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    later = timezone.now()
    for _ in range(4):
        later += timedelta(hours=1)
        sweep_documents(now=later)
    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == 2
    # A person can send it again with a fresh count.
    monkeypatch.undo()
    settings.DOCUMENTS_RENDER_EAGERLY = True
    with transaction.atomic():
        retry_document(document)
    document.refresh_from_db()
    assert document.attempts == 0  # the task runs after commit (not in this test)


def test_a_broker_down_never_breaks_the_business_action(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    invoice = services.issue_invoice(allocation)
    assert (
        document_services.enqueue(
            Document.objects.get(kind=DocumentKind.INVOICE, object_id=invoice.pk).pk
        )
        is False
    )
    assert "left pending" in caplog.text


def test_an_issued_invoice_is_never_rendered_twice(django_capture_on_commit_callbacks):
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.issue_invoice(allocation)
    document = Document.objects.get(kind=DocumentKind.INVOICE)
    assert document.status == DocumentStatus.READY
    with pytest.raises(DomainError):
        request_document(invoice, DocumentKind.INVOICE, force=True)


def test_a_shipment_sheet_is_made_again_when_forced_and_the_old_file_goes(
    django_capture_on_commit_callbacks,
):
    shipment = ShipmentFactory(tracking_number="")
    with django_capture_on_commit_callbacks(execute=True):
        request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    first = Document.objects.get()
    old_name = first.file.name
    shipment.tracking_number = "6A123456789"
    shipment.save()
    with django_capture_on_commit_callbacks(execute=True):
        request_document(shipment, DocumentKind.SHIPMENT_SHEET, force=True)
    document = Document.objects.get()
    assert document.pk == first.pk
    assert document.sha256 != first.sha256
    assert not document.file.storage.exists(old_name)


def test_documents_never_fetch_files_or_network(monkeypatch):
    renderer = registry.get_renderer(DocumentKind.SHIPMENT_SHEET)
    fetched = []
    from solidaire.documents import rendering

    original = rendering.static_only_fetcher

    def spying():
        fetcher = original()
        fetch = fetcher.fetch

        def spy(url, headers=None):
            try:
                result = fetch(url, headers)
            except ValueError:
                fetched.append(("refused", url))
                raise
            fetched.append(("served", url))
            return result

        fetcher.fetch = spy
        return fetcher

    monkeypatch.setattr(rendering, "static_only_fetcher", spying)
    page = Rendering(
        template_name="documents/base.html",
        context={},
        filename="x.pdf",
    )
    monkeypatch.setattr(
        rendering,
        "render_html",
        lambda r: (
            '<link rel="stylesheet" href="static/documents/print.css">'
            '<img src="file:///etc/passwd"><img src="http://example.org/x.png">'
            '<img src="static/../../solidaire/settings.py">'
        ),
    )
    assert render_pdf(page).startswith(b"%PDF")
    assert ("served", BASE_URL + "static/documents/print.css") in fetched
    refused = [url for verdict, url in fetched if verdict == "refused"]
    assert "file:///etc/passwd" in refused
    assert "http://example.org/x.png" in refused
    assert not [url for verdict, url in fetched if verdict == "served" and "settings" in url]
    assert renderer.kind == DocumentKind.SHIPMENT_SHEET


def test_agreement_issue_and_signature_each_request_their_document(
    django_capture_on_commit_callbacks, centre, staff_user
):
    from appels import services as appels_services

    agreement = AgreementFactory(application__centre=centre)
    with django_capture_on_commit_callbacks(execute=True):
        appels_services.issue_agreement(agreement.application)
    issued = Document.objects.get(kind=DocumentKind.AGREEMENT)
    with django_capture_on_commit_callbacks(execute=True):
        appels_services.sign_agreement(
            agreement,
            by=staff_user,
            signer_name="Claude Bernard",
            signer_role="Présidente",
            document_sha256=issued.sha256,
        )
    kinds = sorted(Document.objects.values_list("kind", "status"))
    assert kinds == [
        (DocumentKind.AGREEMENT, DocumentStatus.READY),
        (DocumentKind.AGREEMENT_SIGNED, DocumentStatus.READY),
    ]
