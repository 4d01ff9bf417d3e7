"""Logistics figures per call: items per status, time to deliver, after-sales load.

Aggregated in SQL (a fixed number of grouped queries whatever the number of calls); the
medians and ticket counts come from :mod:`equipements.impact`, which defines them once.
"""

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F

from .impact import _days, breakdown
from .models import AllocatedItem, Allocation, AllocationStatus, ItemStatus, SupportTicket
from .models.support import TicketStatus


def logistics_figures(calls):
    """``[(call, figures)]`` for ``calls`` (a queryset), plus the totals: ``(rows, total)``.

    ``figures``: ``devices`` (``{status: count}`` of the devices ever picked for the call, by
    their status now), ``allocations`` (``{status: count}``), ``average_delivery_days`` and
    ``median_delivery_days`` (decision → delivery), ``tickets_open``, ``tickets`` and
    ``median_resolution_days``.
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
    }
