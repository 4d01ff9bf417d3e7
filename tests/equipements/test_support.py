"""After-sales tickets on delivered items, and item replacement."""

import pytest

from equipements import services
from equipements.models import (
    AllocatedItem,
    AllocationStatus,
    Item,
    ItemStatus,
    Resolution,
    SupportTicket,
    TicketStatus,
)
from solidaire.errors import DomainError
from tests.factories import ItemFactory, picked_allocation

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


@pytest.fixture
def delivered_item():
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    item = Item.objects.get(allocations__line__allocation=allocation)
    return item, allocation.application.centre


def test_a_centre_opens_a_ticket_on_an_item_delivered_to_it(delivered_item, staff_user):
    item, centre = delivered_item
    ticket = services.open_ticket(
        item, centre=centre, subject=" Écran noir ", description="Plus d’image.", by=staff_user
    )
    assert (ticket.status, ticket.subject, ticket.opened_by) == (
        TicketStatus.OPEN,
        "Écran noir",
        staff_user,
    )
    assert list(SupportTicket.objects.for_centre(centre)) == [ticket]


def test_a_ticket_on_another_centres_item_is_refused(delivered_item, other_centre, db_state):
    item, _centre = delivered_item
    error = _refused(
        db_state,
        services.open_ticket,
        item,
        centre=other_centre,
        subject="Écran",
        description="Noir",
    )
    assert "n’a pas été livré à votre centre" in str(error)


def test_a_ticket_on_an_item_not_delivered_is_refused(db_state):
    allocation = picked_allocation(status=AllocationStatus.SHIPPED, items=1)
    item = Item.objects.get(allocations__line__allocation=allocation)
    error = _refused(
        db_state,
        services.open_ticket,
        item,
        centre=allocation.application.centre,
        subject="Écran",
        description="Noir",
    )
    assert "livré" in str(error)


def test_a_ticket_needs_a_subject_and_a_description(delivered_item, db_state):
    item, centre = delivered_item
    error = _refused(
        db_state, services.open_ticket, item, centre=centre, subject="Écran", description=" "
    )
    assert "description" in str(error)


@pytest.fixture
def ticket(delivered_item):
    item, centre = delivered_item
    return services.open_ticket(item, centre=centre, subject="Écran", description="Noir")


def test_resolving_records_how_and_when(ticket):
    services.start_ticket(ticket)
    services.resolve_ticket(ticket, resolution=Resolution.REPAIR, note="Alimentation changée")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.resolution == Resolution.REPAIR
    assert ticket.resolution_note == "Alimentation changée"
    assert ticket.resolution_time is not None and ticket.resolution_time.total_seconds() >= 0


def test_a_resolution_must_be_chosen(ticket, db_state):
    error = _refused(db_state, services.resolve_ticket, ticket, resolution="magie")
    assert "résolution" in str(error)


def test_a_replacement_swaps_the_items_and_keeps_both_histories(ticket, delivered_item):
    broken, centre = delivered_item
    spare = ItemFactory(pack_type=broken.pack_type)
    services.resolve_ticket(ticket, resolution=Resolution.REPLACEMENT, replacement=spare)
    broken.refresh_from_db()
    spare.refresh_from_db()
    ticket.refresh_from_db()
    assert broken.status == ItemStatus.RETURNED
    assert spare.status == ItemStatus.DELIVERED
    assert ticket.replacement_item == spare
    assert list(Item.objects.for_centre(centre)) == [spare]
    old, new = AllocatedItem.objects.filter(line__allocation__application__centre=centre).order_by(
        "picked_at", "pk"
    )
    assert (old.item, new.item) == (broken, spare)
    assert old.released_at is not None and new.released_at is None
    assert old.line_id == new.line_id


def test_a_replacement_is_required_for_a_replacement(ticket, db_state):
    error = _refused(db_state, services.resolve_ticket, ticket, resolution=Resolution.REPLACEMENT)
    assert "remplacement" in str(error)


@pytest.mark.parametrize("status", [ItemStatus.RESERVED, ItemStatus.UNDER_REPAIR])
def test_the_replacement_must_be_in_stock(ticket, delivered_item, db_state, status):
    broken, _centre = delivered_item
    spare = ItemFactory(pack_type=broken.pack_type, status=status)
    error = _refused(
        db_state,
        services.resolve_ticket,
        ticket,
        resolution=Resolution.REPLACEMENT,
        replacement=spare,
    )
    assert "en stock" in str(error)


def test_a_resolved_ticket_can_be_reopened(ticket):
    services.resolve_ticket(ticket, resolution=Resolution.ADVICE)
    services.start_ticket(ticket)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
