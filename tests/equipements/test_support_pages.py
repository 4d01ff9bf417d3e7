"""The after-sales pages: the portal's ticket page (thread, attachment, the replacement's
receipt) and the admin's ticket change page (thread, replacement picker), for every role,
with a constant number of queries."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres import roles
from equipements import services
from equipements.models import (
    AllocationStatus,
    Item,
    ItemStatus,
    ReplacementShipment,
    ReplacementStatus,
    TicketMessage,
    TicketStatus,
)
from tests.factories import (
    DataErasureFactory,
    ItemFactory,
    MembershipFactory,
    TicketMessageFactory,
    UserFactory,
    picked_allocation,
)
from tests.portal.conftest import PDF, PNG, private_dir  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def platform_user(group, email):
    user = UserFactory(is_staff=True, email=email)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def logistics(db):
    return platform_user(roles.LOGISTICS, "logistique@example.org")


@pytest.fixture
def reviewer(db):
    return platform_user(roles.REVIEWERS, "evaluatrice@example.org")


@pytest.fixture
def ticket(db):
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    centre = allocation.application.centre
    member = MembershipFactory(centre=centre, is_referent=True).user
    item = Item.objects.get(allocations__line__allocation=allocation)
    return services.open_ticket(
        item, centre=centre, subject="Écran noir", description="Plus d’image.", by=member
    )


@pytest.fixture
def member(ticket):
    return ticket.centre.memberships.get().user


@pytest.fixture
def intruder(db):
    return MembershipFactory(is_referent=True).user


def portal_page(ticket):
    return reverse("equipements:ticket_detail", args=[ticket.pk])


def admin_page(ticket):
    return reverse("admin:equipements_supportticket_change", args=[ticket.pk])


@pytest.fixture
def shipped(ticket):
    spare = ItemFactory(pack_type=ticket.item.pack_type)
    DataErasureFactory(item=spare)
    shipment = services.decide_replacement(ticket, replacement=spare)
    return services.ship_replacement(shipment, carrier="Colissimo", tracking_number="8R42")


@pytest.fixture
def with_attachment(ticket, logistics, private_dir):  # noqa: F811
    return services.post_ticket_message(
        ticket, by=logistics, body="La notice", upload=SimpleUploadedFile("notice.pdf", PDF)
    )


# --- portal -----------------------------------------------------------------------------


def test_the_centre_writes_to_logistics_with_a_photo(client, ticket, member, private_dir):  # noqa: F811
    client.force_login(member)
    response = client.post(
        portal_page(ticket),
        {"body": "Voici l’écran.", "attachment": SimpleUploadedFile("ecran.png", PNG)},
    )
    assert response.status_code == 302
    message = TicketMessage.objects.get()
    assert (message.from_centre, message.attachment_type) == (True, "image/png")
    page = client.get(portal_page(ticket)).content.decode()
    assert "Voici l’écran." in page and "ecran.png" in page
    download = client.get(reverse("equipements:ticket_attachment", args=[ticket.pk, message.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "words"),
    [({"body": "  "}, "Écrivez votre message"), ({"body": "x", "file": "html"}, "PDF")],
)
def test_a_bad_message_is_refused_next_to_its_field(
    client,
    ticket,
    member,
    private_dir,  # noqa: F811
    data,
    words,
):
    client.force_login(member)
    post = {"body": data["body"]}
    if "file" in data:
        post["attachment"] = SimpleUploadedFile("photo.jpg", b"<html></html>")
    response = client.post(portal_page(ticket), post)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not TicketMessage.objects.exists()


def test_the_centre_confirms_the_replacement_on_the_ticket_page(client, shipped, member):
    client.force_login(member)
    page = client.get(portal_page(shipped.ticket)).content.decode()
    assert shipped.reference in page and "8R42" in page
    url = reverse("equipements:confirm_replacement", args=[shipped.ticket_id, shipped.pk])
    assert url in page
    assert client.post(url).status_code == 302
    shipped.refresh_from_db()
    assert shipped.status == ReplacementStatus.DELIVERED
    assert shipped.ticket.__class__.objects.get(pk=shipped.ticket_id).status == (
        TicketStatus.RESOLVED
    )
    assert Item.objects.get(pk=shipped.item_id).status == ItemStatus.DELIVERED


def test_staff_of_another_centre_gets_404_on_ticket_attachment_and_confirmation(
    client, shipped, with_attachment, intruder
):
    ticket = shipped.ticket
    client.force_login(intruder)
    assert client.get(portal_page(ticket)).status_code == 404
    assert client.post(portal_page(ticket), {"body": "Coucou"}).status_code == 404
    attachment = reverse("equipements:ticket_attachment", args=[ticket.pk, with_attachment.pk])
    assert client.get(attachment).status_code == 404
    confirm = reverse("equipements:confirm_replacement", args=[ticket.pk, shipped.pk])
    assert client.post(confirm).status_code == 404
    shipped.refresh_from_db()
    assert shipped.status == ReplacementStatus.SHIPPED
    assert not TicketMessage.objects.filter(body="Coucou").exists()


def test_a_replacement_is_confirmed_only_through_its_own_ticket(client, shipped, member):
    other = services.open_ticket(
        shipped.ticket.item,
        centre=shipped.ticket.centre,
        subject="Clavier",
        description="Touches collées",
    )
    client.force_login(member)
    url = reverse("equipements:confirm_replacement", args=[other.pk, shipped.pk])
    assert client.post(url).status_code == 404
    shipped.refresh_from_db()
    assert shipped.status == ReplacementStatus.SHIPPED


def grow_thread(ticket, count):
    for index in range(count):
        TicketMessageFactory(
            ticket=ticket,
            author=ticket.opened_by,
            from_centre=index % 2 == 0,
            attachment=f"tickets/x{index}.pdf" if index % 3 == 0 else "",
            attachment_name="photo.pdf" if index % 3 == 0 else "",
        )


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_portal_ticket_page_runs_the_same_queries_for_2_or_20_messages(client, shipped, member):
    ticket = shipped.ticket
    client.force_login(member)
    grow_thread(ticket, 2)
    client.get(portal_page(ticket))
    small = queries(client, portal_page(ticket))
    grow_thread(ticket, 18)
    large = queries(client, portal_page(ticket))
    assert small == large, (small, large)
    assert large <= 20


def test_the_admin_ticket_page_runs_the_same_queries_for_2_or_20_messages(
    client, shipped, logistics
):
    ticket = shipped.ticket
    client.force_login(logistics)
    grow_thread(ticket, 2)
    client.get(admin_page(ticket))
    small = queries(client, admin_page(ticket))
    grow_thread(ticket, 18)
    large = queries(client, admin_page(ticket))
    assert small == large, (small, large)
    assert large <= 40


# --- admin ------------------------------------------------------------------------------


def test_logistics_writes_to_the_centre_from_the_change_page(client, ticket, logistics):
    client.force_login(logistics)
    page = client.get(admin_page(ticket)).content.decode()
    assert reverse("admin:equipements_supportticket_message", args=[ticket.pk]) in page
    response = client.post(
        reverse("admin:equipements_supportticket_message", args=[ticket.pk]),
        {"body": "Essayez un autre câble."},
    )
    assert response.status_code == 302
    assert TicketMessage.objects.get().from_centre is False
    assert "Essayez un autre câble." in client.get(admin_page(ticket)).content.decode()


def test_an_empty_admin_message_is_refused_on_the_page(client, ticket, logistics):
    client.force_login(logistics)
    response = client.post(
        reverse("admin:equipements_supportticket_message", args=[ticket.pk]), {"body": " "}
    )
    assert response.status_code == 400
    assert "Écrivez votre message" in response.content.decode()
    assert not TicketMessage.objects.exists()


def test_logistics_picks_a_replacement_of_the_same_pack_type_in_stock(client, ticket, logistics):
    good = ItemFactory(pack_type=ticket.item.pack_type)
    elsewhere = ItemFactory()
    client.force_login(logistics)
    page = client.get(admin_page(ticket)).content.decode()
    assert good.serial_number in page and elsewhere.serial_number not in page
    url = reverse("admin:equipements_supportticket_replacement", args=[ticket.pk])
    refused = client.post(url, {"replacement": elsewhere.pk})
    assert refused.status_code == 400
    assert not ReplacementShipment.objects.exists()
    response = client.post(url, {"replacement": good.pk})
    shipment = ReplacementShipment.objects.get()
    assert response.url == reverse(
        "admin:equipements_replacementshipment_change", args=[shipment.pk]
    )
    assert (shipment.item, shipment.status) == (good, ReplacementStatus.RESERVED)


def test_logistics_downloads_an_attachment_from_the_admin(client, with_attachment, logistics):
    client.force_login(logistics)
    url = reverse(
        "admin:equipements_supportticket_attachment",
        args=[with_attachment.ticket_id, with_attachment.pk],
    )
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_reviewers_get_403_on_the_after_sales_admin(client, shipped, with_attachment, reviewer):
    ticket = shipped.ticket
    client.force_login(reviewer)
    urls = [
        reverse("admin:equipements_supportticket_changelist"),
        admin_page(ticket),
        reverse("admin:equipements_replacementshipment_change", args=[shipped.pk]),
        reverse("admin:equipements_itemreturn_changelist"),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in (
        reverse("admin:equipements_supportticket_message", args=[ticket.pk]),
        reverse("admin:equipements_supportticket_replacement", args=[ticket.pk]),
    ):
        assert client.post(url, {"body": "x"}).status_code == 403, url
    attachment = reverse(
        "admin:equipements_supportticket_attachment", args=[ticket.pk, with_attachment.pk]
    )
    assert client.get(attachment).status_code in (403, 404)
    assert TicketMessage.objects.count() == 1
