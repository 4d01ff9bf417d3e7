"""HTTP under load: gunicorn (2 workers, loopback) and locust headless, 20 users for 30 s on
the browse-and-apply scenario (``locustfile.py``). Target: 0 errors, p95 ≤ 300 ms.

Users arrive at SPAWN_RATE a second (20 in 10 s), as people do, rather than all in the same
instant: twenty logins at once only measure twenty password hashes queuing on two cores.
The table gives each request's p95, the login's included, and the aggregate over all."""

import csv
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from appels.models import Application
from centres.models import Centre
from equipements import scale

USERS = 20
SPAWN_RATE = 2  # users a second
DURATION = "30s"
HERE = Path(__file__).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail("gunicorn did not answer")


def load_centres(call):
    """Scale centres without an application to the open call, and their drafts cleanup."""
    applied = Application.objects.filter(call=call).values("centre")
    return list(
        Centre.objects.filter(fcsf_member_number__startswith=scale.MEMBER_PREFIX)
        .exclude(pk__in=applied)
        .order_by("pk")[:USERS]
    )


def remove_drafts(call, centres):
    """Delete the drafts the load test made, committed, on a connection of its own (the
    test's connection is inside a transaction rolled back at the end)."""
    from django.db import connections  # noqa: PLC0415

    connection = connections.create_connection("default")
    try:
        with connection.cursor() as cursor:
            selection = (
                "SELECT id FROM appels_application WHERE call_id = %s AND centre_id = ANY(%s)"
            )
            ids = [call.pk, [c.pk for c in centres]]
            cursor.execute(
                f"DELETE FROM appels_applicationline WHERE application_id IN ({selection})", ids
            )
            cursor.execute(f"DELETE FROM appels_application WHERE id IN ({selection})", ids)
    finally:
        connection.close()


@pytest.mark.django_db
def test_http_under_load(report, tmp_path):
    # Never import locust here: it monkey-patches the process with gevent.
    if importlib.util.find_spec("locust") is None:
        pytest.skip("locust is not installed (pip install -e '.[dev]')")
    from appels.models import Call  # noqa: PLC0415

    call = Call.objects.get(slug=f"{scale.SLUG_PREFIX}ouvert")
    centres = load_centres(call)
    emails = [scale.referent_email(int(c.fcsf_member_number[-5:]) - 1) for c in centres]
    port = free_port()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "solidaire.settings",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "LOCUST_EMAILS": ",".join(emails),
        "LOCUST_CALL": call.slug,
        "LOCUST_PASSWORD": settings.DEMO_PASSWORD,
    }
    assert db["NAME"]
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "solidaire.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=(tmp_path / "gunicorn.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, gunicorn)
        prefix = tmp_path / "locust"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(SPAWN_RATE),
                "--run-time",
                DURATION,
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=env,
            timeout=120,
            check=False,
        )
        with open(f"{prefix}_stats.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        remove_drafts(call, centres)
    table = []
    for row in rows:
        table.append(
            {
                "request": row["Name"],
                "count": row["Request Count"],
                "errors": row["Failure Count"],
                "median ms": row["Median Response Time"],
                "p95 ms": row["95%"],
                "rps": round(float(row["Requests/s"]), 1),
            }
        )
    total = next(r for r in table if r["request"] == "Aggregated")
    total["target met"] = (
        "yes" if int(total["errors"]) == 0 and float(total["p95 ms"]) <= 300 else "NO"
    )
    title = f"HTTP load (gunicorn 2 workers, locust {USERS} users at {SPAWN_RATE}/s, {DURATION})"
    report[title] = table
    assert int(total["count"]) > 0
