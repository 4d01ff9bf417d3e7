"""The demo data reproduces the historical editions exactly, and seeding twice changes nothing."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from appels.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Call,
    CallStatus,
    Review,
    ReviewStatus,
    SurveyAnswer,
)
from appels.ranking import ranking
from appels.services import assign_reviewer, reviewer_conflict
from centres.geography import Region
from centres.models import Centre, Membership, Partner, User
from centres.roles import is_reviewer
from equipements.demo import (
    DEMO_ACCOUNTS,
    PILOT_BATCH,
    PILOT_SLUG,
    REVIEW_SLUG,
)
from equipements.impact import headline_figures
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationStatus,
    Batch,
    Invoice,
    InvoiceCounter,
    Item,
    ItemStatus,
)
from solidaire.errors import DomainError

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
    historical = Call.objects.published().exclude(slug=PILOT_SLUG).order_by("opens_at")
    assert list(historical.values_list("edition", flat=True)) == ["2011–2012", "2012–2013", "2014"]
    # The only other published call is the logistics pilot, of which nothing is delivered.
    assert set(Call.objects.published().values_list("slug", flat=True)) - set(
        historical.values_list("slug", flat=True)
    ) == {PILOT_SLUG}
    assert not Allocation.objects.filter(
        application__call__slug=PILOT_SLUG, status=AllocationStatus.DELIVERED
    ).exists()
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
    delivered = Allocation.objects.filter(status=AllocationStatus.DELIVERED)
    assert Invoice.objects.count() == delivered.count() == 280
    # The pilot invoices on delivery: its confirmed allocation has no invoice yet.
    assert not Invoice.objects.exclude(allocation__in=delivered).exists()


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


# --- A call in review, for reviewers and the committee --------------------------------


def review_call():
    return Call.objects.get(slug=REVIEW_SLUG)


def demo_user(role):
    return User.objects.get(email=next(a[1] for a in DEMO_ACCOUNTS if a[0] == role))


def test_a_call_in_review_closed_a_few_days_ago(demo):
    call = review_call()
    now = timezone.now()
    assert call.status == CallStatus.REVIEW
    assert now - timedelta(days=7) < call.closes_at < now
    assert now + timedelta(days=9) < call.review_ends_at < now + timedelta(days=11)
    weights = list(call.criteria.values_list("weight", flat=True))
    assert 2 <= len(weights) <= 3 and len(set(weights)) > 1
    offer = call.offers.get()
    assert offer.per_centre_cap < offer.quantity_available
    applications = call.applications.all()
    assert applications.count() == 12
    assert set(applications.values_list("status", flat=True)) == {ApplicationStatus.SUBMITTED}
    assert applications.values("title").distinct().count() == 12
    requested = offer.lines.aggregate(n=Sum("requested_quantity"))["n"]
    assert requested > offer.quantity_available  # the committee has to choose
    assert not offer.lines.filter(requested_quantity__gt=offer.per_centre_cap).exists()
    # Centre A applied, so its staff see an application under review in their portal.
    assert applications.filter(centre__memberships__user=demo_user("staff-centre-a")).exists()


def test_every_application_has_its_two_reviewers(demo):
    call = review_call()
    per_application = Review.objects.filter(application__call=call).values("application")
    counts = per_application.annotate(n=Count("id")).values_list("n", flat=True)
    assert list(counts) == [call.reviewers_per_application] * 12
    statuses = set(Review.objects.filter(application__call=call).values_list("status", flat=True))
    assert statuses == {ReviewStatus.ASSIGNED, ReviewStatus.DRAFT, ReviewStatus.SUBMITTED}
    for review in Review.objects.filter(application__call=call, status=ReviewStatus.SUBMITTED):
        assert review.scores.count() == call.criteria.count()
        assert review.recommendation and review.submitted_at < timezone.now()


def test_demo_reviewers_hold_the_role_and_have_work_to_do(demo):
    call = review_call()
    helene, hdf = demo_user("reviewer"), demo_user("reviewer-hdf")
    assert is_reviewer(helene) and is_reviewer(hdf)
    mine = Review.objects.filter(application__call=call, reviewer=helene)
    assert {
        status: mine.filter(status=status).count()
        for status in (ReviewStatus.SUBMITTED, ReviewStatus.DRAFT, ReviewStatus.ASSIGNED)
    } == {ReviewStatus.SUBMITTED: 6, ReviewStatus.DRAFT: 2, ReviewStatus.ASSIGNED: 2}
    theirs = Review.objects.filter(application__call=call, reviewer=hdf)
    assert theirs.filter(status=ReviewStatus.SUBMITTED).count() == 3
    assert theirs.exclude(status=ReviewStatus.SUBMITTED).count() == 4


def test_the_conflict_rule_shows_on_the_hauts_de_france_reviewer(demo):
    call = review_call()
    hdf = demo_user("reviewer-hdf")
    assert hdf.organisation.kind == Partner.Kind.FEDERATION
    assert hdf.organisation.region == Region.HAUTS_DE_FRANCE
    centre_a_application = call.applications.get(
        centre__memberships__user=demo_user("staff-centre-a")
    )
    assert centre_a_application.centre.federation_id == hdf.organisation_id
    assert reviewer_conflict(call, centre_a_application, hdf)
    with pytest.raises(DomainError):
        assign_reviewer(centre_a_application, hdf)
    assert not Review.objects.filter(
        reviewer=hdf, application__centre__federation=hdf.organisation
    ).exists()


def test_the_reviewers_to_do_list(demo, client):
    client.force_login(demo_user("reviewer"))
    response = client.get(reverse("admin:appels_review_changelist"), {"todo": "todo"})
    assert response.status_code == 200
    todo = response.context["cl"].result_list
    assert len(todo) == 4  # two drafts, two to start: all on the call in review
    assert {review.application.call.slug for review in todo} == {REVIEW_SLUG}


def test_the_committee_ranking_flags_two_disagreements(demo, client):
    call = review_call()
    rows = ranking(call)
    assert len(rows) == 12
    assert sum(row.disagreement for row in rows) == 2
    assert sum(row.reviews_done == 0 for row in rows) >= 1  # not started yet: ranked last
    assert rows[0].average == max(row.average for row in rows if row.average is not None)
    client.force_login(demo_user("programme-manager"))
    response = client.get(reverse("admin:appels_call_ranking", args=[call.pk]))
    assert response.status_code == 200
    assert rows[0].application.centre.name in response.content.decode()


# --- Logistics: a confirmed allocation to pick --------------------------------------------


def confirmed_allocation():
    return Allocation.objects.select_related("application__call").get(
        status=AllocationStatus.CONFIRMED
    )


def test_one_confirmed_allocation_with_enough_stock_to_pick_it(demo):
    allocation = confirmed_allocation()
    assert allocation.application.status == ApplicationStatus.SELECTED
    assert allocation.application.call.slug == PILOT_SLUG
    assert allocation.confirmed_at and not allocation.delivered_at
    assert allocation.application.centre.memberships.filter(user=demo_user("staff-centre-b"))
    line = allocation.lines.get()
    in_stock = Item.objects.filter(pack_type=line.pack_type, status=ItemStatus.IN_STOCK)
    assert in_stock.count() >= line.device_count >= 2
    batch = Item.objects.filter(batch__reference=PILOT_BATCH)
    assert batch.count() == batch.filter(status=ItemStatus.IN_STOCK, erasure__isnull=False).count()
    assert batch.count() >= line.device_count
    assert batch.get(serial_number__startswith="RBP00001").batch.partner.name == (
        "Ateliers du Bocage"
    )


def test_the_confirmed_allocation_is_picked_from_the_scan_page(demo, client):
    allocation = confirmed_allocation()
    client.force_login(demo_user("logistics"))
    url = reverse("admin:equipements_allocation_scan", args=[allocation.pk])
    assert client.get(url).status_code == 200
    serials = Item.objects.filter(batch__reference=PILOT_BATCH).order_by("serial_number")
    needed = allocation.lines.get().device_count
    for item in serials[:needed]:
        response = client.post(url, {"serial": item.serial_number})
        assert response.status_code == 302, response.content.decode()[:500]
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PICKED
    assert serials.filter(status=ItemStatus.RESERVED).count() == needed


def test_the_additions_leave_every_historical_figure_alone(demo):
    for slug in (REVIEW_SLUG, PILOT_SLUG):
        call = Call.objects.get(slug=slug)
        assert headline_figures(Call.objects.filter(pk=call.pk))["computers"] == 0
        assert not SurveyAnswer.objects.filter(application__call=call).exists()
    assert not Call.objects.published().filter(slug=REVIEW_SLUG).exists()


def test_a_database_seeded_before_the_additions_gets_them(demo):
    """``make run`` seeds an existing db.sqlite3 again: the missing parts are added."""
    reviews = Review.objects.filter(application__call__slug=REVIEW_SLUG).count()
    items = Item.objects.count()
    Allocation.objects.filter(application__call__slug=PILOT_SLUG).delete()
    Agreement.objects.filter(application__call__slug=PILOT_SLUG).delete()
    Item.objects.filter(batch__reference=PILOT_BATCH).delete()
    Batch.objects.filter(reference=PILOT_BATCH).delete()
    for slug in (REVIEW_SLUG, PILOT_SLUG):
        Application.objects.filter(call__slug=slug).delete()
        Call.objects.filter(slug=slug).delete()
    demo_user("reviewer-hdf").delete()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo data created." in out.getvalue()
    assert review_call().status == CallStatus.REVIEW
    assert Review.objects.filter(application__call__slug=REVIEW_SLUG).count() == reviews
    assert Item.objects.count() == items
    assert confirmed_allocation().application.call.slug == PILOT_SLUG
    assert is_reviewer(demo_user("reviewer-hdf"))
    assert headline_figures()["computers"] == 1433


def test_every_reviews_stored_total_is_the_weighted_total_of_its_scores(demo):
    from appels.models import Review  # noqa: PLC0415
    from appels.services import review_total  # noqa: PLC0415

    reviews = list(Review.objects.all())
    assert any(review.total is not None for review in reviews)
    assert all(review.total == review_total(review) for review in reviews)
