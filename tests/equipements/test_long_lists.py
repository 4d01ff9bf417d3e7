"""The logistics lists of tens of thousands of rows (items, shipments): constant queries, no
full count, filters that do not list whole tables; and the shipment's page links its sheet."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centres import roles
from centres.models import Partner
from equipements.admin import ItemAdmin, ShipmentAdmin
from solidaire.documents import DocumentKind, generate_document, request_document
from solidaire.models import DocumentStatus
from tests.factories import ItemFactory, PartnerFactory, ShipmentFactory, UserFactory

pytestmark = pytest.mark.django_db

ITEMS = reverse("admin:equipements_item_changelist")
SHIPMENTS = reverse("admin:equipements_shipment_changelist")


@pytest.fixture
def logistics_client(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.LOGISTICS))
    client.force_login(user)
    return client


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries]


@pytest.mark.parametrize(
    ("url", "factory"),
    [(ITEMS, ItemFactory), (SHIPMENTS, ShipmentFactory)],
)
def test_long_lists_run_the_same_queries_for_3_and_60_rows_and_count_once(
    logistics_client, url, factory
):
    factory.create_batch(3)
    get(logistics_client, url)  # per-process caches (content types, permissions)
    _html, few = get(logistics_client, url)
    factory.create_batch(57)
    html, many = get(logistics_client, url)
    assert len(few) == len(many)
    assert len(many) <= 10
    # One count, for the pages (no "N in total" count of the whole table besides it).
    assert sum("COUNT(*)" in sql for sql in many) == 1
    # A page of rows, each with Django's checkbox markup.
    assert html.count('class="action-select"') == ShipmentAdmin.list_per_page == 50
    assert 'name="_selected_action"' in html and 'aria-label="' in html


def test_provenance_filter_lists_only_the_partners_who_provided_items(logistics_client):
    refurbisher = PartnerFactory(kind=Partner.Kind.REFURBISHER, name="Atelier Reconditionne")
    PartnerFactory(kind=Partner.Kind.FEDERATION, name="Federation Sans Materiel")
    ItemFactory.create_batch(2, provenance_partner=refurbisher)
    html, _queries = get(logistics_client, ITEMS)
    assert "Atelier Reconditionne" in html
    assert "Federation Sans Materiel" not in html
    other = ItemFactory()
    filtered, _queries = get(
        logistics_client, f"{ITEMS}?provenance_partner__id__exact={refurbisher.pk}"
    )
    assert filtered.count('class="action-select"') == 2
    assert other.serial_number not in filtered


def test_item_list_has_no_date_hierarchy_reading_every_row(logistics_client):
    ItemFactory.create_batch(2)
    _html, queries = get(logistics_client, ITEMS)
    assert ItemAdmin.date_hierarchy is None and ShipmentAdmin.date_hierarchy is None
    assert not any("DATE_TRUNC" in sql or "MIN(" in sql for sql in queries)


def test_shipment_page_links_its_sheet_once_produced(logistics_client):
    shipment = ShipmentFactory()
    url = reverse("admin:equipements_shipment_change", args=[shipment.pk])
    html, _queries = get(logistics_client, url)
    assert "Pas encore produit" in html
    document = generate_document(request_document(shipment, DocumentKind.SHIPMENT_SHEET).pk)
    assert document.status == DocumentStatus.READY, document.error
    html, _queries = get(logistics_client, url)
    assert reverse("admin:solidaire_document_download", args=[document.pk]) in html
    assert "Pas encore produit" not in html
