from .agreements import AGREEMENT_LIFECYCLE, Agreement, AgreementStatus
from .applications import (
    APPLICATION_LIFECYCLE,
    DECIDED_STATUSES,
    Application,
    ApplicationLine,
    ApplicationStatus,
    Attachment,
)
from .calls import CALL_LIFECYCLE, Call, CallOffer, CallPartner, CallStatus, Criterion, PackType
from .reviews import REVIEW_LIFECYCLE, Decision, Recommendation, Review, ReviewStatus, Score
from .surveys import Rating, SurveyAnswer

__all__ = [
    "AGREEMENT_LIFECYCLE",
    "APPLICATION_LIFECYCLE",
    "CALL_LIFECYCLE",
    "DECIDED_STATUSES",
    "REVIEW_LIFECYCLE",
    "Agreement",
    "AgreementStatus",
    "Application",
    "ApplicationLine",
    "ApplicationStatus",
    "Attachment",
    "Call",
    "CallOffer",
    "CallPartner",
    "CallStatus",
    "Criterion",
    "Decision",
    "PackType",
    "Rating",
    "Recommendation",
    "Review",
    "ReviewStatus",
    "Score",
    "SurveyAnswer",
]
