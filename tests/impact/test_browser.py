"""The impact pages in Chromium with the demo data: a programme manager logs into the admin,
opens the dashboard and a call's page, and the public home shows the figures and charts.
Screenshots go to test-output/screenshots/impact-*.png for a person to look at; the
browser fixtures (axe, screenshots, French window) come from tests/browser/conftest.py
through tests/impact/conftest.py."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from appels.models import Call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER = "programme@solidatech.example.org"


def log_into_admin(page, live_server):
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", MANAGER)
    page.fill("#id_password", settings.DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + reverse("admin:index"))


def charts_drawn(page):
    """How many pygal charts have a real size on the page (drawn, not collapsed)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('svg.pygal-chart')]
            .filter((svg) => svg.getBoundingClientRect().width > 200
                          && svg.getBoundingClientRect().height > 100).length"""
    )


def test_programme_manager_sees_the_dashboard_and_a_call_report(
    live_server, page, screenshot, check_a11y
):
    call_command("seed_demo", stdout=StringIO())
    log_into_admin(page, live_server)
    page.click("text=Tableau de bord d’impact")
    page.wait_for_selector("#impact")
    assert page.locator("[data-figure=computers]").inner_text() == "1\u202f433"
    assert page.locator("[data-figure=mediation_spaces]").inner_text() == "97"
    assert page.locator("[data-figure=tablets]").inner_text() == "180"
    assert page.locator("[data-figure=satisfaction_rate]").inner_text() == "95\u00a0%"
    assert charts_drawn(page) == 4
    screenshot(page, "impact-01-dashboard")
    check_a11y(page, "impact dashboard")

    tablets = Call.objects.get(slug="mcsnd-2014-tablettes")
    page.click(f"a[href='{reverse('impact:call', args=[tablets.pk])}'] >> nth=0")
    page.wait_for_selector("#impact")
    assert "tablettes pour 30 centres, en flottes de 6" in page.content()
    assert charts_drawn(page) == 3
    screenshot(page, "impact-02-call-tablets")
    check_a11y(page, "impact of the tablet edition")

    page.emulate_media(media="print")
    screenshot(page, "impact-03-call-print")
    page.emulate_media(media="screen")


def test_public_home_shows_figures_charts_and_testimonials(live_server, page, screenshot):
    call_command("seed_demo", stdout=StringIO())
    page.goto(live_server.url + reverse("equipements:home"))
    page.locator("#impact").scroll_into_view_if_needed()
    assert page.locator("[data-figure=computers]").inner_text() == "1\u202f433"
    assert charts_drawn(page) == 2
    assert page.locator("figure.testimonial").count() >= 1
    screenshot(page, "impact-04-home")
