"""The demo data reproduces the historical editions exactly, and seeding twice changes nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum
from django.urls import reverse

from appels.models import Application, ApplicationStatus, Call, CallStatus, SurveyAnswer
from centres.models import Centre, Membership, Partner, User
from equipements.demo import DEMO_ACCOUNTS
from equipements.impact import headline_figures
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationStatus,
    Invoice,
    InvoiceCounter,
    Item,
    ItemStatus,
)

DOMAIN_APPS = ("centres", "appels", "equipements")


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_historical_figures_come_out_exactly(demo):
    figures = headline_figures()
    assert figures["computers"] == 1433
    assert figures["mediation_spaces"] == 97
    assert figures["tablets"] == 180
    assert figures["tablet_centres"] == 30
    assert figures["tablets_per_centre"] == Decimal("6.0")
    assert Decimal("89.50") <= figures["average_computer_price"] <= Decimal("90.50")
    assert figures["satisfaction_rate"] == 95


def test_three_historical_editions_and_one_open_call(demo):
    editions = list(Call.objects.published().order_by("opens_at").values_list("edition", flat=True))
    assert editions == ["2011–2012", "2012–2013", "2014"]
    open_calls = Call.objects.accepting_applications()
    assert open_calls.count() == 1
    assert open_calls.get().offers.count() == 2


def test_partners_of_the_operation_exist(demo):
    names = set(Partner.objects.values_list("name", flat=True))
    for expected in ("Solidatech", "Ateliers du Bocage", "Fondation Free", "Huawei"):
        assert expected in names
    assert Partner.objects.filter(name__contains="FCSF", kind=Partner.Kind.FEDERATION).exists()


def test_each_demo_login_is_printed_and_works(demo, client):
    lines = [line for line in demo.splitlines() if line.startswith("demo login: ")]
    assert len(lines) == len(DEMO_ACCOUNTS)
    for (role, email, _first, _last), line in zip(DEMO_ACCOUNTS, lines, strict=True):
        assert line == f"demo login: {role} {email} {settings.DEMO_PASSWORD}"
        response = client.post(
            reverse("centres:login"), {"username": email, "password": settings.DEMO_PASSWORD}
        )
        assert response.status_code == 302, role
        assert client.session.get("_auth_user_id"), role
        client.post(reverse("centres:logout"))


def test_demo_staff_belong_to_two_different_centres(demo):
    centres = Membership.objects.filter(user__email__in=[a[1] for a in DEMO_ACCOUNTS[:2]])
    assert centres.values("centre").distinct().count() == 2
    assert not User.objects.get(email=DEMO_ACCOUNTS[0][1]).is_staff
    assert User.objects.get(email=DEMO_ACCOUNTS[-1][1]).is_superuser


def test_withdrawn_rejected_and_waitlisted_applications_never_count_as_equipped(demo):
    not_selected = Application.objects.exclude(status=ApplicationStatus.SELECTED)
    assert not_selected.filter(status=ApplicationStatus.WITHDRAWN).exists()
    assert not_selected.filter(status=ApplicationStatus.REJECTED).exists()
    assert not Allocation.objects.filter(application__in=not_selected).exists()
    assert not SurveyAnswer.objects.filter(application__in=not_selected).exists()


def test_every_delivered_allocation_has_exactly_its_items_delivered(demo):
    delivered = Allocation.objects.filter(status=AllocationStatus.DELIVERED)
    devices = delivered.aggregate(n=Sum(F("lines__quantity") * F("lines__units_per_pack")))["n"]
    picked = AllocatedItem.objects.filter(line__allocation__in=delivered, released_at__isnull=True)
    assert picked.count() == devices == 1433 + 180
    assert not picked.exclude(item__status=ItemStatus.DELIVERED).exists()
    assert Item.objects.filter(status=ItemStatus.IN_STOCK).exists()  # stock for the open call


def test_invoice_numbers_are_gapless_and_chronological_per_year(demo):
    for counter in InvoiceCounter.objects.all():
        invoices = list(
            Invoice.objects.filter(series=counter.series, year=counter.year).order_by(
                "sequence_number"
            )
        )
        assert [i.sequence_number for i in invoices] == list(range(1, counter.last_number + 1))
        dates = [i.issued_on for i in invoices]
        assert dates == sorted(dates)
    assert Invoice.objects.count() == Allocation.objects.count() == 280


def test_one_application_per_centre_and_call_and_members_only(demo):
    duplicates = (
        Application.objects.values("call", "centre").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    lapsed = Centre.objects.exclude(membership_valid_until__gte="2026-01-01")
    assert lapsed.count() == 1
    assert not Application.objects.filter(centre__in=lapsed).exists()


def test_seeding_twice_changes_nothing(demo):
    before = row_counts()
    fingerprint = list(Call.objects.order_by("pk").values_list("pk", "slug", "status", "opens_at"))
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert row_counts() == before
    assert list(Call.objects.order_by("pk").values_list("pk", "slug", "status", "opens_at")) == (
        fingerprint
    )
    assert "nothing changed" in out.getvalue()
    assert out.getvalue().count("demo login: ") == len(DEMO_ACCOUNTS)
    assert Call.objects.filter(status=CallStatus.OPEN).count() == 1


# --- The home page shows them -------------------------------------------------------

NNBSP = "\u202f"


def figure(html, name):
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


def test_home_shows_the_historical_figures(demo, client):
    response = client.get(reverse("equipements:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "computers") == f"1{NNBSP}433"
    assert figure(html, "mediation_spaces") == "97"
    assert figure(html, "tablets") == "180"
    assert figure(html, "satisfaction_rate") == "95 %"
    assert figure(html, "average_computer_price") == "90\u00a0€"
    assert "tablettes pour 30 centres, en flottes de 6" in html
    assert "2011–2012" in html and "2012–2013" in html


def test_home_lists_the_open_call_with_its_offers(demo, client):
    html = client.get(reverse("equipements:home")).content.decode()
    call = Call.objects.accepting_applications().get()
    assert call.edition in html
    assert "Pack informatique reconditionné" in html
    assert "Flotte de 6 tablettes" in html
    assert "90,00\u00a0€" in html
    assert "Fondation Free" in html
