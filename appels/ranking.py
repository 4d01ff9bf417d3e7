"""The committee's ranking of a call's applications and the proposed selection.

Read-only: :func:`ranking` computes each application's weighted average, the spread between
its reviewers and how many reviews are done, in a constant number of queries whatever the
number of applications; :func:`propose` is a pure function that fills the offers' stock by
rank. Recording the committee's decisions is ``services.record_decisions``.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Prefetch, Q

from .models import (
    Application,
    ApplicationLine,
    ApplicationStatus,
    Recommendation,
    ReviewStatus,
    Score,
)

TWO_PLACES = Decimal("0.01")

# Applications the committee decides on: submitted ones and those already decided.
RANKED_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SELECTED,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.REJECTED,
)


@dataclass
class RankedApplication:
    application: Application
    totals: list = field(default_factory=list)  # weighted total /100 of each submitted review
    recommendations: Counter = field(default_factory=Counter)
    reviews_done: int = 0
    reviews_expected: int = 0
    rank: int | None = None

    @property
    def average(self):
        if not self.totals:
            return None
        return (sum(self.totals) / len(self.totals)).quantize(TWO_PLACES, ROUND_HALF_UP)

    @property
    def spread(self):
        if len(self.totals) < 2:
            return None
        return max(self.totals) - min(self.totals)

    @property
    def disagreement(self):
        spread = self.spread
        return spread is not None and spread > settings.REVIEW_DISAGREEMENT_POINTS

    @property
    def rejection_advised(self):
        """Most submitted reviews recommend not to select the project."""
        done = sum(self.recommendations.values())
        return done > 0 and self.recommendations[Recommendation.REJECT] * 2 > done

    @property
    def recommendation_counts(self):
        """``(recommendation, count)`` pairs in the order of the choices, for templates."""
        return [
            (value, self.recommendations[value])
            for value in Recommendation.values
            if self.recommendations[value]
        ]

    @property
    def lines(self):
        return self.application.lines.all()


def _review_totals(call):
    """Weighted total of each submitted review of ``call``, by application id (one query)."""
    rows = Score.objects.filter(
        review__application__call=call, review__status=ReviewStatus.SUBMITTED
    ).values_list(
        "review__application_id",
        "review_id",
        "review__recommendation",
        "value",
        "criterion__max_score",
        "criterion__weight",
    )
    per_review = defaultdict(lambda: [Decimal(0), Decimal(0)])
    recommendation_of = {}
    application_of = {}
    for application_id, review_id, recommendation, value, max_score, weight in rows:
        weighted = per_review[review_id]
        weighted[0] += Decimal(value) / Decimal(max_score) * Decimal(weight)
        weighted[1] += Decimal(weight)
        recommendation_of[review_id] = recommendation
        application_of[review_id] = application_id
    totals = defaultdict(list)
    recommendations = defaultdict(Counter)
    for review_id, (weighted, weights) in per_review.items():
        application_id = application_of[review_id]
        totals[application_id].append(
            (weighted / weights * 100).quantize(TWO_PLACES, ROUND_HALF_UP)
        )
        recommendations[application_id][recommendation_of[review_id]] += 1
    return totals, recommendations


def ranking(call, *, region=None, offer=None):
    """The call's applications, best weighted average first (unreviewed ones last).

    ``region`` and ``offer`` narrow the list (see :func:`filter_rows`).
    """
    applications = (
        Application.objects.filter(call=call, status__in=RANKED_STATUSES)
        .select_related("centre", "decision")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ApplicationLine.objects.select_related("offer__pack_type").order_by(
                    "offer__pack_type__name"
                ),
            )
        )
        .annotate(
            reviews_done=Count("reviews", filter=Q(reviews__status=ReviewStatus.SUBMITTED)),
        )
        .order_by("submitted_at", "pk")
    )
    totals, recommendations = _review_totals(call)
    rows = [
        RankedApplication(
            application=application,
            totals=sorted(totals.get(application.pk, [])),
            recommendations=recommendations.get(application.pk, Counter()),
            reviews_done=application.reviews_done,
            reviews_expected=call.reviewers_per_application,
        )
        for application in applications
    ]
    # Stable sort: equal averages keep the order of submission.
    rows.sort(key=lambda row: (row.average is None, -(row.average or 0)))
    for position, row in enumerate(rows, start=1):
        row.rank = position
    return filter_rows(rows, region=region, offer=offer)


def filter_rows(rows, *, region=None, offer=None):
    """Rows of one region (a region code) or asking for one offer (a CallOffer id).

    Ranks stay those of the whole call, so a filtered list keeps each application's place.
    """
    if region:
        rows = [row for row in rows if row.application.centre.region == region]
    if offer:
        rows = [row for row in rows if any(line.offer_id == int(offer) for line in row.lines)]
    return rows


@dataclass(frozen=True)
class Proposal:
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


def proposal_for(call, rows=None):
    """The proposed selection for the whole call, from its ranking."""
    rows = rows if rows is not None else ranking(call)
    offers = {
        offer.pk: (offer.quantity_available, offer.per_centre_cap) for offer in call.offers.all()
    }
    candidates = [
        (
            row.application.pk,
            {line.offer_id: line.requested_quantity for line in row.lines},
            row.rejection_advised,
        )
        for row in rows
    ]
    return propose(candidates, offers)
