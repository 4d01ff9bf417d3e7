"""E-mails sent to centres about their applications, and to reviewers about their work."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Application, Decision, Review, ReviewStatus


def send_submission_receipt(application_id):
    """Acknowledge a submitted application to every staff member of the centre."""
    application = (
        Application.objects.select_related("call", "centre").filter(pk=application_id).first()
    )
    if application is None or application.submitted_at is None:
        return 0
    recipients = list(
        application.centre.memberships.filter(user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"application": application}
        subject = render_to_string("emails/submission_receipt_subject.txt", context).strip()
        body = render_to_string("emails/submission_receipt.txt", context)
    return send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    )


def _staff_emails(centre):
    return list(
        centre.memberships.filter(user__is_active=True).values_list("user__email", flat=True)
    )


@transaction.atomic
def send_decision_outcome(decision_id):
    """Tell the centre its published outcome, exactly once (the decision row is locked)."""
    decision = (
        Decision.objects.select_for_update()
        .select_related("application__call", "application__centre")
        .filter(pk=decision_id, published_at__isnull=False, notified_at__isnull=True)
        .first()
    )
    if decision is None:
        return 0
    application = decision.application
    recipients = _staff_emails(application.centre)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"application": application, "decision": decision}
        subject = render_to_string("emails/decision_subject.txt", context).strip()
        body = render_to_string("emails/decision.txt", context)
    sent = send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    )
    decision.notified_at = timezone.now()
    decision.save(update_fields=["notified_at"])
    return sent


def _review_list_url():
    return settings.SITE_URL + reverse("admin:appels_review_changelist") + "?todo=todo"


def _preferences_url():
    return settings.SITE_URL + reverse("centres:preferences")


def send_review_assignments(review_ids):
    """Tell each reviewer (who did not opt out) which applications were just confided to them."""
    reviews = (
        Review.objects.filter(pk__in=review_ids, reviewer__review_emails=True)
        .exclude(status=ReviewStatus.CONFLICT)
        .select_related("reviewer", "application__centre", "application__call")
        .order_by("reviewer_id", "application__centre__name")
    )
    by_reviewer = {}
    for review in reviews:
        by_reviewer.setdefault(review.reviewer, []).append(review)
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for reviewer, assigned in by_reviewer.items():
            context = {
                "reviewer": reviewer,
                "reviews": assigned,
                "url": _review_list_url(),
                "preferences_url": _preferences_url(),
            }
            subject = render_to_string("emails/review_assigned_subject.txt", context).strip()
            body = render_to_string("emails/review_assigned.txt", context)
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [reviewer.email]))
    return send_mass_mail(messages) if messages else 0


@transaction.atomic
def send_review_reminders(now=None):
    """Remind reviewers with unfinished reviews that the deadline is near, once per review.

    Calls in review whose ``review_ends_at`` falls within ``REVIEW_REMINDER_DAYS`` are
    concerned; reviewers who opted out of review e-mails are skipped. Rows are locked so two
    beat runs never send the same reminder twice.
    """
    now = now or timezone.now()
    horizon = now + timezone.timedelta(days=settings.REVIEW_REMINDER_DAYS)
    reviews = list(
        Review.objects.select_for_update(of=("self",))
        .filter(
            status__in=[ReviewStatus.ASSIGNED, ReviewStatus.DRAFT],
            reminded_at__isnull=True,
            reviewer__review_emails=True,
            reviewer__is_active=True,
            application__call__status="review",
            application__call__review_ends_at__gt=now,
            application__call__review_ends_at__lte=horizon,
        )
        .select_related("reviewer", "application__centre", "application__call")
        .order_by("reviewer_id", "application__centre__name")
    )
    by_reviewer = {}
    for review in reviews:
        by_reviewer.setdefault(review.reviewer, []).append(review)
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for reviewer, pending in by_reviewer.items():
            context = {
                "reviewer": reviewer,
                "reviews": pending,
                "deadline": min(r.application.call.review_ends_at for r in pending),
                "url": _review_list_url(),
                "preferences_url": _preferences_url(),
            }
            subject = render_to_string("emails/review_reminder_subject.txt", context).strip()
            body = render_to_string("emails/review_reminder.txt", context)
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [reviewer.email]))
    sent = send_mass_mail(messages) if messages else 0
    Review.objects.filter(pk__in=[r.pk for r in reviews]).update(reminded_at=now)
    return sent


def pending_outcomes(now=None, *, older_than=None):
    """Published decisions whose centre was not told yet (a lost job), oldest first."""
    now = now or timezone.now()
    older_than = older_than if older_than is not None else settings.OUTCOMES_RETRY_AFTER
    return Decision.objects.filter(
        published_at__isnull=False,
        notified_at__isnull=True,
        published_at__lte=now - timezone.timedelta(seconds=older_than),
    ).order_by("published_at", "pk")
