"""Impact figures computed live from the database, aggregated in SQL.

Only delivered allocations of selected applications count as equipment distributed: a
withdrawn, rejected or waitlisted application never counts as equipped.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, IntegerField, Q, Sum

from appels.models import ApplicationStatus, Call, PackType, SurveyAnswer

from .models import AllocationLine, AllocationStatus

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
                "applications", filter=~Q(applications__status=ApplicationStatus.DRAFT)
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
