"""Fixtures of the impact tests: people in each role, the demo data seeded once per module,
and a builder of small hand-made datasets whose figures can be computed by hand."""

import shutil
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from appels.models import ApplicationStatus, CallStatus, PackType
from centres.roles import LOGISTICS, PROGRAMME_MANAGERS, REVIEWERS
from equipements.models import AllocationStatus, Grade, ItemStatus, TicketStatus
from tests.browser.conftest import (  # noqa: F401 - the browser fixtures, for test_browser.py
    _post_migrate_receiver_accepts_flush,
    browser_context_args,
    browser_settings,
    check_a11y,
    screenshot,
)
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    AllocationLineFactory,
    ApplicationFactory,
    CallFactory,
    CallOfferFactory,
    CentreFactory,
    MembershipFactory,
    PackTypeFactory,
    SupportTicketFactory,
    SurveyAnswerFactory,
    UserFactory,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
PARIS = timezone.get_fixed_timezone(60)
ROLES = ("anonymous", "centre_staff", "reviewer", "logistics", "programme_manager", "superuser")


def at(day, hour=12):
    """An aware datetime at noon (Paris winter time) on ``day`` (a date)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


# --- people -------------------------------------------------------------------------------


def user_in_role(role):
    """A user holding ``role`` (one of ROLES but anonymous)."""
    if role == "centre_staff":
        return MembershipFactory(is_referent=True).user
    if role == "superuser":
        return UserFactory(is_staff=True, is_superuser=True)
    group = {
        "reviewer": REVIEWERS,
        "logistics": LOGISTICS,
        "programme_manager": PROGRAMME_MANAGERS,
    }[role]
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def programme_manager(db):
    return user_in_role("programme_manager")


@pytest.fixture
def manager_client(client, programme_manager):
    client.force_login(programme_manager)
    return client


# --- the demo data ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, seeded once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
            analyze()
            yield
            transaction.set_rollback(True)
        # The row counts ANALYZE wrote into pg_class survive the rollback: analyze the empty
        # tables again, so that the tests run after this module plan as they would alone.
        analyze()


def analyze():
    """Fresh planner statistics, as autovacuum keeps them in production (ANALYZE counts the
    rows of the current transaction): the planner sees the rows there are."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- hand-built datasets ------------------------------------------------------------------


class Builder:
    """Small datasets for hand-computed figures. Statuses are set directly (arranging a
    test); dates are explicit so that delays are known to the hour."""

    def __init__(self):
        self.desktop = PackTypeFactory(
            name="Pack test ordinateur", kind=PackType.Kind.DESKTOP, market_value=Decimal("450")
        )
        self.tablets = PackTypeFactory(
            name="Flotte test de 6 tablettes",
            kind=PackType.Kind.TABLET,
            units_per_pack=6,
            market_value=Decimal("1500"),
        )

    def call(self, *, status=CallStatus.ARCHIVED, edition="2031", **kwargs):
        call = CallFactory(status=status, edition=edition, offers=0, criteria=0, **kwargs)
        CallOfferFactory(call=call, pack_type=self.desktop, solidarity_price=Decimal("90"))
        CallOfferFactory(call=call, pack_type=self.tablets, solidarity_price=Decimal("150"))
        return call

    def application(self, call, *, department="35", status=ApplicationStatus.SELECTED, **kw):
        centre = CentreFactory(department=department)
        return ApplicationFactory(call=call, centre=centre, status=status, lines=0, **kw)

    def equip(
        self,
        application,
        *,
        desktops=0,
        fleets=0,
        decided_on=None,
        delivered_on=None,
        grade=Grade.A,
        items=True,
        status=AllocationStatus.DELIVERED,
    ):
        """A delivered allocation of ``desktops`` computer packs and ``fleets`` tablet
        fleets; with ``items``, one picked item per device of the given grade."""
        decided_on = decided_on or timezone.localdate() - timedelta(days=30)
        delivered_on = delivered_on or decided_on + timedelta(days=10)
        application.decided_at = at(decided_on)
        application.save(update_fields=["decided_at"])
        allocation = AllocationFactory(
            application=application,
            status=status,
            lines=0,
            delivered_at=at(delivered_on) if status == AllocationStatus.DELIVERED else None,
        )
        picked = []
        for pack_type, quantity in ((self.desktop, desktops), (self.tablets, fleets)):
            if not quantity:
                continue
            offer = application.call.offers.get(pack_type=pack_type)
            line = AllocationLineFactory(allocation=allocation, offer=offer, quantity=quantity)
            if items:
                for _ in range(quantity * pack_type.units_per_pack):
                    picked.append(
                        AllocatedItemFactory(
                            line=line,
                            item__grade=grade if pack_type == self.desktop else Grade.NEW,
                            item__status=ItemStatus.DELIVERED,
                        ).item
                    )
        return allocation, picked

    def survey(self, application, *, satisfaction=4, opened=False, **kwargs):
        return SurveyAnswerFactory(
            application=application,
            satisfaction=satisfaction,
            opened_mediation_space=opened,
            **kwargs,
        )

    def ticket(self, item, centre, *, opened_on, resolved_after_days=None):
        resolved = resolved_after_days is not None
        return SupportTicketFactory(
            item=item,
            centre=centre,
            opened_at=at(opened_on),
            status=TicketStatus.RESOLVED if resolved else TicketStatus.OPEN,
            resolved_at=at(opened_on + timedelta(days=resolved_after_days)) if resolved else None,
        )


@pytest.fixture
def build(db):
    return Builder()


# --- pictures for a person to look at ---------------------------------------------------


def pdf_pictures(data, name):
    """Save the PDF and a PNG of each page under test-output/screenshots/."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_path = SCREENSHOTS / f"{name}.pdf"
    pdf_path.write_bytes(data)
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", str(pdf_path), str(SCREENSHOTS / name)], check=True
    )
    return sorted(SCREENSHOTS.glob(f"{name}-*.png"))


def pdf_text(data):
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()
