"""The bounded load scenario run with faults loses no submitted application (issue 9 §6).

gunicorn (2 workers) serves the app against the private PostgreSQL cluster and a Redis of
its own (broker and cache); locust headless runs the benchmark's browse-and-apply scenario
(``tests/benchmarks/locustfile.py``) with submitting on: 10 users for 20 s, each applying
to one call after another. Meanwhile Redis is stopped for 4 s and started again, then
PostgreSQL is restarted (3 s down). Afterwards:

- the submitted applications in the database are exactly the submissions answered as done
  (a redirect to the application's page): none lost, none counted that did not happen;
- no answer was a 500: requests that met an outage got a 503;
- the app served again once both were back.
"""

import csv
import importlib.util
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.documents.conftest import RedisServer
from tests.factories import PASSWORD
from tests.security.conftest import Gunicorn, drill_env, make_drill_data

USERS = 10
CALLS = 8
DURATION = 20  # seconds
LOCUSTFILE = Path(__file__).resolve().parents[1] / "benchmarks" / "locustfile.py"


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.drill
@pytest.mark.postgres
def test_load_with_redis_and_postgresql_faults_loses_no_submission(private_postgres, tmp_path):
    # Never import locust here: it monkey-patches the process with gevent.
    if importlib.util.find_spec("locust") is None:
        pytest.skip("locust is not installed (pip install -e '.[dev]')")
    data = make_drill_data(private_postgres, tmp_path, "charge", USERS, CALLS)
    redis = RedisServer(tmp_path).start()
    env = drill_env(
        data["url"],
        tmp_path,
        REDIS_URL=redis.url,
        CELERY_TASK_ALWAYS_EAGER="false",  # receipts queued on Redis (no worker needed)
        PUBLIC_FIGURES_CACHE_SECONDS="300",
        LOCUST_EMAILS=",".join(p["email"] for p in data["people"]),
        LOCUST_CALLS=",".join(data["calls"]),
        LOCUST_PASSWORD=PASSWORD,
        LOCUST_SUBMIT="1",
        LOCUST_SUBMIT_LOG=str(tmp_path / "submissions.log"),
    )
    server = Gunicorn(env, tmp_path / "gunicorn.log", threads=1)
    events = []

    def faults():
        time.sleep(6)
        events.append(("redis down", time.monotonic()))
        redis.stop()
        time.sleep(4)
        redis.start()
        events.append(("redis up", time.monotonic()))
        time.sleep(2)
        events.append(("postgresql down", time.monotonic()))
        private_postgres.stop(mode="fast")
        time.sleep(3)
        private_postgres.start()
        events.append(("postgresql up", time.monotonic()))

    prefix = tmp_path / "locust"
    try:
        injector = threading.Thread(target=faults)
        started = time.monotonic()
        injector.start()
        locust = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(USERS),
                "--run-time",
                f"{DURATION}s",
                "--host",
                server.url,
                "--csv",
                str(prefix),
                # Users finish the task under way at the end: a submission cut off while
                # in flight would be done in the database yet never answered.
                "--stop-timeout",
                "60",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],  # fmt: skip
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        injector.join(timeout=60)
    finally:
        server.stop()
        redis.stop()
    assert private_postgres.psql("SELECT 1", data["database"]) == "1", "PostgreSQL is back"
    stats = {row["Name"]: row for row in read_csv(f"{prefix}_stats.csv")}
    failures = read_csv(f"{prefix}_failures.csv")
    print(
        f"\nlocust {USERS} users, {DURATION} s; faults at "
        + ", ".join(f"{name} +{moment - started:.1f} s" for name, moment in events)
    )
    for name, row in stats.items():
        print(f"  {name:20} {row['Request Count']:>5} requests, {row['Failure Count']} failed")
    for row in failures:
        print(
            f"  failure: {row['Method']} {row['Name']}: {row['Error'][:100]} ×{row['Occurrences']}"
        )

    assert len(events) == 4, "the faults were not all injected"
    assert "submit application" in stats, (locust.stderr[-2000:], server.log()[-2000:])
    # Every submission attempt as the users saw it (application id, status, done), written
    # by the locustfile: locust's own table leaves out the requests of the users finishing
    # their task after the run time.
    attempts = [line.split() for line in (tmp_path / "submissions.log").read_text().splitlines()]
    answered_done = [int(pk) for pk, _status, done in attempts if done == "1"]
    refused = [int(pk) for pk, status, _done in attempts if status == "503"]
    stored = [
        int(pk)
        for pk in private_postgres.psql(
            "SELECT a.id FROM appels_application a JOIN appels_call c ON c.id = a.call_id "
            "WHERE a.status = 'submitted' AND c.slug LIKE 'charge-%' ORDER BY a.id",
            data["database"],
        ).split()
    ]
    print(
        f"  {len(attempts)} submissions sent, {len(answered_done)} answered as done, "
        f"{len(refused)} answered 503; {len(stored)} submitted in the database"
    )
    assert len(answered_done) >= USERS // 2  # submissions went on through the faults
    assert len(set(answered_done)) == len(answered_done), "one application answered done twice"
    assert len(stored) == len(answered_done), "a submission was lost or counted twice"
    assert sorted(answered_done) == stored
    # No 500: what met an outage got the 503 page.
    statuses = {status for _pk, status, _done in attempts}
    assert statuses <= {"302", "503"}, attempts
    assert not [row for row in failures if "500" in row["Error"]], failures
    assert "Internal Server Error" not in server.log()
