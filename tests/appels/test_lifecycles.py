"""Every (source, target) pair of the calls' lifecycles, through the services.

A move succeeds exactly when the lifecycle table allows it; any other move raises
``TransitionError`` and leaves the database as it was.
"""

from datetime import timedelta

import pytest

from appels import services
from appels.models import (
    AGREEMENT_LIFECYCLE,
    APPLICATION_LIFECYCLE,
    CALL_LIFECYCLE,
    REVIEW_LIFECYCLE,
    AgreementStatus,
    ApplicationStatus,
    CallStatus,
    ReviewStatus,
)
from solidaire.errors import DomainError, TransitionError
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    ReviewFactory,
    UserFactory,
    ready_agreement_pdf,
)

pytestmark = pytest.mark.django_db


def pairs(choices, targets):
    return [
        pytest.param(source, target, id=f"{source}->{target}")
        for source in choices.values
        for target in targets
    ]


def test_every_lifecycle_state_is_a_declared_choice():
    for lifecycle in (CALL_LIFECYCLE, APPLICATION_LIFECYCLE, REVIEW_LIFECYCLE, AGREEMENT_LIFECYCLE):
        states = set(lifecycle) | {n for nexts in lifecycle.values() for n in nexts}
        assert states <= set(lifecycle.choices.values)


@pytest.mark.parametrize(
    ("lifecycle", "initial"),
    [
        (CALL_LIFECYCLE, CallStatus.DRAFT),
        (APPLICATION_LIFECYCLE, ApplicationStatus.DRAFT),
        (REVIEW_LIFECYCLE, ReviewStatus.ASSIGNED),
        (AGREEMENT_LIFECYCLE, AgreementStatus.ISSUED),
    ],
)
def test_nothing_leads_back_to_the_initial_state(lifecycle, initial):
    # Initial states are only ever reached by creation: no service moves into them.
    assert all(initial not in nexts for nexts in lifecycle.values())


def test_a_refused_move_names_both_states_in_french():
    call = CallFactory(status=CallStatus.DRAFT)
    with pytest.raises(TransitionError) as exc:
        services.archive_call(call)
    message = str(exc.value.messages[0])
    assert "« en préparation »" in message
    assert "« archivé »" in message
    assert "impossible" in message
    assert exc.value.code == "invalid_transition"


# --- Call -------------------------------------------------------------------------------


def _start_review(call):
    return services.start_review(call, now=call.closes_at + timedelta(hours=1))


CALL_SERVICES = {
    CallStatus.OPEN: services.open_call,
    CallStatus.REVIEW: _start_review,
    CallStatus.DECIDED: services.publish_results,
    CallStatus.ARCHIVED: services.archive_call,
}


@pytest.mark.parametrize(("source", "target"), pairs(CallStatus, CALL_SERVICES))
def test_call_moves_follow_the_lifecycle(source, target, check_move):
    call = CallFactory(status=source)
    check_move(call, target, CALL_LIFECYCLE, CALL_SERVICES[target])


def test_the_call_lifecycle_is_a_straight_line():
    assert dict(CALL_LIFECYCLE) == {
        "draft": ("open",),
        "open": ("review",),
        "review": ("decided",),
        "decided": ("archived",),
    }


# --- Application ------------------------------------------------------------------------

# The call's phase each service needs (submission while open, decisions during review).
APPLICATION_TARGETS = {
    ApplicationStatus.SUBMITTED: CallStatus.OPEN,
    ApplicationStatus.SELECTED: CallStatus.REVIEW,
    ApplicationStatus.WAITLISTED: CallStatus.REVIEW,
    ApplicationStatus.REJECTED: CallStatus.REVIEW,
    ApplicationStatus.WITHDRAWN: CallStatus.REVIEW,
}


def _application_pairs():
    params = []
    for source in ApplicationStatus.values:
        for target in APPLICATION_TARGETS:
            params.append(pytest.param(source, target, id=f"{source}->{target}"))
    return params


@pytest.mark.parametrize(("source", "target"), _application_pairs())
def test_application_moves_follow_the_lifecycle(source, target, check_move, manager):
    call = CallFactory(status=APPLICATION_TARGETS[target])
    application = ApplicationFactory(call=call, status=source)
    staff = UserFactory()

    def run(app):
        if target == ApplicationStatus.SUBMITTED:
            return services.submit_application(app, by=staff)
        if target == ApplicationStatus.WITHDRAWN:
            return services.withdraw_application(app, by=staff)
        return services.decide(app, target, by=manager)

    # A second submit returns the submission; re-recording the same outcome is allowed
    # until publication (the committee may adjust quantities or its comment).
    same_state_ok = source == target and target != ApplicationStatus.WITHDRAWN
    check_move(application, target, APPLICATION_LIFECYCLE, run, same_state_ok=same_state_ok)


# --- Review -----------------------------------------------------------------------------


def _complete_scores(review):
    return {c.pk: 4 for c in review.application.call.criteria.all()}


def _submit_review(review):
    return services.save_review(
        review, scores=_complete_scores(review), recommendation="select", submit=True
    )


def _declare_conflict(review):
    return services.declare_conflict(review, reason="Je siège au conseil du centre.")


REVIEW_SERVICES = {ReviewStatus.SUBMITTED: _submit_review, ReviewStatus.CONFLICT: _declare_conflict}


@pytest.mark.parametrize(("source", "target"), pairs(ReviewStatus, REVIEW_SERVICES))
def test_review_moves_follow_the_lifecycle(source, target, check_move):
    review = ReviewFactory(status=source)
    # A submitted review stays editable (and submitted) during the review phase; a
    # reviewer in conflict is refused by a rule of its own, before the table.
    same_state_ok = (source, target) == (ReviewStatus.SUBMITTED, ReviewStatus.SUBMITTED)
    refused = DomainError if source == ReviewStatus.CONFLICT else TransitionError
    check_move(
        review,
        target,
        REVIEW_LIFECYCLE,
        REVIEW_SERVICES[target],
        refused=refused,
        same_state_ok=same_state_ok,
    )


@pytest.mark.parametrize(
    ("source", "after"),
    [
        (ReviewStatus.ASSIGNED, ReviewStatus.DRAFT),
        (ReviewStatus.DRAFT, ReviewStatus.DRAFT),
        (ReviewStatus.SUBMITTED, ReviewStatus.SUBMITTED),
    ],
)
def test_saving_without_submitting_starts_a_draft_and_never_goes_back(source, after):
    review = ReviewFactory(status=source)
    services.save_review(review, scores=_complete_scores(review), recommendation="select")
    review.refresh_from_db()
    assert review.status == after


def test_saving_a_review_in_conflict_is_refused(db_state):
    review = ReviewFactory(status=ReviewStatus.CONFLICT)
    before = db_state()
    with pytest.raises(DomainError) as exc:
        services.save_review(review, scores={}, recommendation="select")
    assert "conflit d’intérêts" in str(exc.value.messages[0])
    assert db_state() == before


# --- Agreement --------------------------------------------------------------------------


def _sign(agreement):
    return services.sign_agreement(
        agreement,
        by=agreement.application.created_by,
        signer_name="Claude Bernard",
        signer_role="Présidente",
        document_sha256=agreement.pdf_checksum,
    )


def _void(agreement):
    return services.void_agreement(agreement, reason="Centre fermé.")


AGREEMENT_SERVICES = {AgreementStatus.SIGNED: _sign, AgreementStatus.VOID: _void}


@pytest.mark.parametrize(("source", "target"), pairs(AgreementStatus, AGREEMENT_SERVICES))
def test_agreement_moves_follow_the_lifecycle(source, target, check_move):
    agreement = AgreementFactory(status=source, application__created_by=UserFactory())
    MembershipFactory(
        user=agreement.application.created_by,
        centre=agreement.application.centre,
        is_referent=True,
    )
    agreement.pdf_checksum = ready_agreement_pdf(agreement).sha256
    check_move(agreement, target, AGREEMENT_LIFECYCLE, AGREEMENT_SERVICES[target])
