"""Every (source, target) pair of the equipment lifecycles, through the services.

A move succeeds exactly when the lifecycle table allows it; any other move raises a domain
error and leaves the database as it was (the whole service is one transaction).
"""

from datetime import date

import pytest

from equipements import services
from equipements.models import (
    ALLOCATION_LIFECYCLE,
    INVOICE_LIFECYCLE,
    ITEM_LIFECYCLE,
    SHIPMENT_LIFECYCLE,
    TICKET_LIFECYCLE,
    AllocationStatus,
    InvoiceStatus,
    Item,
    ItemStatus,
    Resolution,
    ShipmentStatus,
    TicketStatus,
)
from solidaire.errors import DomainError, TransitionError
from tests.factories import (
    AllocationFactory,
    InvoiceFactory,
    ItemFactory,
    ShipmentFactory,
    SupportTicketFactory,
    picked_allocation,
    put_in_shipment,
)

pytestmark = pytest.mark.django_db


def pairs(choices, targets):
    return [
        pytest.param(source, target, id=f"{source}->{target}")
        for source in choices.values
        for target in targets
    ]


@pytest.mark.parametrize(
    ("lifecycle", "initial"),
    [
        (ALLOCATION_LIFECYCLE, AllocationStatus.PROPOSED),
        (SHIPMENT_LIFECYCLE, ShipmentStatus.PREPARING),
        (INVOICE_LIFECYCLE, InvoiceStatus.ISSUED),
        (TICKET_LIFECYCLE, TicketStatus.OPEN),
    ],
)
def test_nothing_leads_back_to_the_initial_state(lifecycle, initial):
    assert all(initial not in nexts for nexts in lifecycle.values())


def test_final_states_have_no_way_out():
    assert AllocationStatus.DELIVERED not in ALLOCATION_LIFECYCLE
    assert AllocationStatus.CANCELLED not in ALLOCATION_LIFECYCLE
    assert ShipmentStatus.RECEIVED not in SHIPMENT_LIFECYCLE
    assert InvoiceStatus.PAID not in INVOICE_LIFECYCLE
    assert ItemStatus.RECYCLED not in ITEM_LIFECYCLE


# --- Allocation -------------------------------------------------------------------------

ITEMS_PICKED = (AllocationStatus.PICKED, AllocationStatus.SHIPPED, AllocationStatus.DELIVERED)


def allocation_in(status):
    """An allocation of one pack; once picked, its item is attached (erasure recorded)."""
    if status in ITEMS_PICKED:
        return picked_allocation(status=status)
    return AllocationFactory(status=status)


# Each entry arranges what the move needs (stock, a shipment) and returns the service call,
# so that "nothing changed" is measured from the arranged state.


def _confirm(allocation):
    # Back to confirmed from shipped: items missing at reception are to be sent again.
    if allocation.status == AllocationStatus.SHIPPED:
        shipment = _in_shipment(allocation, ShipmentStatus.INCIDENT)
        return lambda _allocation: services.reship_missing(shipment)
    # Back to confirmed from picked: an item put back (wrong box).
    if allocation.status == AllocationStatus.PICKED:
        item = Item.objects.get(allocations__line__allocation=allocation)
        return lambda _allocation: services.unpick_item(_allocation, item)
    return services.confirm_allocation


def _pick(allocation):
    ItemFactory(pack_type=allocation.lines.get().pack_type)
    return services.pick_items


def _in_shipment(allocation, status):
    shipment = ShipmentFactory(site=allocation.application.site, status=status)
    put_in_shipment(allocation, shipment)
    return shipment


def _ship(allocation):
    shipment = _in_shipment(allocation, ShipmentStatus.PREPARING)
    return lambda _allocation: services.ship_shipment(shipment)


def _deliver(allocation):
    # An allocation is delivered when its centre has ticked every serial of the parcel.
    shipment = _in_shipment(allocation, ShipmentStatus.SHIPPED)
    serials = list(
        Item.objects.filter(allocations__line__allocation=allocation).values_list(
            "serial_number", flat=True
        )
    )
    user = allocation.application.centre.memberships.first()
    return lambda _allocation: services.confirm_reception(
        shipment, received_serials=serials, by=user.user if user else None
    )


def _cancel(allocation):
    return services.cancel_allocation


ALLOCATION_SERVICES = {
    AllocationStatus.CONFIRMED: _confirm,
    AllocationStatus.PICKED: _pick,
    AllocationStatus.SHIPPED: _ship,
    AllocationStatus.DELIVERED: _deliver,
    AllocationStatus.CANCELLED: _cancel,
}


@pytest.mark.parametrize(("source", "target"), pairs(AllocationStatus, ALLOCATION_SERVICES))
def test_allocation_moves_follow_the_lifecycle(source, target, check_move):
    allocation = allocation_in(source)
    run = ALLOCATION_SERVICES[target](allocation)
    # pick_items refuses anything but a confirmed allocation with a message of its own, and a
    # reception with nothing to tick is refused as such.
    own_message = (AllocationStatus.PICKED, AllocationStatus.DELIVERED)
    refused = DomainError if target in own_message else TransitionError
    check_move(allocation, target, ALLOCATION_LIFECYCLE, run, refused=refused)


def test_picked_items_follow_their_allocation_through_cancel():
    allocation = picked_allocation(status=AllocationStatus.PICKED, items=2)
    services.cancel_allocation(allocation)
    items = [ai.item for ai in allocation.lines.get().allocated_items.all()]
    assert {i.status for i in items} == {ItemStatus.IN_STOCK}
    assert all(ai.released_at for ai in allocation.lines.get().allocated_items.all())


# --- Shipment ---------------------------------------------------------------------------


def _report(shipment):
    return services.report_incident(shipment, note="Un carton manque.")


SHIPMENT_SERVICES = {
    ShipmentStatus.SHIPPED: services.ship_shipment,
    ShipmentStatus.DELIVERED: services.deliver_shipment,
    ShipmentStatus.INCIDENT: _report,
}


@pytest.mark.parametrize(("source", "target"), pairs(ShipmentStatus, SHIPMENT_SERVICES))
def test_shipment_moves_follow_the_lifecycle(source, target, check_move):
    shipment = ShipmentFactory(status=source)
    check_move(shipment, target, SHIPMENT_LIFECYCLE, SHIPMENT_SERVICES[target])


# --- Invoice ----------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), pairs(InvoiceStatus, [InvoiceStatus.PAID]))
def test_invoice_moves_follow_the_lifecycle(source, target, check_move):
    paid_on = date(2013, 3, 1) if source == InvoiceStatus.PAID else None
    invoice = InvoiceFactory(status=source, paid_on=paid_on)
    check_move(invoice, target, INVOICE_LIFECYCLE, services.mark_invoice_paid)


# --- Item -------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), pairs(ItemStatus, ItemStatus.values))
def test_item_moves_follow_the_lifecycle(source, target, check_move):
    item = ItemFactory(status=source)

    def move(i):
        if target == ItemStatus.RECYCLED:  # the end of life records its destination
            return services.take_back_for_recycling(i, destination="Ecosystem, Lyon")
        return services.set_item_status(i, target)

    check_move(item, target, ITEM_LIFECYCLE, move)


# --- Support ticket ---------------------------------------------------------------------


def _resolve(ticket):
    return services.resolve_ticket(ticket, resolution=Resolution.ADVICE, note="Câble rebranché.")


TICKET_SERVICES = {TicketStatus.IN_PROGRESS: services.start_ticket, TicketStatus.RESOLVED: _resolve}


@pytest.mark.parametrize(("source", "target"), pairs(TicketStatus, TICKET_SERVICES))
def test_ticket_moves_follow_the_lifecycle(source, target, check_move):
    ticket = SupportTicketFactory(status=source)
    check_move(ticket, target, TICKET_LIFECYCLE, TICKET_SERVICES[target])
