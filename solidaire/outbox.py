"""E-mails through an outbox: recorded with the business event, sent after it commits.

``queue_email`` renders the message now (in the site's language, from
``<template>_subject.txt`` and ``<template>.txt``) and writes an :class:`OutboxEmail` row in
the caller's transaction; the row is sent by a worker once that transaction commits, and the
beat sweeper (``solidaire.tasks.sweep_outbox``) sends again whatever a lost job or a broker
outage left unsent. One key is one e-mail: a second request for the same event is a no-op.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboxEmail, OutboxStatus
from .queue import enqueue_on_commit, send_task

logger = logging.getLogger(__name__)


def queue_email(key, recipients, template, context):
    """Record the e-mail of event ``key`` to ``recipients``, sent after commit; once per key.

    Returns the row (the existing one when the event was already told), or ``None`` when
    there is nobody to tell.
    """
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    email, created = OutboxEmail.objects.get_or_create(
        key=key[:120],
        defaults={"recipients": recipients, "subject": subject[:255], "body": body},
    )
    if created:
        from . import tasks  # noqa: PLC0415 - tasks import this module

        enqueue_on_commit(tasks.send_outbox_email, email.pk)
    return email


@transaction.atomic
def send_email(email_id):
    """Send one outbox e-mail unless it was already sent (the row is locked meanwhile)."""
    email = (
        OutboxEmail.objects.select_for_update()
        .filter(pk=email_id)
        .exclude(status=OutboxStatus.SENT)
        .first()
    )
    if email is None:
        return 0
    email.attempts += 1
    try:
        sent = send_mass_mail(
            [
                (email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [to])
                for to in email.recipients
            ]
        )
    except OSError as error:  # SMTP down: recorded, sent again by the sweeper
        logger.warning("Outbox e-mail %s not sent: %s", email.pk, error)
        email.status = OutboxStatus.FAILED
        email.error = str(error)[:2000]
        email.save(update_fields=["status", "error", "attempts"])
        return 0
    email.status = OutboxStatus.SENT
    email.sent_at = timezone.now()
    email.error = ""
    email.save(update_fields=["status", "sent_at", "error", "attempts"])
    return sent


def unsent(now=None):
    """E-mails still unsent ``OUTBOX_RETRY_AFTER`` seconds after they were recorded."""
    now = now or timezone.now()
    return OutboxEmail.objects.exclude(status=OutboxStatus.SENT).filter(
        created_at__lte=now - timedelta(seconds=settings.OUTBOX_RETRY_AFTER),
        attempts__lt=settings.OUTBOX_MAX_ATTEMPTS,
    )


def sweep(now=None):
    """Send again what stayed unsent; returns how many jobs were sent to the broker."""
    from . import tasks  # noqa: PLC0415

    return sum(
        send_task(tasks.send_outbox_email, pk)
        for pk in unsent(now).order_by("created_at").values_list("pk", flat=True)[:500]
    )
