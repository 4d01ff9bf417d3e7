"""Background jobs of the calls: thin, idempotent, take ids."""

from celery import shared_task

from solidaire.queue import send_task

from . import notifications


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_submission_receipt(application_id):
    notifications.send_submission_receipt(application_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_decision_outcome(decision_id):
    notifications.send_decision_outcome(decision_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_review_assignments(review_ids):
    notifications.send_review_assignments(review_ids)


@shared_task(acks_late=True)
def send_review_reminders():
    """Periodic (Celery beat): remind reviewers before the review deadline."""
    notifications.send_review_reminders()


@shared_task(acks_late=True)
def send_pending_outcomes():
    """Periodic (Celery beat): tell centres the outcomes a lost job did not send.

    Sending twice is harmless: ``send_decision_outcome`` locks the decision and sends once.
    """
    sent = 0
    for decision_id in notifications.pending_outcomes().values_list("pk", flat=True)[:500]:
        sent += send_task(send_decision_outcome, decision_id)
    return sent


@shared_task(acks_late=True)
def purge_personal_data():
    """Periodic (Celery beat, daily): the retention purge of ``manage.py purge_personal_data``
    (idempotent, so a run repeated after a lost worker erases nothing twice)."""
    from .retention import purge_personal_data as purge  # noqa: PLC0415

    report = purge()
    return {
        "applications": report.applications,
        "attachments": report.attachments,
        "reviews": report.reviews,
        "decisions": report.decisions,
    }
