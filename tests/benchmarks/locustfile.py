"""Browse and apply: centre staff log in, browse the public pages and their space, start
(or resume) their application to the open call and save its project step.

Run by ``test_load.py`` (locust headless, fixed user count); LOCUST_EMAILS lists the
accounts (one per simulated user), LOCUST_CALL the open call's slug.

With LOCUST_SUBMIT=1 (the load drill of ``tests/security/test_load_with_faults.py``) each
user goes on to the request step and submits, then applies to the next of LOCUST_CALLS
(comma-separated slugs); "submit application" counts the submissions answered as done
(a redirect to the application's page), the drill compares it with the database.
"""

import itertools
import os
import re

from locust import HttpUser, between, task

EMAILS = itertools.cycle(os.environ.get("LOCUST_EMAILS", "").split(","))
CALL = os.environ.get("LOCUST_CALL", "")
CALLS = [slug for slug in os.environ.get("LOCUST_CALLS", CALL).split(",") if slug]
SUBMIT = os.environ.get("LOCUST_SUBMIT") == "1"
SUBMIT_LOG = os.environ.get("LOCUST_SUBMIT_LOG", "")
PASSWORD = os.environ.get("LOCUST_PASSWORD", "demo-solidaire")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SITE = re.compile(r'<select name="site"[^>]*>.*?<option value="(\d+)"', re.S)
OFFER = re.compile(r'name="(offer_\d+)"')
APPLICATION = re.compile(r"/candidatures/(\d+)/")


class CentreStaff(HttpUser):
    wait_time = between(0.5, 1.5)

    def token(self, response):
        match = TOKEN.search(response.text)
        return match.group(1) if match else ""

    def on_start(self):
        page = self.client.get("/compte/connexion/", name="login form")
        response = self.client.post(
            "/compte/connexion/",
            {
                "username": next(EMAILS),
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.token(page),
            },
            headers={"Referer": self.host + "/compte/connexion/"},
            name="login",
        )
        if "/mon-espace/" not in response.url:
            response.failure("login refused")
        self.step_url = None
        self.calls = list(CALLS)  # still to apply to (LOCUST_SUBMIT)

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def calls(self):
        self.client.get("/appels/", name="open calls")
        self.client.get(f"/appels/{CALLS[0] if SUBMIT else CALL}/", name="call detail")

    @task(2)
    def dashboard(self):
        self.client.get("/mon-espace/", name="dashboard")

    @task(2)
    def apply(self):
        call = self.calls[0] if SUBMIT else CALL
        if not call:
            return  # applied to every call
        detail = self.client.get(f"/appels/{call}/", name="call detail")
        with self.client.post(
            f"/appels/{call}/candidater/",
            {"csrfmiddlewaretoken": self.token(detail)},
            headers={"Referer": self.host + f"/appels/{call}/"},
            name="start application",
            catch_response=True,
        ) as started:
            if SUBMIT and started.ok and "/etape/" not in started.url:
                started.success()  # already submitted (its answer was lost): next call
                self.calls.pop(0)
                return
            if "/etape/projet/" not in started.url:
                started.failure(f"no draft: landed on {started.url}")
                return
            started.success()
        step_url = started.url
        saved = self.client.post(
            step_url,
            {
                "csrfmiddlewaretoken": self.token(started),
                "title": "Un espace numérique pour les familles",
                "summary": "Ateliers hebdomadaires et accès libre accompagné.",
                "audience": "Familles, seniors, jeunes.",
                "expected_beneficiaries": "120",
                "activities": "Initiation, démarches en ligne, accompagnement scolaire.",
                "opens_mediation_space": "on",
                "partners_description": "Mairie, médiathèque.",
                "aim": "",
            },
            headers={"Referer": step_url},
            name="save project step",
        )
        if SUBMIT and saved.ok and "/etape/demande/" in saved.url:
            self.request_and_submit(saved)

    def request_and_submit(self, page):
        """The request step (first site, one pack of each offer), then the submission."""
        site, offers = SITE.search(page.text), OFFER.findall(page.text)
        if site is None or not offers:
            return
        requested = self.client.post(
            page.url,
            {
                "csrfmiddlewaretoken": self.token(page),
                "site": site.group(1),
                **dict.fromkeys(offers, "1"),
            },
            headers={"Referer": page.url},
            name="save request step",
        )
        if not requested.ok or "/etape/pieces/" not in requested.url:
            return
        application = APPLICATION.search(page.url).group(1)
        detail = f"/candidatures/{application}/"
        with self.client.post(
            f"{detail}deposer/",
            {"csrfmiddlewaretoken": self.token(requested)},
            headers={"Referer": requested.url},
            name="submit application",
            allow_redirects=False,
            catch_response=True,
        ) as submitted:
            done = submitted.status_code == 302 and submitted.headers["Location"] == detail
            if done:
                submitted.success()
                self.calls.pop(0)
            else:
                submitted.failure(f"not submitted: {submitted.status_code}")
        if SUBMIT_LOG:  # one line per submission attempt, for the drill to compare
            with open(SUBMIT_LOG, "a") as log:
                log.write(f"{application} {submitted.status_code} {int(done)}\n")


if SUBMIT:  # the load drill: applying (and submitting) is most of what users do
    CentreStaff.tasks = [CentreStaff.home, CentreStaff.calls, CentreStaff.dashboard] + [
        CentreStaff.apply
    ] * 4
