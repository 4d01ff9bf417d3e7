"""A centre's after-sales ticket in a real browser: the thread, a message sent, the
replacement's receipt confirmed; axe-core finds nothing serious on the page."""

import pytest
from playwright.sync_api import expect

from equipements import services
from equipements.models import AllocationStatus, Item, ItemStatus, ReplacementStatus
from tests.factories import (
    DataErasureFactory,
    ItemFactory,
    MembershipFactory,
    UserFactory,
    picked_allocation,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "dominique.martin@tilleuls.example.org"
PASSWORD = "motdepasse-solide-2013"


def test_the_centre_writes_and_confirms_its_replacement(
    live_server, page, check_a11y, screenshot, browser_settings
):
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    centre = allocation.application.centre
    member = MembershipFactory(centre=centre, is_referent=True, user__email=EMAIL).user
    member.set_password(PASSWORD)
    member.save()
    logistics = UserFactory(is_staff=True, email="logistique@example.org")
    item = Item.objects.get(allocations__line__allocation=allocation)
    ticket = services.open_ticket(
        item, centre=centre, subject="Écran noir", description="Plus d’image.", by=member
    )
    services.post_ticket_message(ticket, by=logistics, body="Essayez un autre câble.")
    spare = ItemFactory(pack_type=item.pack_type)
    DataErasureFactory(item=spare)
    shipment = services.decide_replacement(ticket, replacement=spare)
    services.ship_replacement(shipment, carrier="Colissimo", tracking_number="8R42")
    base = live_server.url
    page.set_default_timeout(10_000)

    page.goto(f"{base}/compte/connexion/")
    page.locator("#id_username").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/mon-espace/")

    page.goto(f"{base}/sav/{ticket.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Écran noir")
    expect(page.get_by_text("Essayez un autre câble.")).to_be_visible()
    check_a11y(page, "ticket SAV")
    screenshot(page, "sav-01-ticket")

    page.get_by_label("Votre message").fill("Le câble ne change rien.")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.get_by_role("status")).to_contain_text("Message envoyé")
    expect(page.get_by_text("Le câble ne change rien.")).to_be_visible()

    page.get_by_role("button", name=f"J’ai reçu l’appareil {spare.serial_number}").click()
    expect(page.get_by_role("status")).to_contain_text("Réception du remplacement confirmée")
    check_a11y(page, "ticket SAV résolu")
    screenshot(page, "sav-02-resolved")
    shipment.refresh_from_db()
    spare.refresh_from_db()
    assert shipment.status == ReplacementStatus.DELIVERED
    assert spare.status == ItemStatus.DELIVERED
