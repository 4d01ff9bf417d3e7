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
