"""Portal pages run a constant number of SQL queries, whatever the data size (1 vs 50)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appels.models import ApplicationStatus, Attachment, CallStatus
from equipements.models import AllocationStatus, ShipmentStatus
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    ApplicationLineFactory,
    CallFactory,
    CallOfferFactory,
    InvoiceFactory,
    PackTypeFactory,
    ShipmentFactory,
    SupportTicketFactory,
    picked_allocation,
    put_in_shipment,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 50
MAX_QUERIES = 20


def queries_for(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    client.last_response = response
    return len(context.captured_queries)


def measure(client, url, grow):
    """Queries of ``url`` with SMALL then LARGE objects (``grow(count)`` adds ``count``)."""
    grow(SMALL)
    client.get(url)  # warm caches (content types, translations) once
    small = queries_for(client, url)
    grow(LARGE - SMALL)
    large = queries_for(client, url)
    return small, large


def assert_constant(small, large):
    assert small == large, f"{small} queries with {SMALL}, {large} with {LARGE}"
    assert large <= MAX_QUERIES


@pytest.fixture
def pack(db):
    return PackTypeFactory()


def call(pack, **kwargs):
    return CallFactory(criteria=0, offers__pack_type=pack, **kwargs)


STATUSES = [ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.SELECTED]


def test_dashboard(referent_client, centre, site, pack):
    def grow(count):
        for index in range(count):
            application = ApplicationFactory(
                call=call(pack), centre=centre, site=site, status=STATUSES[index % 3]
            )
            assert application.lines.exists()
            call(pack)  # an open call not applied to yet

    assert_constant(*measure(referent_client, reverse("appels:dashboard"), grow))
    assert len(referent_client.last_response.context["applications"]) == LARGE
    assert len(referent_client.last_response.context["open_calls"]) == LARGE


def test_application_detail(referent_client, centre, site, open_call, staff_user):
    application = ApplicationFactory(call=open_call, centre=centre, site=site, lines=0)

    def grow(count):
        for _ in range(count):
            offer = CallOfferFactory(call=open_call)
            ApplicationLineFactory(application=application, offer=offer)
            Attachment.objects.create(
                application=application,
                file="applications/x.pdf",
                original_name="budget.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                uploaded_by=staff_user,
            )
            ApplicationFactory(centre=centre, site=site)  # other applications of the centre

    url = reverse("appels:application_detail", args=[application.pk])
    assert_constant(*measure(referent_client, url, grow))
    assert referent_client.last_response.content.decode().count("budget.pdf") == LARGE


def test_follow_up(referent_client, centre, site, pack):
    now = timezone.now()
    application = ApplicationFactory(
        call=call(pack, status=CallStatus.DECIDED, opens_at=now - timedelta(days=90),
                  closes_at=now - timedelta(days=30)),
        centre=centre,
        site=site,
        status=ApplicationStatus.SELECTED,
    )  # fmt: skip
    AgreementFactory(application=application)
    allocation = picked_allocation(
        status=AllocationStatus.DELIVERED, items=LARGE, application=application
    )
    put_in_shipment(allocation, ShipmentFactory(site=site, status=ShipmentStatus.RECEIVED))
    InvoiceFactory(allocation=allocation)
    items = [p.item for p in allocation.lines.get().allocated_items.order_by("pk")]
    tickets = iter(items)

    def grow(count):
        for _ in range(count):
            SupportTicketFactory(centre=centre, item=next(tickets))

    url = reverse("equipements:follow_up", args=[application.pk])
    assert_constant(*measure(referent_client, url, grow))
    html = referent_client.last_response.content.decode()
    assert all(item.serial_number in html for item in items)
    assert len(referent_client.last_response.context["tickets"]) == LARGE


def test_follow_up_with_a_shipment_to_confirm(referent_client, centre, site, pack):
    """The reception form lists every serial: still one query for them."""
    now = timezone.now()
    past = {"opens_at": now - timedelta(days=90), "closes_at": now - timedelta(days=30)}
    counts = []
    for size in (SMALL, LARGE):
        application = ApplicationFactory(
            call=call(pack, status=CallStatus.DECIDED, **past),
            centre=centre,
            site=site,
            status=ApplicationStatus.SELECTED,
        )
        allocation = picked_allocation(
            status=AllocationStatus.SHIPPED, items=size, application=application
        )
        put_in_shipment(allocation, ShipmentFactory(site=site, status=ShipmentStatus.SHIPPED))
        url = reverse("equipements:follow_up", args=[application.pk])
        referent_client.get(url)
        counts.append(queries_for(referent_client, url))
    assert_constant(*counts)
    assert len(referent_client.last_response.context["reception_form"]["received"]) == LARGE


def test_ticket_list(referent_client, centre):
    def grow(count):
        for _ in range(count):
            SupportTicketFactory(centre=centre)

    assert_constant(*measure(referent_client, reverse("equipements:ticket_list"), grow))
    assert len(referent_client.last_response.context["tickets"]) == 25  # one page


@pytest.mark.parametrize("who", ["anonymous", "centre_staff"])
def test_call_list(client, staff_user, pack, who):
    if who == "centre_staff":
        client.force_login(staff_user)

    def grow(count):
        for _ in range(count):
            call(pack)

    assert_constant(*measure(client, reverse("appels:call_list"), grow))
    assert len(client.last_response.context["calls"]) == LARGE
