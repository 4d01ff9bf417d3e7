"""After-sales: tickets on delivered items, their thread, the replacement's own shipment
and the faulty unit's expected return; each side told by e-mail through the outbox."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from centres import roles
from equipements import services
from equipements.admin import ReplacementForm
from equipements.models import (
    AllocatedItem,
    AllocationStatus,
    Item,
    ItemReturn,
    ItemStatus,
    ReplacementShipment,
    ReplacementStatus,
    Resolution,
    ReturnStatus,
    SupportTicket,
    TicketStatus,
)
from solidaire.documents import DocumentKind
from solidaire.errors import DomainError
from solidaire.models import Document, OutboxEmail
from tests.factories import (
    DataErasureFactory,
    ItemFactory,
    MembershipFactory,
    PackTypeFactory,
    UserFactory,
    picked_allocation,
)
from tests.portal.conftest import JPEG, PDF, PNG, private_dir  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


@pytest.fixture
def logistics_user(db):
    user = UserFactory(is_staff=True, email="logistique@example.org")
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    return user


@pytest.fixture
def delivered_item():
    allocation = picked_allocation(status=AllocationStatus.DELIVERED, items=1)
    item = Item.objects.get(allocations__line__allocation=allocation)
    return item, allocation.application.centre


def emails(prefix):
    return {e.key: e for e in OutboxEmail.objects.filter(key__startswith=prefix)}


# --- opening, starting, resolving -------------------------------------------------------


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
    # The allocation that brought the item: the ticket counts for its call from now on.
    assert ticket.allocation == AllocatedItem.objects.get(item=item).line.allocation


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


def test_a_replacement_is_not_a_resolution_given_by_hand(ticket, db_state):
    """It travels in a shipment: resolving "replacement" directly would teleport an item."""
    error = _refused(db_state, services.resolve_ticket, ticket, resolution=Resolution.REPLACEMENT)
    assert "expédition" in str(error)


def test_a_resolved_ticket_can_be_reopened(ticket):
    services.resolve_ticket(ticket, resolution=Resolution.ADVICE)
    services.start_ticket(ticket)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


# --- e-mails on every status change -----------------------------------------------------


def test_each_status_change_is_told_to_both_sides_once(delivered_item, logistics_user):
    item, centre = delivered_item
    member = MembershipFactory(centre=centre).user
    MembershipFactory(centre=centre, user__is_active=False)  # not told
    ticket = services.open_ticket(item, centre=centre, subject="Écran", description="Noir")
    services.start_ticket(ticket)
    services.resolve_ticket(ticket, resolution=Resolution.ADVICE, note="Câble rebranché.")
    services.start_ticket(ticket)  # reopened: a new event, a new e-mail
    sent = emails(f"ticket-status:{ticket.pk}:")
    assert sorted(sent) == sorted(
        f"ticket-status:{ticket.pk}:{event}:{side}"
        for event in ("open:0", "in_progress:1", "resolved:2", "in_progress:3")
        for side in ("centre", "logistics")
    )
    centre_mail = sent[f"ticket-status:{ticket.pk}:resolved:2:centre"]
    assert centre_mail.recipients == [member.email]
    assert "résolu" in centre_mail.subject and "Câble rebranché." in centre_mail.body
    assert f"/sav/{ticket.pk}/" in centre_mail.body
    logistics_mail = sent[f"ticket-status:{ticket.pk}:open:0:logistics"]
    assert logistics_mail.recipients == [logistics_user.email]
    assert f"/equipements/supportticket/{ticket.pk}/change/" in logistics_mail.body


# --- the thread -------------------------------------------------------------------------


def test_a_centres_message_is_emailed_to_logistics(ticket, logistics_user, private_dir):  # noqa: F811
    member = MembershipFactory(centre=ticket.centre).user
    photo = SimpleUploadedFile("ecran.jpeg", JPEG, content_type="image/jpeg")
    message = services.post_ticket_message(
        ticket, by=member, body=" L’écran clignote. ", upload=photo
    )
    assert (message.from_centre, message.body, message.author) == (
        True,
        "L’écran clignote.",
        member,
    )
    assert (message.attachment_type, message.attachment_name) == ("image/jpeg", "ecran.jpeg")
    # The stored name never comes from the user.
    assert "ecran" not in message.attachment.name and message.attachment.name.endswith(".jpg")
    assert message.attachment.read() == JPEG
    (mail,) = emails(f"ticket-message:{message.pk}").values()
    assert mail.key == f"ticket-message:{message.pk}:logistics"
    assert mail.recipients == [logistics_user.email]
    assert "L’écran clignote." in mail.body and "ecran.jpeg" in mail.body


def test_a_logistics_message_is_emailed_to_the_centre(ticket, logistics_user):
    member = MembershipFactory(centre=ticket.centre).user
    message = services.post_ticket_message(
        ticket, by=logistics_user, body="Essayez un autre câble."
    )
    assert message.from_centre is False
    (mail,) = emails(f"ticket-message:{message.pk}").values()
    assert mail.key == f"ticket-message:{message.pk}:centre"
    assert member.email in mail.recipients and logistics_user.email not in mail.recipients


def test_an_empty_message_is_refused_in_french(ticket, db_state, logistics_user):
    error = _refused(db_state, services.post_ticket_message, ticket, by=logistics_user, body="  ")
    assert "Écrivez votre message" in str(error)


@pytest.mark.parametrize(
    ("name", "content"),
    [("facture.pdf", b"MZ\x90\x00 not a pdf"), ("photo.png", b"<html>hello</html>")],
)
def test_an_attachment_is_checked_by_its_content_not_its_name(
    ticket,
    db_state,
    logistics_user,
    private_dir,  # noqa: F811
    name,
    content,
):
    upload = SimpleUploadedFile(name, content)
    error = _refused(
        db_state,
        services.post_ticket_message,
        ticket,
        by=logistics_user,
        body="Voir",
        upload=upload,
    )
    assert error.code == "bad_type" and "PDF" in str(error)
    assert list(private_dir.rglob("*.*")) == []


@pytest.mark.parametrize("content", [PDF, PNG])
def test_a_pdf_or_a_png_is_accepted(ticket, logistics_user, private_dir, content):  # noqa: F811
    message = services.post_ticket_message(
        ticket, by=logistics_user, body="Notice", upload=SimpleUploadedFile("x", content)
    )
    assert message.attachment_type in ("application/pdf", "image/png")


def test_an_attachment_over_10_mb_is_refused(ticket, db_state, logistics_user, private_dir):  # noqa: F811
    upload = SimpleUploadedFile("grand.pdf", PDF + b"0" * (10 * 1024 * 1024))
    error = _refused(
        db_state, services.post_ticket_message, ticket, by=logistics_user, body="x", upload=upload
    )
    assert error.code == "too_big"


def test_someone_outside_the_centre_cannot_write_on_its_ticket(ticket, db_state, other_staff_user):
    error = _refused(
        db_state, services.post_ticket_message, ticket, by=other_staff_user, body="Coucou"
    )
    assert error.code == "forbidden"


# --- a replacement travels in a shipment ------------------------------------------------


@pytest.fixture
def spare(delivered_item):
    broken, _centre = delivered_item
    spare = ItemFactory(pack_type=broken.pack_type)
    DataErasureFactory(item=spare)
    return spare


def test_deciding_a_replacement_reserves_it_in_a_shipment_and_expects_the_return(
    ticket, spare, delivered_item, logistics_user
):
    broken, centre = delivered_item
    shipment = services.decide_replacement(ticket, replacement=spare)
    spare.refresh_from_db()
    ticket.refresh_from_db()
    broken.refresh_from_db()
    assert shipment.status == ReplacementStatus.RESERVED
    assert shipment.reference == f"REM-{shipment.created_at:%Y}-{shipment.pk:06d}"
    assert shipment.site == ticket.allocation.application.site
    assert spare.status == ItemStatus.RESERVED
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.resolved_at is None
    (item_return,) = ItemReturn.objects.filter(ticket=ticket)
    assert (item_return.item, item_return.status) == (broken, ReturnStatus.EXPECTED)
    # The faulty unit is still the centre's until it comes back.
    assert broken.status == ItemStatus.DELIVERED
    assert list(Item.objects.for_centre(centre)) == [broken]
    assert Document.objects.filter(
        kind=DocumentKind.REPLACEMENT_SHEET, object_id=shipment.pk
    ).exists()
    assert emails(f"replacement-status:{shipment.pk}:reserved")


def test_a_replacement_cannot_skip_its_shipment(
    ticket, spare, delivered_item, staff_user, db_state, logistics_user
):
    """No item is delivered to the centre before its shipment is shipped and confirmed."""
    broken, centre = delivered_item
    MembershipFactory(centre=centre)
    shipment = services.decide_replacement(ticket, replacement=spare)

    error = _refused(db_state, services.confirm_replacement, shipment, by=staff_user)
    assert error.code == "not_shipped"
    assert spare not in Item.objects.for_centre(centre)

    error = _refused(db_state, services.ship_replacement, shipment)
    assert error.code == "carrier"
    services.ship_replacement(shipment, carrier="Colissimo", tracking_number="8R123")
    spare.refresh_from_db()
    assert spare.status == ItemStatus.SHIPPED
    assert spare not in Item.objects.for_centre(centre)
    assert SupportTicket.objects.get(pk=ticket.pk).status == TicketStatus.IN_PROGRESS

    services.confirm_replacement(shipment, by=staff_user)
    shipment.refresh_from_db()
    spare.refresh_from_db()
    ticket.refresh_from_db()
    assert shipment.status == ReplacementStatus.DELIVERED and shipment.confirmed_by == staff_user
    assert spare.status == ItemStatus.DELIVERED
    assert list(Item.objects.for_centre(centre)) == [spare]
    assert (ticket.status, ticket.resolution, ticket.replacement_item) == (
        TicketStatus.RESOLVED,
        Resolution.REPLACEMENT,
        spare,
    )
    old, new = AllocatedItem.objects.filter(line__allocation=ticket.allocation).order_by(
        "picked_at", "pk"
    )
    assert (old.item, new.item) == (broken, spare)
    assert old.released_at is not None and new.released_at is None
    assert old.line_id == new.line_id
    # Every status the replacement took, in order, through the item lifecycle.
    assert [h.status for h in spare.history.order_by("history_date", "history_id")] == [
        ItemStatus.IN_STOCK,
        ItemStatus.RESERVED,
        ItemStatus.SHIPPED,
        ItemStatus.DELIVERED,
    ]
    assert set(emails(f"replacement-status:{shipment.pk}:")) == {
        f"replacement-status:{shipment.pk}:{event}:{side}"
        for event in ("reserved", "shipped", "delivered")
        for side in ("centre", "logistics")
    }


def test_a_refurbished_replacement_needs_its_erasure_before_shipping(
    ticket, delivered_item, db_state
):
    broken, _centre = delivered_item
    spare = ItemFactory(pack_type=broken.pack_type, provenance="refurbished")
    shipment = services.decide_replacement(ticket, replacement=spare)
    error = _refused(db_state, services.ship_replacement, shipment, carrier="Colissimo")
    assert error.code == "erasure_missing"


def test_only_an_item_in_stock_of_the_same_pack_type_replaces(ticket, delivered_item, db_state):
    broken, _centre = delivered_item
    other_pack = ItemFactory(pack_type=PackTypeFactory())
    reserved = ItemFactory(pack_type=broken.pack_type, status=ItemStatus.RESERVED)
    in_repair = ItemFactory(pack_type=broken.pack_type, status=ItemStatus.UNDER_REPAIR)
    good = ItemFactory(pack_type=broken.pack_type)
    # The admin's picker offers only the good one...
    assert list(ReplacementForm(ticket=ticket).fields["replacement"].queryset) == [good]
    form = ReplacementForm({"replacement": other_pack.pk}, ticket=ticket)
    assert not form.is_valid() and "replacement" in form.errors
    # ... and the service refuses the others anyway.
    for wrong, words in ((other_pack, "même type de pack"), (reserved, "en stock")):
        error = _refused(db_state, services.decide_replacement, ticket, replacement=wrong)
        assert words in str(error)
    error = _refused(db_state, services.decide_replacement, ticket, replacement=in_repair)
    assert "en stock" in str(error)


def test_one_replacement_on_its_way_per_ticket(ticket, spare, delivered_item, db_state):
    broken, _centre = delivered_item
    services.decide_replacement(ticket, replacement=spare)
    another = ItemFactory(pack_type=broken.pack_type)
    error = _refused(db_state, services.decide_replacement, ticket, replacement=another)
    assert "déjà en route" in str(error)


def test_a_replacement_not_shipped_can_be_cancelled_back_to_stock(ticket, spare, staff_user):
    shipment = services.decide_replacement(ticket, replacement=spare)
    services.cancel_replacement(shipment)
    spare.refresh_from_db()
    assert spare.status == ItemStatus.IN_STOCK
    assert ReplacementShipment.objects.get().status == ReplacementStatus.CANCELLED


# --- the faulty unit comes back ---------------------------------------------------------


@pytest.fixture
def expected_return(ticket, spare):
    services.decide_replacement(ticket, replacement=spare)
    return ItemReturn.objects.get(ticket=ticket)


def test_the_returned_unit_is_received_then_repaired_back_to_stock(
    expected_return, delivered_item, logistics_user
):
    MembershipFactory(centre=expected_return.ticket.centre)
    broken, centre = delivered_item
    services.receive_return(expected_return, by=logistics_user)
    broken.refresh_from_db()
    assert broken.status == ItemStatus.RETURNED
    assert broken not in Item.objects.for_centre(centre)
    assert emails(f"return-status:{expected_return.pk}:received")
    services.repair_return(expected_return)
    broken.refresh_from_db()
    expected_return.refresh_from_db()
    assert expected_return.status == ReturnStatus.REPAIRED
    assert broken.status == ItemStatus.IN_STOCK
    assert [h.status for h in broken.history.order_by("history_date", "history_id")][-3:] == [
        ItemStatus.RETURNED,
        ItemStatus.UNDER_REPAIR,
        ItemStatus.IN_STOCK,
    ]


def test_the_returned_unit_may_be_recycled_with_its_destination(
    expected_return, delivered_item, db_state
):
    broken, _centre = delivered_item
    services.receive_return(expected_return)
    error = _refused(db_state, services.recycle_return, expected_return, destination=" ")
    assert "filière" in str(error)
    services.recycle_return(expected_return, destination="Envie, Angers")
    broken.refresh_from_db()
    assert broken.status == ItemStatus.RECYCLED
    assert broken.end_of_life_destination == "Envie, Angers"
    assert ItemReturn.objects.get().status == ReturnStatus.RECYCLED


def test_a_return_not_received_is_neither_repaired_nor_recycled(expected_return, db_state):
    _refused(db_state, services.repair_return, expected_return)
    _refused(db_state, services.recycle_return, expected_return, destination="Envie")


def test_the_unit_back_before_the_replacement_arrives_still_swaps_once(
    ticket, spare, delivered_item, staff_user
):
    broken, centre = delivered_item
    shipment = services.decide_replacement(ticket, replacement=spare)
    services.receive_return(ItemReturn.objects.get(ticket=ticket))
    assert list(Item.objects.for_centre(centre)) == []
    services.ship_replacement(shipment, carrier="Colissimo")
    services.confirm_replacement(shipment, by=staff_user)
    assert list(Item.objects.for_centre(centre)) == [spare]
    assert AllocatedItem.objects.filter(line__allocation=ticket.allocation).count() == 2


def test_the_replacement_sheet_is_a_pdf_with_both_serials(ticket, spare, delivered_item):
    from solidaire.documents import generate_document  # noqa: PLC0415
    from solidaire.models import DocumentStatus  # noqa: PLC0415
    from tests.documents.conftest import pdf_text, save_pictures  # noqa: PLC0415

    broken, _centre = delivered_item
    shipment = services.decide_replacement(ticket, replacement=spare)
    services.ship_replacement(shipment, carrier="Colissimo", tracking_number="8R42")
    document = Document.objects.get(kind=DocumentKind.REPLACEMENT_SHEET, object_id=shipment.pk)
    document = generate_document(document.pk)
    assert document.status == DocumentStatus.READY, document.error
    data = document.file.read()
    text = pdf_text(data)
    assert "Bordereau de remplacement" in text
    assert shipment.reference in text and "Colissimo" in text and "8R42" in text
    assert spare.serial_number in text and broken.serial_number in text
    save_pictures(data, "replacement-sheet")
