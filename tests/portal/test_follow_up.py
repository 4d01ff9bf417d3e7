"""After selection: sign the agreement, confirm reception, answer the survey, open tickets.

The selected application goes through the real services: decision, agreement, allocation,
picking, shipment.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from appels import services as appels_services
from appels.models import Agreement, AgreementStatus, ApplicationStatus, CallStatus, SurveyAnswer
from equipements import services
from equipements.models import (
    AllocationStatus,
    InvoiceKind,
    Item,
    ItemStatus,
    Shipment,
    ShipmentStatus,
    SupportTicket,
)
from solidaire.documents import Document, DocumentKind
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    DataErasureFactory,
    ItemFactory,
    picked_allocation,
    ready_agreement_pdf,
)

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def selected(centre, manager):
    """A selected application of centre A (2 packs), its agreement issued."""
    now = timezone.now()
    call = CallFactory(
        status=CallStatus.REVIEW,
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=20),
    )
    application = ApplicationFactory(
        call=call, centre=centre, status=ApplicationStatus.SUBMITTED, lines=2
    )
    appels_services.decide(application, ApplicationStatus.SELECTED, by=manager)
    ready_agreement_pdf(appels_services.issue_agreement(application))
    application.refresh_from_db()
    return application


def checksum(application):
    """The SHA-256 of the application's agreement PDF, as the signing page posts it."""
    return Document.objects.get(
        object_id=application.agreement.pk, kind=DocumentKind.AGREEMENT
    ).sha256


@pytest.fixture
def shipment(selected):
    """The application's two items, picked and shipped to its site."""
    pack_type = selected.call.offers.get().pack_type
    for _ in range(2):
        DataErasureFactory(item=ItemFactory(pack_type=pack_type))
    allocation = services.propose_allocation(selected)
    services.confirm_allocation(allocation)
    services.pick_items(allocation)
    shipment = services.create_shipment([allocation], carrier="Colissimo")
    return services.ship_shipment(shipment, tracking_number="6A123")


def serials(shipment):
    return sorted(
        Item.objects.filter(allocations__line__allocation__shipment=shipment).values_list(
            "serial_number", flat=True
        )
    )


def follow_up(application):
    return reverse("equipements:follow_up", args=[application.pk])


def confirm(client, shipment, received, note=""):
    return client.post(
        reverse("equipements:confirm_reception", args=[shipment.pk]),
        {"received": received, "note": note},
    )


# --- agreement --------------------------------------------------------------------------


def test_the_agreement_is_read_and_signed_with_name_role_and_checkbox(
    referent_client, selected, staff_user
):
    url = reverse("appels:agreement", args=[selected.pk])
    page = referent_client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["signer_name"].value() == staff_user.get_full_name()
    assert "Signer la convention" in page.content.decode()

    before = timezone.now()
    assert checksum(selected) in page.content.decode()
    response = referent_client.post(
        url,
        {
            "signer_name": "Claude Bernard",
            "signer_role": "Présidente",
            "accept": "on",
            "document_sha256": page.context["form"]["document_sha256"].value(),
        },
        REMOTE_ADDR="198.51.100.23",
    )

    assert response.url == url
    assert "Convention signée. Merci !" in messages_of(response)
    agreement = Agreement.objects.get(application=selected)
    assert agreement.status == AgreementStatus.SIGNED
    assert (agreement.signer_name, agreement.signer_role) == ("Claude Bernard", "Présidente")
    assert agreement.signed_by == staff_user
    assert before <= agreement.signed_at <= timezone.now()
    assert agreement.signed_from_ip == "198.51.100.23"
    assert agreement.signed_document_sha256 == checksum(selected)
    html = referent_client.get(url).content.decode()
    assert "signée par Claude Bernard (Présidente)" in html
    assert 'name="accept"' not in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"signer_name": "Claude Bernard", "signer_role": "Présidente"}, "accept",
         "Cochez cette case pour signer la convention."),
        ({"signer_role": "Présidente", "accept": "on"}, "signer_name",
         "Ce champ est obligatoire."),
        ({"signer_name": "Claude Bernard", "accept": "on"}, "signer_role",
         "Ce champ est obligatoire."),
    ],
    ids=["no_checkbox", "no_name", "no_role"],
)  # fmt: skip
def test_signing_needs_name_role_and_checkbox(
    referent_client, selected, db_state, data, field, message
):
    before = db_state()
    data = {**data, "document_sha256": checksum(selected)}
    response = referent_client.post(reverse("appels:agreement", args=[selected.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert db_state() == before


def test_signing_twice_is_refused_and_keeps_the_first_signature(referent_client, selected):
    url = reverse("appels:agreement", args=[selected.pk])
    signed = {"accept": "on", "document_sha256": checksum(selected)}
    referent_client.post(url, {"signer_name": "A", "signer_role": "Directrice", **signed})
    first = Agreement.objects.get(application=selected)

    response = referent_client.post(url, {"signer_name": "B", "signer_role": "Trésorier", **signed})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    again = Agreement.objects.get(application=selected)
    assert (again.signer_name, again.signed_at) == ("A", first.signed_at)


def test_an_application_without_agreement_has_no_agreement_page(referent_client, centre):
    application = ApplicationFactory(centre=centre, status=ApplicationStatus.SELECTED)
    response = referent_client.get(reverse("appels:agreement", args=[application.pk]))
    assert response.status_code == 404


# --- reception --------------------------------------------------------------------------


def test_the_follow_up_page_lists_the_serials_to_tick(referent_client, selected, shipment):
    page = referent_client.get(follow_up(selected))
    assert page.status_code == 200
    form = page.context["reception_form"]
    assert sorted(value for value, _label in form.fields["received"].choices) == serials(shipment)
    # Nothing is ticked in advance: each tick is the centre's own check.
    assert not form.fields["received"].initial
    html = page.content.decode()
    assert "checked" not in html.split('name="received"', 1)[1].split("</form>", 1)[0]
    assert shipment.reference in html
    for serial in serials(shipment):
        assert serial in html


def test_receiving_every_serial_delivers_and_issues_the_invoice(
    referent_client, selected, shipment, staff_user
):
    assert selected.call.invoice_on_delivery is True
    response = confirm(referent_client, shipment, serials(shipment))

    assert response.url == follow_up(selected)
    assert "Réception confirmée. Merci !" in messages_of(response)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED
    assert shipment.confirmed_by == staff_user
    allocation = selected.allocation
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.DELIVERED
    assert set(Item.objects.for_centre(selected.centre).values_list("status", flat=True)) == {
        ItemStatus.DELIVERED
    }
    [invoice] = allocation.invoices.all()
    assert invoice.kind == InvoiceKind.INVOICE
    assert invoice.total_incl_tax == 2 * selected.lines.get().granted_unit_price
    assert invoice.buyer_name == selected.centre.name

    page = referent_client.get(follow_up(selected)).content.decode()
    assert invoice.number in page
    assert reverse("equipements:invoice_detail", args=[invoice.pk]) in page
    detail = referent_client.get(reverse("equipements:invoice_detail", args=[invoice.pk]))
    assert detail.status_code == 200


def test_a_missing_serial_records_an_incident_listing_it(referent_client, selected, shipment):
    received, missing = serials(shipment)
    response = confirm(referent_client, shipment, [received], note="Carton ouvert")

    assert response.url == follow_up(selected)
    assert any("signalé à la logistique" in m for m in messages_of(response))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.INCIDENT
    assert missing in shipment.incident_note
    assert received not in shipment.incident_note
    assert "Carton ouvert" in shipment.incident_note
    assert not selected.allocation.invoices.exists()
    page = referent_client.get(follow_up(selected)).content.decode()
    assert missing in page


def test_a_serial_not_in_the_shipment_is_refused(referent_client, selected, shipment, db_state):
    before = db_state()
    response = confirm(referent_client, shipment, [*serials(shipment), "SN-INCONNU"])
    assert response.status_code == 400
    assert "SN-INCONNU" in response.content.decode()  # named next to the field
    assert db_state() == before


def test_a_reception_with_nothing_ticked_and_no_note_is_refused(
    referent_client, selected, shipment, db_state
):
    before = db_state()
    response = confirm(referent_client, shipment, [])
    assert response.status_code == 400
    assert "Cochez chaque matériel reçu" in response.content.decode()
    assert response.context["reception_form"].errors["received"]
    assert db_state() == before


# --- survey -----------------------------------------------------------------------------

SURVEY = {
    "satisfaction": "4",
    "equipment_quality": "3",
    "ease_of_installation": "4",
    "after_sales_responsiveness": "",
    "opened_mediation_space": "on",
    "testimonial": "Les habitants viennent aux ateliers.",
}


def test_the_survey_opens_after_delivery_only(referent_client, selected, shipment, db_state):
    url = reverse("equipements:survey", args=[selected.pk])
    before = db_state()
    assert referent_client.get(url).status_code == 404
    assert referent_client.post(url, SURVEY).status_code == 404
    assert db_state() == before

    confirm(referent_client, shipment, serials(shipment))
    assert referent_client.get(url).status_code == 200


def test_the_survey_is_answered_once(referent_client, selected, shipment, staff_user, db_state):
    confirm(referent_client, shipment, serials(shipment))
    url = reverse("equipements:survey", args=[selected.pk])

    response = referent_client.post(url, SURVEY)

    assert response.url == follow_up(selected)
    answer = SurveyAnswer.objects.get(application=selected)
    assert (answer.satisfaction, answer.after_sales_responsiveness) == (4, None)
    assert answer.opened_mediation_space is True
    assert answer.answered_by == staff_user

    before = db_state()
    again = referent_client.post(url, {**SURVEY, "satisfaction": "1"})
    assert again.status_code == 400
    assert "Vous avez déjà répondu" in again.content.decode()
    assert db_state() == before
    revisit = referent_client.get(url)
    assert revisit.url == follow_up(selected)


def test_a_survey_rating_out_of_scale_is_refused(referent_client, selected, shipment, db_state):
    confirm(referent_client, shipment, serials(shipment))
    before = db_state()
    response = referent_client.post(
        reverse("equipements:survey", args=[selected.pk]), {**SURVEY, "satisfaction": "9"}
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in str(response.context["form"].errors["satisfaction"])
    assert db_state() == before


# --- after-sales ------------------------------------------------------------------------


def test_a_ticket_is_opened_on_an_item_delivered_to_the_centre(
    referent_client, selected, shipment, staff_user
):
    confirm(referent_client, shipment, serials(shipment))
    item = Item.objects.get(serial_number=serials(shipment)[0])
    form_page = referent_client.get(reverse("equipements:ticket_create"), {"item": item.pk})
    assert form_page.context["form"]["item"].value() == str(item.pk)

    response = referent_client.post(
        reverse("equipements:ticket_create"),
        {"item": item.pk, "subject": "Écran noir", "description": "Ne démarre plus."},
    )

    ticket = SupportTicket.objects.get()
    assert response.url == reverse("equipements:ticket_detail", args=[ticket.pk])
    assert (ticket.centre, ticket.item, ticket.opened_by) == (selected.centre, item, staff_user)
    listing = referent_client.get(reverse("equipements:ticket_list")).content.decode()
    assert "Écran noir" in listing
    assert "Écran noir" in referent_client.get(follow_up(selected)).content.decode()


def test_a_ticket_on_another_centres_item_is_refused(
    referent_client, other_centre, selected, shipment, db_state
):
    confirm(referent_client, shipment, serials(shipment))
    theirs = (
        picked_allocation(status=AllocationStatus.DELIVERED, application__centre=other_centre)
        .lines.get()
        .allocated_items.get()
        .item
    )
    before = db_state()

    response = referent_client.post(
        reverse("equipements:ticket_create"),
        {"item": theirs.pk, "subject": "Écran noir", "description": "Ne démarre plus."},
    )

    assert response.status_code == 400
    assert "item" in response.context["form"].errors
    assert theirs.serial_number not in response.content.decode()
    assert db_state() == before


def test_no_ticket_before_delivery(referent_client, selected, shipment, db_state):
    item = Item.objects.get(serial_number=serials(shipment)[0])
    before = db_state()
    response = referent_client.post(
        reverse("equipements:ticket_create"),
        {"item": item.pk, "subject": "Écran noir", "description": "Ne démarre plus."},
    )
    assert response.status_code == 400
    assert db_state() == before
    assert Shipment.objects.get().status == ShipmentStatus.SHIPPED


def test_after_a_reshipment_the_page_keeps_the_first_parcel_and_every_device_received(
    referent_client, selected, shipment, staff_user
):
    first, missing = serials(shipment)
    confirm(referent_client, shipment, [first])
    services.reship_missing(shipment)
    allocation = selected.allocation
    spare = ItemFactory(pack_type=selected.call.offers.get().pack_type)
    DataErasureFactory(item=spare)
    services.scan_item(allocation, spare.serial_number)
    second = services.ship_shipment(
        services.create_shipment([allocation], carrier="Colissimo"), tracking_number="6A456"
    )
    confirm(referent_client, second, [spare.serial_number])

    page = referent_client.get(follow_up(selected))
    html = page.content.decode()
    assert [s.pk for s in page.context["earlier_shipments"]] == [shipment.pk]
    assert shipment.reference in html and second.reference in html
    assert missing in html  # the first parcel's incident, and how it was settled
    assert "manquants réexpédiés" in html
    assert sorted(i.serial_number for i in page.context["items"]) == sorted(
        [first, spare.serial_number]
    )
