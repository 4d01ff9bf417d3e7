"""Review and selection services: assignment, reminders, ranking, proposal, decisions."""

import random
from collections import Counter
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appels import services
from appels.models import (
    Application,
    ApplicationStatus,
    Call,
    CallStatus,
    Decision,
    Review,
    ReviewStatus,
)
from appels.ranking import proposal_for, propose, ranked_rows, ranking
from appels.tasks import send_review_reminders
from solidaire.errors import DomainError
from tests.factories import (
    ApplicationFactory,
    ApplicationLineFactory,
    CallFactory,
    CallOfferFactory,
    CallPartnerFactory,
    CentreFactory,
    CriterionFactory,
    PartnerFactory,
    ReviewerFactory,
    ReviewFactory,
    ScoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def review_call(**kwargs):
    now = timezone.now()
    fields = {
        "status": CallStatus.REVIEW,
        "opens_at": now - timedelta(days=40),
        "closes_at": now - timedelta(days=10),
        "review_ends_at": now + timedelta(days=10),
    }
    return CallFactory(**{**fields, **kwargs})


def submitted(call, **kwargs):
    return ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, **kwargs)


# --- conflict rule: federation and partner organisations --------------------------------


def test_a_reviewer_of_a_partner_organisation_of_the_centre_is_refused(db_state):
    partner = PartnerFactory()
    centre = CentreFactory()
    centre.partner_organisations.add(partner)
    application = submitted(review_call(), centre=centre)
    reviewer = ReviewerFactory(organisation=partner)
    before = db_state()
    with pytest.raises(DomainError) as error:
        services.assign_reviewer(application, reviewer)
    assert error.value.code == "conflict_rule"
    assert "organisation partenaire" in str(error.value)
    assert db_state() == before


def test_the_partner_rule_is_off_when_the_call_has_no_organisation_rule():
    partner = PartnerFactory()
    centre = CentreFactory()
    centre.partner_organisations.add(partner)
    application = submitted(review_call(conflict_rule=Call.ConflictRule.NONE), centre=centre)
    assert services.assign_reviewer(application, ReviewerFactory(organisation=partner))


def test_only_reviewers_can_be_assigned():
    application = submitted(review_call())
    with pytest.raises(DomainError) as error:
        services.assign_reviewer(application, UserFactory(is_staff=True))
    assert error.value.code == "not_reviewer"


# --- automatic assignment ---------------------------------------------------------------


def test_auto_assignment_gives_each_application_n_reviewers_with_a_balanced_load():
    call = review_call(reviewers_per_application=2)
    applications = [submitted(call) for _ in range(6)]
    reviewers = [ReviewerFactory() for _ in range(4)]

    created, understaffed = services.auto_assign_reviewers(call)

    assert len(created) == 12 and understaffed == []
    for application in applications:
        assert application.reviews.count() == 2
    loads = sorted(Review.objects.filter(reviewer=r).count() for r in reviewers)
    assert loads == [3, 3, 3, 3]


def test_auto_assignment_never_breaks_the_organisation_rule_and_reports_the_understaffed():
    federation, partner = PartnerFactory(), PartnerFactory()
    centre = CentreFactory(federation=federation)
    centre.partner_organisations.add(partner)
    call = review_call(reviewers_per_application=2)
    blocked = submitted(call, centre=centre)
    free = submitted(call)
    of_federation = ReviewerFactory(organisation=federation)
    of_partner = ReviewerFactory(organisation=partner)
    neutral = ReviewerFactory(organisation=PartnerFactory())

    created, understaffed = services.auto_assign_reviewers(call)

    assert set(blocked.reviews.values_list("reviewer", flat=True)) == {neutral.pk}
    assert understaffed == [blocked]
    assert free.reviews.count() == 2
    assert not Review.objects.filter(application=blocked, reviewer=of_federation).exists()
    assert not Review.objects.filter(application=blocked, reviewer=of_partner).exists()
    assert len(created) == 3


def test_auto_assignment_is_idempotent_and_skips_conflicts():
    call = review_call(reviewers_per_application=1)
    application = submitted(call)
    first, second = ReviewerFactory(), ReviewerFactory()
    ReviewFactory(application=application, reviewer=first, status=ReviewStatus.CONFLICT)

    created, _ = services.auto_assign_reviewers(call)
    again, _ = services.auto_assign_reviewers(call)

    assert [r.reviewer for r in created] == [second]
    assert again == []


def test_auto_assignment_sends_one_email_per_reviewer_unless_opted_out(
    django_capture_on_commit_callbacks,
):
    call = review_call(reviewers_per_application=1)
    for _ in range(4):
        submitted(call)
    keen = ReviewerFactory(email="keen@example.org")
    ReviewerFactory(email="quiet@example.org", review_emails=False)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.auto_assign_reviewers(call)

    assert [m.to for m in mail.outbox] == [[keen.email]]
    assert "2 dossiers vous sont confiés" in mail.outbox[0].subject
    assert "/appels/review/?todo=todo" in mail.outbox[0].body


def test_declaring_a_conflict_assigns_a_replacement_reviewer():
    call = review_call(reviewers_per_application=1)
    application = submitted(call)
    review = ReviewFactory(application=application)
    other = ReviewerFactory()

    replacement = services.declare_conflict(review, reason="Je siège au CA du centre.")

    assert replacement.reviewer == other
    assert replacement.status == ReviewStatus.ASSIGNED
    assert not Review.objects.assigned_to(review.reviewer).exists()


def test_a_conflict_without_anyone_left_asks_the_manager():
    review = ReviewFactory(application__call=review_call(reviewers_per_application=1))
    assert services.declare_conflict(review, reason="Ancienne salariée.") is None
    rows = ranking(review.application.call)
    assert rows[0].reviews_done == 0


# --- reminders ----------------------------------------------------------------------------


def test_reminders_go_once_to_reviewers_with_work_left_near_the_deadline():
    now = timezone.now()
    soon = review_call(review_ends_at=now + timedelta(days=2))
    later = review_call(review_ends_at=now + timedelta(days=20))
    busy = ReviewerFactory(email="busy@example.org")
    done = ReviewerFactory(email="done@example.org")
    quiet = ReviewerFactory(email="quiet@example.org", review_emails=False)
    ReviewFactory(application=submitted(soon), reviewer=busy)
    ReviewFactory(application=submitted(soon), reviewer=busy, status=ReviewStatus.DRAFT)
    ReviewFactory(application=submitted(soon), reviewer=done, status=ReviewStatus.SUBMITTED)
    ReviewFactory(application=submitted(soon), reviewer=quiet)
    ReviewFactory(application=submitted(later), reviewer=done)
    mail.outbox.clear()

    send_review_reminders.delay()
    send_review_reminders.delay()

    assert [m.to for m in mail.outbox] == [["busy@example.org"]]
    assert "2 dossiers à rendre" in mail.outbox[0].body
    assert "brouillon enregistré" in mail.outbox[0].body


# --- duplication ------------------------------------------------------------------------


def test_a_call_is_duplicated_as_a_draft_with_its_offers_grid_and_partners():
    call = review_call(offers=2, criteria=3, review_ends_at=None)
    CallPartnerFactory(call=call, role="funder", partner=PartnerFactory())

    copy = services.duplicate_call(call)
    again = services.duplicate_call(call)

    assert copy.status == CallStatus.DRAFT
    assert copy.slug == f"{call.slug}-copie" and again.slug == f"{call.slug}-copie-2"
    assert copy.opens_at == call.opens_at + timedelta(days=365)
    assert copy.offers.count() == 2 and copy.criteria.count() == 3
    assert sorted(copy.call_partners.values_list("role", flat=True)) == ["funder", "operator"]
    assert call.offers.count() == 2  # the original keeps its own rows


# --- ranking: weighted averages on hand-computed examples -------------------------------


def scored(application, call, values, recommendation="select"):
    review = ReviewFactory(
        application=application, status=ReviewStatus.SUBMITTED, recommendation=recommendation
    )
    for criterion, value in zip(call.criteria.order_by("position"), values, strict=True):
        ScoreFactory(review=review, criterion=criterion, value=value)
    return review


def test_weighted_averages_spread_and_progress_match_hand_computed_values(settings):
    settings.REVIEW_DISAGREEMENT_POINTS = 25
    call = review_call(criteria=0, reviewers_per_application=3)
    CriterionFactory(call=call, weight=Decimal("2"), max_score=5, position=1)
    CriterionFactory(call=call, weight=Decimal("1"), max_score=10, position=2)
    a, b, c = submitted(call), submitted(call), submitted(call)
    # a: (4/5*2 + 8/10*1)/3 = 80.00 and (5/5*2 + 10/10)/3 = 100.00 -> 90.00, spread 20
    scored(a, call, [4, 8])
    scored(a, call, [5, 10])
    # b: (1/5*2 + 9/10)/3 = 43.33 and (5/5*2 + 10/10)/3 = 100 -> 71.67, spread 56.67
    scored(b, call, [1, 9])
    scored(b, call, [5, 10])
    ReviewFactory(application=b)  # assigned, not done: does not count
    # c: no review yet

    rows = ranking(call)

    assert [row.application for row in rows] == [a, b, c]
    assert [row.average for row in rows] == [Decimal("90.00"), Decimal("71.67"), None]
    assert [row.spread for row in rows] == [Decimal("20.00"), Decimal("56.67"), None]
    assert [row.disagreement for row in rows] == [False, True, False]
    assert [(row.reviews_done, row.reviews_expected) for row in rows] == [(2, 3), (2, 3), (0, 3)]
    assert [row.rank for row in rows] == [1, 2, 3]


def test_a_weighted_total_on_a_half_hundredth_rounds_half_up():
    call = review_call(criteria=0)
    CriterionFactory(call=call, weight=Decimal("1"), max_score=32, position=1)
    application = submitted(call)
    scored(application, call, [1])  # 1/32 * 100 = 3.125

    assert [row.average for row in ranking(call)] == [Decimal("3.13")]


def python_figures(call):
    """What the ranking computed in Python before it moved to SQL, from
    ``services.weighted_total`` on each submitted review."""
    figures = {}
    for application in Application.objects.filter(call=call):
        totals, opinions = [], Counter()
        reviews = application.reviews.filter(status=ReviewStatus.SUBMITTED)
        for review in reviews.prefetch_related("scores__criterion"):
            scores = [
                (s.value, s.criterion.max_score, s.criterion.weight) for s in review.scores.all()
            ]
            if scores:
                totals.append(services.weighted_total(scores))
                opinions[review.recommendation] += 1
        average = (
            (sum(totals) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP) if totals else None
        )
        spread = max(totals) - min(totals) if len(totals) > 1 else None
        figures[application.pk] = (average, spread, reviews.count(), opinions)
    return figures


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ranking_in_sql_matches_weighted_total_on_random_grids(seed):
    rng = random.Random(seed)
    call = review_call(criteria=0, reviewers_per_application=3)
    criteria = [
        CriterionFactory(
            call=call,
            weight=Decimal(rng.randint(1, 400)) / 100,
            max_score=rng.choice([3, 4, 5, 7, 8, 10, 16, 20, 32]),
            position=position,
        )
        for position in range(rng.randint(1, 4))
    ]
    for _ in range(25):
        application = submitted(call)
        for _ in range(rng.randint(0, 4)):
            review = ReviewFactory(
                application=application,
                status=ReviewStatus.SUBMITTED,
                recommendation=rng.choice(["select", "waitlist", "reject"]),
            )
            for criterion in rng.sample(criteria, rng.randint(1, len(criteria))):
                ScoreFactory(
                    review=review, criterion=criterion, value=rng.randint(0, criterion.max_score)
                )
        if rng.random() < 0.3:
            ReviewFactory(application=application)  # assigned, not done
    expected = python_figures(call)

    rows = ranked_rows(call)

    assert {
        row.application_id: (row.average, row.spread, row.reviews_done, row.recommendations)
        for row in rows
    } == expected
    submitted_at = dict(Application.objects.filter(call=call).values_list("pk", "submitted_at"))
    by_submission = sorted(expected, key=lambda pk: (submitted_at[pk], pk))
    best_first = sorted(
        by_submission, key=lambda pk: (expected[pk][0] is None, -(expected[pk][0] or 0))
    )
    assert [row.application_id for row in rows] == best_first
    assert [row.rank for row in rows] == list(range(1, len(rows) + 1))


def test_ranking_filters_keep_the_call_wide_rank():
    call = review_call(criteria=1, offers=2)
    first_offer, second_offer = call.offers.order_by("pk")
    north = submitted(call, centre=CentreFactory(department="59"), lines=0)
    ApplicationLineFactory(application=north, offer=first_offer)
    south = submitted(call, centre=CentreFactory(department="13"), lines=0)
    ApplicationLineFactory(application=south, offer=second_offer)
    scored(north, call, [5])
    scored(south, call, [3])

    assert [r.rank for r in ranking(call, region=south.centre.region)] == [2]
    assert [r.application for r in ranking(call, offer=first_offer.pk)] == [north]


def test_draft_and_withdrawn_applications_are_not_ranked():
    call = review_call()
    ApplicationFactory(call=call)
    ApplicationFactory(call=call, status=ApplicationStatus.WITHDRAWN)
    kept = submitted(call)
    assert [row.application for row in ranking(call)] == [kept]


# --- proposal: never beyond stock or caps -----------------------------------------------


def test_proposal_selects_by_rank_within_stock_and_caps():
    offers = {1: (5, 3), 2: (2, 2)}
    candidates = [
        (10, {1: 3, 2: 1}, False),
        (11, {1: 4}, False),  # capped at 3, only 2 left
        (12, {1: 1}, True),  # reviewers advise against
        (13, {1: 2, 2: 2}, False),  # 0 of offer 1 left, 1 of offer 2
        (14, {1: 1}, False),  # nothing left
        (15, {2: 1}, False),
    ]
    proposals = propose(candidates, offers)
    assert proposals[10].granted == {1: 3, 2: 1}
    assert proposals[11].granted == {1: 2}
    assert proposals[12].outcome == ApplicationStatus.REJECTED
    assert proposals[13].granted == {1: 0, 2: 1}
    assert proposals[14].outcome == ApplicationStatus.WAITLISTED
    assert proposals[14].waitlist_rank == 1
    assert proposals[15].outcome == ApplicationStatus.WAITLISTED
    assert proposals[15].waitlist_rank == 2


offer_strategy = st.tuples(st.integers(0, 30), st.integers(1, 6))


@st.composite
def random_calls(draw):
    offers = draw(st.dictionaries(st.integers(1, 5), offer_strategy, min_size=1, max_size=4))
    candidates = draw(
        st.lists(
            st.tuples(
                st.dictionaries(
                    st.sampled_from(sorted(offers)), st.integers(1, 12), min_size=1, max_size=4
                ),
                st.booleans(),
            ),
            max_size=40,
        )
    )
    return offers, [(i, req, advised) for i, (req, advised) in enumerate(candidates)]


@given(random_calls())
def test_the_proposal_never_exceeds_stock_caps_or_requests(data):
    offers, candidates = data
    proposals = propose(candidates, offers)
    assert set(proposals) == {c[0] for c in candidates}
    for offer_id, (stock, cap) in offers.items():
        granted = sum(p.granted.get(offer_id, 0) for p in proposals.values())
        assert granted <= stock
        assert all(p.granted.get(offer_id, 0) <= cap for p in proposals.values())
    requested = {c[0]: c[1] for c in candidates}
    for application_id, proposal in proposals.items():
        for offer_id, quantity in proposal.granted.items():
            assert 0 <= quantity <= requested[application_id][offer_id]
        if proposal.outcome == ApplicationStatus.SELECTED:
            assert sum(proposal.granted.values()) > 0
    ranks = [p.waitlist_rank for p in proposals.values() if p.waitlist_rank]
    assert ranks == list(range(1, len(ranks) + 1))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stock=st.integers(0, 8),
    cap=st.integers(1, 4),
    requests=st.lists(st.integers(1, 5), min_size=1, max_size=6),
)
def test_applying_the_proposal_in_the_database_respects_stock_and_caps(stock, cap, requests):
    manager = UserFactory(is_staff=True)
    call = review_call(offers=0, criteria=1)
    offer = CallOfferFactory(call=call, quantity_available=stock, per_centre_cap=cap)
    applications = []
    for requested in requests:
        application = submitted(call, lines=0)
        ApplicationLineFactory(application=application, offer=offer, requested_quantity=requested)
        applications.append(application)

    services.apply_proposal(call, by=manager)

    lines = [a.lines.get() for a in Application.objects.filter(call=call)]
    granted = [line.granted_quantity or 0 for line in lines]
    assert sum(granted) <= stock
    assert all(g <= cap for g in granted)
    statuses = set(Application.objects.filter(call=call).values_list("status", flat=True))
    assert ApplicationStatus.SUBMITTED not in statuses
    assert Decision.objects.filter(application__call=call).count() == len(requests)


# --- committee decisions ----------------------------------------------------------------


def test_record_decisions_is_all_or_nothing_and_frees_stock_first(db_state):
    manager = UserFactory(is_staff=True)
    call = review_call(offers=0)
    offer = CallOfferFactory(call=call, quantity_available=3, per_centre_cap=3)
    a = submitted(call, lines=3)
    b = submitted(call, lines=3)
    services.decide(a, ApplicationStatus.SELECTED, by=manager)

    # Moving the 3 packs from a to b in one submission works (waitlist recorded first).
    services.record_decisions(
        call,
        [
            (b, ApplicationStatus.SELECTED, {offer.pk: 3}, 1),
            (a, ApplicationStatus.WAITLISTED, {}, 2),
        ],
        by=manager,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (ApplicationStatus.WAITLISTED, ApplicationStatus.SELECTED)

    # Granting beyond stock refuses the whole submission.
    c = submitted(call, lines=1)
    before = db_state()
    with pytest.raises(services.DecisionErrors) as error:
        services.record_decisions(
            call,
            [
                (c, ApplicationStatus.REJECTED, {}, 3),
                (a, ApplicationStatus.SELECTED, {offer.pk: 1}, 2),
            ],
            by=manager,
        )
    assert list(error.value.by_application) == [a.pk]
    assert "il ne reste que 0 packs" in error.value.by_application[a.pk][0]
    assert db_state() == before


def test_decisions_are_locked_after_publication_and_publishing_twice_sends_nothing_more(
    django_capture_on_commit_callbacks,
):
    manager = UserFactory(is_staff=True)
    call = review_call()
    applications = [submitted(call) for _ in range(3)]
    for application in applications:
        staff = UserFactory()
        application.centre.memberships.create(user=staff, is_referent=True)
    services.apply_proposal(call, by=manager)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(call, by=manager)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.publish_results(call, by=manager)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        a.centre.memberships.get().user.email for a in applications
    )
    with pytest.raises(DomainError) as error:
        services.decide(applications[0], ApplicationStatus.REJECTED, by=manager)
    assert error.value.code == "decisions_locked"
    with pytest.raises(DomainError):
        services.apply_proposal(call, by=manager)


def test_the_waitlist_is_promoted_in_order_when_a_selected_centre_withdraws():
    manager = UserFactory(is_staff=True)
    call = review_call(offers=0, criteria=1)
    offer = CallOfferFactory(call=call, quantity_available=1, per_centre_cap=1)
    best, second, third = (submitted(call, lines=0) for _ in range(3))
    for application, value in ((best, 5), (second, 4), (third, 3)):
        ApplicationLineFactory(application=application, offer=offer)
        scored(application, call, [value])
    services.apply_proposal(call, by=manager)
    services.publish_results(call, by=manager)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.waitlist_rank < third.waitlist_rank

    services.withdraw_application(best, by=best.created_by or manager)

    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == ApplicationStatus.SELECTED
    assert third.status == ApplicationStatus.WAITLISTED


def test_proposal_for_uses_the_whole_call():
    call = review_call(offers=0, criteria=1)
    offer = CallOfferFactory(call=call, quantity_available=1, per_centre_cap=1)
    a, b = submitted(call, lines=0), submitted(call, lines=0)
    for application, value in ((a, 2), (b, 5)):
        ApplicationLineFactory(application=application, offer=offer)
        scored(application, call, [value])
    proposals = proposal_for(call)
    assert proposals[b.pk].outcome == ApplicationStatus.SELECTED
    assert proposals[a.pk].outcome == ApplicationStatus.WAITLISTED
