"""From a selected application to delivered items: allocation, picking, shipping, reception."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from appels import services as appels_services
from appels.models import ApplicationStatus, CallOffer, CallStatus, PackType
from equipements import services
from equipements.models import (
    AllocatedItem,
    AllocationStatus,
    Invoice,
    Item,
    ItemStatus,
    Provenance,
    Shipment,
    ShipmentStatus,
)
from solidaire.errors import DomainError
from tests.factories import (
    AllocationFactory,
    ApplicationFactory,
    CallFactory,
    ItemFactory,
    PackTypeFactory,
    ShipmentFactory,
    SiteFactory,
    picked_allocation,
    put_in_shipment,
)

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


# --- allocation -------------------------------------------------------------------------


@pytest.fixture
def selected(manager):
    """A selected application granted 2 packs at 90 € (decided through the service)."""
    call = CallFactory(status=CallStatus.REVIEW)
    application = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, lines=2)
    return appels_services.decide(application, ApplicationStatus.SELECTED, by=manager)


def test_a_selected_application_gets_an_allocation_with_snapshotted_prices(selected):
    offer = selected.call.offers.get()
    allocation = services.propose_allocation(selected)
    line = allocation.lines.get()
    assert allocation.status == AllocationStatus.PROPOSED
    assert (line.quantity, line.unit_price) == (2, Decimal("90.00"))
    assert line.units_per_pack == offer.pack_type.units_per_pack
    assert line.market_unit_value == offer.pack_type.market_value
    assert line.total_price == Decimal("180.00")
    # Later price changes never reach the allocation.
    CallOffer.objects.filter(pk=offer.pk).update(solidarity_price=Decimal("150.00"))
    PackType.objects.filter(pk=offer.pack_type_id).update(market_value=Decimal("1.00"))
    line.refresh_from_db()
    assert (line.unit_price, line.market_unit_value) == (Decimal("90.00"), Decimal("450.00"))


def test_proposing_twice_gives_one_allocation(selected):
    first = services.propose_allocation(selected)
    second = services.propose_allocation(selected)
    assert first.pk == second.pk
    assert first.lines.count() == 1


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.SUBMITTED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED],
)
def test_only_a_selected_application_gets_an_allocation(status, db_state):
    application = ApplicationFactory(status=status)
    error = _refused(db_state, services.propose_allocation, application)
    assert "retenue" in str(error)


def test_confirming_issues_the_invoice_when_the_call_invoices_up_front(selected):
    type(selected.call).objects.filter(pk=selected.call_id).update(invoice_on_delivery=False)
    allocation = services.confirm_allocation(services.propose_allocation(selected))
    assert allocation.confirmed_at is not None
    invoice = Invoice.objects.get(allocation=allocation)
    assert invoice.total_incl_tax == Decimal("180.00")


def test_confirming_issues_no_invoice_when_the_call_invoices_on_delivery(selected):
    services.confirm_allocation(services.propose_allocation(selected))
    assert not Invoice.objects.exists()


# --- picking ----------------------------------------------------------------------------


def test_picking_takes_the_oldest_items_in_stock_of_the_pack_type():
    allocation = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=2)
    pack_type = allocation.lines.get().pack_type
    today = timezone.localdate()
    newest = ItemFactory(pack_type=pack_type, received_on=today)
    oldest = ItemFactory(pack_type=pack_type, received_on=today - timedelta(days=300))
    middle = ItemFactory(pack_type=pack_type, received_on=today - timedelta(days=30))
    ItemFactory(received_on=today - timedelta(days=999))  # another pack type
    ItemFactory(
        pack_type=pack_type, status=ItemStatus.UNDER_REPAIR, received_on=today - timedelta(days=999)
    )

    services.pick_items(allocation)

    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PICKED
    picked = set(Item.objects.filter(allocations__line__allocation=allocation))
    assert picked == {oldest, middle}
    assert {i.status for i in picked} == {ItemStatus.RESERVED}
    newest.refresh_from_db()
    assert newest.status == ItemStatus.IN_STOCK


def test_a_pack_of_six_tablets_needs_six_items():
    fleet = PackTypeFactory(kind=PackType.Kind.TABLET, units_per_pack=6, name="Flotte de 6")
    allocation = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=0)
    from tests.factories import AllocationLineFactory, CallOfferFactory  # noqa: PLC0415

    offer = CallOfferFactory(call=allocation.application.call, pack_type=fleet)
    AllocationLineFactory(allocation=allocation, offer=offer, quantity=1)
    ItemFactory.create_batch(7, pack_type=fleet)
    services.pick_items(allocation)
    assert AllocatedItem.objects.filter(line__allocation=allocation).count() == 6


def test_picking_with_a_scanner_takes_exactly_the_scanned_serials():
    allocation = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=1)
    pack_type = allocation.lines.get().pack_type
    ItemFactory(pack_type=pack_type, received_on=timezone.localdate() - timedelta(days=900))
    scanned = ItemFactory(pack_type=pack_type, serial_number="SCAN-0001")
    services.pick_items(allocation, serials=["SCAN-0001"])
    assert list(Item.objects.filter(allocations__line__allocation=allocation)) == [scanned]


def test_picking_without_enough_stock_takes_nothing(db_state):
    allocation = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=2)
    pack_type = allocation.lines.get().pack_type
    ItemFactory(pack_type=pack_type)
    error = _refused(db_state, services.pick_items, allocation)
    assert error.code == "out_of_stock"
    assert "Stock insuffisant" in str(error)
    assert "2 appareils nécessaires, 1 disponibles" in str(error)


def test_reserved_items_are_not_picked_twice(db_state):
    first = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=1)
    pack_type = first.lines.get().pack_type
    ItemFactory(pack_type=pack_type)
    services.pick_items(first)
    second = AllocationFactory(
        status=AllocationStatus.CONFIRMED, lines=1, lines__offer=first.lines.get().offer
    )
    assert second.lines.get().pack_type == pack_type
    _refused(db_state, services.pick_items, second)


def test_a_cancelled_allocation_gives_its_items_back_to_the_next_one():
    first = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=1)
    line = first.lines.get()
    item = ItemFactory(pack_type=line.pack_type)
    services.pick_items(first)
    services.cancel_allocation(first)
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_STOCK
    second = AllocationFactory(status=AllocationStatus.CONFIRMED, lines=1, lines__offer=line.offer)
    services.pick_items(second)
    history = AllocatedItem.objects.filter(item=item).order_by("picked_at", "pk")
    assert [a.line.allocation_id for a in history] == [first.pk, second.pk]
    assert history[0].released_at is not None and history[1].released_at is None


def test_picking_again_after_going_back_to_confirmed_adds_nothing():
    allocation = picked_allocation(status=AllocationStatus.CONFIRMED, items=1)
    services.pick_items(allocation)
    assert AllocatedItem.objects.filter(line__allocation=allocation).count() == 1


# --- shipments --------------------------------------------------------------------------


def test_allocations_for_one_site_travel_together():
    site = SiteFactory()
    first = picked_allocation(application__centre=site.centre, application__site=site)
    second = picked_allocation(
        application__centre=site.centre,
        application__site=site,
        application__call=CallFactory(),
    )
    now = timezone.now()
    shipment = services.create_shipment([first, second], parcels=3, carrier="Colissimo", now=now)
    assert shipment.site == site
    assert shipment.reference == f"EXP-{now:%Y}-{shipment.pk:06d}"
    assert set(shipment.allocations.all()) == {first, second}


def test_a_shipment_goes_to_a_single_site(db_state):
    first, second = picked_allocation(), picked_allocation()
    error = _refused(db_state, services.create_shipment, [first, second])
    assert "un seul site" in str(error)


def test_an_empty_shipment_is_refused(db_state):
    error = _refused(db_state, services.create_shipment, [])
    assert "au moins une attribution" in str(error)


@pytest.mark.parametrize("status", [AllocationStatus.CONFIRMED, AllocationStatus.SHIPPED])
def test_only_picked_allocations_are_shipped(status, db_state):
    allocation = AllocationFactory(status=status)
    error = _refused(db_state, services.create_shipment, [allocation])
    assert "n’est pas prête à expédier" in str(error)


def test_an_allocation_travels_in_one_shipment_only(db_state):
    allocation = picked_allocation()
    services.create_shipment([allocation])
    error = _refused(db_state, services.create_shipment, [allocation])
    assert "pas prête" in str(error)


@pytest.fixture
def ready_shipment():
    allocation = picked_allocation(items=2)
    return services.create_shipment([allocation], carrier=""), allocation


def test_shipping_needs_a_carrier(ready_shipment, db_state):
    shipment, _allocation = ready_shipment
    error = _refused(db_state, services.ship_shipment, shipment)
    assert error.code == "carrier"
    assert "transporteur" in str(error)


def test_refurbished_items_need_a_data_erasure_record_before_shipping(db_state):
    allocation = picked_allocation(items=2, erased=False)
    shipment = services.create_shipment([allocation], carrier="Colissimo")
    error = _refused(db_state, services.ship_shipment, shipment)
    assert error.code == "erasure_missing"
    serials = sorted(
        Item.objects.filter(allocations__line__allocation=allocation).values_list(
            "serial_number", flat=True
        )
    )
    assert f"Effacement des données non enregistré pour : {', '.join(serials)}." in str(error)


def test_donated_new_items_ship_without_an_erasure_record():
    allocation = picked_allocation(items=1, erased=False)
    Item.objects.filter(allocations__line__allocation=allocation).update(
        provenance=Provenance.DONATED, grade="new"
    )
    shipment = services.create_shipment([allocation], carrier="Colissimo")
    services.ship_shipment(shipment)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED


def test_shipping_moves_the_allocations_and_their_items(ready_shipment):
    shipment, allocation = ready_shipment
    now = timezone.now()
    services.ship_shipment(shipment, carrier="DB Schenker", tracking_number="TRK42", now=now)
    shipment.refresh_from_db()
    allocation.refresh_from_db()
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == (
        ShipmentStatus.SHIPPED,
        "DB Schenker",
        "TRK42",
    )
    assert shipment.shipped_at == now
    assert allocation.status == AllocationStatus.SHIPPED
    assert set(
        Item.objects.for_centre(allocation.application.centre).values_list("status", flat=True)
    ) == {ItemStatus.SHIPPED}


def test_the_carriers_delivery_receives_nothing_and_invoices_nothing(ready_shipment, staff_user):
    shipment, allocation = ready_shipment
    services.ship_shipment(shipment, carrier="Colissimo")
    services.deliver_shipment(shipment, by=staff_user)
    shipment.refresh_from_db()
    allocation.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.delivered_at
    assert shipment.received_at is None and shipment.confirmed_by is None
    assert allocation.status == AllocationStatus.SHIPPED
    items = Item.objects.filter(allocations__line__allocation=allocation)
    assert {i.status for i in items} == {ItemStatus.SHIPPED}
    assert not Invoice.objects.filter(allocation=allocation).exists()


def _receive_all(shipment, allocation, by):
    serials = Item.objects.filter(allocations__line__allocation=allocation).values_list(
        "serial_number", flat=True
    )
    return services.confirm_reception(shipment, received_serials=list(serials), by=by)


def test_the_centres_reception_delivers_everything_and_invoices_once(ready_shipment, staff_user):
    shipment, allocation = ready_shipment
    services.ship_shipment(shipment, carrier="Colissimo")
    services.deliver_shipment(shipment)
    _receive_all(shipment, allocation, staff_user)
    shipment.refresh_from_db()
    allocation.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED
    assert shipment.confirmed_by == staff_user
    assert allocation.status == AllocationStatus.DELIVERED
    assert allocation.delivered_at == shipment.received_at
    items = Item.objects.filter(allocations__line__allocation=allocation)
    assert {i.status for i in items} == {ItemStatus.DELIVERED}
    assert Invoice.objects.filter(allocation=allocation).count() == 1


def test_reception_is_refused_as_a_whole_when_the_call_has_no_operator(db_state, staff_user):
    allocation = picked_allocation(status=AllocationStatus.SHIPPED)
    allocation.application.call.call_partners.all().delete()
    shipment = ShipmentFactory(site=allocation.application.site, status=ShipmentStatus.SHIPPED)
    put_in_shipment(allocation, shipment)
    serial = Item.objects.get(allocations__line__allocation=allocation).serial_number
    error = _refused(
        db_state,
        services.confirm_reception,
        shipment,
        received_serials=[serial],
        by=staff_user,
    )
    assert "opérateur" in str(error)


def test_a_complete_reception_closes_the_shipment(ready_shipment, staff_user):
    shipment, allocation = ready_shipment
    services.ship_shipment(shipment, carrier="Colissimo")
    serials = list(
        Item.objects.filter(allocations__line__allocation=allocation).values_list(
            "serial_number", flat=True
        )
    )
    services.confirm_reception(shipment, received_serials=[*serials, "INCONNU"], by=staff_user)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED


def test_a_missing_item_records_an_incident_naming_it(ready_shipment, staff_user):
    shipment, allocation = ready_shipment
    services.ship_shipment(shipment, carrier="Colissimo")
    first, missing = Item.objects.filter(allocations__line__allocation=allocation).order_by(
        "serial_number"
    )
    services.confirm_reception(
        shipment, received_serials=[first.serial_number], note="Carton ouvert", by=staff_user
    )
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.INCIDENT
    assert shipment.incident_note == f"Non reçus : {missing.serial_number}.\nCarton ouvert"
    assert shipment.missing_serials == [missing.serial_number]
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.SHIPPED
    first.refresh_from_db()
    missing.refresh_from_db()
    assert (first.status, missing.status) == (ItemStatus.DELIVERED, ItemStatus.SHIPPED)
    assert not Invoice.objects.filter(allocation=allocation).exists()


def test_a_note_alone_records_an_incident(ready_shipment, staff_user):
    shipment, allocation = ready_shipment
    services.ship_shipment(shipment, carrier="Colissimo")
    serials = Item.objects.filter(allocations__line__allocation=allocation).values_list(
        "serial_number", flat=True
    )
    services.confirm_reception(
        shipment, received_serials=list(serials), note="Écran rayé", by=staff_user
    )
    shipment.refresh_from_db()
    assert (shipment.status, shipment.incident_note) == (ShipmentStatus.INCIDENT, "Écran rayé")


def test_an_incident_needs_a_description(db_state):
    shipment = ShipmentFactory(status=ShipmentStatus.SHIPPED)
    error = _refused(db_state, services.report_incident, shipment, note="  ")
    assert error.code == "note_required"


def test_shipments_are_scoped_to_their_centre(staff_user, centre, other_centre):
    own = ShipmentFactory(site=SiteFactory(centre=centre))
    ShipmentFactory(site=SiteFactory(centre=other_centre))
    assert list(Shipment.objects.visible_to(staff_user)) == [own]
    assert list(Shipment.objects.for_centre(centre)) == [own]
