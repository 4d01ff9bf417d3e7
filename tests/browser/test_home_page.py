"""The public home page in a French browser, with the axe check."""

import pytest
from playwright.sync_api import expect

from tests.factories import CallFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_home_page_is_french_and_accessible(live_server, page, check_a11y, screenshot):
    call = CallFactory(title="Mon centre social numérique et durable", edition="2012–2013")
    page.set_default_timeout(10_000)

    page.goto(live_server.url + "/")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_title("Accueil · solidaire")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Du matériel numérique à prix solidaire pour les projets des centres sociaux"
    )
    expect(page.get_by_role("heading", name="Appels à projets ouverts")).to_be_visible()
    expect(page.get_by_role("heading", name=call.title)).to_be_visible()
    expect(page.get_by_role("link", name="Voir l’appel et candidater")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    check_a11y(page, "accueil")
    screenshot(page, "00-home")
