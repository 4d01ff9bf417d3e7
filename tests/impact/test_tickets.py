"""After-sales tickets count in the impact figures: on the dashboard, in the CSV export and
in the funders' report, a replaced item's ticket included.

The tickets used to be read through their item's *current* allocation: a replacement (or a
take-back) releases that row, so a ticket resolved by replacement vanished from every
figure. A ticket now records the allocation that brought its item.
"""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from equipements import services
from equipements.impact_documents import impact_report_rendering
from equipements.models import Resolution
from tests.factories import DataErasureFactory, ItemFactory

from .conftest import at

pytestmark = pytest.mark.django_db

DECIDED = date(2031, 3, 1)
OPENED = date(2031, 4, 1)


@pytest.fixture
def call_with_tickets(build):
    """Four tickets on one centre's computers: resolved by replacement in 6 days (through
    its shipment and the centre's confirmation), by advice in 1 and 2 days, one open.
    Median resolution 2 days, mean 3 days."""
    call = build.call(edition="2031", slug="edition-2031")
    application = build.application(call, department="35")
    _allocation, items = build.equip(
        application, desktops=4, decided_on=DECIDED, delivered_on=DECIDED + timedelta(days=5)
    )
    centre = application.centre
    opened = at(OPENED)

    def open_on(item):
        return services.open_ticket(
            item, centre=centre, subject="Panne", description="x", now=opened
        )

    replaced = open_on(items[0])
    spare = ItemFactory(pack_type=items[0].pack_type)
    DataErasureFactory(item=spare)
    shipment = services.decide_replacement(replaced, replacement=spare, now=opened)
    services.ship_replacement(shipment, carrier="Colissimo", now=opened + timedelta(days=2))
    services.confirm_replacement(shipment, by=None, now=opened + timedelta(days=6))
    services.resolve_ticket(
        open_on(items[1]), resolution=Resolution.ADVICE, now=opened + timedelta(days=1)
    )
    services.resolve_ticket(
        open_on(items[2]), resolution=Resolution.REPAIR, now=opened + timedelta(days=2)
    )
    open_on(items[3])
    return call


def test_a_replaced_items_ticket_counts_in_the_dashboard(manager_client, call_with_tickets):
    html = manager_client.get(reverse("impact:dashboard")).content.decode()
    assert re.search(r'data-figure="tickets">4<', html)
    assert "dont 3 résolus (délai médian 2,0 j, moyen 3,0 j)" in html.replace("\xa0", " ")


def test_tickets_and_resolution_times_are_in_the_csv_export(manager_client, call_with_tickets):
    response = manager_client.get(reverse("impact:export", args=["service", "csv"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    for row in rows:  # the call's line and the total line
        assert row["Tickets SAV"] == "4"
        assert row["Tickets résolus"] == "3"
        assert row["Délai médian de résolution (jours)"] == "2.0"
        assert row["Délai moyen de résolution (jours)"] == "3.0"
    assert [row["Appel"] for row in rows][-1] == "Total"


def test_tickets_and_resolution_times_are_in_the_funders_report(call_with_tickets):
    total = impact_report_rendering(call_with_tickets).context["total"]
    assert (total["tickets"], total["tickets_resolved"]) == (4, 3)
    assert str(total["median_resolution_days"]) == "2.0"
    assert str(total["mean_resolution_days"]) == "3.0"
