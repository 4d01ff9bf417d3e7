"""Who downloads which document: the centre its own agreement and invoices in the portal
(another centre gets 404), platform staff by role in the admin; pages constant in queries."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appels import services as appels_services
from centres import roles
from equipements import services
from equipements.models import AllocationStatus
from solidaire.documents import DocumentKind, generate_document, request_document
from solidaire.models import Document, DocumentStatus
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    ShipmentFactory,
    UserFactory,
    picked_allocation,
)

pytestmark = pytest.mark.django_db

PORTAL_ROLES = ("anonymous", "referent", "colleague", "other_centre", "reviewer", "logistics")
EXPECTED_PORTAL = {
    "anonymous": 302,  # to the login page
    "referent": 200,
    "colleague": 200,
    "other_centre": 404,
    "reviewer": 403,  # platform staff work in the admin, not for a centre
    "logistics": 403,
}
ADMIN_ROLES = ("anonymous", "centre_staff", "reviewer", "logistics", "manager", "superuser")
EXPECTED_ADMIN = {
    "anonymous": 302,  # to the admin login
    "centre_staff": 302,
    "reviewer": 403,
    "logistics": 200,
    "manager": 200,
    "superuser": 200,
}


def make_ready(obj, kind):
    document = generate_document(request_document(obj, kind).pk)
    assert document.status == DocumentStatus.READY, document.error
    return document


def platform_user(group_name, email):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


class People:
    def __init__(self, centre, other_centre, referent, other):
        self.centre = centre
        self.referent = referent
        self.colleague = MembershipFactory(centre=centre, is_referent=False).user
        self.other = other

    def user(self, role):
        if role == "anonymous":
            return None
        if role == "referent":
            return self.referent
        if role == "colleague":
            return self.colleague
        if role in ("other_centre", "centre_staff"):
            return self.other
        if role == "reviewer":
            return platform_user(roles.REVIEWERS, "evaluatrice@example.org")
        if role == "logistics":
            return platform_user(roles.LOGISTICS, "logistique@example.org")
        if role == "manager":
            return platform_user(roles.PROGRAMME_MANAGERS, "programme@example.org")
        if role == "superuser":
            return UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
        raise KeyError(role)


@pytest.fixture
def people(centre, other_centre, staff_user, other_staff_user):
    return People(centre, other_centre, staff_user, other_staff_user)


@pytest.fixture
def delivered(centre):
    """Centre A's selected application: agreement signed, delivered, invoiced."""
    application = ApplicationFactory(centre=centre, status="selected", call=CallFactory())
    allocation = picked_allocation(
        status=AllocationStatus.DELIVERED, items=2, application=application
    )
    return allocation


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


# --- Portal -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", PORTAL_ROLES)
def test_invoice_pdf_in_the_portal_per_role(client, people, delivered, role):
    invoice = services.issue_invoice(delivered)
    make_ready(invoice, DocumentKind.INVOICE)
    response = login(client, people.user(role)).get(
        reverse("equipements:invoice_pdf", args=[invoice.pk])
    )
    assert response.status_code == EXPECTED_PORTAL[role]
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    if role == "anonymous":
        assert reverse("centres:login") in response["Location"]


@pytest.mark.parametrize("role", PORTAL_ROLES)
def test_agreement_pdf_in_the_portal_per_role(client, people, delivered, role):
    agreement = appels_services.issue_agreement(delivered.application)
    make_ready(agreement, DocumentKind.AGREEMENT)
    response = login(client, people.user(role)).get(
        reverse("appels:agreement_pdf", args=[delivered.application.pk])
    )
    assert response.status_code == EXPECTED_PORTAL[role]


def test_the_signed_agreement_replaces_the_issued_one_once_ready(client, people, delivered):
    agreement = appels_services.issue_agreement(delivered.application)
    issued = make_ready(agreement, DocumentKind.AGREEMENT)
    appels_services.sign_agreement(
        agreement,
        by=people.referent,
        signer_name="Claude Bernard",
        signer_role="Président",
        document_sha256=issued.sha256,
    )
    url = reverse("appels:agreement_pdf", args=[delivered.application.pk])
    client.force_login(people.referent)
    # The signed version is still pending: the issued one is served meanwhile.
    assert "-signee" not in client.get(url)["Content-Disposition"]
    make_ready(agreement, DocumentKind.AGREEMENT_SIGNED)
    assert f"{agreement.number}-signee.pdf" in client.get(url)["Content-Disposition"]
    page = client.get(reverse("appels:agreement", args=[delivered.application.pk]))
    assert "Télécharger la convention signée (PDF)" in page.content.decode()


def test_a_document_not_ready_yet_is_a_404_and_the_page_says_it_is_coming(
    client, people, delivered
):
    invoice = services.issue_invoice(delivered)  # pending: no commit in this test
    client.force_login(people.referent)
    assert client.get(reverse("equipements:invoice_pdf", args=[invoice.pk])).status_code == 404
    page = client.get(reverse("equipements:invoice_detail", args=[invoice.pk]))
    assert "en préparation" in page.content.decode()


def follow_up_queries(client, application):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("equipements:follow_up", args=[application.pk]))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_follow_up_page_links_the_pdfs_in_constant_queries(client, people, delivered):
    client.force_login(people.referent)
    agreement = appels_services.issue_agreement(delivered.application)
    make_ready(agreement, DocumentKind.AGREEMENT)
    invoice = services.issue_invoice(delivered)
    make_ready(invoice, DocumentKind.INVOICE)
    one, html = follow_up_queries(client, delivered.application)
    assert reverse("equipements:invoice_pdf", args=[invoice.pk]) in html
    assert reverse("appels:agreement_pdf", args=[delivered.application.pk]) in html

    note = services.issue_credit_note(invoice, reason="Erreur de quantité")
    make_ready(note, DocumentKind.CREDIT_NOTE)
    two, html = follow_up_queries(client, delivered.application)
    assert reverse("equipements:invoice_pdf", args=[note.pk]) in html
    assert one == two


# --- Admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admin_document_download_per_role(client, people, role):
    shipment = ShipmentFactory()
    document = make_ready(shipment, DocumentKind.SHIPMENT_SHEET)
    response = login(client, people.user(role)).get(
        reverse("admin:solidaire_document_download", args=[document.pk])
    )
    assert response.status_code == EXPECTED_ADMIN[role]
    if response.status_code == 302:
        assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admin_progress_page_per_role(client, people, role):
    shipments = ShipmentFactory.create_batch(2)
    from solidaire.documents import request_bulk_document

    document = request_bulk_document(
        type(shipments[0]), [s.pk for s in shipments], DocumentKind.SHIPMENT_SHEETS_BULK
    )
    response = login(client, people.user(role)).get(
        reverse("admin:solidaire_document_progress", args=[document.pk])
    )
    assert response.status_code == EXPECTED_ADMIN[role]


def test_document_changelist_is_constant_in_queries(admin_client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("admin:solidaire_document_changelist"))
        assert response.status_code == 200
        return len(queries)

    for shipment in ShipmentFactory.create_batch(2):
        make_ready(shipment, DocumentKind.SHIPMENT_SHEET)
    few = count()
    for shipment in ShipmentFactory.create_batch(8):
        request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    assert count() == few


@pytest.mark.parametrize(
    ("url_name", "factory"),
    [
        ("admin:equipements_shipment_changelist", lambda: ShipmentFactory()),
        ("admin:appels_agreement_changelist", lambda: AgreementFactory()),
    ],
)
def test_domain_lists_link_the_pdf_in_constant_queries(admin_client, url_name, factory):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse(url_name))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    obj = factory()
    kind = DocumentKind.SHIPMENT_SHEET if "shipment" in url_name else DocumentKind.AGREEMENT
    document = make_ready(obj, kind)
    few, html = count()
    assert reverse("admin:solidaire_document_download", args=[document.pk]) in html
    for _ in range(5):
        make_ready(factory(), kind)
    many, _html = count()
    assert many == few


def test_generate_action_makes_the_pdf_of_each_selected_agreement(admin_client):
    agreements = AgreementFactory.create_batch(2)
    with transaction.atomic():
        response = admin_client.post(
            reverse("admin:appels_agreement_changelist"),
            {"action": "generate_documents", "_selected_action": [a.pk for a in agreements]},
        )
    assert response.status_code == 302
    assert Document.objects.filter(kind=DocumentKind.AGREEMENT).count() == 2


def test_retry_action_sends_a_failed_document_again(admin_client):
    shipment = ShipmentFactory()
    document = request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    Document.objects.filter(pk=document.pk).update(
        status=DocumentStatus.FAILED, error="boom", attempts=5
    )
    admin_client.post(
        reverse("admin:solidaire_document_changelist"),
        {"action": "retry", "_selected_action": [document.pk]},
    )
    document.refresh_from_db()
    assert document.attempts == 0 and document.status == DocumentStatus.PENDING


def test_admin_documents_follow_the_permissions_on_their_objects(client, people):
    """Logistics may not read agreements: nor their PDF, nor their row in the documents."""
    agreement = AgreementFactory()
    document = make_ready(agreement, DocumentKind.AGREEMENT)
    sheet = make_ready(ShipmentFactory(), DocumentKind.SHIPMENT_SHEET)
    client.force_login(people.user("logistics"))
    url = reverse("admin:solidaire_document_download", args=[document.pk])
    assert client.get(url).status_code == 403
    listing = client.get(reverse("admin:solidaire_document_changelist")).content.decode()
    assert reverse("admin:solidaire_document_download", args=[sheet.pk]) in listing
    assert url not in listing
    client.force_login(people.user("manager"))
    assert client.get(url).status_code == 200


def test_downloads_and_progress_page_run_a_few_queries(
    client, people, delivered, django_assert_max_num_queries
):
    invoice = services.issue_invoice(delivered)
    make_ready(invoice, DocumentKind.INVOICE)
    agreement = appels_services.issue_agreement(delivered.application)
    make_ready(agreement, DocumentKind.AGREEMENT)
    client.force_login(people.referent)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("equipements:invoice_pdf", args=[invoice.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        url = reverse("appels:agreement_pdf", args=[delivered.application.pk])
        assert client.get(url).status_code == 200
    from solidaire.documents import request_bulk_document

    shipments = ShipmentFactory.create_batch(3)
    bulk = request_bulk_document(
        type(shipments[0]), [s.pk for s in shipments], DocumentKind.SHIPMENT_SHEETS_BULK
    )
    client.force_login(people.user("manager"))
    with django_assert_max_num_queries(12):
        url = reverse("admin:solidaire_document_progress", args=[bulk.pk])
        assert client.get(url).status_code == 200
    sheet = make_ready(shipments[0], DocumentKind.SHIPMENT_SHEET)
    with django_assert_max_num_queries(10):
        url = reverse("admin:solidaire_document_download", args=[sheet.pk])
        assert client.get(url).status_code == 200
