"""E-mails sent to centres about their applications."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import Application


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
