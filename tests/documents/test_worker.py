"""Exactly once, never lost — with a real Redis and real Celery worker processes.

The worker (``document_worker`` in conftest) shares the PostgreSQL test database and logs
each render it starts, so the tests can count renders and kill a process mid-render.
"""

import os
import signal
import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from equipements import services
from equipements.models import AllocationStatus, Invoice, InvoiceCounter
from solidaire.documents import DocumentKind, request_document
from solidaire.models import Document, DocumentStatus
from tests.documents.conftest import DocumentWorker, RedisServer, pdf_text, wait_for
from tests.factories import AllocationFactory, CallFactory, ShipmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Rollback(Exception):
    pass


def unique_shipment():
    # Unique references: the worker's render log holds the renders of every test.
    return ShipmentFactory(reference=f"EXP-{uuid.uuid4().hex[:10].upper()}")


def sheet_name(shipment):
    return f"bordereau-{shipment.reference}.pdf"


def document_of(obj, kind):
    return Document.objects.filter(object_id=obj.pk, kind=kind).first()


def wait_ready(obj, kind, timeout=60):
    def ready():
        document = document_of(obj, kind)
        return document if document and document.status == DocumentStatus.READY else None

    return wait_for(ready, timeout=timeout)


def request_committed(obj, kind=DocumentKind.SHIPMENT_SHEET):
    with transaction.atomic():
        return request_document(obj, kind)


def test_a_document_requested_in_a_rolled_back_transaction_is_never_generated(
    document_worker, queued_tasks
):
    rolled_back = unique_shipment()
    with pytest.raises(Rollback), transaction.atomic():
        request_document(rolled_back, DocumentKind.SHIPMENT_SHEET)
        raise Rollback

    # A control afterwards: once it is done, the worker has had every chance to render the
    # rolled-back one too (one queue, taken in order).
    control = unique_shipment()
    request_committed(control)
    assert wait_ready(control, DocumentKind.SHIPMENT_SHEET), document_worker.log_text()[-3000:]
    assert document_of(rolled_back, DocumentKind.SHIPMENT_SHEET) is None
    assert document_worker.renders(sheet_name(rolled_back)) == []


def test_a_document_requested_twice_is_generated_once(document_worker, queued_tasks):
    shipment = unique_shipment()
    document_worker.slow_down(2)  # both deliveries meet while the first renders
    try:
        first = request_committed(shipment)
        second = request_committed(shipment)
        assert first.pk == second.pk
        document = wait_ready(shipment, DocumentKind.SHIPMENT_SHEET)
    finally:
        document_worker.speed_up()
    assert document, document_worker.log_text()[-3000:]
    # Let the second delivery be processed too, then count.
    control = unique_shipment()
    request_committed(control)
    assert wait_ready(control, DocumentKind.SHIPMENT_SHEET)
    assert len(document_worker.renders(sheet_name(shipment))) == 1
    assert Document.objects.filter(object_id=shipment.pk).count() == 1
    assert document.file.read().startswith(b"%PDF")


def test_a_worker_process_killed_mid_render_leaves_the_job_to_be_done_again(
    document_worker, queued_tasks
):
    shipment = unique_shipment()
    document_worker.slow_down(6)
    try:
        request_committed(shipment)
        started = wait_for(lambda: document_worker.renders(sheet_name(shipment)), timeout=30)
        assert started, document_worker.log_text()[-3000:]
        pid = started[0][0]
        os.kill(pid, signal.SIGKILL)  # the process rendering it dies mid-task
    finally:
        document_worker.speed_up()

    document = wait_ready(shipment, DocumentKind.SHIPMENT_SHEET, timeout=60)
    assert document, document_worker.log_text()[-4000:]
    renders = document_worker.renders(sheet_name(shipment))
    assert len(renders) == 2 and renders[1][0] != pid
    # The killed attempt counts: the claim is committed before rendering.
    assert document.attempts == 2
    assert "WorkerLostError" in document_worker.log_text() or "SIGKILL" in (
        document_worker.log_text()
    )


def test_the_whole_worker_killed_mid_render_is_done_after_restart(
    document_worker, queued_tasks, settings
):
    """All processes die (machine lost): the job comes back after a restart, through the
    broker's redelivery of unacknowledged tasks or, failing that, the sweeper."""
    shipment = unique_shipment()
    document_worker.slow_down(6)
    try:
        request_committed(shipment)
        assert wait_for(lambda: document_worker.renders(sheet_name(shipment)), timeout=30)
        document_worker.kill()
    finally:
        document_worker.speed_up()
    assert document_of(shipment, DocumentKind.SHIPMENT_SHEET).status == DocumentStatus.PENDING
    document_worker.start()
    # The beat sweeper, called as the periodic task would be once the delay has passed.
    from django.utils import timezone

    from solidaire.documents import sweep_documents

    later = timezone.now() + timezone.timedelta(seconds=settings.DOCUMENTS_RETRY_AFTER + 1)
    assert document_of(shipment, DocumentKind.SHIPMENT_SHEET).pk in sweep_documents(now=later)
    document = wait_ready(shipment, DocumentKind.SHIPMENT_SHEET)
    assert document, document_worker.log_text()[-4000:]
    # The killed job is still "unacknowledged" in Redis, for the visibility timeout (an
    # hour): drop it, or a worker of a later test run would receive it.
    forget_unacked(document_worker.redis_url, document.pk)


def forget_unacked(redis_url, document_id):
    import json

    import redis

    client = redis.Redis.from_url(redis_url)
    for tag, value in client.hgetall("unacked").items():
        headers = json.loads(value)[0].get("headers", {})
        if headers.get("task") == "solidaire.tasks.generate_document_task" and headers.get(
            "argsrepr"
        ) in (f"({document_id},)", f"[{document_id}]"):
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def test_fifty_invoices_issued_at_once_get_fifty_consecutive_numbers_and_fifty_pdfs(
    document_worker, queued_tasks
):
    call = CallFactory()
    allocations = [
        AllocationFactory(application__call=call, status=AllocationStatus.DELIVERED)
        for _ in range(50)
    ]
    year_counter = InvoiceCounter.objects.filter(series="F").order_by("-year").first()
    before = year_counter.last_number if year_counter else 0
    barrier = threading.Barrier(50)
    results, errors = [None] * 50, [None] * 50

    def issue(index):
        try:
            barrier.wait(timeout=30)
            results[index] = services.issue_invoice(allocations[index])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(i,), daemon=True) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == [None] * 50
    numbers = sorted(invoice.sequence_number for invoice in results)
    assert numbers == list(range(before + 1, before + 51))
    invoices = Invoice.objects.filter(allocation__in=allocations)
    assert len(set(invoices.values_list("number", flat=True))) == 50

    def all_ready():
        ready = Document.objects.filter(
            kind=DocumentKind.INVOICE,
            object_id__in=[i.pk for i in results],
            status=DocumentStatus.READY,
        )
        return ready.count() == 50

    started = time.monotonic()
    assert wait_for(all_ready, timeout=180), document_worker.log_text()[-3000:]
    elapsed = time.monotonic() - started
    documents = Document.objects.filter(
        kind=DocumentKind.INVOICE, object_id__in=[i.pk for i in results]
    )
    assert documents.count() == 50
    by_invoice = {d.object_id: d for d in documents}
    for invoice in results[:5]:
        assert invoice.number in pdf_text(by_invoice[invoice.pk].file.read())
    print(f"50 invoice PDFs by 2 worker processes in {elapsed:.1f} s")


def test_with_redis_down_the_business_action_succeeds_and_the_sweeper_makes_the_document(
    request, tmp_path, settings, _documents_storage
):
    """Redis stops: issuing an invoice still works (document pending); once Redis is back,
    the beat sweeper sends the job again and the worker makes the PDF."""
    from tests.documents.conftest import _need_services

    _need_services()
    redis = RedisServer(tmp_path).start()
    worker = DocumentWorker(
        request.config.rootpath,
        tmp_path / "worker",
        redis.url,
        _documents_storage.location,
        concurrency=1,
        beat=True,
        env={"DOCUMENTS_SWEEP_INTERVAL": "1", "DOCUMENTS_RETRY_AFTER": "2"},
    )
    worker.start()
    try:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = redis.url
        allocation = AllocationFactory(status=AllocationStatus.DELIVERED)
        redis.stop()

        started = time.monotonic()
        with transaction.atomic():
            invoice = services.issue_invoice(allocation)
        took = time.monotonic() - started
        assert Invoice.objects.filter(pk=invoice.pk).exists()
        assert took < 5, f"issuing waited {took:.1f} s for the broker"
        print(f"issuing with Redis down took {took:.2f} s")
        document = document_of(invoice, DocumentKind.INVOICE)
        assert document.status == DocumentStatus.PENDING

        time.sleep(4)  # Redis is down: nothing can happen meanwhile
        assert document_of(invoice, DocumentKind.INVOICE).status == DocumentStatus.PENDING

        redis.start()  # same port, empty: the first task is lost for good
        document = wait_ready(invoice, DocumentKind.INVOICE, timeout=90)
        assert document, worker.log_text()[-5000:]
        assert "Documents swept" in worker.log_text()
        assert invoice.number in pdf_text(document.file.read())
    finally:
        worker.stop()
        redis.stop()


def test_the_bulk_sheet_progress_page_follows_the_worker(document_worker, queued_tasks, client):
    """The admin's progress page shows the worker's progress, then the download link."""
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from centres.roles import LOGISTICS
    from tests.documents.test_bulk import many_shipments
    from tests.factories import UserFactory

    logistics = UserFactory(email=f"logistique-{uuid.uuid4().hex[:6]}@example.org", is_staff=True)
    logistics.groups.add(Group.objects.get(name=LOGISTICS))
    client.force_login(logistics)
    shipments = many_shipments(60)
    response = client.post(
        reverse("admin:equipements_shipment_changelist"),
        {"action": "bulk_shipment_sheets_bulk", "_selected_action": [s.pk for s in shipments]},
    )
    assert response.status_code == 302
    progress_url = response["Location"]

    seen = []

    def poll():
        state = client.get(progress_url, {"format": "json"}).json()
        seen.append((state["status"], state["done"]))
        return state if state["status"] != "pending" else None

    state = wait_for(poll, timeout=180, interval=0.3)
    assert state and state["status"] == "ready", document_worker.log_text()[-3000:]
    assert state["done"] == state["total"] == 60
    assert any(status == "pending" and 0 < done < 60 for status, done in seen), seen
    page = client.get(progress_url).content.decode()
    assert state["download_url"] in page
    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
