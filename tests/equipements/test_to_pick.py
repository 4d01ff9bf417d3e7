"""What logistics still have to pick per call, beside the devices in stock."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from appels.models import Call
from centres import roles
from equipements.logistics import logistics_figures, stock_by_pack_type, to_pick_figures
from equipements.models import Allocation, AllocationStatus, ItemStatus
from tests.equipements.test_logistics import count_queries
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    AllocationLineFactory,
    CallFactory,
    CallOfferFactory,
    ItemFactory,
    MembershipFactory,
    PackTypeFactory,
    ReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FIGURES_URL = "admin:equipements_logistics_figures"


def member_of(group):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def allocation(offer, status, packs, picked=0, picked_status=ItemStatus.RESERVED):
    """An allocation of ``packs`` packs of ``offer`` with ``picked`` devices picked."""
    made = AllocationFactory(
        application__call=offer.call, status=status, lines=packs, lines__offer=offer
    )
    line = made.lines.get()
    for _ in range(picked):
        AllocatedItemFactory(line=line, item__status=picked_status)
    return made


@pytest.fixture
def warehouse():
    """Two calls sharing a computer pack type (2 devices a pack); the first one also
    offers tablets (1 a pack)."""
    computers = PackTypeFactory(name="Pack informatique", units_per_pack=2)
    tablets = PackTypeFactory(name="Tablette", units_per_pack=1)
    first, second, empty = (CallFactory(offers=0) for _ in range(3))
    first_computers = CallOfferFactory(call=first, pack_type=computers)
    first_tablets = CallOfferFactory(call=first, pack_type=tablets)
    second_computers = CallOfferFactory(call=second, pack_type=computers)

    being_picked = allocation(first_computers, AllocationStatus.CONFIRMED, packs=3, picked=3)
    AllocationLineFactory(allocation=being_picked, offer=first_tablets, quantity=2)
    allocation(first_computers, AllocationStatus.PICKED, packs=1, picked=2)
    allocation(
        first_computers,
        AllocationStatus.DELIVERED,
        packs=1,
        picked=2,
        picked_status=ItemStatus.DELIVERED,
    )
    allocation(first_computers, AllocationStatus.PROPOSED, packs=5)  # not confirmed yet
    allocation(first_computers, AllocationStatus.CANCELLED, packs=4)
    allocation(second_computers, AllocationStatus.CONFIRMED, packs=1)
    ItemFactory.create_batch(4, pack_type=computers)
    ItemFactory.create_batch(5, pack_type=tablets)
    ItemFactory(pack_type=tablets, status=ItemStatus.UNDER_REPAIR)
    return {
        "first": first,
        "second": second,
        "empty": empty,
        "computers": computers,
        "tablets": tablets,
    }


def test_the_stock_per_pack_type_counts_items_and_what_confirmed_allocations_still_need(
    warehouse, django_assert_num_queries
):
    computers, tablets = warehouse["computers"], warehouse["tablets"]

    with django_assert_num_queries(1):
        stock = stock_by_pack_type([computers.pk, tablets.pk])

    # Reserved: 3 picked for the confirmed allocation, 2 for the picked one.
    # Still needed: 6 - 3 by the first call, 2 by the second; 2 tablets by the first.
    assert stock[computers.pk] == (4, 5, 5)
    assert stock[tablets.pk] == (5, 0, 2)
    assert stock_by_pack_type([computers.pk], exclude_call=warehouse["first"].pk) == {
        computers.pk: (4, 5, 2)
    }
    assert stock[computers.pk].packs(2) == 0  # 4 on the shelves, 5 owed
    assert stock_by_pack_type([PackTypeFactory().pk]) == {}


def test_the_figures_say_per_call_and_pack_type_what_is_confirmed_picked_and_left_to_pick(
    warehouse,
):
    calls = [warehouse["first"], warehouse["second"], warehouse["empty"]]

    (first, first_rows), (second, second_rows), (empty, empty_rows) = to_pick_figures(calls)

    assert (first, second, empty) == tuple(calls)
    computers, tablets = first_rows
    assert computers["pack_type"] == "Pack informatique"
    # Confirmed (3 packs), picked (1), delivered (1): the proposed and cancelled ones are not.
    assert (computers["packs"], computers["devices"]) == (5, 10)
    assert (computers["picked"], computers["to_pick"]) == (7, 3)
    assert computers["packs_to_pick"] == 2  # 3 devices picked make one whole pack of 2
    assert computers["allocations_to_pick"] == 1
    assert (computers["in_stock"], computers["committed"], computers["is_short"]) == (4, 5, True)
    assert (tablets["packs"], tablets["picked"], tablets["to_pick"]) == (2, 0, 2)
    assert (tablets["in_stock"], tablets["is_short"]) == (5, False)
    ((only,),) = (second_rows,)
    assert (only["devices"], only["to_pick"], only["packs_to_pick"]) == (2, 2, 1)
    assert empty_rows == []


def test_the_logistics_figures_page_shows_what_is_left_to_pick_with_a_link_to_the_allocations(
    client, warehouse
):
    client.force_login(member_of(roles.LOGISTICS))
    first = warehouse["first"]

    response = client.get(reverse(FIGURES_URL))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Reste à préparer par appel" in html
    link = (
        reverse("admin:equipements_allocation_changelist")
        + f"?application__call__id__exact={first.pk}&amp;status__exact=confirmed"
    )
    assert link in html
    row = html.split(f'id="to-pick-{first.pk}-{warehouse["computers"].pk}"', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "<strong>3</strong>" in row and "moins que les 5 appareils à préparer" in row
    assert "Aucune attribution confirmée." in html  # the call without allocations
    linked = client.get(link.replace("&amp;", "&"))
    assert [a.pk for a in linked.context["cl"].result_list] == list(
        Allocation.objects.filter(
            application__call=first, status=AllocationStatus.CONFIRMED
        ).values_list("pk", flat=True)
    )


def test_the_to_pick_figures_run_the_same_queries_for_few_and_many_calls(client, warehouse):
    client.force_login(member_of(roles.LOGISTICS))
    url = reverse(FIGURES_URL)
    few = count_queries(client, url)[0]
    for _ in range(4):
        offer = CallOfferFactory(call=CallFactory(offers=0), pack_type=PackTypeFactory())
        allocation(offer, AllocationStatus.CONFIRMED, packs=2, picked=1)
        ItemFactory.create_batch(2, pack_type=offer.pack_type)

    assert count_queries(client, url)[0] == few
    rows, _total = logistics_figures(Call.objects.order_by("pk"))
    assert sum(len(figures["to_pick"]) for _call, figures in rows) == 3 + 4


@pytest.mark.parametrize(
    ("role", "expected"),
    [("logistics", 200), ("manager", 200), ("reviewer", 403), ("centre_staff", 302)],
)
def test_logistics_and_managers_see_the_to_pick_figures_and_centre_staff_are_sent_to_login(
    client, warehouse, role, expected
):
    user = {
        "logistics": lambda: member_of(roles.LOGISTICS),
        "manager": lambda: member_of(roles.PROGRAMME_MANAGERS),
        "reviewer": ReviewerFactory,
        "centre_staff": lambda: MembershipFactory().user,
    }[role]()
    client.force_login(user)

    response = client.get(reverse(FIGURES_URL))

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    assert ("Reste à préparer par appel" in response.content.decode()) == (expected == 200)
