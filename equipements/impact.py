"""Impact figures computed live from the database, aggregated in SQL.

Only delivered allocations of selected applications count as equipment distributed: a
withdrawn, rejected or waitlisted application never counts as equipped.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth

from appels.models import Application, ApplicationStatus, Call, PackType, Rating, SurveyAnswer
from centres.geography import region_of

from .models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
    Grade,
    SupportTicket,
)

COMPUTER_KINDS = (PackType.Kind.DESKTOP, PackType.Kind.LAPTOP)
DEVICES = ExpressionWrapper(F("quantity") * F("units_per_pack"), output_field=IntegerField())
PAID = ExpressionWrapper(
    F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=14, decimal_places=2)
)
MARKET = ExpressionWrapper(
    F("quantity") * F("market_unit_value"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)
IS_COMPUTER = Q(pack_type__kind__in=COMPUTER_KINDS)
IS_TABLET = Q(pack_type__kind=PackType.Kind.TABLET)
CENTRE = "allocation__application__centre"


def delivered_lines(calls=None):
    lines = AllocationLine.objects.filter(
        allocation__status=AllocationStatus.DELIVERED,
        allocation__application__status=ApplicationStatus.SELECTED,
    )
    if calls is not None:
        lines = lines.filter(allocation__application__call__in=calls)
    return lines


def _equipment_aggregates():
    return {
        "computers": Sum(DEVICES, filter=IS_COMPUTER, default=0),
        "computer_packs": Sum("quantity", filter=IS_COMPUTER, default=0),
        "computer_paid": Sum(PAID, filter=IS_COMPUTER, default=Decimal(0)),
        "tablets": Sum(DEVICES, filter=IS_TABLET, default=0),
        "tablet_packs": Sum("quantity", filter=IS_TABLET, default=0),
        "centres_equipped": Count(CENTRE, distinct=True),
        "computer_centres": Count(CENTRE, filter=IS_COMPUTER, distinct=True),
        "tablet_centres": Count(CENTRE, filter=IS_TABLET, distinct=True),
        "packs": Sum("quantity", default=0),
        "paid": Sum(PAID, default=Decimal(0)),
        "market_value": Sum(MARKET, default=Decimal(0)),
    }


def _survey_aggregates():
    return {
        "answers": Count("pk"),
        "satisfied": Count("pk", filter=Q(satisfaction__gte=settings.SURVEY_SATISFIED_MIN)),
        "mediation_spaces": Count(
            "application__centre", filter=Q(opened_mediation_space=True), distinct=True
        ),
    }


def _ratio(numerator, denominator, places="0.01"):
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(places), rounding=ROUND_HALF_UP
    )


def _finish(figures):
    figures["average_computer_price"] = _ratio(figures["computer_paid"], figures["computer_packs"])
    figures["tablets_per_centre"] = _ratio(figures["tablets"], figures["tablet_centres"], "0.1")
    figures["satisfaction_rate"] = _ratio(100 * figures["satisfied"], figures["answers"], "1")
    figures["saving"] = figures["market_value"] - figures["paid"]
    return figures


def headline_figures(calls=None):
    """The operation's figures over ``calls`` (default: every published call). Two queries."""
    if calls is None:
        calls = Call.objects.published()
    figures = delivered_lines(calls).aggregate(**_equipment_aggregates())
    figures.update(
        SurveyAnswer.objects.filter(
            application__status=ApplicationStatus.SELECTED,
            application__allocation__status=AllocationStatus.DELIVERED,
            application__call__in=calls,
        ).aggregate(**_survey_aggregates())
    )
    return _finish(figures)


def figures_by_call(calls):
    """Per-call figures for the given calls, in their order. Three queries whatever the size."""
    calls = list(
        calls.annotate(
            applications_received=Count(
                "applications", filter=Q(applications__submitted_at__isnull=False)
            ),
            applications_selected=Count(
                "applications", filter=Q(applications__status=ApplicationStatus.SELECTED)
            ),
        )
    )
    equipment = {
        row["call_id"]: row
        for row in delivered_lines(calls)
        .values(call_id=F("allocation__application__call"))
        .annotate(**_equipment_aggregates())
    }
    surveys = {
        row["call_id"]: row
        for row in SurveyAnswer.objects.filter(
            application__status=ApplicationStatus.SELECTED,
            application__allocation__status=AllocationStatus.DELIVERED,
            application__call__in=calls,
        )
        .values(call_id=F("application__call"))
        .annotate(**_survey_aggregates())
    }
    empty_equipment = delivered_lines().none().aggregate(**_equipment_aggregates())
    empty_survey = SurveyAnswer.objects.none().aggregate(**_survey_aggregates())
    rows = []
    for call in calls:
        figures = {**empty_equipment, **equipment.get(call.pk, {})}
        figures.update({**empty_survey, **surveys.get(call.pk, {})})
        figures.pop("call_id", None)
        rows.append((call, _finish(figures)))
    return rows


# --- Breakdowns for the programme managers' dashboard -----------------------------------
#
# The same figures for the whole selection of calls (``by=None``), per call, per region or
# per department of the applying centre. Each family of figures is one grouped SQL query
# whatever the number of calls or groups; Python only merges the rows and divides.

GROUPS = {
    # grouping -> path from an Application
    "call": "call",
    "region": "centre__region",
    "department": "centre__department",
}
# Path from each aggregated model to its Application.
LINE_TO_APPLICATION = "allocation__application__"
ALLOCATION_TO_APPLICATION = "application__"
SURVEY_TO_APPLICATION = "application__"
ITEM_TO_APPLICATION = "line__allocation__application__"
TICKET_TO_APPLICATION = "allocation__application__"
RATING_FIELDS = (
    "satisfaction",
    "equipment_quality",
    "ease_of_installation",
    "after_sales_responsiveness",
)
DAY = Decimal(86400)


def _group_path(prefix, by):
    return f"{prefix}{GROUPS[by]}" if by else None


def _expression(path):
    return F(path) if isinstance(path, str) else path


def _grouped(queryset, path, aggregates):
    """``{group: {name: value}}`` in one query (``{None: …}`` when ``path`` is None)."""
    if path is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(group=_expression(path)).annotate(**aggregates)
    return {row.pop("group"): row for row in rows}


def _days(duration):
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / DAY).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _medians(queryset, path, duration):
    """``{group: median of duration in days}`` in one query.

    Window functions number the rows of each group in duration order; the database keeps
    only the middle one (odd count) or two (even count), whose mean is the median.
    """
    ranked = (
        queryset.order_by()
        .annotate(median_group=_expression(path) if path is not None else Value(0))
        .annotate(
            median_value=duration,
            median_rank=Window(
                RowNumber(), partition_by=[F("median_group")], order_by=duration.asc()
            ),
            median_count=Window(Count("pk"), partition_by=[F("median_group")]),
        )
        .filter(
            median_rank__gte=(F("median_count") + 1) / 2,
            median_rank__lte=(F("median_count") + 2) / 2,
        )
        .values_list("median_group", "median_value")
    )
    middles = {}
    for group, value in ranked:
        middles.setdefault(None if path is None else group, []).append(value)
    return {group: _days(sum(vals, timedelta()) / len(vals)) for group, vals in middles.items()}


def _application_aggregates():
    S = ApplicationStatus
    return {
        "applications_received": Count("pk", filter=Q(submitted_at__isnull=False)),
        "applications_selected": Count("pk", filter=Q(status=S.SELECTED)),
        "applications_waitlisted": Count("pk", filter=Q(status=S.WAITLISTED)),
        "applications_rejected": Count("pk", filter=Q(status=S.REJECTED)),
        "applications_withdrawn": Count(
            "pk", filter=Q(status=S.WITHDRAWN, submitted_at__isnull=False)
        ),
    }


def _delivered_allocations(calls):
    return Allocation.objects.filter(
        status=AllocationStatus.DELIVERED,
        application__status=ApplicationStatus.SELECTED,
        application__call__in=calls,
        application__decided_at__isnull=False,
        delivered_at__isnull=False,
    )


def _answered_surveys(calls):
    return SurveyAnswer.objects.filter(
        application__status=ApplicationStatus.SELECTED,
        application__allocation__status=AllocationStatus.DELIVERED,
        application__call__in=calls,
    )


def _delivered_items(calls):
    """Items delivered to an equipped application of ``calls`` (their current allocation)."""
    return AllocatedItem.objects.filter(
        released_at__isnull=True,
        line__allocation__status=AllocationStatus.DELIVERED,
        line__allocation__application__status=ApplicationStatus.SELECTED,
        line__allocation__application__call__in=calls,
    )


def _tickets(calls):
    """After-sales tickets on the equipment of an equipped application of ``calls``.

    Through the allocation each ticket recorded when it was opened, not through its item's
    current allocation: a replaced or recycled item's allocated row is released, and
    reading tickets from the items still held dropped every replaced item's ticket from
    the figures.
    """
    return SupportTicket.objects.filter(
        allocation__status=AllocationStatus.DELIVERED,
        allocation__application__status=ApplicationStatus.SELECTED,
        allocation__application__call__in=calls,
    )


def _ticket_group(calls, by):
    """The group of a ticket (call, region, department): its allocation's application's."""
    return _group_path(TICKET_TO_APPLICATION, by)


RESOLUTION_TIME = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
IS_RESOLVED = Q(resolved_at__isnull=False)


def _ticket_aggregates():
    return {
        "tickets": Count("pk"),
        "tickets_resolved": Count("pk", filter=IS_RESOLVED),
        "resolution_total": Sum(RESOLUTION_TIME, filter=IS_RESOLVED),
    }


def _ticket_figures(row):
    """A ticket family row with its total resolution time in days (additive, a Decimal)."""
    total = row.pop("resolution_total", None)
    row["resolution_days_total"] = (
        Decimal(total.total_seconds()) / DAY if total is not None else Decimal(0)
    )
    return row


def reuse_factors():
    """``settings.REUSE_IMPACT_FACTORS`` (per pack kind) as Decimals."""
    return {
        kind: {name: Decimal(str(value)) for name, value in factors.items()}
        for kind, factors in settings.REUSE_IMPACT_FACTORS.items()
    }


def _reuse_aggregates():
    """Second-hand items (any grade but new) delivered, weighted by the per-kind factors."""
    kind = "line__pack_type__kind"
    factors = reuse_factors()

    def weighted(name):
        return Sum(
            Case(
                *(When(**{kind: k}, then=Value(f[name])) for k, f in factors.items()),
                default=Value(Decimal(0)),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            default=Decimal(0),
        )

    return {
        "reused_devices": Count("pk"),
        "avoided_waste_kg": weighted("waste_kg"),
        "avoided_co2e_kg": weighted("co2e_kg"),
    }


def _reused_items(calls):
    return _delivered_items(calls).exclude(item__grade=Grade.NEW)


def _empty_figures():
    """Every figure at zero (or None): aggregates over empty querysets run no query."""
    figures = {}
    figures.update(Application.objects.none().aggregate(**_application_aggregates()))
    figures.update(delivered_lines().none().aggregate(**_equipment_aggregates()))
    figures.update(SurveyAnswer.objects.none().aggregate(**_survey_aggregates()))
    figures.update(AllocatedItem.objects.none().aggregate(**_reuse_aggregates()))
    figures.update(tickets=0, tickets_resolved=0, resolution_days_total=Decimal(0))
    figures.update(median_delivery_days=None, median_resolution_days=None)
    return figures


def zero_figures():
    """The figures of a selection where nothing happened (no query)."""
    figures = _empty_figures()
    figures["average_pack_price"] = None
    figures["mean_resolution_days"] = None
    return _finish(figures)


def breakdown(calls, by=None):
    """The figures of ``calls`` (a queryset) per ``by`` group: ``{group: figures}``.

    ``by`` is ``"call"`` (group = call id), ``"region"``, ``"department"`` or ``None`` (one
    group, ``None``, for the whole selection). Seven queries whatever the data size. Only
    delivered allocations of selected applications count as equipment: a withdrawn, rejected
    or waitlisted application never counts as equipped.
    """
    app_path = GROUPS[by] if by else None
    families = [
        _grouped(Application.objects.filter(call__in=calls), app_path, _application_aggregates()),
        _grouped(
            delivered_lines(calls),
            _group_path(LINE_TO_APPLICATION, by),
            _equipment_aggregates(),
        ),
        _grouped(
            _answered_surveys(calls),
            _group_path(SURVEY_TO_APPLICATION, by),
            _survey_aggregates(),
        ),
        _grouped(_reused_items(calls), _group_path(ITEM_TO_APPLICATION, by), _reuse_aggregates()),
        {
            group: _ticket_figures(row)
            for group, row in _grouped(
                _tickets(calls), _ticket_group(calls, by), _ticket_aggregates()
            ).items()
        },
    ]
    delivery, resolution = _median_delays(calls, by)
    groups = set().union(*families) | set(delivery) | set(resolution)
    if by is None:
        groups = {None}
    empty = _empty_figures()
    result = {}
    for group in groups:
        figures = dict(empty)
        for family in families:
            figures.update(family.get(group, {}))
        result[group] = _complete(figures, delivery.get(group), resolution.get(group))
    return result


def _median_delays(calls, by):
    """``({group: median delivery days}, {group: median resolution days})``: two queries."""
    delivery = _medians(
        _delivered_allocations(calls),
        _group_path(ALLOCATION_TO_APPLICATION, by),
        ExpressionWrapper(
            F("delivered_at") - F("application__decided_at"), output_field=DurationField()
        ),
    )
    resolution = _medians(
        _tickets(calls).filter(IS_RESOLVED), _ticket_group(calls, by), RESOLUTION_TIME
    )
    return delivery, resolution


def _complete(figures, median_delivery_days, median_resolution_days):
    figures["median_delivery_days"] = median_delivery_days
    figures["median_resolution_days"] = median_resolution_days
    figures["average_pack_price"] = _ratio(figures["paid"], figures["packs"])
    figures["mean_resolution_days"] = _ratio(
        figures["resolution_days_total"], figures["tickets_resolved"], "0.1"
    )
    return _finish(figures)


def area_breakdowns(calls):
    """``(per region, per department)`` figures of ``calls``, as ``breakdown`` gives them.

    A centre lies in one department and its region is its department's: every count and
    sum of a region (distinct centres included) is the sum of its departments', so only
    the regions' medians are queried (two queries instead of seven).
    """
    departments = breakdown(calls, "department")
    delivery, resolution = _median_delays(calls, "region")
    empty = _empty_figures()
    additive = [key for key in empty if not key.startswith("median_")]
    sums = {}
    for code, figures in departments.items():
        region = sums.setdefault(region_of(code), dict(empty))
        for key in additive:
            region[key] += figures[key]
    regions = {
        code: _complete(figures, delivery.get(code), resolution.get(code))
        for code, figures in sums.items()
    }
    return regions, departments


def equipment_by_pack_type(calls):
    """Delivered equipment per call and pack type, in one query: a list of dicts."""
    rows = (
        delivered_lines(calls)
        .order_by()
        .values(
            call_id=F("allocation__application__call"),
            pack_type_name=F("pack_type__name"),
            pack_kind=F("pack_type__kind"),
        )
        .annotate(
            packs=Sum("quantity"),
            devices=Sum(DEVICES),
            centres=Count(CENTRE, distinct=True),
            paid=Sum(PAID),
            market_value=Sum(MARKET),
        )
        .order_by("call_id", "pack_type_name")
    )
    result = []
    for row in rows:
        row["average_price"] = _ratio(row["paid"], row["packs"])
        row["saving"] = row["market_value"] - row["paid"]
        result.append(row)
    return result


def survey_analytics(calls, by="call"):
    """Answers to the satisfaction survey per call (or in total with ``by=None``).

    For each rating: its average, how many answered it and how many gave each value of the
    scale; plus the satisfaction rate and the number of testimonials. One query.
    """
    aggregates = {
        "answers": Count("pk"),
        "satisfied": Count("pk", filter=Q(satisfaction__gte=settings.SURVEY_SATISFIED_MIN)),
        "testimonials": Count("pk", filter=~Q(testimonial="")),
        "publishable_testimonials": Count(
            "pk", filter=~Q(testimonial="") & Q(is_testimonial_publishable=True)
        ),
    }
    for field in RATING_FIELDS:
        aggregates[f"{field}__average"] = Avg(field)
        aggregates[f"{field}__answers"] = Count(field)
        for value in Rating.values:
            aggregates[f"{field}__{value}"] = Count("pk", filter=Q(**{field: value}))
    grouped = _grouped(_answered_surveys(calls), _group_path(SURVEY_TO_APPLICATION, by), aggregates)
    result = {}
    for group, row in grouped.items():
        figures = {
            "answers": row["answers"],
            "satisfied": row["satisfied"],
            "satisfaction_rate": _ratio(100 * row["satisfied"], row["answers"], "1"),
            "testimonials": row["testimonials"],
            "publishable_testimonials": row["publishable_testimonials"],
            "ratings": {},
        }
        for field in RATING_FIELDS:
            average = row[f"{field}__average"]
            figures["ratings"][field] = {
                "answers": row[f"{field}__answers"],
                "average": None
                if average is None
                else Decimal(str(average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                "counts": {value: row[f"{field}__{value}"] for value in Rating.values},
            }
        result[group] = figures
    return result


def testimonials(calls, *, publishable_only=False, limit=None):
    """Testimonials of equipped centres of ``calls``, newest first. One query."""
    answers = (
        _answered_surveys(calls)
        .exclude(testimonial="")
        .select_related("application__centre", "application__call")
        .order_by("-answered_at", "-pk")
    )
    if publishable_only:
        answers = answers.filter(is_testimonial_publishable=True)
    return list(answers[:limit] if limit else answers)


def public_testimonials(calls, count=3):
    """Up to ``count`` publishable testimonials with different texts, newest first (one
    query: a few more rows are read than shown, so that repeated texts can be skipped)."""
    chosen = {}
    for answer in testimonials(calls, publishable_only=True, limit=count * 4):
        chosen.setdefault(answer.testimonial.strip(), answer)
    return list(chosen.values())[:count]


def deliveries_by_month(calls):
    """Devices delivered per month (computers and tablets), months without delivery included.

    One query; the months come from the database (``TruncMonth`` in the current time zone).
    """
    rows = (
        delivered_lines(calls)
        .order_by()
        .values(month=TruncMonth("allocation__delivered_at"))
        .annotate(
            computers=Sum(DEVICES, filter=IS_COMPUTER, default=0),
            tablets=Sum(DEVICES, filter=IS_TABLET, default=0),
        )
        .order_by("month")
    )
    by_month = {}
    for row in rows:
        if row["month"] is None:
            continue
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        by_month[month.replace(day=1)] = row
    if not by_month:
        return []
    first, last = min(by_month), max(by_month)
    series = []
    month = first
    while month <= last:
        row = by_month.get(month, {})
        computers, tablets = row.get("computers", 0), row.get("tablets", 0)
        series.append(
            {
                "month": month,
                "computers": computers,
                "tablets": tablets,
                "devices": computers + tablets,
            }
        )
        month = (month + timedelta(days=32)).replace(day=1)
    return series


def equipment_by(calls, by):
    """Only the equipment figures of ``calls`` per ``by`` group (one query), for pages that
    need no more, like the public home's chart per region."""
    return _grouped(
        delivered_lines(calls), _group_path(LINE_TO_APPLICATION, by), _equipment_aggregates()
    )
