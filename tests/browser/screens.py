"""What a person does on the screens, for the browser journeys: log in (portal, admin), read
the admin's messages, run a changelist action on ticked rows, pick in an autocomplete, check
a page's content with axe-core, read a downloaded PDF."""

import re
import subprocess

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import BLOCKING_IMPACTS, _format_violations, inject_axe
from tests.factories import PASSWORD

AXE_IN = """async (selector) => {
  const results = await axe.run(selector, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(" ")),
    summaries: v.nodes.map((n) => n.failureSummary),
  }));
}"""


def with_password(user):
    """Set the test password with the test's fast hasher (``browser_settings``)."""
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def new_page(new_context, timeout=15_000):
    page = new_context().new_page()
    page.set_default_timeout(timeout)
    return page


def admin_log_in(page, base, email):
    """Log in through the admin's own form."""
    page.goto(base + reverse("admin:index"))
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:login")) + r"\?next="))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(base + reverse("admin:index"))


def portal_log_in(page, base, email):
    """Log in on the portal's page; centre staff land on their space."""
    page.goto(base + reverse("centres:login"))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(base + reverse("appels:dashboard"))


def expect_admin_message(page, text):
    expect(page.locator("ul.messagelist").first).to_contain_text(text)


def expect_portal_message(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def tick_row(page, text):
    """Tick the changelist row containing ``text``; returns the row."""
    row = page.locator("#result_list tbody tr").filter(has_text=text)
    expect(row).to_have_count(1)
    row.locator("input.action-select").check()
    return row


def run_action(page, label):
    """Choose ``label`` in the changelist's action menu and run it on the ticked rows."""
    page.locator("select[name=action]").select_option(label=label)
    page.locator("button[name=index]").click()


def autocomplete(page, scope, text):
    """Pick ``text`` in the admin's autocomplete (select2) widget inside ``scope``."""
    scope.locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    # Wait for the answer to this search: the list first shows every choice, then is
    # redrawn with the matches (clicking in between hits a row being replaced).
    with page.expect_response(lambda r: "/autocomplete/" in r.url and "term=" in r.url):
        search.fill(text)
    options = page.locator(".select2-container--open li.select2-results__option")
    expect(options).to_have_count(1)
    expect(options).to_have_text(text)
    options.click()
    expect(scope.locator(".select2-selection__rendered")).to_contain_text(text)


def check_a11y_in(page, name, selector="#content-main"):
    """axe-core on ``selector`` (an admin page's content, not Django's own chrome); fails
    on serious or critical violations."""
    page.wait_for_load_state("load")
    inject_axe(page)
    violations = page.evaluate(AXE_IN, selector)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(_format_violations(name, page.url, blocking), pytrace=False)
    return violations


def pdf_text(data):
    """The text of a PDF, as ``pdftotext -layout`` (poppler-utils) extracts it."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()
