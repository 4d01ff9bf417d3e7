"""The admin of the three domain apps: every page opens, lists are constant in queries,
statuses move through the services and issued invoices stay untouched."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from appels.models import (
    Agreement,
    Application,
    ApplicationLine,
    ApplicationStatus,
    Attachment,
    Call,
    CallOffer,
    CallPartner,
    CallStatus,
    Criterion,
    Decision,
    PackType,
    Review,
    ReviewStatus,
    Score,
    SurveyAnswer,
)
from centres.models import AccessLog, Centre, DataRequest, Membership, Partner, Site, User
from centres.roles import LOGISTICS, REVIEWERS, ROLE_PERMISSIONS
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
    Batch,
    DataErasure,
    DeviceModel,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Item,
    ItemReturn,
    ItemStatus,
    ReplacementShipment,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketMessage,
)

DOMAIN_APPS = ("centres", "appels", "equipements")
_numbers = count(1)


# --- Minimal local builders (tests/factories.py is written elsewhere) -------------------


def make_partner(kind=Partner.Kind.FEDERATION, **fields):
    n = next(_numbers)
    return Partner.objects.create(name=f"Partenaire {n}", kind=kind, **fields)


def make_centre(**fields):
    n = next(_numbers)
    defaults = {
        "name": f"Centre social {n}",
        "siret": f"{n:014d}",
        "fcsf_member_number": f"FCSF-{n}",
        "membership_valid_until": date.today() + timedelta(days=100),
        "address": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "department": "75",
    }
    return Centre.objects.create(**{**defaults, **fields})


def make_site(centre):
    return Site.objects.create(
        centre=centre,
        name="Site principal",
        address="2 rue Haute",
        postal_code="75002",
        city="Paris",
    )


def make_call(status=CallStatus.DRAFT, **fields):
    n = next(_numbers)
    now = timezone.now()
    defaults = {
        "title": f"Mon centre social numérique {n}",
        "slug": f"appel-{n}",
        "edition": f"20{n:02d}",
        "status": status,
        "opens_at": now - timedelta(days=30),
        "closes_at": now - timedelta(days=1),
    }
    return Call.objects.create(**{**defaults, **fields})


def make_pack_type():
    return PackType.objects.create(
        name=f"Pack informatique {next(_numbers)}",
        kind=PackType.Kind.DESKTOP,
        market_value=Decimal("400.00"),
    )


def make_offer(call, pack_type):
    return CallOffer.objects.create(
        call=call,
        pack_type=pack_type,
        quantity_available=100,
        solidarity_price=Decimal("90.00"),
        per_centre_cap=10,
    )


def make_application(call, offer=None, status=ApplicationStatus.SUBMITTED):
    centre = make_centre()
    application = Application.objects.create(
        call=call,
        centre=centre,
        site=make_site(centre),
        status=status,
        title="Espace numérique",
        submitted_at=timezone.now() if status != ApplicationStatus.DRAFT else None,
    )
    if offer is not None:
        ApplicationLine.objects.create(application=application, offer=offer, requested_quantity=2)
    return application


def make_device_model():
    return DeviceModel.objects.create(
        manufacturer="Dell", name=f"OptiPlex {next(_numbers)}", kind=DeviceModel.Kind.DESKTOP
    )


def make_item(pack_type, device_model, partner, status=ItemStatus.IN_STOCK, **fields):
    n = next(_numbers)
    return Item.objects.create(
        serial_number=f"SN{n:08d}",
        asset_tag=f"INV-{n}",
        device_model=device_model,
        pack_type=pack_type,
        grade="A",
        provenance="refurbished",
        provenance_partner=partner,
        status=status,
        received_on=date(2012, 3, 1),
        **fields,
    )


def make_shipment(site, status=ShipmentStatus.PREPARING, **fields):
    return Shipment.objects.create(
        reference=f"EXP-{next(_numbers):06d}", site=site, status=status, **fields
    )


def make_invoice(allocation):
    invoice = Invoice.objects.create(
        kind="invoice",
        series="FA",
        year=2013,
        sequence_number=next(_numbers),
        number=f"FA-2013-{next(_numbers):05d}",
        allocation=allocation,
        issued_on=date(2013, 1, 10),
        due_on=date(2013, 2, 9),
        seller_name="Solidatech",
        seller_address="Paris",
        seller_siret="12345678900011",
        buyer_name=allocation.application.centre.name,
        buyer_address="Paris",
        buyer_siret=allocation.application.centre.siret,
        vat_rate=Decimal("0"),
        total_excl_tax=Decimal("180.00"),
        total_vat=Decimal("0"),
        total_incl_tax=Decimal("180.00"),
        payment_terms="30 jours",
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        description="Pack informatique",
        quantity=2,
        unit_price=Decimal("90.00"),
        total_excl_tax=Decimal("180.00"),
        position=1,
    )
    return invoice


def make_every_kind_of_row(superuser):
    """At least one row of every model of the three apps, linked as in real life."""
    federation = make_partner()
    operator = make_partner(Partner.Kind.OPERATOR, siret="12345678900011")
    refurbisher = make_partner(Partner.Kind.REFURBISHER)
    call = make_call(CallStatus.REVIEW)
    pack_type = make_pack_type()
    offer = make_offer(call, pack_type)
    criterion = Criterion.objects.create(call=call, name="Projet social", max_score=5)
    CallPartner.objects.create(call=call, partner=operator, role=CallPartner.Role.OPERATOR)
    application = make_application(call, offer, status=ApplicationStatus.SELECTED)
    centre = application.centre
    centre.federation = federation
    centre.save()
    Membership.objects.create(user=superuser, centre=centre, is_referent=True)
    Attachment.objects.create(
        application=application,
        file="applications/2012/01/projet.pdf",
        original_name="projet.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    reviewer = User.objects.create_user(email=f"evaluatrice{next(_numbers)}@example.org")
    review = Review.objects.create(
        application=application,
        reviewer=reviewer,
        status=ReviewStatus.SUBMITTED,
        recommendation="select",
        submitted_at=timezone.now(),
    )
    Score.objects.create(review=review, criterion=criterion, value=4)
    Decision.objects.create(application=application, outcome="selected", decided_at=timezone.now())
    Agreement.objects.create(
        application=application, number=f"CONV-{next(_numbers)}", issued_at=timezone.now()
    )
    SurveyAnswer.objects.create(
        application=application,
        satisfaction=4,
        equipment_quality=4,
        ease_of_installation=3,
        answered_at=timezone.now(),
    )
    device_model = make_device_model()
    batch = Batch.objects.create(
        partner=refurbisher, reference=f"LOT-{next(_numbers)}", received_on=date.today()
    )
    item = make_item(pack_type, device_model, refurbisher, ItemStatus.DELIVERED, batch=batch)
    DataErasure.objects.create(
        item=item, method="DoD 5220.22-M", erased_on=date.today(), operator="Atelier"
    )
    shipment = make_shipment(application.site, ShipmentStatus.DELIVERED, carrier="Colissimo")
    allocation = Allocation.objects.create(
        application=application, status=AllocationStatus.DELIVERED, shipment=shipment
    )
    line = AllocationLine.objects.create(
        allocation=allocation,
        offer=offer,
        pack_type=pack_type,
        quantity=1,
        units_per_pack=1,
        unit_price=Decimal("90.00"),
    )
    AllocatedItem.objects.create(line=line, item=item)
    make_invoice(allocation)
    InvoiceCounter.objects.create(series="FA", year=next(_numbers), last_number=1)
    ticket = SupportTicket.objects.create(
        centre=centre,
        item=item,
        allocation=allocation,
        subject="Écran noir",
        description="Ne démarre plus",
        opened_at=timezone.now(),
    )
    TicketMessage.objects.create(
        ticket=ticket,
        author=superuser,
        from_centre=False,
        body="Essayez",
        created_at=ticket.opened_at,
    )
    spare = make_item(pack_type, device_model, refurbisher, ItemStatus.RESERVED)
    ReplacementShipment.objects.create(
        reference=f"REM-PAGES-{next(_numbers)}",
        ticket=ticket,
        item=spare,
        site=application.site,
        created_at=ticket.opened_at,
    )
    ItemReturn.objects.create(ticket=ticket, item=item, expected_at=ticket.opened_at)
    DataRequest.objects.create(user=reviewer, kind=DataRequest.Kind.DELETION)
    AccessLog.objects.create(
        user=superuser, object_type="centres.user", object_id=str(reviewer.pk), url_name="x"
    )


def domain_model_admins():
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in DOMAIN_APPS
        ),
        key=lambda pair: pair[0]._meta.label,
    )


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email="admin@example.org", password="motdepasse-solide")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


# --- Every page opens -------------------------------------------------------------------


def test_every_model_of_the_domain_apps_is_in_the_admin_or_inline():
    registered = {model for model, _admin in domain_model_admins()}
    inline_models = {
        inline.model
        for _model, model_admin in domain_model_admins()
        for inline in model_admin.inlines
    }
    admins = dict(domain_model_admins())
    for app_label in DOMAIN_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.model_name.startswith("historical"):
                # An audit trail is read through its model's history page.
                tracked = model.instance_type
                assert isinstance(admins.get(tracked), SimpleHistoryAdmin), model._meta.label
                continue
            assert model in registered | inline_models, model._meta.label


@pytest.mark.django_db
def test_every_changelist_and_add_page_opens_even_empty(admin_client, superuser):
    request = RequestFactory().get("/")
    request.user = superuser
    for model, model_admin in domain_model_admins():
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model._meta.label
        if model_admin.has_add_permission(request):
            response = admin_client.get(admin_url(model, "add"))
            assert response.status_code == 200, model._meta.label


@pytest.mark.django_db
def test_every_changelist_and_change_page_opens_with_rows(admin_client, superuser):
    make_every_kind_of_row(superuser)
    for model, _model_admin in domain_model_admins():
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model._meta.label
        obj = model.objects.first()
        assert obj is not None, model._meta.label
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model._meta.label


@pytest.mark.django_db
def test_user_add_page_creates_a_person_from_an_email_and_two_passwords(admin_client):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "Nouvelle@Example.org",
            "first_name": "Awa",
            "last_name": "Diallo",
            "password1": "un-mot-de-passe-long",
            "password2": "un-mot-de-passe-long",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@example.org")
    assert user.check_password("un-mot-de-passe-long")


@pytest.mark.django_db
def test_centre_list_shows_membership_validity(admin_client):
    make_centre(name="Centre à jour")
    make_centre(name="Centre en retard", membership_valid_until=date.today() - timedelta(days=1))
    response = admin_client.get(admin_url(Centre, "changelist"))
    html = response.content.decode()
    assert html.count('alt="True"') == 1 and html.count('alt="False"') == 1
    response = admin_client.get(admin_url(Centre, "changelist"), {"adhesion": "no"})
    assert [c.name for c in response.context["cl"].result_list] == ["Centre en retard"]


# --- Constant number of queries ---------------------------------------------------------


def changelist_queries(client, model):
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_applications(call, offer, how_many):
    for _ in range(how_many):
        make_application(call, offer)


def add_items(pack_type, device_model, partner, how_many):
    for _ in range(how_many):
        make_item(pack_type, device_model, partner)


def add_shipments(how_many):
    for _ in range(how_many):
        make_shipment(make_site(make_centre()), carrier="Colissimo")


@pytest.mark.django_db
def test_application_item_and_shipment_lists_run_the_same_queries_for_2_and_20_rows(
    admin_client,
):
    call = make_call(CallStatus.OPEN)
    pack_type = make_pack_type()
    offer = make_offer(call, pack_type)
    device_model = make_device_model()
    partner = make_partner(Partner.Kind.REFURBISHER)
    builders = {
        Application: lambda n: add_applications(call, offer, n),
        Item: lambda n: add_items(pack_type, device_model, partner, n),
        Shipment: add_shipments,
    }
    for model, build in builders.items():
        build(2)
        few = changelist_queries(admin_client, model)
        build(18)
        assert model.objects.count() == 20
        many = changelist_queries(admin_client, model)
        assert few == many, model._meta.label


@pytest.mark.django_db
def test_every_domain_changelist_is_constant_in_queries(admin_client, superuser):
    make_every_kind_of_row(superuser)
    few = {model: changelist_queries(admin_client, model) for model, _a in domain_model_admins()}
    make_every_kind_of_row(superuser)
    make_every_kind_of_row(superuser)
    for model, _model_admin in domain_model_admins():
        assert changelist_queries(admin_client, model) == few[model], model._meta.label


# --- Statuses move through the services -------------------------------------------------


def run_action(client, model, action, objects):
    return client.post(
        admin_url(model, "changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


@pytest.mark.django_db
def test_open_call_action_reports_refusals_and_successes_per_call(admin_client):
    empty = make_call(title="Appel sans offre")
    ready = make_call(title="Appel prêt")
    make_offer(ready, make_pack_type())
    Criterion.objects.create(call=ready, name="Projet")

    response = run_action(admin_client, Call, "open_calls", [empty, ready])

    reported = messages_of(response)
    assert len(reported) == 2
    assert any(level == "error" and "Appel sans offre" in text for level, text in reported)
    assert any(level == "success" and "Appel prêt" in text for level, text in reported)
    empty.refresh_from_db()
    ready.refresh_from_db()
    assert empty.status == CallStatus.DRAFT
    assert ready.status == CallStatus.OPEN


@pytest.mark.django_db
def test_call_status_is_read_only_in_the_form(admin_client):
    call = make_call()
    response = admin_client.get(admin_url(Call, "change", call.pk))
    assert "status" not in response.context["adminform"].form.fields


@pytest.mark.django_db
def test_ship_and_deliver_shipment_actions_call_the_services(admin_client):
    shipment = make_shipment(make_site(make_centre()))

    response = run_action(admin_client, Shipment, "mark_shipped", [shipment])
    assert [level for level, _text in messages_of(response)] == ["error"]  # no carrier yet
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PREPARING

    Shipment.objects.filter(pk=shipment.pk).update(carrier="Colissimo")
    run_action(admin_client, Shipment, "mark_shipped", [shipment])
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED

    response = run_action(admin_client, Shipment, "mark_delivered", [shipment])
    assert [level for level, _text in messages_of(response)] == ["success"]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED


@pytest.mark.django_db
def test_assigned_reviewer_scores_through_the_admin(client):
    call = make_call(CallStatus.REVIEW)
    criterion = Criterion.objects.create(call=call, name="Projet social", max_score=5)
    application = make_application(call, make_offer(call, make_pack_type()))
    reviewer = User.objects.create_user(email="evaluateur@example.org", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    review = Review.objects.create(application=application, reviewer=reviewer)
    other = Review.objects.create(
        application=make_application(call),
        reviewer=User.objects.create_user(email="autre@example.org", is_staff=True),
    )
    client.force_login(reviewer)

    assert client.get(admin_url(Review, "change", other.pk)).status_code == 302  # not theirs
    form = client.get(admin_url(Review, "change", review.pk)).context["adminform"].form
    assert {f"score_{criterion.pk}", "comment", "recommendation", "submit"} <= set(form.fields)
    response = client.post(
        admin_url(Review, "change", review.pk),
        {
            f"score_{criterion.pk}": "4",
            "comment": "Projet solide",
            "recommendation": "select",
            "submit": "on",
            "conflict": "",
        },
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.scores.get().value == 4


@pytest.mark.django_db
def test_published_decision_is_read_only(admin_client, superuser):
    make_every_kind_of_row(superuser)
    decision = Decision.objects.get()
    Decision.objects.filter(pk=decision.pk).update(published_at=timezone.now())

    response = admin_client.post(
        admin_url(Decision, "change", decision.pk), {"outcome": "rejected", "comment": "Non"}
    )

    assert response.status_code == 403
    decision.refresh_from_db()
    assert decision.outcome == "selected"


# --- Invoices are immutable -------------------------------------------------------------


@pytest.mark.django_db
def test_issued_invoice_cannot_be_changed_nor_deleted_through_the_admin(admin_client, superuser):
    make_every_kind_of_row(superuser)
    invoice = Invoice.objects.get()

    assert admin_client.get(admin_url(Invoice, "change", invoice.pk)).status_code == 200
    changed = admin_client.post(
        admin_url(Invoice, "change", invoice.pk), {"buyer_name": "Quelqu’un d’autre"}
    )
    deleted = admin_client.post(admin_url(Invoice, "delete", invoice.pk), {"post": "yes"})
    bulk = run_action(admin_client, Invoice, "delete_selected", [invoice])

    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert bulk.status_code == 200
    assert admin_client.get(admin_url(Invoice, "add")).status_code == 403
    invoice.refresh_from_db()
    assert invoice.buyer_name != "Quelqu’un d’autre"
    assert Invoice.objects.filter(pk=invoice.pk).exists()


@pytest.mark.django_db
def test_assigning_a_reviewer_to_a_draft_is_refused_with_a_message(admin_client):
    call = make_call(CallStatus.OPEN)
    draft = make_application(call, status=ApplicationStatus.DRAFT)
    reviewer = User.objects.create_user(email="evaluateur@example.org", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))

    response = admin_client.post(
        admin_url(Review, "add"), {"application": draft.pk, "reviewer": reviewer.pk}, follow=True
    )

    assert [level for level, _text in messages_of(response)] == ["error"]
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_assigning_a_reviewer_goes_through_the_service(admin_client):
    application = make_application(make_call(CallStatus.REVIEW))
    reviewer = User.objects.create_user(email="evaluateur@example.org", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))

    response = admin_client.post(
        admin_url(Review, "add"), {"application": application.pk, "reviewer": reviewer.pk}
    )

    assert response.status_code == 302
    assert Review.objects.get().reviewer == reviewer


@pytest.mark.django_db
def test_recording_a_decision_goes_through_the_service(admin_client):
    call = make_call(CallStatus.REVIEW)
    application = make_application(call, make_offer(call, make_pack_type()))

    response = admin_client.post(
        admin_url(Decision, "add"),
        {"application": application.pk, "outcome": "selected", "rank": "", "comment": "Bravo"},
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SELECTED
    assert application.lines.get().granted_unit_price == Decimal("90.00")
    assert Decision.objects.get().decided_by is not None


# --- Each role sees what its permissions say --------------------------------------------


def role_user(group_name):
    user = User.objects.create_user(email=f"role{next(_numbers)}@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("group_name", list(ROLE_PERMISSIONS))
def test_each_role_opens_exactly_the_changelists_its_permissions_allow(client, group_name):
    client.force_login(role_user(group_name))
    perms = set(ROLE_PERMISSIONS[group_name])
    for model, _model_admin in domain_model_admins():
        opts = model._meta
        allowed = bool(
            {
                f"{opts.app_label}.view_{opts.model_name}",
                f"{opts.app_label}.change_{opts.model_name}",
            }
            & perms
        )
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == (200 if allowed else 403), (group_name, opts.label)


@pytest.mark.django_db
def test_a_reviewer_sees_only_the_applications_assigned_to_them(client):
    call = make_call(CallStatus.REVIEW)
    mine, theirs = make_application(call), make_application(call)
    reviewer = role_user(REVIEWERS)
    Review.objects.create(application=mine, reviewer=reviewer)
    client.force_login(reviewer)

    response = client.get(admin_url(Application, "changelist"))

    assert list(response.context["cl"].result_list) == [mine]
    assert client.get(admin_url(Application, "change", theirs.pk)).status_code == 302


@pytest.mark.django_db
def test_logistics_cannot_edit_an_application(client):
    application = make_application(make_call(CallStatus.REVIEW))
    client.force_login(role_user(LOGISTICS))

    assert client.get(admin_url(Application, "change", application.pk)).status_code == 200
    response = client.post(admin_url(Application, "change", application.pk), {"title": "Autre"})
    assert response.status_code == 403


@pytest.fixture
def private_storage(tmp_path, monkeypatch):
    # The models name the "private" storage; a temporary one keeps the test's files apart.
    storage = FileSystemStorage(location=tmp_path)
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    return storage


@pytest.mark.django_db
def test_attachments_are_served_after_the_application_permission_check(
    client, admin_client, private_storage
):
    call = make_call(CallStatus.REVIEW)
    application = make_application(call)
    name = private_storage.save("applications/projet.pdf", ContentFile(b"%PDF-1.4 projet"))
    attachment = Attachment.objects.create(
        application=application,
        file=name,
        original_name="projet.pdf",
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
    )
    url = reverse("admin:appels_application_attachment", args=[application.pk, attachment.pk])

    change_page = admin_client.get(admin_url(Application, "change", application.pk))
    assert url in change_page.content.decode()
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 projet"
    assert "projet.pdf" in response["Content-Disposition"]

    client.force_login(role_user(REVIEWERS))  # not assigned to this application
    assert client.get(url).status_code == 404
    client.force_login(User.objects.create_user(email="centre@example.org"))  # not staff
    assert client.get(url).status_code == 302
