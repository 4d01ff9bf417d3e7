"""Reviews: assignment, conflicts of interest, scores within range, weighted totals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from appels import services
from appels.models import (
    ApplicationStatus,
    Call,
    CallStatus,
    Review,
    ReviewStatus,
    Score,
)
from solidaire.errors import DomainError
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CentreFactory,
    CriterionFactory,
    PartnerFactory,
    ReviewerFactory,
    ReviewFactory,
    ScoreFactory,
)

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


@pytest.fixture
def review():
    """An assigned review on a call in review with criteria max 5 (weight 2) and 10 (weight 1)."""
    call = CallFactory(status=CallStatus.REVIEW, criteria=0)
    CriterionFactory(call=call, name="Projet", max_score=5, weight=Decimal("2"))
    CriterionFactory(call=call, name="Ancrage", max_score=10, weight=Decimal("1"))
    application = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    return ReviewFactory(application=application)


def _criteria(review):
    return list(review.application.call.criteria.order_by("position"))


# --- weighted totals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([(4, 5, 2), (3, 5, 1)], Decimal("73.33")),  # (0.8*2 + 0.6*1) / 3 * 100
        ([(5, 5, 1), (10, 10, 3)], Decimal("100.00")),
        ([(0, 5, 1), (0, 10, 1)], Decimal("0.00")),
        ([(1, 3, 1)], Decimal("33.33")),
        ([(2, 3, 1)], Decimal("66.67")),  # rounded half up
        ([(1, 8, 1)], Decimal("12.50")),
        ([(3, 4, Decimal("0.5")), (1, 2, Decimal("1.5"))], Decimal("56.25")),
    ],
)
def test_weighted_total_on_hand_computed_examples(scores, expected):
    assert services.weighted_total(scores) == expected


@pytest.mark.parametrize("scores", [[], [(3, 5, 0)]])
def test_weighted_total_is_none_without_weight(scores):
    assert services.weighted_total(scores) is None


def test_review_total_reads_the_scores_and_their_criteria(review):
    projet, ancrage = _criteria(review)
    ScoreFactory(review=review, criterion=projet, value=4)  # 0.8 × 2
    ScoreFactory(review=review, criterion=ancrage, value=6)  # 0.6 × 1
    assert services.review_total(review) == Decimal("73.33")


def test_a_reviews_stored_total_follows_its_scores_and_its_calls_criteria(review):
    """``Review.total_hundredths`` is what lists and the committee's ranking read."""
    projet, ancrage = _criteria(review)
    assert review.total is None
    services.save_review(review, scores={projet.pk: 4})  # a draft: the total so far
    review.refresh_from_db()
    assert review.total == Decimal("80.00") == services.review_total(review)
    services.save_review(review, scores={projet.pk: 4, ancrage.pk: 6})
    review.refresh_from_db()
    assert review.total_hundredths == 7333 and review.total == Decimal("73.33")

    ancrage.weight = Decimal("2")  # a criterion reweighted in the call's grid
    ancrage.save()
    review.refresh_from_db()
    assert review.total == Decimal("70.00") == services.review_total(review)  # (0.8+0.6)*2/4
    projet.max_score = 8
    projet.save()
    review.refresh_from_db()
    assert review.total == Decimal("55.00") == services.review_total(review)  # (0.5+0.6)/2


def test_the_stored_totals_are_refreshed_in_one_read_and_one_write(
    review, django_assert_num_queries
):
    projet, _ancrage = _criteria(review)
    others = [
        ReviewFactory(application=ApplicationFactory(call=review.application.call))
        for _ in range(3)
    ]
    for other in [review, *others]:
        Score.objects.create(review=other, criterion=projet, value=5)  # behind the services
    with django_assert_num_queries(2):
        changed = services.refresh_review_totals([review, *others])
    assert len(changed) == 4 and {r.total for r in changed} == {Decimal("100.00")}
    with django_assert_num_queries(1):  # nothing changed: nothing written
        assert services.refresh_review_totals([review, *others]) == []


# --- saving and submitting --------------------------------------------------------------


def test_a_complete_review_is_submitted_with_its_scores(review):
    projet, ancrage = _criteria(review)
    now = timezone.now()
    services.save_review(
        review,
        scores={projet.pk: 5, str(ancrage.pk): "7"},
        comment="Projet solide",
        recommendation="select",
        submit=True,
        now=now,
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_at == now
    assert review.comment == "Projet solide"
    assert dict(review.scores.values_list("criterion_id", "value")) == {projet.pk: 5, ancrage.pk: 7}


@pytest.mark.parametrize(("value", "maximum"), [(6, 5), (-1, 5), (None, 5)])
def test_a_score_outside_its_range_is_refused(review, db_state, value, maximum):
    projet, _ancrage = _criteria(review)
    error = _refused(db_state, services.save_review, review, scores={projet.pk: value})
    assert error.code == "score_range"
    assert f"« Projet » doit être comprise entre 0 et {maximum}" in str(error)


def test_the_maximum_of_each_criterion_is_allowed(review):
    projet, ancrage = _criteria(review)
    services.save_review(review, scores={projet.pk: 5, ancrage.pk: 10})
    assert sorted(review.scores.values_list("value", flat=True)) == [5, 10]


def test_a_criterion_of_another_call_is_refused(review, db_state):
    foreign = CriterionFactory()
    error = _refused(db_state, services.save_review, review, scores={foreign.pk: 1})
    assert "n’appartient pas à la grille" in str(error)


def test_submitting_needs_every_criterion_scored(review, db_state):
    projet, _ancrage = _criteria(review)
    error = _refused(
        db_state,
        services.save_review,
        review,
        scores={projet.pk: 3},
        recommendation="select",
        submit=True,
    )
    assert "Notez chaque critère" in str(error)


def test_submitting_needs_a_recommendation(review, db_state):
    scores = {c.pk: 3 for c in _criteria(review)}
    error = _refused(db_state, services.save_review, review, scores=scores, submit=True)
    assert "recommandation" in str(error)


def test_a_submitted_review_stays_submitted_when_edited(review):
    scores = {c.pk: 3 for c in _criteria(review)}
    first = timezone.now() - timedelta(hours=2)
    services.save_review(review, scores=scores, recommendation="select", submit=True, now=first)
    projet = _criteria(review)[0]
    services.save_review(review, scores={projet.pk: 1}, recommendation="reject")
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_at == first
    assert review.recommendation == "reject"
    assert Score.objects.get(review=review, criterion=projet).value == 1


def test_a_submitted_review_cannot_lose_its_recommendation(review, db_state):
    scores = {c.pk: 3 for c in _criteria(review)}
    services.save_review(review, scores=scores, recommendation="select", submit=True)
    error = _refused(db_state, services.save_review, review, scores={}, recommendation="")
    assert "recommandation" in str(error)


@pytest.mark.parametrize("status", [CallStatus.OPEN, CallStatus.DECIDED])
def test_reviews_change_only_during_the_review_phase(status, db_state):
    review = ReviewFactory(application__call__status=status)
    error = _refused(db_state, services.save_review, review, scores={})
    assert "phase d’évaluation" in str(error)


def test_scores_are_frozen_once_the_review_phase_ends(db_state):
    review = ReviewFactory()
    call = review.application.call
    Call.objects.filter(pk=call.pk).update(review_ends_at=call.closes_at + timedelta(days=7))
    later = call.closes_at + timedelta(days=8)
    error = _refused(db_state, services.save_review, review, scores={}, now=later)
    assert "figées" in str(error)


# --- assignment and conflicts -----------------------------------------------------------


def test_assigning_is_idempotent():
    application = ApplicationFactory(status=ApplicationStatus.SUBMITTED)
    reviewer = ReviewerFactory()
    first = services.assign_reviewer(application, reviewer)
    second = services.assign_reviewer(application, reviewer)
    assert first.pk == second.pk
    assert first.status == ReviewStatus.ASSIGNED
    assert list(Review.objects.assigned_to(reviewer)) == [first]


@pytest.mark.parametrize(
    "status", [ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN, ApplicationStatus.SELECTED]
)
def test_only_submitted_applications_are_assigned(status, db_state):
    application = ApplicationFactory(status=status)
    reviewer = ReviewerFactory()
    error = _refused(db_state, services.assign_reviewer, application, reviewer)
    assert "déposée" in str(error)


def test_a_reviewer_of_the_centres_federation_is_refused(db_state):
    federation = PartnerFactory()
    application = ApplicationFactory(
        status=ApplicationStatus.SUBMITTED, centre=CentreFactory(federation=federation)
    )
    reviewer = ReviewerFactory(organisation=federation)
    error = _refused(db_state, services.assign_reviewer, application, reviewer)
    assert error.code == "conflict_rule"
    assert "fédération régionale" in str(error)


def test_the_federation_rule_can_be_switched_off():
    federation = PartnerFactory()
    application = ApplicationFactory(
        status=ApplicationStatus.SUBMITTED,
        centre=CentreFactory(federation=federation),
        call__conflict_rule=Call.ConflictRule.NONE,
    )
    reviewer = ReviewerFactory(organisation=federation)
    assert services.assign_reviewer(application, reviewer).status == ReviewStatus.ASSIGNED


def test_a_reviewer_of_another_organisation_is_accepted():
    application = ApplicationFactory(
        status=ApplicationStatus.SUBMITTED, centre=CentreFactory(federation=PartnerFactory())
    )
    reviewer = ReviewerFactory(organisation=PartnerFactory())
    assert services.assign_reviewer(application, reviewer)


def test_declaring_a_conflict_needs_a_reason_and_removes_the_review_from_the_list(db_state):
    review = ReviewFactory()
    error = _refused(db_state, services.declare_conflict, review, reason="  ")
    assert error.code == "reason_required"
    services.declare_conflict(review, reason=" Ma sœur dirige ce centre. ")
    review.refresh_from_db()
    assert review.status == ReviewStatus.CONFLICT
    assert review.conflict_reason == "Ma sœur dirige ce centre."
    assert not Review.objects.assigned_to(review.reviewer).exists()


def test_a_reviewer_in_conflict_cannot_be_assigned_again(db_state):
    review = ReviewFactory(status=ReviewStatus.CONFLICT)
    error = _refused(db_state, services.assign_reviewer, review.application, review.reviewer)
    assert "conflit d’intérêts" in str(error)


def test_only_submitted_reviews_count():
    submitted = ReviewFactory(status=ReviewStatus.SUBMITTED)
    ReviewFactory(status=ReviewStatus.DRAFT)
    ReviewFactory(status=ReviewStatus.CONFLICT)
    assert list(Review.objects.counted()) == [submitted]
