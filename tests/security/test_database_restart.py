"""PostgreSQL restarted during a request burst (issue 9 §4), and the 503 page it gives.

The drill runs the app in gunicorn (2 workers × 4 threads, loopback) against a private
PostgreSQL cluster (``conftest.private_postgres``: never the shared server), sends reads and
draft saves from eight threads, stops the cluster for three seconds and starts it again:

- while it is down, requests fail cleanly: 503 with the short French page, never a 500 or
  a traceback;
- nothing is half-written: each draft's row and its history move together, and every save
  answered as done is in the database;
- once it is back, every request succeeds, served by the same gunicorn workers (no restart).
"""

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.security.conftest import Gunicorn, drill_env, make_drill_data

try:
    import requests  # comes with locust (dev extra)
except ImportError:  # pragma: no cover
    requests = None

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UNAVAILABLE = "Service momentanément indisponible"
PEOPLE = 8
BEFORE, OUTAGE, AFTER = 2.0, 3.0, 4.0  # seconds of burst before, during and after
GRACE = 1.0  # requests sent this long after the restart must all succeed


# --- the 503 page, without a real outage ---------------------------------------------


@pytest.mark.django_db
def test_a_lost_database_answers_503_with_a_short_french_page(monkeypatch):
    from appels import views  # noqa: PLC0415

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views, "open_calls_content", lost)
    response = Client(raise_request_exception=False).get(reverse("appels:call_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert UNAVAILABLE in body and "Réessayez dans quelques instants" in body
    assert "Traceback" not in body and "OperationalError" not in body


@pytest.mark.django_db
def test_other_errors_stay_a_500(monkeypatch):
    from appels import views  # noqa: PLC0415

    def bug(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(views, "open_calls_content", bug)
    response = Client(raise_request_exception=False).get(reverse("appels:call_list"))
    assert response.status_code == 500
    assert UNAVAILABLE not in response.content.decode()


def test_a_database_error_wrapped_in_another_is_recognised():
    from solidaire.unavailable import is_database_unavailable  # noqa: PLC0415

    try:
        try:
            raise OperationalError("connection refused")
        except OperationalError as lost:
            raise RuntimeError("while saving the session") from lost
    except RuntimeError as outer:
        assert is_database_unavailable(outer)
    assert not is_database_unavailable(ValueError("no"))


# --- the drill -------------------------------------------------------------------------


class Person:
    """One centre's referent, logged in, reading pages and saving their draft in a loop."""

    def __init__(self, base_url, person, log):
        self.base = base_url
        self.draft = person["draft"]
        self.session = requests.Session()
        self.session.cookies.set("sessionid", person["session"])
        self.log = log
        self.saves = []  # (token, status, sent_at)

    def request(self, kind, method, path, **kwargs):
        sent = time.monotonic()
        try:
            response = self.session.request(
                method, self.base + path, timeout=20, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            self.log.append((kind, "connection", sent, time.monotonic(), str(error)))
            return None
        self.log.append((kind, response.status_code, sent, time.monotonic(), response.text))
        return response

    def round(self):
        self.request("dashboard", "GET", "/mon-espace/")
        self.request("home", "GET", "/")
        step = f"/candidatures/{self.draft}/etape/projet/"
        page = self.request("step", "GET", step)
        match = TOKEN.search(page.text) if page is not None and page.status_code == 200 else None
        if match is None:
            return
        token = uuid.uuid4().hex[:12]
        sent = time.monotonic()
        saved = self.request(
            "save",
            "POST",
            step,
            data={
                "csrfmiddlewaretoken": match.group(1),
                "title": f"Projet {token}",
                "summary": f"Résumé {token}",
                "audience": "Familles",
                "expected_beneficiaries": "100",
                "activities": "Ateliers",
                "opens_mediation_space": "on",
                "partners_description": "",
                "aim": "Réemploi",
            },
        )
        self.saves.append((token, saved.status_code if saved is not None else None, sent))

    def run(self, until):
        while time.monotonic() < until():
            self.round()


def history_titles(cluster, database, draft_ids):
    """Each draft's title and the title of its latest history row."""
    ids = ",".join(str(i) for i in draft_ids)
    rows = cluster.psql(
        "SELECT a.id, a.title, (SELECT h.title FROM appels_historicalapplication h "
        "WHERE h.id = a.id ORDER BY h.history_id DESC LIMIT 1), "
        "(SELECT string_agg(h.title, '|') FROM appels_historicalapplication h WHERE h.id = a.id) "
        f"FROM appels_application a WHERE a.id IN ({ids})",
        database,
    )
    result = {}
    for line in rows.splitlines():
        pk, title, latest, every = line.split("|", 3)
        result[int(pk)] = (title, latest, set(every.split("|")))
    return result


@pytest.mark.drill
@pytest.mark.postgres
def test_postgresql_restarted_during_a_burst_fails_cleanly_and_recovers(private_postgres, tmp_path):
    if requests is None:
        pytest.skip("requests is not installed (pip install -e '.[dev]')")
    data = make_drill_data(private_postgres, tmp_path, "restart", PEOPLE, 1)
    server = Gunicorn(drill_env(data["url"], tmp_path), tmp_path / "gunicorn.log")
    try:
        workers = server.worker_pids()
        log = []
        people = [Person(server.url, p, log) for p in data["people"]]
        marks = {"end": float("inf")}
        start = time.monotonic()
        with ThreadPoolExecutor(PEOPLE) as pool:
            list(pool.map(Person.round, people))  # warm: every worker thread has served
            log.clear()
            running = [pool.submit(p.run, lambda: marks["end"]) for p in people]
            time.sleep(BEFORE)
            marks["down"] = time.monotonic()
            private_postgres.stop(mode="fast")  # open transactions rolled back, links cut
            time.sleep(OUTAGE)
            private_postgres.start()
            marks["up"] = time.monotonic()
            marks["end"] = marks["up"] + AFTER
            for future in running:
                future.result(timeout=120)
        assert server.worker_pids() == workers, "a gunicorn worker died or was replaced"
    finally:
        server.stop()

    statuses = [entry[1] for entry in log]
    summary = {s: statuses.count(s) for s in set(statuses)}
    print(
        f"\n{len(log)} requests in {time.monotonic() - start:.1f} s, PostgreSQL down "
        f"{marks['up'] - marks['down']:.1f} s: {summary}"
    )
    # During the outage: 503 and the short French page, never a 500 nor a traceback.
    assert set(statuses) <= {200, 302, 503}, (summary, server.log()[-3000:])
    failed = [(sent, received, body) for _k, status, sent, received, body in log if status == 503]
    assert failed, "no request met the outage: the drill tested nothing"
    for sent, received, body in failed:
        assert UNAVAILABLE in body and "Traceback" not in body
        assert sent <= marks["up"] and received >= marks["down"]  # it met the outage
    # Once it is back, every request succeeds.
    after = [(kind, status) for kind, status, sent, _r, _b in log if sent >= marks["up"] + GRACE]
    assert after and all(status in (200, 302) for _kind, status in after), after
    assert any(kind == "save" and status == 302 for kind, status in after)
    # Nothing half-written: every draft's row and its latest history row carry the same
    # save; every save answered as done is there; the last one done, or a later one whose
    # answer was lost in the outage, is the current title.
    stored = history_titles(private_postgres, data["database"], [p.draft for p in people])
    for person in people:
        title, latest, every = stored[person.draft]
        assert title == latest, (person.draft, title, latest)
        done = [token for token, status, _sent in person.saves if status == 302]
        assert done and all(f"Projet {token}" in every for token in done)
        last_done = max(i for i, (_t, s, _sent) in enumerate(person.saves) if s == 302)
        possible = {f"Projet {token}" for token, _s, _sent in person.saves[last_done:]}
        assert title in possible, (title, person.saves[last_done:])
