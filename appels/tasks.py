"""Background jobs of the calls: thin, idempotent, take ids."""

from celery import shared_task

from . import notifications


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_submission_receipt(application_id):
    notifications.send_submission_receipt(application_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_decision_outcome(decision_id):
    notifications.send_decision_outcome(decision_id)
