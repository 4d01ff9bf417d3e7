"""Agreements (issue once, sign in the portal, void) and the satisfaction survey."""

import pytest
from django.core.exceptions import ValidationError

from appels import services
from appels.models import Agreement, AgreementStatus, ApplicationStatus, SurveyAnswer
from solidaire.errors import DomainError
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    SurveyAnswerFactory,
    ready_agreement_pdf,
)

pytestmark = pytest.mark.django_db


def _refused(db_state, call, *args, **kwargs):
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


def test_an_agreement_is_issued_once_with_a_readable_number():
    application = ApplicationFactory(status=ApplicationStatus.SELECTED, call__slug="mcsn-2012")
    first = services.issue_agreement(application)
    second = services.issue_agreement(application)
    assert first.pk == second.pk
    assert first.number == f"CONV-MCSN-2012-{application.pk:05d}"
    assert first.status == AgreementStatus.ISSUED
    assert Agreement.objects.count() == 1


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.SUBMITTED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED],
)
def test_only_a_selected_application_receives_an_agreement(status, db_state):
    application = ApplicationFactory(status=status)
    error = _refused(db_state, services.issue_agreement, application)
    assert "retenue" in str(error)


@pytest.fixture
def agreement(centre, staff_user):
    """An issued agreement of ``centre`` (whose referent is ``staff_user``), its PDF ready."""
    agreement = AgreementFactory(application__centre=centre)
    agreement.pdf_checksum = ready_agreement_pdf(agreement).sha256
    return agreement


def test_signing_records_who_signed_and_when(agreement, staff_user):
    services.sign_agreement(
        agreement,
        by=staff_user,
        signer_name=" Claude Bernard ",
        signer_role="Présidente",
        document_sha256=agreement.pdf_checksum,
        ip_address="192.0.2.7",
    )
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.signed_by == staff_user
    assert agreement.signer_name == "Claude Bernard"
    assert agreement.signer_role == "Présidente"
    assert agreement.signed_at is not None


@pytest.mark.parametrize(("name", "role"), [("", "Présidente"), ("Claude", "  ")])
def test_signing_needs_the_signers_name_and_role(agreement, staff_user, db_state, name, role):
    error = _refused(
        db_state,
        services.sign_agreement,
        agreement,
        by=staff_user,
        signer_name=name,
        signer_role=role,
        document_sha256=agreement.pdf_checksum,
    )
    assert error.code == "signer"
    assert "signataire" in str(error)


def test_voiding_needs_a_reason(db_state):
    agreement = AgreementFactory(status=AgreementStatus.SIGNED)
    error = _refused(db_state, services.void_agreement, agreement, reason=" ")
    assert error.code == "reason_required"
    services.void_agreement(agreement, reason="Le centre a fermé.")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.VOID
    assert agreement.void_reason == "Le centre a fermé."
    assert agreement.voided_at is not None


# --- survey -----------------------------------------------------------------------------

ANSWERS = {
    "satisfaction": 4,
    "equipment_quality": 3,
    "ease_of_installation": 4,
    "opened_mediation_space": True,
    "testimonial": "Les habitants viennent chaque semaine.",
}


def test_an_equipped_centre_answers_the_survey_once(staff_user, db_state):
    application = ApplicationFactory(status=ApplicationStatus.SELECTED)
    answer = services.answer_survey(application, by=staff_user, answers=ANSWERS)
    assert answer.is_satisfied
    assert answer.answered_by == staff_user
    assert not answer.is_testimonial_publishable
    error = _refused(db_state, services.answer_survey, application, by=staff_user, answers=ANSWERS)
    assert "déjà répondu" in str(error)
    assert SurveyAnswer.objects.count() == 1


@pytest.mark.parametrize("status", [ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN])
def test_only_equipped_centres_answer_the_survey(status, staff_user, db_state):
    application = ApplicationFactory(status=status)
    error = _refused(db_state, services.answer_survey, application, by=staff_user, answers=ANSWERS)
    assert "centres équipés" in str(error)


@pytest.mark.parametrize("value", [0, 5])
def test_survey_ratings_are_on_a_scale_of_four(value, staff_user):
    application = ApplicationFactory(status=ApplicationStatus.SELECTED)
    with pytest.raises(ValidationError):
        services.answer_survey(
            application, by=staff_user, answers={**ANSWERS, "satisfaction": value}
        )
    assert not SurveyAnswer.objects.exists()


@pytest.mark.parametrize(("rating", "satisfied"), [(1, False), (2, False), (3, True), (4, True)])
def test_satisfied_means_satisfied_or_very_satisfied(rating, satisfied):
    assert SurveyAnswerFactory(satisfaction=rating).is_satisfied is satisfied
