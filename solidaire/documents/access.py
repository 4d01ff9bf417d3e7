"""Finding the documents of objects shown on a page, and serving a file after a check.

The caller has already fetched the business object through its scoped queryset (another
centre's object is a 404 by then): these helpers never decide who may see what.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404

from solidaire.models import Document, DocumentStatus


def attach_documents(objects, kinds, *, attr="pdf"):
    """Set ``obj.<attr>`` to the document of each object (one query for all).

    ``kinds`` lists the kinds by preference: the first ready one wins (a signed agreement
    before the issued one), else the first that exists, else ``None``.
    """
    objects = [obj for obj in objects if obj is not None]
    for obj in objects:
        setattr(obj, attr, None)
    if not objects:
        return objects
    content_type = ContentType.objects.get_for_model(objects[0])
    documents = Document.objects.filter(
        content_type=content_type,
        object_id__in=[obj.pk for obj in objects],
        kind__in=list(kinds),
    )
    found = {(d.object_id, d.kind): d for d in documents}
    for obj in objects:
        candidates = [found[(obj.pk, kind)] for kind in kinds if (obj.pk, kind) in found]
        ready = [d for d in candidates if d.status == DocumentStatus.READY]
        setattr(obj, attr, (ready or candidates or [None])[0])
    return objects


def ready_document(obj, kinds):
    """The first ready document of ``obj`` among ``kinds`` (by preference), or 404."""
    attach_documents([obj], kinds, attr="_ready_document")
    document = obj._ready_document
    if document is None or document.status != DocumentStatus.READY:
        raise Http404
    return document


def ready_document_id_subquery(model, kinds):
    """An annotation: the id of a ready document of the row, for list pages."""
    return Subquery(
        Document.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
            kind__in=list(kinds),
            status=DocumentStatus.READY,
        )
        .order_by("-ready_at")
        .values("pk")[:1]
    )


def file_response(document, *, inline=False):
    """The stored PDF of a ready document, never cached by shared caches."""
    if document.status != DocumentStatus.READY or not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=document.filename or f"document-{document.pk}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
