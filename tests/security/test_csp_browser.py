"""The Content-Security-Policy in Chromium: the portal, our admin pages and the third-party
admin pages (import, history, autocomplete) work without a single violation."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from appels.models import ApplicationStatus, CallStatus
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    ItemFactory,
    MembershipFactory,
    ReviewFactory,
    ShipmentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects violations from the first script of each page on (Playwright injects it outside
# the page's policy), with a sample of the offending code ('report-sample' below).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.effectiveDirective}: ${e.sample || e.blockedURI} (${where})`);
});
"""


@pytest.fixture
def watched(page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {
        name: [*values, "'report-sample'"] if name.startswith(("script", "style")) else values
        for name, values in policy["DIRECTIVES"].items()
    }
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    page.add_init_script(WATCH)
    page.set_default_timeout(10_000)
    seen = []

    def visit(url):
        response = page.goto(url)
        assert response.status == 200, url
        assert "content-security-policy" in {name.lower() for name in response.headers}
        page.wait_for_load_state("load")
        seen.extend(f"{url} {v}" for v in page.evaluate("window.__csp"))

    visit.seen = seen
    return visit


def login(page, live_server, user):
    page.goto(live_server.url + reverse("centres:login"))
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state("load")


def with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_portal_pages_have_no_csp_violation(live_server, page, watched):
    call = CallFactory()
    membership = MembershipFactory(is_referent=True)
    application = ApplicationFactory(
        call=call, centre=membership.centre, created_by=membership.user
    )
    watched(live_server.url + "/")
    watched(live_server.url + reverse("appels:call_detail", args=[call.slug]))
    login(page, live_server, with_password(membership.user))
    for name, args in (
        ("appels:dashboard", []),
        ("appels:application_detail", [application.pk]),
        ("centres:my_centre", []),
        ("centres:preferences", []),
        ("centres:my_data", []),
    ):
        watched(live_server.url + reverse(name, args=args))
    assert watched.seen == []


def test_admin_pages_have_no_csp_violation(live_server, page, watched):
    admin = with_password(UserFactory(is_staff=True, is_superuser=True))
    review = ReviewFactory(application__call__status=CallStatus.REVIEW)
    ApplicationFactory(call=review.application.call, status=ApplicationStatus.SUBMITTED)
    shipment = ShipmentFactory()
    item = ItemFactory()
    login(page, live_server, admin)
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    for name, args in (
        ("admin:index", []),
        ("admin:centres_user_changelist", []),
        ("admin:centres_user_change", [admin.pk]),
        ("admin:appels_call_change", [review.application.call.pk]),
        ("admin:appels_call_ranking", [review.application.call.pk]),
        ("admin:appels_application_change", [review.application.pk]),
        ("admin:appels_application_history", [review.application.pk]),
        ("admin:appels_review_change", [review.pk]),
        ("admin:equipements_item_import", []),
        ("admin:equipements_item_journey", [item.pk]),
        ("admin:equipements_shipment_change", [shipment.pk]),
        ("admin:centres_accesslog_changelist", []),
        ("admin:centres_datarequest_changelist", []),
    ):
        watched(live_server.url + reverse(name, args=args))
    assert watched.seen == []
