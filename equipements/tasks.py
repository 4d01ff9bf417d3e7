"""Background jobs of logistics: thin, idempotent, take ids."""

from celery import shared_task

from . import notifications


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_shipment_notice(shipment_id):
    notifications.send_shipment_notice(shipment_id)
