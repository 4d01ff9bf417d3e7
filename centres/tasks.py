from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import Centre, User


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(user_id, centre_id, link, invited_by=""):
    """E-mail a first-login link to a colleague invited to a centre."""
    user = User.objects.filter(pk=user_id).first()
    centre = Centre.objects.filter(pk=centre_id).first()
    if user is None or centre is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"user": user, "centre": centre, "link": link, "invited_by": invited_by}
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
