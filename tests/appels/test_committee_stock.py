"""The committee's page beside each offer: the devices that exist, and warnings beyond them."""

import pytest
from django.contrib.messages import WARNING, get_messages
from django.urls import reverse
from django.utils.html import escape

from appels import stock as stock_registry
from appels.models import Application, ApplicationStatus
from centres import roles
from equipements.models import AllocationStatus, ItemStatus
from tests.appels.test_review_admin import (
    as_user,
    committee,
    count_queries,
    member_of,
    populate,
    ranking_url,
    review_call,
)
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    CallFactory,
    CallOfferFactory,
    ItemFactory,
    MembershipFactory,
    PackTypeFactory,
    ReviewerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return member_of(roles.PROGRAMME_MANAGERS)


@pytest.fixture
def call():
    return review_call()


def items(pack_type, count, status=ItemStatus.IN_STOCK):
    return ItemFactory.create_batch(count, pack_type=pack_type, status=status)


def confirmed_elsewhere(pack_type, packs, picked=0):
    """A confirmed allocation of another call for ``packs`` packs, ``picked`` devices picked
    (each picked device is a reserved item)."""
    other = CallFactory(offers=0)
    offer = CallOfferFactory(call=other, pack_type=pack_type)
    allocation = AllocationFactory(
        application__call=other, status=AllocationStatus.CONFIRMED, lines=packs, lines__offer=offer
    )
    line = allocation.lines.get()
    for _ in range(picked):
        AllocatedItemFactory(line=line)
    return allocation


def stock_entry(response, offer):
    return next(entry for entry in response.context["stock"] if entry["offer"] == offer)


def test_the_page_shows_the_devices_in_stock_and_reserved_and_the_packs_they_make(
    client, call, manager
):
    pack_type = PackTypeFactory(units_per_pack=2)
    offer, _rows = committee(call, stock=3)
    offer.pack_type = pack_type
    offer.save()
    items(pack_type, 9)
    items(pack_type, 2, ItemStatus.RESERVED)
    items(pack_type, 1, ItemStatus.SHIPPED)  # gone: neither in stock nor reserved
    items(PackTypeFactory(), 4)  # another pack type
    # Another call still has to pick 3 of its 4 devices: they come out of the stock.
    confirmed_elsewhere(pack_type, packs=2, picked=1)
    # This call's own confirmed allocations do not count against it.
    AllocationFactory(
        application__call=call, status=AllocationStatus.CONFIRMED, lines=1, lines__offer=offer
    )
    as_user(client, manager)

    response = client.get(ranking_url(call))

    entry = stock_entry(response, offer)
    assert (entry["in_stock"], entry["reserved"], entry["committed"]) == (9, 3, 3)
    assert entry["shippable"] == (9 - 3) // 2
    assert response.context["has_stock"] is True
    html = response.content.decode()
    assert "appareils en stock" in html and "packs expédiables" in html
    assert "3 appareils attendus par d’autres appels" in html
    assert not response.context["stock_warnings"]  # 3 packs offered, 3 shippable


def test_the_page_warns_before_deciding_when_the_packs_granted_or_still_grantable_exceed_the_stock(
    client, call, manager
):
    offer, (best, middle, last) = committee(call, stock=5, cap=2)
    items(offer.pack_type, 3)
    as_user(client, manager)

    # Three applications ask for 2 packs each (within the offer of 5): 5 may be granted.
    response = client.get(ranking_url(call))
    (warning,) = response.context["stock_warnings"]
    assert "jusqu’à 5 pack(s) peuvent être accordés" in warning
    assert "n’en permet que 3" in warning
    assert escape(warning) in response.content.decode()
    assert 'class="warning"' in response.content.decode()

    # Two selected with 2 packs each: 4 granted beyond the 3 shippable.
    for application in (best, middle):
        application.lines.update(granted_quantity=2)
    Application.objects.filter(pk__in=[best.pk, middle.pk]).update(
        status=ApplicationStatus.SELECTED
    )
    Application.objects.filter(pk=last.pk).update(status=ApplicationStatus.REJECTED)
    response = client.get(ranking_url(call))
    (warning,) = response.context["stock_warnings"]
    assert "4 pack(s) accordé(s)" in warning and "1 pack(s) ne pourront être expédiés" in warning

    # Enough stock: no warning.
    items(offer.pack_type, 1)
    assert not client.get(ranking_url(call)).context["stock_warnings"]


def test_recording_decisions_beyond_the_stock_succeeds_with_a_warning_message(
    client, call, manager
):
    offer, (best, middle, last) = committee(call, stock=3, cap=2)
    items(offer.pack_type, 2)
    as_user(client, manager)

    within = client.post(
        ranking_url(call),
        {"action": "save", f"a{best.pk}-outcome": "selected", f"a{best.pk}-line{offer.pk}": "2"},
    )
    assert within.status_code == 302
    assert not [m for m in get_messages(within.wsgi_request) if m.level == WARNING]

    beyond = client.post(
        ranking_url(call),
        {
            "action": "save",
            f"a{middle.pk}-outcome": "selected",
            f"a{middle.pk}-line{offer.pk}": "1",
        },
    )

    assert beyond.status_code == 302  # recorded, not refused
    middle.refresh_from_db()
    assert middle.status == ApplicationStatus.SELECTED
    assert middle.lines.get().granted_quantity == 1
    (warning,) = [m for m in get_messages(beyond.wsgi_request) if m.level == WARNING]
    assert "3 pack(s) accordé(s) alors que le stock n’en permet que 2" in str(warning)
    # The offer's quantity stays the hard limit.
    refused = client.post(
        ranking_url(call),
        {"action": "save", f"a{last.pk}-outcome": "selected", f"a{last.pk}-line{offer.pk}": "1"},
    )
    assert refused.status_code == 400
    last.refresh_from_db()
    assert last.status == ApplicationStatus.SUBMITTED


def test_applying_the_proposal_beyond_the_stock_warns_too(client, call, manager):
    offer, _rows = committee(call, stock=3, cap=2)
    items(offer.pack_type, 1)
    as_user(client, manager)

    response = client.post(ranking_url(call), {"action": "propose"})

    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level == WARNING]
    assert warnings == [
        f"« {offer.pack_type.name} » : 3 pack(s) accordé(s) alors que le stock n’en permet "
        "que 1 ; 2 pack(s) ne pourront être expédiés qu’après un nouvel arrivage de matériel."
    ]


def test_without_a_stock_counter_the_page_hides_the_stock_columns(
    client, call, manager, monkeypatch
):
    offer, _rows = committee(call)
    items(offer.pack_type, 5)
    monkeypatch.setattr(stock_registry, "_counters", [])
    as_user(client, manager)

    response = client.get(ranking_url(call))

    assert response.context["has_stock"] is False
    assert "in_stock" not in stock_entry(response, offer)
    assert "appareils en stock" not in response.content.decode()
    assert stock_registry.stock_by_pack_type([offer.pack_type_id]) == {}


def test_the_stock_figures_add_one_query_whatever_the_size(client, manager):
    reviewer = ReviewerFactory()
    small, large = review_call(), review_call()
    populate(small, reviewer, 5)
    populate(large, reviewer, 120)
    for call, devices in ((small, 3), (large, 60)):
        offer = call.offers.get()
        items(offer.pack_type, devices)
        items(offer.pack_type, devices // 3, ItemStatus.RESERVED)
        confirmed_elsewhere(offer.pack_type, packs=devices // 3, picked=1)
    as_user(client, manager)

    small_count = count_queries(client, ranking_url(small))

    assert small_count == count_queries(client, ranking_url(large))
    # session, user, call, 3 for permissions, offers, lines, ranking, page, its lines, stock
    assert small_count == 12
    assert client.get(ranking_url(large)).context["stock"][0]["in_stock"] == 60


@pytest.mark.parametrize("role", ["reviewer", "logistics", "centre_staff"])
def test_only_programme_managers_see_the_committees_stock_figures(client, call, role):
    offer, _rows = committee(call)
    items(offer.pack_type, 5)
    user = {
        "reviewer": ReviewerFactory,
        "logistics": lambda: member_of(roles.LOGISTICS),
        "centre_staff": lambda: MembershipFactory().user,
    }[role]()
    client.force_login(user)

    response = client.get(ranking_url(call))

    if role == "centre_staff":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == 403
    assert "appareils en stock" not in response.content.decode()
