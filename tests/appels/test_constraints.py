"""Database constraints of the calls: enforced by SQLite and PostgreSQL alike."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from appels.models import Application, ApplicationStatus, CallPartner, CallStatus, Score
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    ApplicationLineFactory,
    CallFactory,
    CallOfferFactory,
    CallPartnerFactory,
    CriterionFactory,
    PackTypeFactory,
    ReviewFactory,
    ScoreFactory,
    SurveyAnswerFactory,
)

pytestmark = pytest.mark.django_db


def violates(create, constraint=None):
    """``create()`` must fail with an IntegrityError, rolled back to a savepoint.

    Both SQLite and PostgreSQL name a violated CHECK constraint in their message.
    """
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        create()
    if constraint:
        assert constraint in str(exc.value)


def test_one_application_per_centre_and_call(open_call, centre):
    ApplicationFactory(call=open_call, centre=centre)
    violates(lambda: ApplicationFactory(call=open_call, centre=centre, site=None, lines=0))
    ApplicationFactory(call=CallFactory(), centre=centre)  # another call: fine
    assert Application.objects.filter(centre=centre).count() == 2


def test_a_submitted_application_needs_its_submission_time():
    violates(
        lambda: ApplicationFactory(status=ApplicationStatus.SUBMITTED, submitted_at=None),
        "application_submitted_has_date",
    )


# A draft withdrawn before submission keeps no submission time.
@pytest.mark.parametrize(
    "status", [s for s in ApplicationStatus.values if s not in ("draft", "withdrawn")]
)
def test_no_status_but_draft_or_withdrawn_goes_without_submission_time(status):
    application = ApplicationFactory()
    violates(
        lambda: Application.objects.filter(pk=application.pk).update(status=status),
        "application_submitted_has_date",
    )


def test_requested_quantity_is_at_least_one():
    violates(lambda: ApplicationLineFactory(requested_quantity=0), "line_requested_positive")
    violates(lambda: ApplicationLineFactory(requested_quantity=-1))


def test_a_line_is_unique_per_offer():
    line = ApplicationLineFactory()
    violates(lambda: ApplicationLineFactory(application=line.application, offer=line.offer))


def test_granted_price_is_not_negative():
    violates(
        lambda: ApplicationLineFactory(granted_quantity=1, granted_unit_price=Decimal("-1")),
        "line_granted_price_not_negative",
    )


def test_offer_price_is_not_negative():
    CallOfferFactory(solidarity_price=Decimal("0.00"))  # a free donation is fine
    violates(
        lambda: CallOfferFactory(solidarity_price=Decimal("-0.01")), "offer_price_not_negative"
    )


def test_per_centre_cap_is_at_least_one():
    violates(lambda: CallOfferFactory(per_centre_cap=0), "offer_cap_positive")


def test_an_offer_is_unique_per_pack_type_and_call(open_call):
    offer = open_call.offers.get()
    violates(lambda: CallOfferFactory(call=open_call, pack_type=offer.pack_type))


def test_a_call_closes_after_it_opens():
    now = timezone.now()
    violates(
        lambda: CallFactory(opens_at=now, closes_at=now, offers=0, criteria=0, operator=None),
        "call_closes_after_opening",
    )
    violates(
        lambda: CallFactory(
            opens_at=now, closes_at=now - timedelta(days=1), offers=0, criteria=0, operator=None
        ),
        "call_closes_after_opening",
    )


def test_the_review_phase_ends_after_the_call_closes():
    now = timezone.now()
    violates(
        lambda: CallFactory(
            opens_at=now - timedelta(days=10),
            closes_at=now,
            review_ends_at=now - timedelta(hours=1),
            status=CallStatus.REVIEW,
            offers=0,
            criteria=0,
            operator=None,
        ),
        "call_review_ends_after_closing",
    )


def test_a_call_has_one_operator(open_call):
    assert open_call.call_partners.filter(role=CallPartner.Role.OPERATOR).count() == 1
    violates(lambda: CallPartnerFactory(call=open_call, role=CallPartner.Role.OPERATOR))
    CallPartnerFactory(call=open_call, role=CallPartner.Role.FUNDER)


def test_the_operator_of_a_call_has_a_valid_siret(open_call):
    from centres.validators import siret_is_valid  # noqa: PLC0415

    operator = open_call.call_partners.get(role=CallPartner.Role.OPERATOR).partner
    assert siret_is_valid(operator.siret)


@pytest.mark.parametrize("weight", [Decimal("0"), Decimal("-1")])
def test_criterion_weight_is_positive(weight):
    violates(lambda: CriterionFactory(weight=weight), "criterion_weight_positive")


def test_criterion_maximum_is_at_least_one():
    violates(lambda: CriterionFactory(max_score=0), "criterion_max_positive")


def test_criterion_names_are_unique_per_call():
    criterion = CriterionFactory(name="Ancrage local")
    CriterionFactory(name="Ancrage local")  # in another call
    violates(lambda: CriterionFactory(call=criterion.call, name="Ancrage local"))


def test_pack_units_are_at_least_one():
    violates(lambda: PackTypeFactory(units_per_pack=0), "packtype_units_positive")


def test_a_score_is_not_negative():
    ScoreFactory(value=0)
    violates(lambda: ScoreFactory(value=-1))


def test_one_score_per_criterion_and_review():
    score = ScoreFactory()
    violates(lambda: Score.objects.create(review=score.review, criterion=score.criterion, value=2))


def test_one_review_per_reviewer_and_application():
    review = ReviewFactory()
    violates(lambda: ReviewFactory(application=review.application, reviewer=review.reviewer))


def test_a_submitted_review_has_a_date_and_a_recommendation():
    violates(
        lambda: ReviewFactory(status="submitted", recommendation=""), "review_submitted_complete"
    )
    violates(
        lambda: ReviewFactory(status="submitted", submitted_at=None), "review_submitted_complete"
    )


SIGNER = "agreement_signed_has_signer"


def test_a_signed_agreement_names_its_signer():
    violates(lambda: AgreementFactory(status="signed", signer_name=""), SIGNER)
    violates(lambda: AgreementFactory(status="signed", signer_role=""), SIGNER)
    violates(lambda: AgreementFactory(status="signed", signed_at=None), SIGNER)


def test_agreement_numbers_are_unique():
    agreement = AgreementFactory()
    violates(lambda: AgreementFactory(number=agreement.number))


@pytest.mark.parametrize("field", ["satisfaction", "equipment_quality", "ease_of_installation"])
@pytest.mark.parametrize("value", [0, 5])
def test_survey_ratings_are_between_one_and_four(field, value):
    violates(lambda: SurveyAnswerFactory(**{field: value}), "survey_ratings_in_scale")


@pytest.mark.parametrize("value", [1, 4])
def test_survey_ratings_at_the_bounds_are_accepted(value):
    SurveyAnswerFactory(satisfaction=value, equipment_quality=value, ease_of_installation=value)
