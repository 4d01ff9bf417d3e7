"""The national-scale data set of the benchmarks (``seed_scale``), at a tiny scale."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min

from appels.models import Application, ApplicationStatus, Call, CallStatus, Review, Score
from equipements import scale
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationStatus,
    Invoice,
    InvoiceCounter,
    Item,
    ItemStatus,
    Shipment,
)

pytestmark = pytest.mark.django_db

TINY = {
    "centres": 40,
    "calls": 3,
    "applications": 90,
    "items": 300,
    "shipments": 15,
    "invoices": 20,
    "seed": 7,
}


def seed(**options):
    call_command("seed_scale", **{**TINY, **options}, stdout=open("/dev/null", "w"))  # noqa: SIM115


def fingerprint():
    return {
        "serials": list(Item.objects.order_by("serial_number").values_list("serial_number")),
        "invoices": list(
            Invoice.objects.order_by("number").values_list(
                "number", "buyer_siret", "total_incl_tax"
            )
        ),
        "shipments": list(Shipment.objects.order_by("reference").values_list("reference")),
        "outcomes": list(
            Application.objects.order_by("call__slug", "centre__siret").values_list(
                "call__slug", "centre__siret", "status"
            )
        ),
    }


def test_seed_scale_creates_the_requested_counts():
    seed()
    calls = Call.objects.filter(slug__startswith=scale.SLUG_PREFIX)
    assert calls.count() == 3
    assert {c.status for c in calls} == {CallStatus.DECIDED, CallStatus.REVIEW, CallStatus.OPEN}
    assert Application.objects.filter(call__in=calls).count() == 90
    assert Item.objects.filter(serial_number__startswith="ECH").count() == 300
    assert Shipment.objects.count() == 15
    assert Invoice.objects.count() == 20
    assert Allocation.objects.count() == 20  # one invoice per allocation
    assert Review.objects.exists() and Score.objects.exists()


def test_seed_scale_follows_the_lifecycles_and_constraints():
    seed()
    # Delivered allocations have a shipment received by the centre and delivered items;
    # picked ones hold reserved items; confirmed ones hold none.
    for allocation in Allocation.objects.prefetch_related("lines__allocated_items__item"):
        items = [a.item for line in allocation.lines.all() for a in line.allocated_items.all()]
        if allocation.status == AllocationStatus.DELIVERED:
            assert allocation.shipment.status == "received"
            assert items and {i.status for i in items} == {ItemStatus.DELIVERED}
        elif allocation.status == AllocationStatus.PICKED:
            assert items and {i.status for i in items} == {ItemStatus.RESERVED}
        else:
            assert allocation.status == AllocationStatus.CONFIRMED and not items
        assert allocation.application.status == ApplicationStatus.SELECTED
    assert (
        AllocatedItem.objects.count()
        == Item.objects.exclude(
            status__in=[ItemStatus.IN_STOCK, "under_repair", "returned", "recycled"]
        ).count()
    )
    # Every submitted review in a decided call has one score per criterion.
    decided = Review.objects.filter(application__call__status=CallStatus.DECIDED)
    assert not decided.exclude(status="submitted").exists()
    assert {r.n for r in decided.annotate(n=Count("scores"))} == {4}


def test_invoice_numbers_are_gapless_per_series_and_year_with_their_counter():
    seed()
    years = Invoice.objects.values("series", "year").annotate(
        n=Count("id"), low=Min("sequence_number"), high=Max("sequence_number")
    )
    assert years
    for row in years:
        assert (row["low"], row["high"]) == (1, row["n"])
        counter = InvoiceCounter.objects.get(series=row["series"], year=row["year"])
        assert counter.last_number == row["n"]
    # Chronological: a later number never has an earlier date.
    for row in years:
        dates = list(
            Invoice.objects.filter(series=row["series"], year=row["year"])
            .order_by("sequence_number")
            .values_list("issued_on", flat=True)
        )
        assert dates == sorted(dates)


def test_same_seed_same_data_and_a_second_run_is_refused():
    seed()
    first = fingerprint()
    with pytest.raises(CommandError):
        seed()
    seed(flush=True)
    assert fingerprint() == first
    seed(if_empty=True)  # nothing to do, no error
    assert fingerprint() == first


def test_flush_keeps_the_demo_data():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    demo_invoices = set(Invoice.objects.values_list("number", flat=True))
    demo_applications = Application.objects.count()
    seed()
    seed(flush=True, seed=8)
    scale.flush()
    assert set(Invoice.objects.values_list("number", flat=True)) == demo_invoices
    assert Application.objects.count() == demo_applications


@pytest.mark.parametrize("copy", [False, True], ids=["insert", "copy"])
def test_every_scale_reviews_stored_total_is_the_weighted_total_of_its_scores(copy, monkeypatch):
    """Written in bulk (INSERT at this size, COPY at the benchmark's), the stored totals are
    those ``services.save_review`` would keep."""
    from django.db import connection  # noqa: PLC0415

    from appels.services import review_total  # noqa: PLC0415

    if copy and connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    monkeypatch.setattr(scale, "COPY_THRESHOLD", 1 if copy else 10**9)
    seed()
    reviews = list(Review.objects.filter(application__call__slug__startswith=scale.SLUG_PREFIX))
    assert any(review.total is not None for review in reviews)
    assert all(review.total == review_total(review) for review in reviews)
