"""Logistics figures per call: items per status, time to deliver, after-sales load, and
what is still to pick; the stock per pack type that the committee's page shows.

Aggregated in SQL (a fixed number of grouped queries whatever the number of calls); the
medians and ticket counts come from :mod:`equipements.impact`, which defines them once.
:func:`stock_by_pack_type` is registered with :mod:`appels.stock` at start-up
(``EquipementsConfig.ready()``), so that the committee sees the stock without ``appels``
importing this app.
"""

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from appels.models import Application
from appels.stock import PackStock

from .impact import _days, breakdown
from .models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
    Item,
    ItemStatus,
    SupportTicket,
)
from .models.support import TicketStatus

# Allocations whose packs are promised to a centre for good: confirmed (being picked), then
# picked, shipped, delivered. Only the confirmed ones still have devices to pick.
PAST_CONFIRMATION = (
    AllocationStatus.CONFIRMED,
    AllocationStatus.PICKED,
    AllocationStatus.SHIPPED,
    AllocationStatus.DELIVERED,
)


def stock_by_pack_type(pack_type_ids, *, exclude_call=None):
    """``{pack_type_id: PackStock}``: devices in stock and reserved per pack type, and the
    devices that confirmed allocations (except ``exclude_call``'s) still have to pick.

    One query: the items grouped by pack type and status (the ``item_picking`` index starts
    with both), beside the devices the confirmed allocations' lines need and those already
    picked for them, grouped by pack type (needed minus picked is still to pick: picking
    never takes more than a line needs).
    """
    items = (
        Item.objects.filter(
            pack_type_id__in=pack_type_ids, status__in=[ItemStatus.IN_STOCK, ItemStatus.RESERVED]
        )
        .order_by()
        .values_list("pack_type_id", "status")
        # COUNT(*), not of a column: PostgreSQL can answer from the index alone.
        .annotate(n=Count("*"))
    )
    lines = AllocationLine.objects.filter(
        pack_type_id__in=pack_type_ids, allocation__status=AllocationStatus.CONFIRMED
    )
    picked = AllocatedItem.objects.filter(
        line__pack_type_id__in=pack_type_ids,
        line__allocation__status=AllocationStatus.CONFIRMED,
        released_at__isnull=True,
    )
    if exclude_call is not None:
        # A subquery on the call's applications (its index) rather than a join over every
        # application of every call.
        own = Application.objects.filter(call_id=exclude_call).values("pk")
        lines = lines.exclude(allocation__application_id__in=own)
        picked = picked.exclude(line__allocation__application_id__in=own)
    needed = (
        lines.order_by()
        .values_list("pack_type_id")
        .annotate(kind=Value("needed"), n=Sum(F("quantity") * F("units_per_pack")))
        .values_list("pack_type_id", "kind", "n")
    )
    already = (
        picked.order_by()
        .values_list("line__pack_type_id")
        .annotate(kind=Value("picked"), n=Count("pk"))
        .values_list("line__pack_type_id", "kind", "n")
    )
    counts = {}
    for pack_type_id, kind, n in items.union(needed, already, all=True):
        counts.setdefault(pack_type_id, {})[kind] = int(n or 0)
    return {
        pack_type_id: PackStock(
            in_stock=found.get(ItemStatus.IN_STOCK, 0),
            reserved=found.get(ItemStatus.RESERVED, 0),
            committed=max(0, found.get("needed", 0) - found.get("picked", 0)),
        )
        for pack_type_id, found in counts.items()
    }


def to_pick_figures(calls):
    """What the warehouse has to pick, per call and pack type: ``[(call, rows)]`` for
    ``calls`` (a queryset or list, in its order), ``rows`` a list of dicts by pack type name.

    A row: ``pack_type`` (its name), ``units_per_pack``, ``packs`` and ``devices`` of the
    allocations past confirmation, ``picked`` (devices), ``to_pick`` (devices of the
    confirmed allocations not picked yet), ``packs_to_pick`` (their packs not complete yet),
    ``allocations_to_pick``, ``in_stock`` (devices of the pack type on the shelves, for every
    call) and ``committed`` (devices all confirmed allocations of the pack type still need).
    Two queries whatever the number of calls and allocations.
    """
    calls = list(calls)
    picked_on_line = (
        AllocatedItem.objects.filter(line=OuterRef("pk"), released_at__isnull=True)
        .order_by()
        .values("line")
        .annotate(n=Count("pk"))
        .values("n")
    )
    is_confirmed = Q(allocation__status=AllocationStatus.CONFIRMED)
    devices = F("quantity") * F("units_per_pack")
    found = (
        AllocationLine.objects.filter(
            allocation__application__call__in=calls, allocation__status__in=PAST_CONFIRMATION
        )
        .annotate(picked=Coalesce(Subquery(picked_on_line), 0))
        .order_by()
        .values(
            "pack_type_id",
            "pack_type__name",
            "pack_type__units_per_pack",
            call=F("allocation__application__call"),
        )
        .annotate(
            packs=Sum("quantity"),
            devices=Sum(devices),
            to_pick=Sum(
                Case(
                    When(is_confirmed, then=devices - F("picked")),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
            packs_to_pick=Sum(
                Case(
                    When(is_confirmed, then=F("quantity") - F("picked") / F("units_per_pack")),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
            allocations_to_pick=Count("allocation", filter=is_confirmed, distinct=True),
        )
    )
    found = list(found)
    stock = stock_by_pack_type({row["pack_type_id"] for row in found})
    by_call = {call.pk: [] for call in calls}
    for row in found:
        pack_stock = stock.get(row["pack_type_id"], PackStock(0, 0, 0))
        to_pick = max(0, int(row["to_pick"]))
        by_call[row["call"]].append(
            {
                "pack_type": row["pack_type__name"],
                "pack_type_id": row["pack_type_id"],
                "units_per_pack": row["pack_type__units_per_pack"],
                "packs": int(row["packs"]),
                "devices": int(row["devices"]),
                "picked": int(row["devices"]) - to_pick,
                "to_pick": to_pick,
                "packs_to_pick": max(0, int(row["packs_to_pick"])),
                "allocations_to_pick": row["allocations_to_pick"],
                "in_stock": pack_stock.in_stock,
                "committed": pack_stock.committed,
                "is_short": pack_stock.committed > pack_stock.in_stock,
            }
        )
    for rows in by_call.values():
        rows.sort(key=lambda row: row["pack_type"])
    return [(call, by_call[call.pk]) for call in calls]


def logistics_figures(calls):
    """``[(call, figures)]`` for ``calls`` (a queryset), plus the totals: ``(rows, total)``.

    ``figures``: ``devices`` (``{status: count}`` of the devices ever picked for the call, by
    their status now), ``allocations`` (``{status: count}``), ``average_delivery_days`` and
    ``median_delivery_days`` (decision → delivery), ``tickets_open``, ``tickets``,
    ``median_resolution_days`` and ``to_pick`` (per pack type, see :func:`to_pick_figures`).
    """
    calls = list(calls)
    items = (
        AllocatedItem.objects.filter(line__allocation__application__call__in=calls)
        .order_by()
        .values(call=F("line__allocation__application__call"), status=F("item__status"))
        .annotate(n=Count("item", distinct=True))
    )
    allocations = (
        Allocation.objects.filter(application__call__in=calls)
        .order_by()
        .values(call=F("application__call"), allocation_status=F("status"))
        .annotate(n=Count("pk"))
    )
    delivered = Allocation.objects.filter(
        application__call__in=calls,
        status=AllocationStatus.DELIVERED,
        delivered_at__isnull=False,
        application__decided_at__isnull=False,
    ).order_by()
    to_delivery = ExpressionWrapper(
        F("delivered_at") - F("application__decided_at"), output_field=DurationField()
    )
    delivery = delivered.values(call=F("application__call")).annotate(average=Avg(to_delivery))
    open_tickets = (
        # Through the allocation the ticket recorded: a replaced item's row is released.
        SupportTicket.objects.filter(allocation__application__call__in=calls)
        .exclude(status=TicketStatus.RESOLVED)
        .order_by()
        .values(call=F("allocation__application__call"))
        .annotate(n=Count("pk"))
    )
    by_call = {call.pk: _empty() for call in calls}
    for row in items:
        by_call[row["call"]]["devices"][row["status"]] += row["n"]
    for row in allocations:
        by_call[row["call"]]["allocations"][row["allocation_status"]] += row["n"]
    for row in delivery:
        by_call[row["call"]]["average_delivery_days"] = _days(row["average"])
    for row in open_tickets:
        by_call[row["call"]]["tickets_open"] = row["n"]
    for call, rows in to_pick_figures(calls):
        by_call[call.pk]["to_pick"] = rows
    call_ids = [call.pk for call in calls]
    queryset = type(calls[0]).objects.filter(pk__in=call_ids) if calls else None
    impact = breakdown(queryset, by="call") if calls else {}
    for call_id, figures in by_call.items():
        found = impact.get(call_id, {})
        figures["median_delivery_days"] = found.get("median_delivery_days")
        figures["median_resolution_days"] = found.get("median_resolution_days")
        figures["tickets"] = found.get("tickets", 0)
    total = _empty()
    for figures in by_call.values():
        for status, n in figures["devices"].items():
            total["devices"][status] += n
        for status, n in figures["allocations"].items():
            total["allocations"][status] += n
        total["tickets_open"] += figures["tickets_open"]
        total["tickets"] += figures["tickets"]
    overall = breakdown(queryset) if calls else {None: {}}
    total["median_delivery_days"] = overall[None].get("median_delivery_days")
    total["average_delivery_days"] = _days(delivered.aggregate(average=Avg(to_delivery))["average"])
    total["median_resolution_days"] = overall[None].get("median_resolution_days")
    return [(call, by_call[call.pk]) for call in calls], total


def _empty():
    return {
        "devices": dict.fromkeys(ItemStatus.values, 0),
        "allocations": dict.fromkeys(AllocationStatus.values, 0),
        "average_delivery_days": None,
        "median_delivery_days": None,
        "tickets_open": 0,
        "tickets": 0,
        "median_resolution_days": None,
        "to_pick": [],
    }
