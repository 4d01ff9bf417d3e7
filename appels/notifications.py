"""E-mails sent to centres about their applications."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Application, Decision


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
