"""Logistics at the packing table: scanning, shipments by site, e-mails, end of life, journeys."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appels.models import ApplicationStatus
from centres import roles
from equipements import services
from equipements.admin import ItemAdmin
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationStatus,
    Grade,
    Item,
    ItemStatus,
    Shipment,
    ShipmentStatus,
)
from solidaire.errors import DomainError
from tests.factories import (
    AllocationFactory,
    CallFactory,
    DataErasureFactory,
    ItemFactory,
    MembershipFactory,
    PackTypeFactory,
    ShipmentFactory,
    SiteFactory,
    SupportTicketFactory,
    UserFactory,
    picked_allocation,
    put_in_shipment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def logistics():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    return user


def confirmed(packs=1, **line):
    call = CallFactory()
    allocation = AllocationFactory(
        application__call=call,
        status=AllocationStatus.CONFIRMED,
        lines=packs,
        **{f"lines__{name}": value for name, value in line.items()},
    )
    return allocation, allocation.lines.get().pack_type


# --- scanning serials -------------------------------------------------------------------


def test_scanning_serials_one_by_one_picks_the_allocation(db_state):
    allocation, pack_type = confirmed(packs=2)
    first, second = ItemFactory(pack_type=pack_type), ItemFactory(pack_type=pack_type)
    other = ItemFactory()  # another pack type

    services.scan_item(allocation, f"  {first.serial_number.lower()} ")
    with pytest.raises(DomainError) as refused:
        services.scan_item(allocation, other.serial_number)
    assert refused.value.code == "not_expected"
    with pytest.raises(DomainError) as refused:
        services.scan_item(allocation, first.serial_number)
    assert refused.value.code == "not_in_stock"
    assert "réservé" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        services.scan_item(allocation, "NO-SUCH-SERIAL")
    assert refused.value.code == "unknown_serial"
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.CONFIRMED

    services.scan_item(allocation, second.serial_number)

    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PICKED
    assert set(Item.objects.filter(status=ItemStatus.RESERVED)) == {first, second}


def test_a_line_asking_for_a_grade_takes_only_that_grade():
    allocation, pack_type = confirmed(packs=1, grade=Grade.A)
    grade_b = ItemFactory(pack_type=pack_type, grade=Grade.B, received_on=date(2011, 1, 1))
    grade_a = ItemFactory(pack_type=pack_type, grade=Grade.A, received_on=date(2012, 1, 1))
    with pytest.raises(DomainError) as refused:
        services.scan_item(allocation, grade_b.serial_number)
    assert refused.value.code == "wrong_grade"

    services.pick_items(allocation)

    assert AllocatedItem.objects.get(line__allocation=allocation).item == grade_a


def test_automatic_picking_takes_the_oldest_stock_first():
    allocation, pack_type = confirmed(packs=1)
    ItemFactory(pack_type=pack_type, received_on=date(2013, 5, 1))
    oldest = ItemFactory(pack_type=pack_type, received_on=date(2011, 5, 1))
    services.pick_items(allocation)
    assert AllocatedItem.objects.get(line__allocation=allocation).item == oldest


def test_a_scanned_item_put_back_returns_to_stock_and_the_allocation_to_confirmed():
    allocation, pack_type = confirmed(packs=1)
    item = ItemFactory(pack_type=pack_type)
    services.scan_item(allocation, item.serial_number)

    services.unpick_item(allocation, item)

    item.refresh_from_db()
    allocation.refresh_from_db()
    assert item.status == ItemStatus.IN_STOCK
    assert allocation.status == AllocationStatus.CONFIRMED
    assert AllocatedItem.objects.get(item=item).released_at is not None


def test_the_scan_page_is_for_logistics_and_reports_errors_next_to_the_field(client, logistics):
    allocation, pack_type = confirmed(packs=1)
    item = ItemFactory(pack_type=pack_type)
    url = reverse("admin:equipements_allocation_scan", args=[allocation.pk])

    client.force_login(MembershipFactory().user)
    assert client.get(url).status_code == 302  # centre staff: to the admin login
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWERS))
    client.force_login(reviewer)
    assert client.post(url, {"serial": item.serial_number}).status_code in (302, 403)
    assert Item.objects.get(pk=item.pk).status == ItemStatus.IN_STOCK

    client.force_login(logistics)
    page = client.get(url)
    assert page.status_code == 200 and "autofocus" in page.content.decode()
    bad = client.post(url, {"serial": "NOPE"})
    assert bad.status_code == 400
    assert "Aucun matériel ne porte le n° de série « NOPE »" in bad.content.decode()
    good = client.post(url, {"serial": item.serial_number})
    assert good.status_code == 302
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PICKED
    assert "Tout est préparé" in client.get(url).content.decode()


# --- shipments --------------------------------------------------------------------------


def test_picked_allocations_are_grouped_by_receiving_site():
    site_a, site_b = SiteFactory(), SiteFactory()
    a1 = picked_allocation(application__site=site_a, application__centre=site_a.centre)
    a2 = picked_allocation(application__site=site_a, application__centre=site_a.centre)
    b1 = picked_allocation(application__site=site_b, application__centre=site_b.centre)

    shipments = services.create_shipments_by_site([a1, a2, b1])

    assert len(shipments) == 2
    by_site = {s.site_id: s for s in shipments}
    assert set(by_site[site_a.pk].allocations.all()) == {a1, a2}
    assert set(by_site[site_b.pk].allocations.all()) == {b1}


def test_shipping_emails_the_centre_once_with_tracking_and_items_follow(
    django_capture_on_commit_callbacks,
):
    allocation = picked_allocation(items=2)
    staff = MembershipFactory(centre=allocation.application.centre).user
    shipment = services.create_shipment([allocation])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.ship_shipment(shipment, carrier="Colissimo", tracking_number="6A123456789")
    from equipements.notifications import send_shipment_notice

    send_shipment_notice(shipment.pk)  # a retried task sends nothing more

    assert [m.to for m in mail.outbox] == [[staff.email]]
    body = mail.outbox[0].body
    assert "6A123456789" in body and "Colissimo" in body
    serials = Item.objects.filter(allocations__line__allocation=allocation).values_list(
        "serial_number", flat=True
    )
    assert all(serial in body for serial in serials)
    assert set(Item.objects.filter(serial_number__in=serials).values_list("status", flat=True)) == {
        ItemStatus.SHIPPED
    }

    services.confirm_reception(shipment, received_serials=list(serials), by=staff)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED
    assert set(Item.objects.filter(serial_number__in=serials).values_list("status", flat=True)) == {
        ItemStatus.DELIVERED
    }


def test_a_centre_sees_only_its_own_shipments_and_tickets(client):
    mine = ShipmentFactory()
    theirs = ShipmentFactory()
    staff = MembershipFactory(centre=mine.site.centre).user
    my_ticket = SupportTicketFactory(centre=mine.site.centre)
    their_ticket = SupportTicketFactory(centre=theirs.site.centre)

    assert set(Shipment.objects.visible_to(staff)) == {mine}
    client.force_login(staff)
    assert (
        client.get(reverse("equipements:ticket_detail", args=[their_ticket.pk])).status_code == 404
    )
    assert client.get(reverse("equipements:ticket_detail", args=[my_ticket.pk])).status_code == 200
    assert (
        client.post(reverse("equipements:confirm_reception", args=[theirs.pk])).status_code == 404
    )


# --- end of life and the item's journey -------------------------------------------------


def test_an_item_is_taken_back_for_recycling_with_its_destination(db_state):
    allocation = picked_allocation(status=AllocationStatus.DELIVERED)
    item = Item.objects.get(allocations__line__allocation=allocation)
    before = db_state()
    with pytest.raises(DomainError) as refused:
        services.take_back_for_recycling(item, destination="  ")
    assert refused.value.code == "destination"
    assert db_state() == before

    services.take_back_for_recycling(item, destination="Ecosystem, Lyon", on=date(2016, 6, 1))

    item.refresh_from_db()
    assert item.status == ItemStatus.RECYCLED
    assert item.end_of_life_destination == "Ecosystem, Lyon"
    assert AllocatedItem.objects.get(item=item).released_at is not None
    with pytest.raises(DomainError):
        services.set_item_status(item, ItemStatus.IN_STOCK)


def test_the_recycling_action_asks_for_the_destination_first(client, logistics):
    item = ItemFactory(status=ItemStatus.SCRAPPED)
    client.force_login(logistics)
    url = reverse("admin:equipements_item_changelist")
    data = {"action": "take_back_for_recycling", "_selected_action": [item.pk]}

    ask = client.post(url, data)
    assert ask.status_code == 200 and "Filière de recyclage" in ask.content.decode()
    assert Item.objects.get(pk=item.pk).status == ItemStatus.SCRAPPED

    missing = client.post(url, {**data, "destination": "", "taken_back_on": "2016-06-01"})
    assert missing.status_code == 200
    assert "Ce champ est obligatoire" in missing.content.decode()

    client.post(url, {**data, "destination": "Envie, Angers", "taken_back_on": "2016-06-01"})
    item.refresh_from_db()
    assert item.status == ItemStatus.RECYCLED and item.end_of_life_on == date(2016, 6, 1)


def test_the_journey_page_tells_the_whole_story_of_a_replaced_item(client, logistics):
    allocation = picked_allocation(status=AllocationStatus.DELIVERED)
    broken = Item.objects.get(allocations__line__allocation=allocation)
    replacement = ItemFactory(pack_type=broken.pack_type)
    DataErasureFactory(item=replacement)
    ticket = services.open_ticket(
        broken,
        centre=allocation.application.centre,
        subject="Écran noir",
        description="Ne démarre plus",
    )
    shipment = services.decide_replacement(ticket, replacement=replacement)
    services.ship_replacement(shipment, carrier="Colissimo")
    services.confirm_replacement(shipment, by=None)
    services.receive_return(ticket.returns.get())
    client.force_login(logistics)

    broken_page = client.get(reverse("admin:equipements_item_journey", args=[broken.pk]))
    replacement_page = client.get(reverse("admin:equipements_item_journey", args=[replacement.pk]))

    text = broken_page.content.decode()
    assert allocation.application.centre.name in text
    assert "Écran noir" in text and replacement.serial_number in text
    assert "retourné" in text  # status history
    assert f"A remplacé {broken.serial_number}" in replacement_page.content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("admin:equipements_item_journey", args=[broken.pk]))
    assert len(queries) <= 15


# --- constant queries -------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("view", ["equipements_item", "equipements_shipment", "appels_packtype"])
def test_logistics_lists_run_the_same_queries_for_10_and_1000_items_and_paginate(
    client, logistics, view
):
    pack_type = PackTypeFactory()
    ItemFactory.create_batch(10, pack_type=pack_type)
    ShipmentFactory.create_batch(3)
    client.force_login(logistics)
    url = reverse(f"admin:{view}_changelist")
    small, _ = count_queries(client, url)

    model = ItemFactory._meta.model
    template = Item.objects.filter(pack_type=pack_type).first()
    model.objects.bulk_create(
        model(
            serial_number=f"BULK-{n:05d}",
            device_model=template.device_model,
            pack_type=pack_type,
            grade=template.grade,
            provenance=template.provenance,
            provenance_partner=template.provenance_partner,
            received_on=template.received_on,
        )
        for n in range(990)
    )
    ShipmentFactory.create_batch(3)
    large, response = count_queries(client, url)

    assert small == large
    if view == "equipements_item":
        assert response.context["cl"].result_count == 1000
        assert len(response.context["cl"].result_list) == ItemAdmin.list_per_page == 50


def test_the_stock_of_each_pack_type_and_offer_is_visible_at_a_glance(client, logistics):
    pack_type = PackTypeFactory(units_per_pack=6)
    ItemFactory.create_batch(13, pack_type=pack_type)
    ItemFactory.create_batch(2, pack_type=pack_type, status=ItemStatus.RESERVED)
    client.force_login(logistics)

    response = client.get(reverse("admin:appels_packtype_changelist"))

    row = next(obj for obj in response.context["cl"].result_list if obj.pk == pack_type.pk)
    assert (row.in_stock, row.reserved) == (13, 2)
    assert response.context["cl"].model_admin.packs_in_stock(row) == 2


def test_shipment_status_is_followed_by_allocations_and_items():
    allocation = picked_allocation(items=3)
    shipment = services.create_shipment([allocation])
    services.ship_shipment(shipment, carrier="DB Schenker")
    services.deliver_shipment(shipment)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.SHIPPED  # the carrier's word is not enough
    serials = Item.objects.filter(allocations__line__allocation=allocation).values_list(
        "serial_number", flat=True
    )
    user = allocation.application.centre.memberships.first()
    services.confirm_reception(
        shipment, received_serials=list(serials), by=user.user if user else None
    )
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.DELIVERED
    assert set(
        Item.objects.filter(allocations__line__allocation=allocation).values_list(
            "status", flat=True
        )
    ) == {ItemStatus.DELIVERED}
    assert allocation.application.status == ApplicationStatus.SELECTED


# --- incidents and figures --------------------------------------------------------------


def test_an_incident_is_recorded_with_its_description(client, logistics):
    allocation = picked_allocation(status=AllocationStatus.SHIPPED)
    shipment = ShipmentFactory(status=ShipmentStatus.SHIPPED)
    put_in_shipment(allocation, shipment)
    client.force_login(logistics)
    url = reverse("admin:equipements_shipment_changelist")
    data = {"action": "mark_incident", "_selected_action": [shipment.pk]}

    ask = client.post(url, data)
    assert ask.status_code == 200 and "Description de l’incident" in ask.content.decode()
    client.post(url, {**data, "note": "Un carton arrivé éventré"})

    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.INCIDENT
    assert shipment.incident_note == "Un carton arrivé éventré"


def test_logistics_figures_match_a_hand_built_call(client, logistics):
    from datetime import timedelta

    from django.utils import timezone

    from appels.models import Call
    from equipements.logistics import logistics_figures

    call = CallFactory()
    decided = timezone.now() - timedelta(days=30)
    delivered = []
    for days in (10, 20):
        allocation = picked_allocation(
            status=AllocationStatus.DELIVERED, items=2, application__call=call
        )
        Allocation.objects.filter(pk=allocation.pk).update(
            delivered_at=decided + timedelta(days=days)
        )
        allocation.application.__class__.objects.filter(pk=allocation.application_id).update(
            decided_at=decided
        )
        Item.objects.filter(allocations__line__allocation=allocation).update(
            status=ItemStatus.DELIVERED
        )
        delivered.append(allocation)
    picked_allocation(items=1, application__call=call)  # reserved, not shipped
    item = Item.objects.filter(allocations__line__allocation=delivered[0]).first()
    SupportTicketFactory(item=item, centre=delivered[0].application.centre)

    rows, total = logistics_figures(Call.objects.filter(pk=call.pk))

    ((row_call, figures),) = rows
    assert row_call == call
    assert figures["devices"]["delivered"] == 4 and figures["devices"]["reserved"] == 1
    assert figures["allocations"]["delivered"] == 2 and figures["allocations"]["picked"] == 1
    assert str(figures["average_delivery_days"]) == "15.0"
    assert str(figures["median_delivery_days"]) == "15.0"
    assert figures["tickets_open"] == 1
    assert total["devices"]["delivered"] == 4

    client.force_login(logistics)
    url = reverse("admin:equipements_logistics_figures")
    small = count_queries(client, url)[0]
    for _ in range(5):
        picked_allocation(status=AllocationStatus.DELIVERED, application__call=CallFactory())
    assert count_queries(client, url)[0] == small
    client.force_login(MembershipFactory().user)
    assert client.get(url).status_code == 302
