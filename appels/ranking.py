"""The committee's ranking of a call's applications and the proposed selection.

Read-only. :func:`ranked_rows` computes, in one SQL query whatever the number of
applications, each application's weighted average, the spread between its reviewers, its
reviewers' opinions and how many reviews are done, ordered best average first; the rows are
light (ids and figures), and :func:`load_applications` fetches the objects of the rows a page
shows or an export writes. :func:`propose` is a pure function that fills the offers' stock by
rank. Recording the committee's decisions is ``services.record_decisions``.
"""

from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection

from .models import (
    Application,
    ApplicationLine,
    ApplicationStatus,
    Recommendation,
    Review,
    ReviewStatus,
)

TWO_PLACES = Decimal("0.01")
RECOMMENDATIONS = tuple(Recommendation.values)  # the enum's property builds a list per call
REJECT_INDEX = RECOMMENDATIONS.index(Recommendation.REJECT)

# Applications the committee decides on: submitted ones and those already decided.
RANKED_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SELECTED,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.REJECTED,
)


class RankedApplication:
    """One application of the ranking: light figures for the whole call, its objects for a
    page (``load_applications``).

    A plain class built from the query's integers, its decimals and opinions read when
    asked: a call's ranking makes thousands, of which a page shows fifty.
    """

    def __init__(
        self,
        application_id,
        region="",
        *,
        status="",
        average_hundredths=None,
        spread_hundredths=None,
        opinions=(0, 0, 0),
        reviews_done=0,
        reviews_expected=0,
        rank=None,
    ):
        self.application_id = application_id
        self.region = region
        self.status = status  # the application's, when ranked
        self.average_hundredths = average_hundredths  # mean of the reviews' totals /10,000
        self.spread_hundredths = spread_hundredths  # highest minus lowest, from two reviews
        self.opinions = opinions  # reviews recommending each of RECOMMENDATIONS, in order
        self.reviews_done = reviews_done
        self.reviews_expected = reviews_expected
        self.rank = rank
        self.application = None  # loaded by load_applications()
        self.lines = None  # its requested lines, by pack type; loaded with it
        self.proposal = None  # set by the committee's page while decisions are open

    def __repr__(self):
        return f"<RankedApplication {self.rank}: {self.application_id} ({self.average})>"

    @property
    def average(self):
        """Mean of the reviews' weighted totals /100, or None before any is submitted."""
        return _hundredths(self.average_hundredths)

    @property
    def spread(self):
        """Highest minus lowest total, from two submitted reviews on."""
        return _hundredths(self.spread_hundredths)

    @property
    def recommendations(self):
        """Opinion -> submitted reviews recommending it, for the opinions given."""
        return {
            value: count
            for value, count in zip(RECOMMENDATIONS, self.opinions, strict=True)
            if count
        }

    @property
    def disagreement(self):
        spread = self.spread_hundredths
        return spread is not None and spread > settings.REVIEW_DISAGREEMENT_POINTS * 100

    @property
    def rejection_advised(self):
        """Most submitted reviews recommend not to select the project."""
        done = sum(self.opinions)
        return done > 0 and self.opinions[REJECT_INDEX] * 2 > done

    @property
    def recommendation_counts(self):
        """``(recommendation, count)`` pairs in the order of the choices, for templates."""
        return [
            (value, count)
            for value, count in zip(RECOMMENDATIONS, self.opinions, strict=True)
            if count
        ]


# Each review's weighted total is stored with it in hundredths (``Review.total_hundredths``,
# ``services.weighted_total`` kept by ``services.refresh_review_totals``): the query averages
# integers, so that the mean of a few totals rounds exactly alike on PostgreSQL and SQLite:
# mean in hundredths = floor((2 * sum + n) / (2 * n)), half up.
RANKING_SQL = """
WITH review_totals AS (
    SELECT r.application_id, r.recommendation, r.total_hundredths AS hundredths
    FROM {review} r
    WHERE r.application_id {in_call} AND r.status = %(submitted)s
),
application_totals AS (
    SELECT application_id,
           COUNT(*) AS reviews_done,
           COUNT(hundredths) AS scored,
           SUM(hundredths) AS total,
           MAX(hundredths) - MIN(hundredths) AS spread,
           SUM(CASE WHEN hundredths IS NOT NULL AND recommendation = %(select)s
               THEN 1 ELSE 0 END) AS to_select,
           SUM(CASE WHEN hundredths IS NOT NULL AND recommendation = %(waitlist)s
               THEN 1 ELSE 0 END) AS to_waitlist,
           SUM(CASE WHEN hundredths IS NOT NULL AND recommendation = %(reject)s
               THEN 1 ELSE 0 END) AS to_reject
    FROM review_totals
    GROUP BY application_id
),
ranked AS (
    SELECT a.id, a.submitted_at, a.status, ce.region,
           CASE WHEN t.scored > 0
                THEN CAST(FLOOR((2 * t.total + t.scored) / (2 * t.scored)) AS BIGINT)
           END AS average,
           CASE WHEN t.scored > 1 THEN CAST(t.spread AS BIGINT) END AS spread,
           COALESCE(t.reviews_done, 0) AS reviews_done,
           COALESCE(t.to_select, 0) AS to_select,
           COALESCE(t.to_waitlist, 0) AS to_waitlist,
           COALESCE(t.to_reject, 0) AS to_reject
    FROM {application} a
    JOIN {centre} ce ON ce.id = a.centre_id
    LEFT JOIN application_totals t ON t.application_id = a.id
    WHERE a.call_id = %(call)s AND a.status IN ({statuses})
)
SELECT id, status, region, average, spread, reviews_done, to_select, to_waitlist, to_reject
FROM ranked
ORDER BY average IS NULL, average DESC, submitted_at, id
"""
IN_CALL = "IN (SELECT id FROM {application} WHERE call_id = %(call)s)"
IN_CALL_POSTGRESQL = "= ANY(ARRAY(SELECT id FROM {application} WHERE call_id = %(call)s))"


def _hundredths(value):
    return None if value is None else Decimal(int(value)).scaleb(-2)


def ranked_rows(call):
    """Every application the committee decides on, best weighted average first (unreviewed
    ones last, equal averages in the order of submission), ranked 1, 2, 3…; one query.

    The rows carry figures, not objects: see :func:`load_applications`.
    """
    statuses = {f"status{i}": status for i, status in enumerate(RANKED_STATUSES)}
    sql = RANKING_SQL.format(
        review=Review._meta.db_table,
        application=Application._meta.db_table,
        centre=Application._meta.get_field("centre").related_model._meta.db_table,
        statuses=", ".join(f"%({name})s" for name in statuses),
        # PostgreSQL joins a call's reviews to its applications by hashing the whole review
        # table (a sequential scan, ~9 ms at national scale); an array of the call's ids lets
        # it look the reviews up in their application index instead.
        in_call=(IN_CALL_POSTGRESQL if connection.vendor == "postgresql" else IN_CALL).format(
            application=Application._meta.db_table
        ),
    )
    params = {
        "call": call.pk,
        "submitted": ReviewStatus.SUBMITTED,
        "select": Recommendation.SELECT,
        "waitlist": Recommendation.WAITLIST,
        "reject": Recommendation.REJECT,
        **statuses,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    expected = call.reviewers_per_application
    return [
        RankedApplication(
            pk,
            region,
            status=status,
            average_hundredths=None if average is None else int(average),
            spread_hundredths=None if spread is None else int(spread),
            opinions=(int(to_select), int(to_waitlist), int(to_reject)),
            reviews_done=int(done),
            reviews_expected=expected,
            rank=rank,
        )
        for rank, (
            pk,
            status,
            region,
            average,
            spread,
            done,
            to_select,
            to_waitlist,
            to_reject,
        ) in enumerate(found, start=1)
    ]


# What the committee's page shows of a page's applications, their centres and lines (the
# exports and the decisions load them whole).
PAGE_APPLICATION_FIELDS = (
    "status",
    "waitlist_rank",
    "centre__name",
    "centre__city",
    "centre__region",
)
PAGE_LINE_FIELDS = (
    "application_id",
    "requested_quantity",
    "granted_quantity",
    "offer__per_centre_cap",
    "offer__pack_type__name",
)


def load_applications(rows, *, page=False):
    """Attach each row's application, with its centre and decision, and its requested lines
    with their offers (two queries whatever the number of rows); returns ``rows``.

    With ``page``, only what the committee's page shows is read (``PAGE_*_FIELDS``, no
    decision). The lines are grouped here rather than prefetched: Django's prefetch
    machinery cost more than the query on a page of the ranking (make bench).
    """
    ids = [row.application_id for row in rows]
    applications = Application.objects.select_related("centre")
    lines = ApplicationLine.objects.filter(application_id__in=ids).select_related(
        "offer__pack_type"
    )
    if page:
        applications = applications.only(*PAGE_APPLICATION_FIELDS)
        lines = lines.only(*PAGE_LINE_FIELDS)
    else:
        applications = applications.select_related("decision")
    applications = applications.in_bulk(ids)
    by_application = {}
    for line in lines.order_by("offer__pack_type__name", "pk"):
        by_application.setdefault(line.application_id, []).append(line)
    for row in rows:
        row.application = applications[row.application_id]
        row.lines = by_application.get(row.application_id, [])
    return rows


def ranking(call, *, region=None, offer=None):
    """The call's ranked applications with their objects loaded (see :func:`ranked_rows`).

    ``region`` and ``offer`` narrow the list (see :func:`filter_rows`).
    """
    return load_applications(filter_rows(ranked_rows(call), region=region, offer=offer))


def filter_rows(rows, *, region=None, offer=None):
    """Rows of one region (a region code) or asking for one offer (a CallOffer id).

    Ranks stay those of the whole call, so a filtered list keeps each application's place.
    """
    if region:
        rows = [row for row in rows if row.region == region]
    if offer:
        asking = set(
            ApplicationLine.objects.filter(
                offer_id=int(offer), application_id__in=[row.application_id for row in rows]
            ).values_list("application_id", flat=True)
        )
        rows = [row for row in rows if row.application_id in asking]
    return rows


class Proposal(NamedTuple):
    # A named tuple rather than a frozen dataclass: one per application of the call on
    # every view of the committee's page, and a frozen dataclass is several times slower
    # to build.
    outcome: str
    granted: dict  # offer id -> packs, for a selection
    waitlist_rank: int | None = None


def propose(candidates, offers):
    """Fill the stock by rank: the committee's starting point, never beyond stock or caps.

    ``candidates`` are ``(application_id, {offer_id: requested}, rejection_advised)`` in rank
    order; ``offers`` maps offer ids to ``(packs available, per-centre cap)``. A candidate
    whose reviewers mostly advise against is rejected; the others are selected with what
    the stock still allows (at most their request and the cap, at least one pack in all),
    or waitlisted in rank order when nothing is left for them.
    """
    remaining = {offer_id: stock for offer_id, (stock, _cap) in offers.items()}
    proposals = {}
    waitlist_rank = 0
    for application_id, requested, rejection_advised in candidates:
        if rejection_advised:
            proposals[application_id] = Proposal(ApplicationStatus.REJECTED, {})
            continue
        granted = {
            offer_id: max(0, min(quantity, offers[offer_id][1], remaining[offer_id]))
            for offer_id, quantity in requested.items()
        }
        if sum(granted.values()) > 0:
            for offer_id, quantity in granted.items():
                remaining[offer_id] -= quantity
            proposals[application_id] = Proposal(ApplicationStatus.SELECTED, granted)
        else:
            waitlist_rank += 1
            proposals[application_id] = Proposal(ApplicationStatus.WAITLISTED, {}, waitlist_rank)
    return proposals


def call_lines(call):
    """Every requested line of the call's offers as ``(application id, offer id, requested,
    granted)``; one query. The committee's page reads it once for both the stock table and
    the proposal, which keep the lines of the ranked applications only (so of the call's
    applications, as ``services.set_application_request`` checks)."""
    # Found through the call's offers (their index), unordered: the model's ordering sorted
    # them by application, 3x slower at national scale; without a join on the applications,
    # whose statuses come with the ranking.
    return list(
        ApplicationLine.objects.filter(offer__call=call)
        .order_by()
        .values_list("application_id", "offer_id", "requested_quantity", "granted_quantity")
    )


def granted_by_offer(lines, rows):
    """Packs granted per offer id to the selected applications, from :func:`call_lines` and
    the call's ranked rows (:func:`ranked_rows`, which carry the applications' statuses)."""
    selected = {row.application_id for row in rows if row.status == ApplicationStatus.SELECTED}
    granted = {}
    for application_id, offer_id, _requested, quantity in lines:
        if quantity and application_id in selected:
            granted[offer_id] = granted.get(offer_id, 0) + quantity
    return granted


def proposal_for(call, rows=None, *, offers=None, lines=None):
    """The proposed selection for the whole call, from its ranking (the rows of
    :func:`ranked_rows`). ``offers`` (the call's offers ordered by pack type name) and
    ``lines`` (:func:`call_lines`) are read here when not given, one query each."""
    rows = rows if rows is not None else ranked_rows(call)
    if offers is None:
        offers = call.offers.order_by("pack_type__name")
    if lines is None:
        lines = call_lines(call)
    stock = {offer.pk: (offer.quantity_available, offer.per_centre_cap) for offer in offers}
    # Offers in the order of their pack types, as the page lists them (unordered query).
    position = {offer: i for i, offer in enumerate(stock)}
    ranked = {row.application_id for row in rows}
    requested = {}
    for application_id, offer_id, quantity, *_rest in sorted(
        lines, key=lambda line: position.get(line[1], len(position))
    ):
        if application_id in ranked:
            requested.setdefault(application_id, {})[offer_id] = quantity
    nothing = {}
    candidates = [
        (row.application_id, requested.get(row.application_id, nothing), row.rejection_advised)
        for row in rows
    ]
    return propose(candidates, stock)
