"""Documents rendered by workers: request inside the business transaction, render once.

Public API (the domain apps use only this)::

    from solidaire.documents import DocumentKind, register, request_document

    request_document(invoice, DocumentKind.INVOICE, by=user)   # inside transaction.atomic
"""

from solidaire.models import Document, DocumentKind, DocumentStatus

from .registry import Rendering, register
from .services import (
    generate_document,
    live_progress,
    request_bulk_document,
    request_document,
    retry_document,
    sweep_documents,
)

__all__ = [
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "Rendering",
    "generate_document",
    "live_progress",
    "register",
    "request_bulk_document",
    "request_document",
    "retry_document",
    "sweep_documents",
]
