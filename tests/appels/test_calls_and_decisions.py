"""Calls' own rules (opening, review phase, publication) and the committee's decisions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from appels import services
from appels.models import (
    Application,
    ApplicationLine,
    ApplicationStatus,
    Call,
    CallOffer,
    CallStatus,
    Decision,
)
from solidaire.errors import DomainError
from tests.factories import ApplicationFactory, CallFactory

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


# --- opening, review, publication -------------------------------------------------------


def test_a_call_needs_an_offer_to_open(db_state):
    call = CallFactory(status=CallStatus.DRAFT, offers=0)
    error = _refused(db_state, services.open_call, call)
    assert "au moins une offre" in str(error.messages[0])


def test_a_call_needs_an_evaluation_grid_to_open(db_state):
    call = CallFactory(status=CallStatus.DRAFT, criteria=0)
    error = _refused(db_state, services.open_call, call)
    assert "grille d’évaluation" in str(error.messages[0])


def test_a_complete_draft_call_opens():
    call = services.open_call(CallFactory(status=CallStatus.DRAFT))
    assert Call.objects.get(pk=call.pk).status == CallStatus.OPEN


def test_the_review_phase_never_starts_before_the_deadline(db_state):
    call = CallFactory()
    error = _refused(
        db_state, services.start_review, call, now=call.closes_at - timedelta(seconds=1)
    )
    assert "date limite" in str(error)
    assert "pas encore passée" in str(error)


def test_the_review_phase_starts_at_the_deadline():
    call = CallFactory()
    services.start_review(call, now=call.closes_at)
    call.refresh_from_db()
    assert call.status == CallStatus.REVIEW


def test_results_are_published_only_when_every_submission_is_decided(db_state, manager):
    call = CallFactory(status=CallStatus.REVIEW)
    decided = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    ApplicationFactory(call=call, status=ApplicationStatus.DRAFT)  # never submitted: ignored
    services.decide(decided, ApplicationStatus.SELECTED, by=manager)
    error = _refused(db_state, services.publish_results, call)
    assert "1 candidature(s) déposée(s) attendent encore une décision" in str(error)


def test_publishing_stamps_the_call_and_locks_every_decision(manager):
    call = CallFactory(status=CallStatus.REVIEW)
    chosen = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    refused = ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED)
    services.decide(chosen, ApplicationStatus.SELECTED, by=manager)
    services.decide(refused, ApplicationStatus.REJECTED, by=manager)
    now = timezone.now()
    services.publish_results(call, by=manager, now=now)
    call.refresh_from_db()
    assert call.status == CallStatus.DECIDED
    assert call.results_published_at == now
    assert call.is_published
    decisions = Decision.objects.filter(application__call=call)
    assert decisions.count() == 2
    assert all(d.published_at == now and d.is_locked for d in decisions)


def test_call_querysets(manager):
    draft = CallFactory(status=CallStatus.DRAFT)
    open_call = CallFactory()
    late = CallFactory(
        closes_at=timezone.now() - timedelta(hours=1), opens_at=timezone.now() - timedelta(days=9)
    )
    decided = CallFactory(status=CallStatus.DECIDED)
    archived = CallFactory(status=CallStatus.ARCHIVED)
    assert list(Call.objects.accepting_applications()) == [open_call]
    assert set(Call.objects.published()) == {decided, archived}
    assert draft not in Call.objects.public()
    assert late in Call.objects.public()
    assert not late.is_accepting_applications()


# --- decisions --------------------------------------------------------------------------


@pytest.fixture
def review_call():
    """A call in review whose single offer has 3 packs at 90 €, at most 2 per centre."""
    return CallFactory(
        status=CallStatus.REVIEW,
        offers__quantity_available=3,
        offers__per_centre_cap=2,
        offers__solidarity_price=Decimal("90.00"),
    )


def _submitted(call, quantity=1):
    return ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, lines=quantity)


def test_selecting_grants_the_requested_packs_at_the_current_price(review_call, manager):
    application = _submitted(review_call, 2)
    services.decide(application, ApplicationStatus.SELECTED, by=manager, comment="Très bon")
    line = ApplicationLine.objects.get(application=application)
    assert line.granted_quantity == 2
    assert line.granted_unit_price == Decimal("90.00")
    decision = Decision.objects.get(application=application)
    assert decision.outcome == ApplicationStatus.SELECTED
    assert decision.decided_by == manager
    assert decision.comment == "Très bon"
    assert decision.published_at is None


def test_a_later_price_change_does_not_alter_a_granted_line(review_call, manager):
    application = _submitted(review_call)
    services.decide(application, ApplicationStatus.SELECTED, by=manager)
    CallOffer.objects.filter(call=review_call).update(solidarity_price=Decimal("120.00"))
    line = ApplicationLine.objects.get(application=application)
    assert line.granted_unit_price == Decimal("90.00")


def test_the_committee_may_grant_fewer_packs_than_requested(review_call, manager):
    application = _submitted(review_call, 2)
    offer = review_call.offers.get()
    services.decide(application, ApplicationStatus.SELECTED, by=manager, granted={offer.pk: 1})
    assert ApplicationLine.objects.get(application=application).granted_quantity == 1


def test_granting_above_the_stock_left_is_refused(review_call, manager, db_state):
    services.decide(_submitted(review_call, 2), ApplicationStatus.SELECTED, by=manager)
    late = _submitted(review_call, 2)
    error = _refused(db_state, services.decide, late, ApplicationStatus.SELECTED, by=manager)
    assert error.code == "over_stock"
    assert "il ne reste que 1 packs" in str(error)


def test_granting_above_the_cap_is_refused(review_call, manager, db_state):
    application = _submitted(review_call)
    offer = review_call.offers.get()
    error = _refused(
        db_state,
        services.decide,
        application,
        ApplicationStatus.SELECTED,
        by=manager,
        granted={offer.pk: 3},
    )
    assert error.code == "over_cap"
    assert "plafond de 2 par centre" in str(error)


def test_a_negative_grant_is_refused(review_call, manager, db_state):
    application = _submitted(review_call)
    offer = review_call.offers.get()
    error = _refused(
        db_state,
        services.decide,
        application,
        ApplicationStatus.SELECTED,
        by=manager,
        granted={offer.pk: -1},
    )
    assert "négative" in str(error)


def test_a_selection_must_grant_at_least_one_pack(review_call, manager, db_state):
    application = _submitted(review_call)
    offer = review_call.offers.get()
    error = _refused(
        db_state,
        services.decide,
        application,
        ApplicationStatus.SELECTED,
        by=manager,
        granted={offer.pk: 0},
    )
    assert "au moins un pack" in str(error)


def test_packs_of_rejected_or_waitlisted_applications_stay_available(review_call, manager):
    first = _submitted(review_call, 2)
    services.decide(first, ApplicationStatus.SELECTED, by=manager)
    services.decide(first, ApplicationStatus.REJECTED, by=manager)
    assert ApplicationLine.objects.get(application=first).granted_quantity == 0
    second = _submitted(review_call, 2)
    services.decide(second, ApplicationStatus.WAITLISTED, by=manager)
    assert ApplicationLine.objects.get(application=second).granted_quantity is None
    third = _submitted(review_call, 2)
    services.decide(third, ApplicationStatus.SELECTED, by=manager)  # 2 of 3 packs: fits


def test_waitlist_ranks_follow_the_order_of_decisions(review_call, manager):
    ranks = []
    for _ in range(3):
        application = _submitted(review_call)
        services.decide(application, ApplicationStatus.WAITLISTED, by=manager)
        ranks.append(Application.objects.get(pk=application.pk).waitlist_rank)
    assert ranks == [1, 2, 3]


def test_re_recording_a_waitlist_decision_keeps_its_rank(review_call, manager):
    first = _submitted(review_call)
    services.decide(first, ApplicationStatus.WAITLISTED, by=manager)
    services.decide(_submitted(review_call), ApplicationStatus.WAITLISTED, by=manager)
    services.decide(first, ApplicationStatus.WAITLISTED, by=manager, comment="Précision")
    assert Application.objects.get(pk=first.pk).waitlist_rank == 1


def test_a_selection_leaves_the_waitlist(review_call, manager):
    application = _submitted(review_call)
    services.decide(application, ApplicationStatus.WAITLISTED, by=manager)
    services.decide(application, ApplicationStatus.SELECTED, by=manager)
    assert Application.objects.get(pk=application.pk).waitlist_rank is None


def test_an_unknown_outcome_is_refused(review_call, manager, db_state):
    application = _submitted(review_call)
    error = _refused(
        db_state, services.decide, application, ApplicationStatus.WITHDRAWN, by=manager
    )
    assert "Décision inconnue" in str(error)


@pytest.mark.parametrize("status", [CallStatus.OPEN, CallStatus.DECIDED, CallStatus.ARCHIVED])
def test_decisions_are_taken_during_review_only(status, manager, db_state):
    application = ApplicationFactory(
        call=CallFactory(status=status), status=ApplicationStatus.SUBMITTED
    )
    error = _refused(db_state, services.decide, application, ApplicationStatus.SELECTED, by=manager)
    assert error.code == "decisions_locked"
    assert "figées" in str(error)


def test_a_published_decision_cannot_be_changed(review_call, manager, db_state):
    application = _submitted(review_call)
    services.decide(application, ApplicationStatus.SELECTED, by=manager)
    services.publish_results(review_call, by=manager)
    error = _refused(db_state, services.decide, application, ApplicationStatus.REJECTED, by=manager)
    assert error.code == "decisions_locked"


def test_re_deciding_updates_the_single_decision_row(review_call, manager):
    application = _submitted(review_call)
    services.decide(application, ApplicationStatus.WAITLISTED, by=manager)
    services.decide(application, ApplicationStatus.SELECTED, by=manager, rank=1)
    decision = Decision.objects.get(application=application)
    assert decision.outcome == ApplicationStatus.SELECTED
    assert decision.rank == 1
