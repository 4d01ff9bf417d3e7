"""Invariants under concurrency, on PostgreSQL: gapless invoice numbers, stock never oversold.

Each worker thread opens its own database connection and closes it when done; a barrier
starts them together so that they really race.
"""

import threading

import pytest
from django.db import connection

from equipements import services
from equipements.models import (
    AllocatedItem,
    Allocation,
    AllocationStatus,
    Invoice,
    InvoiceCounter,
    Item,
    ItemStatus,
)
from solidaire.errors import DomainError
from tests.factories import AllocationFactory, CallFactory, ItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOIN_TIMEOUT = 120  # seconds


def run_together(work, arguments):
    """Call ``work(argument)`` in one thread per argument, all released at once.

    Returns ``(results, errors)``: what each call returned or raised, in argument order.
    """
    barrier = threading.Barrier(len(arguments))
    results = [None] * len(arguments)
    errors = [None] * len(arguments)

    def target(index, argument):
        try:
            barrier.wait(timeout=30)
            results[index] = work(argument)
        except Exception as exc:  # noqa: BLE001 - reported to the test thread
            errors[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=target, args=(index, argument), daemon=True)
        for index, argument in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a worker thread is stuck"
    return results, errors


def test_twenty_invoices_issued_at_once_are_numbered_1_to_20_without_gap_or_duplicate():
    call = CallFactory()
    allocations = [
        AllocationFactory(application__call=call, status=AllocationStatus.DELIVERED)
        for _ in range(20)
    ]
    before = InvoiceCounter.objects.values_list("last_number", flat=True).first() or 0

    invoices, errors = run_together(services.issue_invoice, allocations)

    assert errors == [None] * 20
    numbers = sorted(invoice.sequence_number for invoice in invoices)
    assert numbers == list(range(before + 1, before + 21))
    stored = Invoice.objects.filter(allocation__in=allocations)
    assert stored.count() == 20
    assert len(set(stored.values_list("number", flat=True))) == 20
    assert InvoiceCounter.objects.get().last_number == before + 20
    # Chronological: the order of creation is the order of the numbers.
    by_time = list(stored.order_by("created_at", "pk").values_list("sequence_number", flat=True))
    assert by_time == numbers


def test_twenty_pickers_for_the_last_five_items_reserve_each_item_once():
    call = CallFactory()
    allocations = [
        AllocationFactory(application__call=call, status=AllocationStatus.CONFIRMED, lines=1)
        for _ in range(20)
    ]
    pack_type = call.offers.get().pack_type
    items = ItemFactory.create_batch(5, pack_type=pack_type)

    _results, errors = run_together(services.pick_items, allocations)

    refused = [e for e in errors if e is not None]
    assert all(isinstance(e, DomainError) and e.code == "out_of_stock" for e in refused), refused
    assert len(refused) == 15
    statuses = Allocation.objects.filter(pk__in=[a.pk for a in allocations]).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == sorted(
        [AllocationStatus.PICKED] * 5 + [AllocationStatus.CONFIRMED] * 15
    )
    picked = AllocatedItem.objects.filter(line__allocation__in=allocations, released_at=None)
    assert picked.count() == 5
    assert set(picked.values_list("item_id", flat=True)) == {item.pk for item in items}
    assert set(
        Item.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)
    ) == {ItemStatus.RESERVED}
    # Each picked allocation holds exactly its one item.
    for allocation in Allocation.objects.filter(status=AllocationStatus.PICKED):
        assert picked.filter(line__allocation=allocation).count() == 1


def test_the_same_serial_scanned_at_twenty_packing_tables_is_reserved_once():
    call = CallFactory()
    allocations = [
        AllocationFactory(application__call=call, status=AllocationStatus.CONFIRMED, lines=1)
        for _ in range(20)
    ]
    item = ItemFactory(pack_type=call.offers.get().pack_type, serial_number="SN-LAST")

    results, errors = run_together(
        lambda allocation: services.scan_item(allocation, "SN-LAST"), allocations
    )

    assert len([r for r in results if r is not None]) == 1
    refused = [e for e in errors if e is not None]
    assert len(refused) == 19
    assert all(e.code == "not_in_stock" for e in refused), refused
    assert AllocatedItem.objects.filter(item=item, released_at=None).count() == 1
    assert Allocation.objects.filter(status=AllocationStatus.PICKED).count() == 1
