"""Use cases of calls, applications, reviews, decisions, agreements and surveys.

Each function is one transaction that checks the source state of what it moves and
raises :class:`~solidaire.errors.DomainError` with a translatable message otherwise.
"""

import hashlib
import os
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.models import Membership
from centres.roles import REVIEWERS, is_reviewer
from solidaire.documents import Document, DocumentKind, DocumentStatus, request_document
from solidaire.errors import DomainError
from solidaire.outbox import queue_email
from solidaire.queue import enqueue_on_commit, send_task
from solidaire.states import transition

from .models import (
    AGREEMENT_LIFECYCLE,
    APPLICATION_LIFECYCLE,
    CALL_LIFECYCLE,
    REVIEW_LIFECYCLE,
    Agreement,
    AgreementStatus,
    Application,
    ApplicationLine,
    ApplicationStatus,
    Attachment,
    Call,
    CallStatus,
    Decision,
    Review,
    ReviewStatus,
    Score,
    SurveyAnswer,
)
from .models.agreements import agreement_number
from .notifications import _staff_emails
from .operator import operator_fields, operator_identity
from .signals import applications_selected

TWO_PLACES = Decimal("0.01")


def _locked(obj):
    """Reload ``obj`` with a row lock held until the end of the current transaction."""
    return type(obj).objects.select_for_update().get(pk=obj.pk)


# --- Calls ------------------------------------------------------------------------------


@transaction.atomic
def open_call(call, *, by=None):
    """A call opens once it offers something and has an evaluation grid."""
    call = _locked(call)
    if not call.offers.exists():
        raise DomainError(_("Un appel doit proposer au moins une offre avant d’ouvrir."))
    if not call.criteria.exists():
        raise DomainError(_("Un appel doit avoir une grille d’évaluation avant d’ouvrir."))
    return transition(call, CallStatus.OPEN, CALL_LIFECYCLE)


@transaction.atomic
def start_review(call, *, by=None, now=None):
    """Closing to applications starts the review phase, never before the deadline."""
    call = _locked(call)
    now = now or timezone.now()
    if call.status == CallStatus.OPEN and now < call.closes_at:
        raise DomainError(_("La date limite de candidature n’est pas encore passée."))
    return transition(call, CallStatus.REVIEW, CALL_LIFECYCLE)


@transaction.atomic
def publish_results(call, *, by=None, now=None):
    """Publishing locks every decision; every submitted application must have one."""
    call = _locked(call)
    now = now or timezone.now()
    undecided = call.applications.filter(status=ApplicationStatus.SUBMITTED).count()
    if call.status == CallStatus.REVIEW and undecided:
        raise DomainError(
            _("%(count)s candidature(s) déposée(s) attendent encore une décision.")
            % {"count": undecided}
        )
    transition(call, CallStatus.DECIDED, CALL_LIFECYCLE, save=False)
    call.results_published_at = now
    call.save(update_fields=["status", "results_published_at"])
    decisions = Decision.objects.filter(application__call=call, published_at__isnull=True)
    decision_ids = list(decisions.values_list("pk", flat=True))
    decisions.update(published_at=now)
    _notify_outcomes(decision_ids)
    selected = list(
        call.applications.filter(status=ApplicationStatus.SELECTED).select_related("call")
    )
    applications_selected.send(sender=Application, applications=selected)
    return call


def _notify_outcomes(decision_ids):
    from . import tasks  # noqa: PLC0415 - tasks import services

    def enqueue():
        for decision_id in decision_ids:
            send_task(tasks.send_decision_outcome, decision_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def duplicate_call(call, *, by=None, shift_days=365):
    """A new draft edition from a previous one: offers, grid and partners, dates a year on.

    Quantities are copied as a starting point; the programme manager adjusts them to the
    new stock before opening.
    """
    delta = timezone.timedelta(days=shift_days)
    base_slug = f"{call.slug[:70]}-copie"
    slug, n = base_slug, 1
    while Call.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base_slug}-{n}"
    copy = Call.objects.create(
        title=_("%(title)s (copie)") % {"title": call.title},
        slug=slug,
        edition=call.edition,
        summary=call.summary,
        description=call.description,
        opens_at=call.opens_at + delta,
        closes_at=call.closes_at + delta,
        review_ends_at=call.review_ends_at + delta if call.review_ends_at else None,
        requires_aim=call.requires_aim,
        reviewers_per_application=call.reviewers_per_application,
        conflict_rule=call.conflict_rule,
        is_blind_review=call.is_blind_review,
        confirm_after_signature=call.confirm_after_signature,
        invoice_on_delivery=call.invoice_on_delivery,
    )
    for offer in call.offers.all():
        offer.pk, offer.id, offer.call = None, None, copy
        offer._state.adding = True
        offer.save()
    for criterion in call.criteria.all():
        criterion.pk, criterion.id, criterion.call = None, None, copy
        criterion._state.adding = True
        criterion.save()
    for call_partner in call.call_partners.all():
        call_partner.pk, call_partner.id, call_partner.call = None, None, copy
        call_partner._state.adding = True
        call_partner.save()
    return copy


@transaction.atomic
def archive_call(call, *, by=None):
    return transition(_locked(call), CallStatus.ARCHIVED, CALL_LIFECYCLE)


# --- Applications -----------------------------------------------------------------------


def check_centre_may_apply(call, centre, *, now=None):
    """Raise unless ``centre`` may apply to ``call`` now (membership and dates)."""
    now = now or timezone.now()
    if not call.is_accepting_applications(now):
        if call.status == CallStatus.OPEN and now >= call.closes_at:
            raise DomainError(
                _("La date limite de candidature est passée : le dépôt n’est plus possible."),
                code="deadline_passed",
            )
        raise DomainError(_("Cet appel n’accepte pas de candidature."), code="call_not_open")
    if not centre.is_member_on(timezone.localdate(now)):
        raise DomainError(
            _(
                "L’adhésion de votre centre à la fédération n’est pas à jour : "
                "seuls les centres adhérents peuvent candidater."
            ),
            code="not_member",
        )


@transaction.atomic
def start_application(call, centre, *, by, now=None):
    """Start (or resume) the centre's draft for a call: one application per centre and call."""
    check_centre_may_apply(call, centre, now=now)
    application, _created = Application.objects.get_or_create(
        call=call, centre=centre, defaults={"created_by": by}
    )
    return application


def check_application_complete(application):
    """Raise with every missing piece of a draft before it can be submitted."""
    missing = []
    for field in ("title", "summary", "audience", "activities"):
        if not getattr(application, field).strip():
            missing.append(str(Application._meta.get_field(field).verbose_name))
    if application.expected_beneficiaries is None:
        missing.append(str(Application._meta.get_field("expected_beneficiaries").verbose_name))
    if application.call.requires_aim and not application.aim.strip():
        missing.append(str(Application._meta.get_field("aim").verbose_name))
    if application.site_id is None:
        missing.append(str(Application._meta.get_field("site").verbose_name))
    if missing:
        raise DomainError(
            _("Il manque des informations : %(fields)s.") % {"fields": ", ".join(missing)},
            code="incomplete",
        )
    lines = list(application.lines.select_related("offer"))
    if not lines:
        raise DomainError(_("Indiquez au moins un pack demandé."), code="no_line")
    for line in lines:
        if line.offer.call_id != application.call_id:
            raise DomainError(_("Une ligne porte sur l’offre d’un autre appel."))
        if line.requested_quantity > line.offer.per_centre_cap:
            raise DomainError(
                _(
                    "Vous demandez %(asked)s packs « %(pack)s » : le plafond par centre est de "
                    "%(cap)s."
                )
                % {
                    "asked": line.requested_quantity,
                    "pack": line.offer.pack_type,
                    "cap": line.offer.per_centre_cap,
                },
                code="over_cap",
            )
        if line.requested_quantity > line.offer.quantity_available:
            raise DomainError(
                _("Vous demandez %(asked)s packs « %(pack)s » : seuls %(stock)s sont proposés.")
                % {
                    "asked": line.requested_quantity,
                    "pack": line.offer.pack_type,
                    "stock": line.offer.quantity_available,
                },
                code="over_stock",
            )


def _check_draft_editable(application, now=None):
    if application.status != ApplicationStatus.DRAFT:
        raise DomainError(
            _("Cette candidature a été déposée : elle n’est plus modifiable."), code="not_draft"
        )
    now = now or timezone.now()
    if not application.call.is_accepting_applications(now):
        raise DomainError(
            _(
                "La date limite de candidature est passée : le brouillon reste consultable mais "
                "ne peut plus être modifié."
            ),
            code="deadline_passed",
        )


# Fields of the project that centre staff fill in, step by step.
PROJECT_FIELDS = (
    "title",
    "summary",
    "audience",
    "expected_beneficiaries",
    "activities",
    "opens_mediation_space",
    "partners_description",
    "aim",
)


@transaction.atomic
def update_application_draft(application, *, by, now=None, **fields):
    """Save part of a draft (one step of the form); only project fields may change."""
    application = _locked(application)
    _check_draft_editable(application, now)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ValueError(f"Not project fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(application, name, value)
    application.save(update_fields=[*fields, "updated_at"])
    return application


@transaction.atomic
def set_application_request(application, *, site, quantities, by, now=None):
    """Set the receiving site and the packs requested per offer (0 removes a line).

    Each quantity stays within the offer's per-centre cap and its available packs.
    """
    application = _locked(application)
    _check_draft_editable(application, now)
    if site is None or site.centre_id != application.centre_id or not site.is_active:
        raise DomainError(_("Choisissez un site de réception de votre centre."), code="site")
    offers = {offer.pk: offer for offer in application.call.offers.select_related("pack_type")}
    errors = {}
    for offer_id, quantity in quantities.items():
        offer = offers.get(int(offer_id))
        if offer is None:
            raise DomainError(_("Cette offre n’appartient pas à l’appel."), code="offer")
        if quantity < 0:
            errors[offer.pk] = _("La quantité ne peut pas être négative.")
        elif quantity > offer.per_centre_cap:
            errors[offer.pk] = _("Au plus %(cap)s pack(s) par centre.") % {
                "cap": offer.per_centre_cap
            }
        elif quantity > offer.quantity_available:
            errors[offer.pk] = _("Seuls %(stock)s pack(s) sont proposés.") % {
                "stock": offer.quantity_available
            }
    if errors:
        raise DomainError(errors)
    if not any(quantities.values()):
        raise DomainError(_("Indiquez au moins un pack demandé."), code="no_line")
    application.site = site
    application.save(update_fields=["site", "updated_at"])
    for offer_id, quantity in quantities.items():
        if quantity:
            ApplicationLine.objects.update_or_create(
                application=application,
                offer_id=int(offer_id),
                defaults={"requested_quantity": quantity},
            )
        else:
            ApplicationLine.objects.filter(application=application, offer_id=int(offer_id)).delete()
    return application


ATTACHMENT_MAX_SIZE = 10 * 1024 * 1024
ATTACHMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def sniff_attachment(head):
    """The content type of a file from its first bytes, or ``None`` if not accepted."""
    for signature, content_type, extension in ATTACHMENT_SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


@transaction.atomic
def add_attachment(application, *, upload, description="", by, now=None):
    """Attach a PDF, JPEG or PNG of at most 10 MB, recognised by its content, not its name."""
    application = _locked(application)
    _check_draft_editable(application, now)
    if upload.size > ATTACHMENT_MAX_SIZE:
        raise DomainError(_("Le fichier dépasse 10 Mo."), code="too_big")
    upload.seek(0)
    sniffed = sniff_attachment(upload.read(16))
    if sniffed is None:
        raise DomainError(_("Seuls les fichiers PDF, JPEG et PNG sont acceptés."), code="bad_type")
    content_type, extension = sniffed
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original_name = os.path.basename(upload.name or "")[:255] or f"piece{extension}"
    attachment = Attachment(
        application=application,
        original_name=original_name,
        description=description.strip()[:200],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    # The stored name never comes from the user.
    name = attachment.file.field.generate_filename(attachment, f"{uuid.uuid4().hex}{extension}")
    storage = attachment.file.storage
    try:
        attachment.file.name = storage.save(name, upload, max_length=255)
    except OSError as error:  # disk full, permissions, a storage outage
        if storage.exists(name):  # never keep (nor serve) a half-written file
            storage.delete(name)
        raise DomainError(
            _(
                "Le fichier n’a pas pu être enregistré (espace de stockage indisponible). "
                "Votre candidature est intacte : réessayez plus tard."
            ),
            code="storage",
        ) from error
    attachment.save()
    return attachment


@transaction.atomic
def remove_attachment(attachment, *, by, now=None):
    application = _locked(attachment.application)
    _check_draft_editable(application, now)
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.storage.delete(attachment.file.name))


@transaction.atomic
def submit_application(application, *, by, now=None):
    """Submit a complete draft before the deadline; a second submit changes nothing."""
    application = _locked(application)
    if application.status == ApplicationStatus.SUBMITTED:
        return application  # double click, second tab: one submission
    now = now or timezone.now()
    check_centre_may_apply(application.call, application.centre, now=now)
    check_application_complete(application)
    transition(application, ApplicationStatus.SUBMITTED, APPLICATION_LIFECYCLE, save=False)
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at", "updated_at"])

    from . import tasks  # noqa: PLC0415 - tasks import services

    enqueue_on_commit(tasks.send_submission_receipt, application.pk)
    return application


@transaction.atomic
def withdraw_application(application, *, by, now=None):
    """A centre withdraws; after publication a freed place goes to the waitlist."""
    application = _locked(application)
    was_selected = application.status == ApplicationStatus.SELECTED
    transition(application, ApplicationStatus.WITHDRAWN, APPLICATION_LIFECYCLE, save=False)
    application.withdrawn_at = now or timezone.now()
    application.waitlist_rank = None
    application.save(update_fields=["status", "withdrawn_at", "waitlist_rank", "updated_at"])
    if was_selected:
        application.lines.update(granted_quantity=0)
        Agreement.objects.filter(application=application).exclude(
            status=AgreementStatus.VOID
        ).update(
            status=AgreementStatus.VOID,
            voided_at=timezone.now(),
            void_reason=_("Candidature retirée par le centre."),
        )
        if application.call.is_published:
            promote_from_waitlist(application.call, by=by)
    return application


# --- Reviews ----------------------------------------------------------------------------


def reviewer_conflict(call, application, reviewer, *, partner_ids=None):
    """Why ``reviewer`` may not review ``application`` under the call's rule, or ``""``.

    Under the organisation rule a reviewer never scores a centre of their own regional
    federation, nor a centre their organisation works with (the centre's partners).
    ``partner_ids`` may be given (a set) to save the query when assigning in bulk.
    """
    if call.conflict_rule != Call.ConflictRule.SAME_ORGANISATION or not reviewer.organisation_id:
        return ""
    centre = application.centre
    if reviewer.organisation_id == centre.federation_id:
        return _("L’évaluateur appartient à la fédération régionale du centre.")
    if partner_ids is None:
        partner_ids = set(centre.partner_organisations.values_list("pk", flat=True))
    if reviewer.organisation_id in partner_ids:
        return _("L’évaluateur appartient à une organisation partenaire du centre.")
    return ""


@transaction.atomic
def assign_reviewer(application, reviewer, *, by=None):
    """Assign a reviewer to a submitted application, respecting the call's conflict rule."""
    application = _locked(application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise DomainError(_("Seule une candidature déposée peut être confiée à un évaluateur."))
    if application.call.status not in (CallStatus.OPEN, CallStatus.REVIEW):
        raise DomainError(_("Les évaluateurs se désignent avant la publication des résultats."))
    if not is_reviewer(reviewer) or not reviewer.is_active:
        raise DomainError(_("Cette personne n’est pas évaluatrice."), code="not_reviewer")
    conflict = reviewer_conflict(application.call, application, reviewer)
    if conflict:
        raise DomainError(conflict, code="conflict_rule")
    review, created = Review.objects.get_or_create(application=application, reviewer=reviewer)
    if not created and review.status == ReviewStatus.CONFLICT:
        raise DomainError(_("Cet évaluateur a déclaré un conflit d’intérêts sur ce dossier."))
    if created:
        _notify_assignment([review.pk])
    return review


def _notify_assignment(review_ids):
    from . import tasks  # noqa: PLC0415 - tasks import services

    if review_ids:
        enqueue_on_commit(tasks.send_review_assignments, review_ids)


def eligible_reviewers():
    """Active people holding the reviewer role (superusers are not drafted)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=REVIEWERS)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def auto_assign_reviewers(call, *, by=None, reviewers=None):
    """Give each submitted application the call's number of reviewers, balancing the load.

    A reviewer never gets an application twice, one they declared a conflict on, or one the
    conflict rule forbids. The least loaded reviewer on this call comes first (ties by
    ``pk``, so the result is reproducible). Returns ``(created reviews, understaffed
    applications)``: the latter lack eligible reviewers and need a manual assignment.
    """
    call = _locked(call)
    if call.status not in (CallStatus.OPEN, CallStatus.REVIEW):
        raise DomainError(_("Les évaluateurs se désignent avant la publication des résultats."))
    pool = list(reviewers if reviewers is not None else eligible_reviewers())
    applications = list(
        call.applications.filter(status=ApplicationStatus.SUBMITTED)
        .select_related("centre")
        .prefetch_related("centre__partner_organisations")
        .order_by("submitted_at", "pk")
    )
    existing = list(
        Review.objects.filter(application__call=call).values_list(
            "application_id", "reviewer_id", "status"
        )
    )
    taken = {(app_id, user_id) for app_id, user_id, _status in existing}
    active = {}
    load = {reviewer.pk: 0 for reviewer in pool}
    for app_id, user_id, status in existing:
        if status != ReviewStatus.CONFLICT:
            active[app_id] = active.get(app_id, 0) + 1
            if user_id in load:
                load[user_id] += 1
    created, understaffed = [], []
    for application in applications:
        partner_ids = {p.pk for p in application.centre.partner_organisations.all()}
        missing = call.reviewers_per_application - active.get(application.pk, 0)
        candidates = sorted(
            (
                reviewer
                for reviewer in pool
                if (application.pk, reviewer.pk) not in taken
                and not reviewer_conflict(call, application, reviewer, partner_ids=partner_ids)
            ),
            key=lambda reviewer: (load[reviewer.pk], reviewer.pk),
        )
        for reviewer in candidates[: max(missing, 0)]:
            created.append(Review(application=application, reviewer=reviewer))
            taken.add((application.pk, reviewer.pk))
            load[reviewer.pk] += 1
            missing -= 1
        if missing > 0:
            understaffed.append(application)
    created = Review.objects.bulk_create(created)
    _notify_assignment([review.pk for review in created])
    return created, understaffed


@transaction.atomic
def declare_conflict(review, *, reason, by=None):
    """A reviewer steps aside: the review leaves their list and a replacement is sought.

    Returns the replacement review, or ``None`` when nobody eligible is left (the
    programme manager then sees the application as understaffed in the ranking).
    """
    review = _locked(review)
    if not reason.strip():
        raise DomainError(_("Précisez la nature du conflit d’intérêts."), code="reason_required")
    transition(review, ReviewStatus.CONFLICT, REVIEW_LIFECYCLE, save=False)
    review.conflict_reason = reason.strip()
    review.save(update_fields=["status", "conflict_reason", "updated_at"])
    return _replace_reviewer(review.application)


def _replace_reviewer(application):
    application = Application.objects.select_related("call", "centre").get(pk=application.pk)
    call = application.call
    if application.status != ApplicationStatus.SUBMITTED or call.status not in (
        CallStatus.OPEN,
        CallStatus.REVIEW,
    ):
        return None
    reviews = list(
        Review.objects.filter(application__call=call).values_list(
            "application_id", "reviewer_id", "status"
        )
    )
    here = {user_id for app_id, user_id, _s in reviews if app_id == application.pk}
    active_here = sum(
        1
        for app_id, _u, status in reviews
        if app_id == application.pk and status != ReviewStatus.CONFLICT
    )
    if active_here >= call.reviewers_per_application:
        return None
    load = {}
    for _app_id, user_id, status in reviews:
        if status != ReviewStatus.CONFLICT:
            load[user_id] = load.get(user_id, 0) + 1
    partner_ids = set(application.centre.partner_organisations.values_list("pk", flat=True))
    candidates = [
        reviewer
        for reviewer in eligible_reviewers().select_related(None)
        if reviewer.pk not in here
        and not reviewer_conflict(call, application, reviewer, partner_ids=partner_ids)
    ]
    if not candidates:
        return None
    replacement = min(candidates, key=lambda reviewer: (load.get(reviewer.pk, 0), reviewer.pk))
    review = Review.objects.create(application=application, reviewer=replacement)
    _notify_assignment([review.pk])
    return review


def _check_review_editable(review, now):
    call = review.application.call
    if call.status != CallStatus.REVIEW:
        raise DomainError(
            _("Les évaluations ne sont modifiables que pendant la phase d’évaluation.")
        )
    if call.review_ends_at and now >= call.review_ends_at:
        raise DomainError(_("La phase d’évaluation est terminée : les notes sont figées."))


@transaction.atomic
def save_review(review, *, scores, comment="", recommendation="", submit=False, by=None, now=None):
    """Record one score per criterion (each within its maximum); submit when complete.

    ``scores`` maps criterion ids to values. A submitted review stays editable (and stays
    submitted) until the review phase ends.
    """
    review = (
        Review.objects.select_for_update().select_related("application__call").get(pk=review.pk)
    )
    now = now or timezone.now()
    if review.status == ReviewStatus.CONFLICT:
        raise DomainError(_("Vous avez déclaré un conflit d’intérêts sur ce dossier."))
    _check_review_editable(review, now)
    criteria = {c.pk: c for c in review.application.call.criteria.all()}
    for criterion_id, value in scores.items():
        criterion = criteria.get(int(criterion_id))
        if criterion is None:
            raise DomainError(_("Ce critère n’appartient pas à la grille de l’appel."))
        if value is None or not 0 <= int(value) <= criterion.max_score:
            raise DomainError(
                _("La note « %(criterion)s » doit être comprise entre 0 et %(max)s.")
                % {"criterion": criterion.name, "max": criterion.max_score},
                code="score_range",
            )
    for criterion_id, value in scores.items():
        Score.objects.update_or_create(
            review=review, criterion_id=int(criterion_id), defaults={"value": int(value)}
        )
    review.comment = comment
    review.recommendation = recommendation
    target = review.status
    if submit or review.status == ReviewStatus.SUBMITTED:
        if set(criteria) - set(review.scores.values_list("criterion_id", flat=True)):
            raise DomainError(_("Notez chaque critère avant de rendre l’évaluation."))
        if not recommendation:
            raise DomainError(_("Indiquez votre recommandation avant de rendre l’évaluation."))
        target = ReviewStatus.SUBMITTED
        review.submitted_at = review.submitted_at or now
    elif review.status == ReviewStatus.ASSIGNED:
        target = ReviewStatus.DRAFT
    if target != review.status:
        transition(review, target, REVIEW_LIFECYCLE, save=False)
    review.total_hundredths = in_hundredths(review_total(review))
    review.save()
    return review


def weighted_total(scores):
    """Weighted score out of 100 for ``(value, max_score, weight)`` triples."""
    scores = list(scores)
    total_weight = sum((Decimal(w) for _v, _m, w in scores), Decimal(0))
    if not scores or total_weight == 0:
        return None
    weighted = sum((Decimal(v) / Decimal(m) * Decimal(w) for v, m, w in scores), Decimal(0))
    return (weighted / total_weight * 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def review_total(review):
    return weighted_total(
        (s.value, s.criterion.max_score, s.criterion.weight)
        for s in review.scores.select_related("criterion")
    )


def in_hundredths(total):
    """A weighted total (``Decimal`` to the hundredth, or None) as an integer of hundredths."""
    return None if total is None else int(total.scaleb(2))


def set_totals_of_unsaved(scores):
    """Set ``total_hundredths`` on the reviews of ``scores``, unsaved ``Score`` objects with
    their review and criterion, as :func:`refresh_review_totals` would store it: for the
    seeders, which write reviews and scores in bulk."""
    by_review = {}
    for score in scores:
        criterion = score.criterion
        by_review.setdefault(id(score.review), (score.review, []))[1].append(
            (score.value, criterion.max_score, criterion.weight)
        )
    for review, values in by_review.values():
        review.total_hundredths = in_hundredths(weighted_total(values))


def refresh_review_totals(reviews):
    """Store each review's weighted total of its scores (``Review.total_hundredths``); one
    read of the scores' values, one write of the totals that changed.

    Called wherever scores or criteria change: ``save_review``, a criterion saved or deleted
    (``appels.signals``); the seeders set it as they write scores in bulk.
    """
    reviews = list(reviews)
    scores = {review.pk: [] for review in reviews}
    for review_id, *score in Score.objects.filter(review__in=reviews).values_list(
        "review_id", "value", "criterion__max_score", "criterion__weight"
    ):
        scores[review_id].append(score)
    changed = []
    for review in reviews:
        hundredths = in_hundredths(weighted_total(scores[review.pk]))
        if review.total_hundredths != hundredths:
            review.total_hundredths = hundredths
            changed.append(review)
    Review.objects.bulk_update(changed, ["total_hundredths"], batch_size=1000)
    return changed


# --- Decisions --------------------------------------------------------------------------


def _check_not_published(application):
    if application.call.status not in (CallStatus.REVIEW,):
        raise DomainError(
            _(
                "Les décisions se prennent pendant la phase d’évaluation ; "
                "elles sont figées une fois les résultats publiés."
            ),
            code="decisions_locked",
        )


@transaction.atomic
def decide(application, outcome, *, by, granted=None, rank=None, comment="", now=None):
    """Record the committee's outcome; granting never exceeds an offer's stock or cap.

    ``granted`` maps offer ids to granted packs (defaults to the requested quantities) and
    only applies to a selection. Prices are snapshotted on the lines now (invariant 6).
    """
    application = (
        Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    )
    _check_not_published(application)
    now = now or timezone.now()
    if outcome not in (
        ApplicationStatus.SELECTED,
        ApplicationStatus.WAITLISTED,
        ApplicationStatus.REJECTED,
    ):
        raise DomainError(_("Décision inconnue."))
    if application.status != outcome:
        transition(application, outcome, APPLICATION_LIFECYCLE, save=False)
    lines = list(application.lines.select_related("offer__pack_type"))
    if outcome == ApplicationStatus.SELECTED:
        _grant_lines(application, lines, granted or {}, now)
    else:
        for line in lines:
            line.granted_quantity = 0 if outcome == ApplicationStatus.REJECTED else None
            line.granted_unit_price = None
            line.save(update_fields=["granted_quantity", "granted_unit_price"])
    application.decided_at = now
    if outcome == ApplicationStatus.WAITLISTED:
        application.waitlist_rank = (
            rank or application.waitlist_rank or _next_waitlist_rank(application.call)
        )
    else:
        application.waitlist_rank = None
    application.save(update_fields=["status", "decided_at", "waitlist_rank", "updated_at"])
    Decision.objects.update_or_create(
        application=application,
        defaults={
            "outcome": outcome,
            "rank": rank,
            "comment": comment,
            "decided_by": by,
            "decided_at": now,
        },
    )
    return application


def _next_waitlist_rank(call):
    last = (
        Application.objects.filter(call=call, waitlist_rank__isnull=False)
        .order_by("-waitlist_rank")
        .values_list("waitlist_rank", flat=True)
        .first()
    )
    return (last or 0) + 1


def granted_elsewhere(offer, *, excluding):
    """Packs of ``offer`` already granted to other selected applications."""
    return (
        offer.lines.filter(application__status=ApplicationStatus.SELECTED)
        .exclude(application=excluding)
        .aggregate(total=Sum("granted_quantity"))["total"]
        or 0
    )


def _grant_lines(application, lines, granted, now):
    for line in lines:
        quantity = int(granted.get(line.offer_id, line.requested_quantity))
        offer = type(line.offer).objects.select_for_update().get(pk=line.offer_id)
        if quantity < 0:
            raise DomainError(_("Une quantité accordée ne peut pas être négative."))
        if quantity > offer.per_centre_cap:
            raise DomainError(
                _("« %(pack)s » : %(qty)s packs dépassent le plafond de %(cap)s par centre.")
                % {"pack": offer.pack_type, "qty": quantity, "cap": offer.per_centre_cap},
                code="over_cap",
            )
        remaining = offer.quantity_available - granted_elsewhere(offer, excluding=application)
        if quantity > remaining:
            raise DomainError(
                _("« %(pack)s » : il ne reste que %(left)s packs à attribuer.")
                % {"pack": offer.pack_type, "left": max(remaining, 0)},
                code="over_stock",
            )
        line.granted_quantity = quantity
        line.granted_unit_price = offer.solidarity_price
        line.save(update_fields=["granted_quantity", "granted_unit_price"])
    if not any(line.granted_quantity for line in lines):
        raise DomainError(_("Une candidature retenue doit recevoir au moins un pack."))


class DecisionErrors(DomainError):
    """Some of the committee's decisions were refused; none was recorded.

    ``by_application`` maps application ids to their messages, to show next to each row.
    """

    def __init__(self, by_application):
        self.by_application = by_application
        messages = [message for errors in by_application.values() for message in errors]
        super().__init__(messages, code="decisions_refused")


@transaction.atomic
def record_decisions(call, decisions, *, by, now=None):
    """Record several of the committee's decisions at once: all of them, or none.

    ``decisions`` is a list of ``(application, outcome, granted, rank)``. Outcomes that free
    stock (waitlist, rejection) are recorded before selections, so moving packs from one
    centre to another in the same submission works; the stock and cap checks of
    :func:`decide` apply to every selection.
    """
    call = _locked(call)
    if call.status != CallStatus.REVIEW:
        raise DomainError(
            _(
                "Les décisions se prennent pendant la phase d’évaluation ; "
                "elles sont figées une fois les résultats publiés."
            ),
            code="decisions_locked",
        )
    ordered = sorted(decisions, key=lambda d: d[1] == ApplicationStatus.SELECTED)
    errors = {}
    for application, outcome, granted, rank in ordered:
        if application.call_id != call.pk:
            errors[application.pk] = [_("Cette candidature n’appartient pas à l’appel.")]
            continue
        try:
            with transaction.atomic():
                decide(application, outcome, by=by, granted=granted, rank=rank, now=now)
        except DomainError as error:
            errors[application.pk] = error.messages
    if errors:
        raise DecisionErrors(errors)
    _renumber_waitlist(call)
    return len(decisions)


def _renumber_waitlist(call):
    """Number the waitlist 1, 2, 3… in its current order (ranks may have holes)."""
    waitlisted = Application.objects.filter(
        call=call, status=ApplicationStatus.WAITLISTED
    ).order_by("waitlist_rank", "submitted_at", "pk")
    for position, application in enumerate(waitlisted, start=1):
        if application.waitlist_rank != position:
            application.waitlist_rank = position
            application.save(update_fields=["waitlist_rank", "updated_at"])


@transaction.atomic
def apply_proposal(call, *, by, now=None):
    """Record the proposed selection by rank (see :func:`appels.ranking.propose`)."""
    from .ranking import proposal_for, ranking  # noqa: PLC0415 - ranking imports models only

    rows = ranking(call)
    proposals = proposal_for(call, rows)
    decisions = [
        (
            row.application,
            proposals[row.application.pk].outcome,
            proposals[row.application.pk].granted,
            row.rank,
        )
        for row in rows
    ]
    return record_decisions(call, decisions, by=by, now=now)


@transaction.atomic
def promote_from_waitlist(call, *, by, now=None):
    """After a withdrawal, select the first waitlisted application that the stock allows.

    Returns the promoted application, or ``None`` when none fits.
    """
    now = now or timezone.now()
    waitlist = (
        Application.objects.select_for_update()
        .filter(call=call, status=ApplicationStatus.WAITLISTED)
        .order_by("waitlist_rank", "submitted_at")
    )
    for candidate in waitlist:
        try:
            with transaction.atomic():
                lines = list(candidate.lines.select_related("offer__pack_type"))
                transition(candidate, ApplicationStatus.SELECTED, APPLICATION_LIFECYCLE, save=False)
                _grant_lines(candidate, lines, {}, now)
        except DomainError:
            candidate.status = ApplicationStatus.WAITLISTED
            continue
        candidate.decided_at = now
        candidate.waitlist_rank = None
        candidate.save(update_fields=["status", "decided_at", "waitlist_rank", "updated_at"])
        decision, _created = Decision.objects.update_or_create(
            application=candidate,
            defaults={
                "outcome": ApplicationStatus.SELECTED,
                "decided_by": by,
                "decided_at": now,
                "published_at": now if call.is_published else None,
                "notified_at": None,
            },
        )
        if call.is_published:
            _notify_outcomes([decision.pk])
            applications_selected.send(sender=Application, applications=[candidate])
        return candidate
    return None


# --- Agreements -------------------------------------------------------------------------


def _follow_up_url(application):
    return settings.SITE_URL + reverse("equipements:follow_up", args=[application.pk])


@transaction.atomic
def issue_agreement(application, *, now=None):
    """Issue the agreement of a selected application once (idempotent).

    The call's operator identity is copied onto it, and the centre's staff are e-mailed
    (once, through the outbox) that it waits for their signature.
    """
    application = _locked(application)
    if application.status != ApplicationStatus.SELECTED:
        raise DomainError(_("Seule une candidature retenue reçoit une convention."))
    now = now or timezone.now()
    call = application.call
    operator = operator_identity(call)
    agreement, created = Agreement.objects.get_or_create(
        application=application,
        defaults={
            "number": agreement_number(call, application.pk),
            "issued_at": now,
            **operator_fields(operator),
        },
    )
    # The PDF is made by a worker after commit (idempotent: one document per agreement).
    request_document(agreement, DocumentKind.AGREEMENT)
    if created:
        queue_email(
            f"agreement-issued:{agreement.pk}",
            _staff_emails(application.centre),
            "emails/agreement_issued",
            {
                "agreement": agreement,
                "application": application,
                "operator": operator,
                "url": _follow_up_url(application),
            },
        )
    return agreement


def may_sign_agreement(user, agreement):
    """The centre's referent, or a colleague the referent named signatory."""
    membership = Membership.objects.filter(
        user=user, centre_id=agreement.application.centre_id
    ).first()
    return membership is not None and membership.may_sign


def agreement_signers(centre):
    """The people who may sign ``centre``'s agreements (referent first), for the page."""
    return list(
        centre.memberships.filter(Q(is_referent=True) | Q(may_sign_agreements=True))
        .select_related("user")
        .order_by("-is_referent", "user__last_name", "user__first_name")
    )


def _ready_agreement_checksum(agreement):
    """The SHA-256 of the agreement's ready PDF (row locked), or ``None`` while it is made."""
    return (
        Document.objects.select_for_update()
        .filter(
            content_type=ContentType.objects.get_for_model(Agreement),
            object_id=agreement.pk,
            kind=DocumentKind.AGREEMENT,
            status=DocumentStatus.READY,
        )
        .values_list("sha256", flat=True)
        .first()
    )


@transaction.atomic
def sign_agreement(
    agreement, *, by, signer_name, signer_role, document_sha256, ip_address=None, now=None
):
    """The centre accepts the agreement in the portal.

    Only its referent or a named signatory signs, and only the PDF they were shown: the
    posted ``document_sha256`` must be the checksum of the agreement's ready PDF. Who,
    when, from which address and that checksum are recorded and printed on the signed PDF.
    """
    agreement = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("application__centre")
        .get(pk=agreement.pk)
    )
    if not may_sign_agreement(by, agreement):
        raise DomainError(
            _(
                "Seul le référent du centre, ou un signataire qu’il a nommé, peut signer "
                "la convention."
            ),
            code="not_signatory",
        )
    # Checked first (an already signed agreement says so); saved only if all goes well.
    transition(agreement, AgreementStatus.SIGNED, AGREEMENT_LIFECYCLE, save=False)
    if not signer_name.strip() or not signer_role.strip():
        raise DomainError(_("Indiquez le nom et la qualité du signataire."), code="signer")
    checksum = _ready_agreement_checksum(agreement)
    if checksum is None:
        raise DomainError(
            _(
                "La convention est en cours de préparation : vous pourrez la signer dès que "
                "son PDF sera prêt."
            ),
            code="document_not_ready",
        )
    if (document_sha256 or "").strip().lower() != checksum:
        raise DomainError(
            _(
                "La convention a changé depuis que vous l’avez ouverte : relisez la version "
                "actuelle avant de la signer."
            ),
            code="document_changed",
        )
    agreement.signed_at = now or timezone.now()
    agreement.signed_by = by
    agreement.signer_name = signer_name.strip()
    agreement.signer_role = signer_role.strip()
    agreement.signed_from_ip = ip_address or None
    agreement.signed_document_sha256 = checksum
    agreement.save()
    # The signed version, with the recorded acceptance, is kept as its own document.
    request_document(agreement, DocumentKind.AGREEMENT_SIGNED, by=by)
    application = agreement.application
    queue_email(
        f"agreement-signed:{agreement.pk}",
        _staff_emails(application.centre),
        "emails/agreement_signed",
        {"agreement": agreement, "application": application, "url": _follow_up_url(application)},
    )
    return agreement


@transaction.atomic
def void_agreement(agreement, *, reason, by=None, now=None):
    agreement = _locked(agreement)
    if not reason.strip():
        raise DomainError(_("Indiquez le motif de l’annulation."), code="reason_required")
    transition(agreement, AgreementStatus.VOID, AGREEMENT_LIFECYCLE, save=False)
    agreement.voided_at = now or timezone.now()
    agreement.void_reason = reason.strip()
    agreement.save()
    return agreement


# --- Survey -----------------------------------------------------------------------------


@transaction.atomic
def answer_survey(application, *, by, answers, now=None):
    """Record the satisfaction survey of a selected application, once."""
    application = _locked(application)
    if application.status != ApplicationStatus.SELECTED:
        raise DomainError(_("L’enquête concerne les centres équipés."))
    if SurveyAnswer.objects.filter(application=application).exists():
        raise DomainError(_("Vous avez déjà répondu à l’enquête de satisfaction."))
    answer = SurveyAnswer(
        application=application, answered_by=by, answered_at=now or timezone.now(), **answers
    )
    answer.full_clean()
    answer.save()
    return answer
