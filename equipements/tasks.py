"""Background jobs of logistics: thin, idempotent, take ids."""

from celery import shared_task

from . import notifications


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_shipment_notice(shipment_id):
    notifications.send_shipment_notice(shipment_id)


@shared_task(acks_late=True)
def send_survey_reminders():
    """Periodic (Celery beat): one reminder to centres that have not answered the survey."""
    from . import services  # noqa: PLC0415 - services import this module

    return services.remind_survey()
