"""Document jobs: thin, idempotent, take ids (see :mod:`solidaire.documents.services`)."""

from celery import shared_task

from solidaire.documents import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_document_task(document_id):
    document = services.generate_document(document_id)
    return document.status if document is not None else None


@shared_task(acks_late=True)
def sweep_documents():
    """Periodic (Celery beat): send again the documents left pending or failed."""
    return services.sweep_documents()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_outbox_email(email_id):
    from solidaire import outbox  # noqa: PLC0415

    return outbox.send_email(email_id)


@shared_task(acks_late=True)
def sweep_outbox():
    """Periodic (Celery beat): send again the e-mails a lost job or an outage left unsent."""
    from solidaire import outbox  # noqa: PLC0415

    return outbox.sweep()
