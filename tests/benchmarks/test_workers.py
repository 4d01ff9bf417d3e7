"""Documents per second with 1 and with 2 Celery worker processes (real workers on Redis,
like ``tests/conftest.py``'s ``celery_worker``). Not in a test transaction: the workers must
see the document rows, which are deleted at the end. Target: 2 processes ≥ 1.7× one.
"""

import os
import resource
import time
from datetime import timedelta

import pytest
from django.utils import timezone

WARM_UP_DOCUMENTS = 2  # per worker process, not timed
# Timed, per run (one run with 1 worker process, one with 2): 48 rather than 24, so that the
# run's ends (the first tasks reaching the pool, the last one finishing alone) weigh less
# against the steady state.
WORKER_DOCUMENTS = 48
WORKER_TIMEOUT = 180  # seconds
# How often this process looks for the documents done: the time is read from the documents'
# ``ready_at`` (stamped by the worker as it stores the file, committed at once), so a slower
# poll costs no precision, and takes less of the CPU the workers share with it.
POLL_SECONDS = 0.25


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
        # As deployed (settings' default): a worker keeps its database connection between
        # tasks instead of opening one (a new PostgreSQL backend) for every document.
        "CONN_MAX_AGE": "60",
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


def machine_busy_seconds():
    """CPU time spent by every process of the machine (all cores, from /proc/stat)."""
    from pathlib import Path

    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def test_documents_per_second_with_one_and_two_workers(
    report, tmp_path, django_db_blocker, settings
):
    """Invoices of the scale data rendered by real worker processes (committed rows, then
    deleted): documents per second with 1 process, then 2, in the steady state.

    Each worker first renders ``WARM_UP_DOCUMENTS`` per process, not timed (process start,
    fonts, templates, database connection); then ``WORKER_DOCUMENTS`` are sent at once
    through one broker connection and timed from the first send to the last document's
    ``ready_at`` (its worker's clock, on the same machine). The workers' CPU time per
    document shows whether a second process adds work (a lock, contention) or only lacks a
    free core: the machine's load average is recorded with each run.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from equipements.models import Invoice
    from solidaire.celery import app
    from solidaire.models import Document, DocumentKind
    from solidaire.tasks import generate_document_task

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
            started, deadline = timezone.now(), time.monotonic() + WORKER_TIMEOUT
            # Through one broker connection: ``enqueue`` opens one per document (~9 ms of
            # CPU each), which would compete for the cores with the workers measured here.
            with app.connection_for_write() as connection:
                for document in documents:
                    generate_document_task.apply_async(args=(document.pk,), connection=connection)
            pending = {d.pk for d in documents}
            last_ready = started
            while pending and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                done = Document.objects.filter(pk__in=pending, status="ready")
                for pk, ready_at in done.values_list("pk", "ready_at"):
                    pending.discard(pk)
                    last_ready = max(last_ready, ready_at)
            assert not pending, f"{len(pending)} documents not ready in time"
            return (last_ready - started) / timedelta(seconds=1)

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
                    own_before, busy_before = own_cpu_seconds(), machine_busy_seconds()
                    elapsed = render(timed)
                    cpu = worker_cpu_seconds(worker.pid) - cpu_before
                    own = own_cpu_seconds() - own_before
                    busy = machine_busy_seconds() - busy_before
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
                        # Sending and polling, on the cores the workers use.
                        "bench CPU ms/document": round(own * 1000 / len(timed), 1),
                        # Everything else on the machine meanwhile (PostgreSQL, Redis, other
                        # programs), in cores: what the 2 processes could not have.
                        "other cores busy": round(max(0, busy - cpu - own) / elapsed, 2),
                        "load average": round(load, 1),
                    }
                )
        finally:
            Document.objects.filter(pk__in=created).delete()
    rows[-1]["target met"] = "yes" if rates[2] / rates[1] >= 1.7 else "NO"
    rows[0]["target met"] = ""
    report["documents per second (invoices, real Celery workers, steady state)"] = rows
