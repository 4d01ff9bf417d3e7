"""Documents per second with 1 and with 2 Celery worker processes (real workers on Redis,
like ``tests/conftest.py``'s ``celery_worker``). Not in a test transaction: the workers must
see the document rows, which are deleted at the end. Target: 2 processes ≥ 1.7× one.
"""

import os
import time

import pytest
from django.utils import timezone

WARM_UP_DOCUMENTS = 2  # per worker process, not timed
WORKER_DOCUMENTS = 24  # timed, per run; one run with 1 worker process, one with 2
WORKER_TIMEOUT = 180  # seconds


def start_worker(processes, tmp_path):
    import subprocess
    import sys

    from django.db import connection

    from tests.conftest import _test_database_url, _worker_is_ready

    log = tmp_path / f"worker-{processes}.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(connection.settings_dict),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CONN_MAX_AGE": "0",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "solidaire", "worker", "-P", "prefork"]
    command += ["-c", str(processes), "-l", "info", "--without-heartbeat", "--without-gossip"]
    command += ["--without-mingle", "--prefetch-multiplier", "1"]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not _worker_is_ready(log):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("Celery worker did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.2)
    return process


def worker_cpu_seconds(pid):
    """CPU time of a worker: its main process and its pool processes (from /proc)."""
    from pathlib import Path

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        process_id, parent_id = int(stat.parent.name), int(fields[1])
        if pid in (process_id, parent_id):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def test_documents_per_second_with_one_and_two_workers(
    report, tmp_path, django_db_blocker, settings
):
    """Invoices of the scale data rendered by real worker processes (committed rows, then
    deleted): documents per second with 1 process, then 2, in the steady state.

    Each worker first renders ``WARM_UP_DOCUMENTS`` per process, not timed (process start,
    fonts, templates, database connection); then ``WORKER_DOCUMENTS`` are sent at once and
    timed until the last is ready. The workers' CPU time per document shows whether a second
    process adds work (a lock, contention) or only lacks a free core: the machine's load
    average is recorded with each run.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from equipements.models import Invoice
    from solidaire.documents.services import enqueue
    from solidaire.models import Document, DocumentKind

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")
    settings.CELERY_TASK_ALWAYS_EAGER = False  # tasks go to Redis, for the worker processes
    runs = (1, 2)
    per_run = {p: WARM_UP_DOCUMENTS * p + WORKER_DOCUMENTS for p in runs}
    rows, rates = [], {}
    with django_db_blocker.unblock():
        content_type = ContentType.objects.get_for_model(Invoice)
        taken = Document.objects.filter(content_type=content_type).values("object_id")
        invoices = list(
            Invoice.objects.filter(number__isnull=False, buyer_name__contains="n°")
            .exclude(pk__in=taken)
            .order_by("pk")
            .values_list("pk", flat=True)[: sum(per_run.values())]
        )
        created = []

        def render(batch):
            with transaction.atomic():
                documents = [
                    Document.objects.create(
                        kind=DocumentKind.INVOICE,
                        content_type=content_type,
                        object_id=pk,
                        requested_at=timezone.now(),
                    )
                    for pk in batch
                ]
            created.extend(d.pk for d in documents)
            started = time.perf_counter()
            for document in documents:
                enqueue(document.pk)
            pending = {d.pk for d in documents}
            while pending and time.perf_counter() - started < WORKER_TIMEOUT:
                done = Document.objects.filter(pk__in=pending, status="ready")
                pending -= set(done.values_list("pk", flat=True))
                time.sleep(0.05)
            assert not pending, f"{len(pending)} documents not ready in time"
            return time.perf_counter() - started

        try:
            for processes in runs:
                batch, invoices = invoices[: per_run[processes]], invoices[per_run[processes] :]
                warm_up, timed = (
                    batch[: WARM_UP_DOCUMENTS * processes],
                    batch[len(batch) - WORKER_DOCUMENTS :],
                )
                worker = start_worker(processes, tmp_path)
                try:
                    render(warm_up)
                    cpu_before = worker_cpu_seconds(worker.pid)
                    elapsed = render(timed)
                    cpu = worker_cpu_seconds(worker.pid) - cpu_before
                    load = os.getloadavg()[0]
                finally:
                    worker.terminate()
                    worker.wait(timeout=30)
                rates[processes] = len(timed) / elapsed
                rows.append(
                    {
                        "worker processes": processes,
                        "documents": len(timed),
                        "seconds": round(elapsed, 1),
                        "documents/s": round(rates[processes], 2),
                        "× 1 process": round(rates[processes] / rates[1], 2),
                        "worker CPU ms/document": round(cpu * 1000 / len(timed)),
                        "load average": round(load, 1),
                    }
                )
        finally:
            Document.objects.filter(pk__in=created).delete()
    rows[-1]["target met"] = "yes" if rates[2] / rates[1] >= 1.7 else "NO"
    rows[0]["target met"] = ""
    report["documents per second (invoices, real Celery workers, steady state)"] = rows
