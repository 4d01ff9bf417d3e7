"""The chain after the committee: publication → allocation → agreement → confirmation →
reception → incident → invoice, and the programme managers' list of every selected
application's position in it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appels import services as appels_services
from appels.models import AgreementStatus, ApplicationStatus, CallStatus
from equipements import services
from equipements.models import (
    Allocation,
    AllocationStatus,
    ChainStep,
    Invoice,
    InvoiceKind,
    Item,
    ItemStatus,
    SelectedApplication,
    Settlement,
    ShipmentStatus,
)
from solidaire.errors import DomainError
from solidaire.models import OutboxEmail
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    CallFactory,
    DataErasureFactory,
    ItemFactory,
    MembershipFactory,
    UserFactory,
    picked_allocation,
)

pytestmark = [pytest.mark.django_db]


def review_call(**kwargs):
    now = timezone.now()
    return CallFactory(
        status=CallStatus.REVIEW,
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=5),
        **kwargs,
    )


def selected_on(call, quantity=2):
    application = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, lines=quantity)
    MembershipFactory(centre=application.centre, is_referent=True)
    appels_services.decide(application, ApplicationStatus.SELECTED, by=UserFactory())
    return application


# --- decision → allocation --------------------------------------------------------------


def test_publication_proposes_one_allocation_per_selected_application_once():
    call = review_call()
    chosen = [selected_on(call), selected_on(call, quantity=3)]
    rejected = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    appels_services.decide(rejected, ApplicationStatus.REJECTED, by=UserFactory())

    appels_services.publish_results(call)

    allocations = Allocation.objects.filter(application__call=call)
    assert sorted(a.application_id for a in allocations) == sorted(a.pk for a in chosen)
    assert {a.status for a in allocations} == {AllocationStatus.PROPOSED}
    second = allocations.get(application=chosen[1]).lines.get()
    assert second.quantity == 3
    assert second.unit_price == chosen[1].lines.get().granted_unit_price  # snapshotted

    # Publishing again is refused and the hand-off run again adds nothing.
    with pytest.raises(DomainError):
        appels_services.publish_results(call)
    services.propose_allocations(list(SelectedApplication.objects.filter(call=call)))
    assert Allocation.objects.filter(application__call=call).count() == 2
    assert sum(a.lines.count() for a in allocations) == 2


def test_a_promoted_application_gets_its_allocation_on_a_published_call():
    call = review_call()
    chosen = selected_on(call, quantity=1)
    waiting = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, lines=1)
    appels_services.decide(waiting, ApplicationStatus.WAITLISTED, by=UserFactory())
    appels_services.publish_results(call)
    assert not Allocation.objects.filter(application=waiting).exists()

    assert Allocation.objects.filter(application=chosen).count() == 1
    call.refresh_from_db()
    promoted = appels_services.promote_from_waitlist(call, by=UserFactory())
    assert promoted == waiting
    assert Allocation.objects.filter(application=promoted).count() == 1


# --- agreement before confirmation --------------------------------------------------------


def test_an_allocation_waits_for_the_signed_agreement_unless_the_call_says_otherwise(db_state):
    call = review_call(confirm_after_signature=True)
    application = selected_on(call)
    appels_services.publish_results(call)
    allocation = application.allocation

    before = db_state()
    with pytest.raises(DomainError, match="convention doit être signée"):
        services.confirm_allocation(allocation)
    assert db_state() == before

    AgreementFactory(application=application, status=AgreementStatus.ISSUED)
    with pytest.raises(DomainError, match="convention doit être signée"):
        services.confirm_allocation(allocation)

    application.agreement.status = AgreementStatus.SIGNED
    application.agreement.signed_at = timezone.now()
    application.agreement.signer_name, application.agreement.signer_role = "A. B.", "Présidente"
    application.agreement.save()
    services.confirm_allocation(allocation)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.CONFIRMED


def test_a_call_may_confirm_before_the_signature():
    call = review_call(confirm_after_signature=False)
    application = selected_on(call)
    appels_services.publish_results(call)
    services.confirm_allocation(application.allocation)
    assert Allocation.objects.get(application=application).status == AllocationStatus.CONFIRMED


def test_confirming_emails_the_centre_once(django_capture_on_commit_callbacks):
    call = review_call()
    application = selected_on(call)
    appels_services.publish_results(call)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_allocation(application.allocation)
    [message] = [m for m in mail.outbox if "attribution est confirmée" in m.subject]
    assert application.centre.memberships.get().user.email in message.to
    assert reverse("equipements:follow_up", args=[application.pk]) in message.body
    assert OutboxEmail.objects.filter(key=f"allocation-confirmed:{application.allocation.pk}")


# --- reception ----------------------------------------------------------------------------


def shipped(items=2, **kwargs):
    allocation = picked_allocation(items=items, **kwargs)
    MembershipFactory(centre=allocation.application.centre, is_referent=True)
    shipment = services.create_shipment([allocation], carrier="Colissimo")
    services.ship_shipment(shipment)
    return shipment, allocation


def serials_of(allocation):
    return sorted(
        Item.objects.filter(allocations__line__allocation=allocation).values_list(
            "serial_number", flat=True
        )
    )


def test_a_reception_with_nothing_ticked_and_no_note_is_refused(db_state):
    shipment, allocation = shipped()
    user = UserFactory()
    before = db_state()
    with pytest.raises(DomainError, match="Cochez chaque matériel reçu") as error:
        services.confirm_reception(shipment, received_serials=[], by=user)
    assert error.value.code == "nothing_confirmed"
    assert db_state() == before


def test_a_partial_reception_invoices_nothing_until_the_incident_is_settled_by_reshipping(
    django_capture_on_commit_callbacks,
):
    shipment, allocation = shipped(items=2)
    first, missing = serials_of(allocation)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_reception(shipment, received_serials=[first], by=UserFactory())
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.INCIDENT
    assert shipment.missing_serials == [missing]
    assert missing in shipment.incident_note
    assert not Invoice.objects.filter(allocation=allocation).exists()
    assert any("Incident enregistré" in m.subject for m in mail.outbox)

    # Logistics re-ship: the allocation goes back to picking for the missing device.
    services.reship_missing(shipment)
    shipment.refresh_from_db()
    allocation.refresh_from_db()
    assert (shipment.settlement, allocation.status) == (
        Settlement.RESHIPPED,
        AllocationStatus.CONFIRMED,
    )
    assert Item.objects.get(serial_number=missing).status == ItemStatus.LOST
    assert not Invoice.objects.filter(allocation=allocation).exists()

    spare = ItemFactory(pack_type=allocation.lines.get().pack_type)
    DataErasureFactory(item=spare)
    services.scan_item(allocation, spare.serial_number)
    second = services.create_shipment([allocation], carrier="Colissimo")
    assert second.reshipment_of == shipment
    services.ship_shipment(second)
    services.deliver_shipment(second)
    assert not Invoice.objects.filter(allocation=allocation).exists()
    services.confirm_reception(second, received_serials=[spare.serial_number], by=UserFactory())

    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.DELIVERED
    [invoice] = Invoice.objects.filter(allocation=allocation)
    assert invoice.total_excl_tax == 2 * allocation.lines.get().unit_price


def test_reducing_after_an_incident_invoices_only_what_arrived():
    shipment, allocation = shipped(items=2)
    first, _missing = serials_of(allocation)
    services.confirm_reception(shipment, received_serials=[first], by=UserFactory())
    with pytest.raises(DomainError):
        services.reduce_after_incident(shipment, reason=" ")
    services.reduce_after_incident(shipment, reason="Colis perdu par le transporteur")

    allocation.refresh_from_db()
    line = allocation.lines.get()
    assert (allocation.status, line.written_off_devices) == (AllocationStatus.DELIVERED, 1)
    [invoice] = Invoice.objects.filter(allocation=allocation)
    assert invoice.total_excl_tax == line.unit_price  # 2 packs of 1 device, one missing
    assert invoice.lines.filter(quantity__lt=0).count() == 1


def test_reducing_after_an_invoice_issued_upfront_issues_a_credit_note():
    shipment, allocation = shipped(items=2, application__call__invoice_on_delivery=False)
    invoice = services.issue_invoice(allocation)
    first, _missing = serials_of(allocation)
    services.confirm_reception(shipment, received_serials=[first], by=UserFactory())
    services.reduce_after_incident(shipment, reason="Colis perdu")

    [note] = Invoice.objects.filter(allocation=allocation, kind=InvoiceKind.CREDIT_NOTE)
    assert note.corrects == invoice
    assert note.total_excl_tax == -allocation.lines.get().unit_price
    # Settled once: nothing more is credited.
    services_note_count = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count()
    assert services_note_count == 1


def test_an_incident_is_closed_only_when_nothing_is_missing():
    shipment, allocation = shipped(items=1)
    services.confirm_reception(
        shipment, received_serials=serials_of(allocation), note="Carton abîmé", by=UserFactory()
    )
    services.close_incident(shipment)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED
    assert Allocation.objects.get(pk=allocation.pk).status == AllocationStatus.DELIVERED

    other, other_allocation = shipped(items=1)
    services.confirm_reception(other, received_serials=[], note="Rien reçu", by=UserFactory())
    with pytest.raises(DomainError, match="manquent encore"):
        services.close_incident(other)


def test_reception_asks_for_the_survey_and_reminds_once(
    settings, django_capture_on_commit_callbacks
):
    shipment, allocation = shipped(items=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_reception(
            shipment, received_serials=serials_of(allocation), by=UserFactory()
        )
    assert any("Votre avis" in m.subject for m in mail.outbox)
    later = timezone.now() + timedelta(days=settings.SURVEY_REMINDER_DAYS + 1)
    assert services.remind_survey(now=later) == 1
    assert services.remind_survey(now=later) == 0
    assert OutboxEmail.objects.filter(key__startswith="survey-").count() == 2


# --- the chain list -------------------------------------------------------------------------


@pytest.fixture
def manager(django_user_model):
    from django.contrib.auth.models import Group  # noqa: PLC0415

    from centres.roles import PROGRAMME_MANAGERS  # noqa: PLC0415

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    return user


def chain_url(**params):
    from urllib.parse import urlencode  # noqa: PLC0415

    url = reverse("admin:equipements_selectedapplication_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def test_the_chain_list_shows_each_step_and_filters_by_step(client, manager):
    call = review_call(confirm_after_signature=True)
    first, second = selected_on(call), selected_on(call)
    appels_services.publish_results(call)
    AgreementFactory(application=second)
    client.force_login(manager)

    steps = {row.pk: row.step for row in SelectedApplication.objects.with_chain()}
    assert steps == {first.pk: ChainStep.AGREEMENT_TO_ISSUE, second.pk: ChainStep.AGREEMENT_TO_SIGN}
    page = client.get(chain_url(call__id__exact=call.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "convention à émettre" in html and "convention à signer par le centre" in html
    filtered = client.get(chain_url(etape=ChainStep.AGREEMENT_TO_SIGN))
    assert [r.pk for r in filtered.context["cl"].result_list] == [second.pk]


def test_the_chain_list_issues_agreements_and_confirms_allocations_in_bulk(client, manager):
    call = review_call(confirm_after_signature=True)
    first, second = selected_on(call), selected_on(call)
    appels_services.publish_results(call)
    client.force_login(manager)
    url = chain_url()
    client.post(url, {"action": "issue_agreements", "_selected_action": [first.pk, second.pk]})
    assert {a.status for a in [first.agreement, second.agreement]} == {AgreementStatus.ISSUED}

    # Not signed yet: refused with the reason, nothing confirmed.
    response = client.post(
        url, {"action": "confirm_allocations", "_selected_action": [first.pk]}, follow=True
    )
    assert "convention doit être signée" in response.content.decode()
    assert Allocation.objects.get(application=first).status == AllocationStatus.PROPOSED


def test_the_chain_list_runs_the_same_queries_for_few_or_many(
    client, manager, django_assert_max_num_queries
):
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    client.force_login(manager)
    counts = []
    for size in (2, 8):
        call = review_call()
        call.offers.update(quantity_available=20)
        for _ in range(size):
            selected_on(call, quantity=1)
        appels_services.publish_results(call)
        client.get(chain_url())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(chain_url()).status_code == 200
        counts.append([q["sql"][:60] for q in queries.captured_queries])
    assert len(counts[0]) == len(counts[1]), counts


@pytest.mark.parametrize(
    ("role", "expected"),
    [("manager", 200), ("logistics", 200), ("reviewer", 403), ("centre_staff", 302)],
)
def test_who_sees_the_chain_list(client, role, expected):
    from django.contrib.auth.models import Group  # noqa: PLC0415

    from centres import roles  # noqa: PLC0415

    group = {
        "manager": roles.PROGRAMME_MANAGERS,
        "logistics": roles.LOGISTICS,
        "reviewer": roles.REVIEWERS,
    }.get(role)
    user = UserFactory(is_staff=group is not None)
    if group:
        user.groups.add(Group.objects.get(name=group))
    else:
        MembershipFactory(user=user)
    client.force_login(user)
    assert client.get(chain_url()).status_code == expected
    if role == "logistics":  # reads, but acts only through the allocations' own page
        page = client.get(chain_url())
        assert "issue_agreements" not in page.content.decode()


def test_logistics_reduce_an_allocation_from_the_shipment_list(client):
    from django.contrib.auth.models import Group  # noqa: PLC0415

    from centres.roles import LOGISTICS  # noqa: PLC0415

    shipment, allocation = shipped(items=2)
    first, _missing = serials_of(allocation)
    services.confirm_reception(shipment, received_serials=[first], by=UserFactory())
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=LOGISTICS))
    client.force_login(user)
    url = reverse("admin:equipements_shipment_changelist")
    data = {"action": "reduce_after_incident", "_selected_action": [shipment.pk]}

    page = client.post(url, data)  # the intermediate page asks for the reason
    assert page.status_code == 200 and "Réduire l’attribution au matériel reçu" in (
        page.content.decode()
    )
    refused = client.post(url, {**data, "reason": "  "})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert Allocation.objects.get(pk=allocation.pk).status == AllocationStatus.SHIPPED

    done = client.post(url, {**data, "reason": "Colis perdu"}, follow=True)
    assert "attribution réduite au matériel reçu" in done.content.decode()
    shipment.refresh_from_db()
    assert shipment.settlement == Settlement.REDUCED
    assert Allocation.objects.get(pk=allocation.pk).status == AllocationStatus.DELIVERED
