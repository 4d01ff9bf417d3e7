"""Browse and apply: centre staff log in, browse the public pages and their space, start
(or resume) their application to the open call and save its project step.

Run by ``test_load.py`` (locust headless, fixed user count); LOCUST_EMAILS lists the
accounts (one per simulated user), LOCUST_CALL the open call's slug.
"""

import itertools
import os
import re

from locust import HttpUser, between, task

EMAILS = itertools.cycle(os.environ.get("LOCUST_EMAILS", "").split(","))
CALL = os.environ.get("LOCUST_CALL", "")
PASSWORD = os.environ.get("LOCUST_PASSWORD", "demo-solidaire")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


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

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def calls(self):
        self.client.get("/appels/", name="open calls")
        self.client.get(f"/appels/{CALL}/", name="call detail")

    @task(2)
    def dashboard(self):
        self.client.get("/mon-espace/", name="dashboard")

    @task(2)
    def apply(self):
        detail = self.client.get(f"/appels/{CALL}/", name="call detail")
        with self.client.post(
            f"/appels/{CALL}/candidater/",
            {"csrfmiddlewaretoken": self.token(detail)},
            headers={"Referer": self.host + f"/appels/{CALL}/"},
            name="start application",
            catch_response=True,
        ) as started:
            if "/etape/projet/" not in started.url:
                started.failure(f"no draft: landed on {started.url}")
                return
            started.success()
        step_url = started.url
        self.client.post(
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
