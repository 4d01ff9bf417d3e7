"""Requesting, generating and sweeping documents: exactly once, never lost.

``request_document`` runs inside the business transaction: the pending row commits (or
rolls back) with the business event, and the task is sent only after commit. A broker that
is down never breaks the business action: the row stays pending and the periodic sweeper
sends it again. ``generate_document`` locks the row while it renders, so two deliveries of
the same job give one file; a worker killed mid-render releases the lock with its
connection and the job is delivered again (late acknowledgement) or swept.
"""

import hashlib
import logging
import os
from datetime import timedelta
from io import BytesIO
from itertools import chain

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaire.errors import DomainError
from solidaire.models import Document, DocumentStatus, document_path

from .registry import get_renderer
from .rendering import is_plain, render_html, render_pdf, write_options

logger = logging.getLogger(__name__)

# How many stale documents one sweep sends again (the next sweep takes the rest).
SWEEP_BATCH = 500


# --- Requesting ---------------------------------------------------------------------------


def _check_object(renderer, obj):
    if obj._meta.label != renderer.model_label:
        raise TypeError(f"{renderer.kind} documents are made from {renderer.model_label}")


def request_document(obj, kind, *, by=None, force=False):
    """The document ``kind`` of ``obj``: created pending and sent to a worker after commit.

    Call it inside the business transaction. Requesting it again returns the same row (and
    sends it again unless it is ready). ``force`` renders a ready document again, except an
    immutable kind (an issued invoice is never rendered twice).
    """
    renderer = get_renderer(kind)
    _check_object(renderer, obj)
    now = timezone.now()
    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            kind=kind,
            defaults={"requested_at": now, "requested_by": by},
        )
        if not created and force:
            document = _reset_for_regeneration(document, renderer, by=by, now=now)
    if created or document.status != DocumentStatus.READY:
        enqueue_on_commit(document.pk)
    return document


def request_bulk_document(model, ids, kind, *, by=None, force=False, follows=None):
    """One document for a selection of objects (the same selection gives the same row).

    ``follows`` names the kind of each object's own document (a shipment's sheet): a bulk
    document made before one of those was asked again (what it prints changed) is stale and
    is made again, so that printing never hands out an old sheet.
    """
    renderer = get_renderer(kind)
    if not renderer.is_bulk or model._meta.label != renderer.model_label:
        raise TypeError(f"{kind} is not a bulk document of {model._meta.label}")
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        raise DomainError(_("Choisissez au moins un objet."), code="empty_selection")
    key = hashlib.sha256(f"{kind}:{','.join(map(str, ids))}".encode()).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            kind=kind,
            selection_key=key,
            defaults={
                "content_type": ContentType.objects.get_for_model(model),
                "object_ids": ids,
                "progress_total": len(ids),
                "requested_at": now,
                "requested_by": by,
            },
        )
        stale = (
            not created
            and follows is not None
            and document.status == DocumentStatus.READY
            and Document.objects.filter(
                content_type=document.content_type,
                object_id__in=ids,
                kind=follows,
                requested_at__gt=document.ready_at,
            ).exists()
        )
        if not created and (force or stale):
            document = _reset_for_regeneration(document, renderer, by=by, now=now)
    if created or document.status != DocumentStatus.READY:
        enqueue_on_commit(document.pk)
    return document


def _reset_for_regeneration(document, renderer, *, by, now):
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status == DocumentStatus.READY and renderer.is_immutable:
        raise DomainError(
            _("%(document)s est définitif : il n’est jamais produit une seconde fois.")
            % {"document": document},
            code="document_immutable",
        )
    # The old file stays until the new one replaces it.
    document.status = DocumentStatus.PENDING
    document.error = ""
    document.attempts = 0
    document.progress_done = 0
    document.requested_at = now
    document.requested_by = by
    document.save(
        update_fields=[
            "status",
            "error",
            "attempts",
            "progress_done",
            "requested_at",
            "requested_by",
        ]
    )
    return document


@transaction.atomic
def retry_document(document, *, by=None):
    """Send a pending or failed document again now, with a fresh count of attempts."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status == DocumentStatus.READY:
        return document
    document.attempts = 0
    document.error = ""
    document.status = DocumentStatus.PENDING
    document.save(update_fields=["attempts", "error", "status"])
    enqueue_on_commit(document.pk)
    return document


def enqueue_on_commit(document_id):
    transaction.on_commit(lambda: enqueue(document_id))


def enqueue(document_id):
    """Send the generation task; ``False`` (logged) when the broker cannot be reached.

    A fresh connection from the current settings, with a short retry: a business request
    waits at most about a second for a broker that is down, then moves on.
    """
    from solidaire.celery import app  # noqa: PLC0415
    from solidaire.tasks import generate_document_task  # noqa: PLC0415

    try:
        if app.conf.task_always_eager:
            if not settings.DOCUMENTS_RENDER_EAGERLY:
                return False
            generate_document_task.apply(args=(document_id,), throw=True)
            return True
        with app.connection_for_write() as connection:
            generate_document_task.apply_async(
                args=(document_id,),
                connection=connection,
                retry=True,
                retry_policy=settings.DOCUMENTS_ENQUEUE_RETRY_POLICY,
            )
    except Exception:  # noqa: BLE001 - the sweeper sends it later; never break the caller
        logger.warning(
            "Document %s left pending: its task could not be sent now", document_id, exc_info=True
        )
        return False
    return True


# --- Generating ---------------------------------------------------------------------------


def progress_key(document_id):
    return f"solidaire:document-progress:{document_id}"


def live_progress(document):
    """``(done, total)`` of a document being rendered, as its worker last reported."""
    if document.status != DocumentStatus.PENDING:
        return document.progress_done, document.progress_total
    try:
        value = cache.get(progress_key(document.pk))
    except Exception:  # noqa: BLE001 - the cache is a convenience for a progress bar
        value = None
    return tuple(value) if value else (document.progress_done, document.progress_total)


def _report_progress(document_id, done, total):
    try:
        cache.set(progress_key(document_id), (done, total), timeout=24 * 3600)
    except Exception:  # noqa: BLE001
        logger.warning("Progress of document %s not reported", document_id, exc_info=True)


def _claim(document_id):
    """Count an attempt in its own transaction: a killed worker's attempt counts too."""
    with transaction.atomic():
        document = (
            Document.objects.select_for_update(skip_locked=True).filter(pk=document_id).first()
        )
        if document is None or document.status == DocumentStatus.READY:
            return document
        document.attempts += 1
        document.started_at = timezone.now()
        document.save(update_fields=["attempts", "started_at"])
        return document


def generate_document(document_id, *, on_progress=None):
    """Render and store a document once; returns it (``None`` if another worker holds it).

    Idempotent: a ready document returns at once; while one worker renders (row locked),
    another delivery of the same job returns without rendering.
    """
    claimed = _claim(document_id)
    if claimed is None or claimed.status == DocumentStatus.READY:
        return claimed
    with transaction.atomic():
        document = (
            Document.objects.select_for_update(skip_locked=True).filter(pk=document_id).first()
        )
        if document is None or document.status == DocumentStatus.READY:
            return document
        try:
            # A savepoint: a database error while rendering leaves the row writable.
            with transaction.atomic():
                pdf, filename = _produce(document, on_progress)
        except Exception as error:  # noqa: BLE001 - recorded on the row, retried by the sweeper
            logger.exception("Document %s (%s) failed", document.pk, document.kind)
            document.status = DocumentStatus.FAILED
            document.error = f"{type(error).__name__}: {error}"[:4000]
            document.save(update_fields=["status", "error"])
            return document
        _store(document, pdf, filename)
    return document


def _produce(document, on_progress):
    renderer = get_renderer(document.kind)
    model = renderer.model
    if not renderer.is_bulk:
        obj = model._default_manager.get(pk=document.object_id)
        rendering = renderer.render(obj)
        return render_pdf(rendering), rendering.filename
    return _produce_bulk(document, renderer, model, on_progress)


def _produce_bulk(document, renderer, model, on_progress):
    """Render a selection chunk by chunk, then one merged PDF; all or nothing.

    The chunks' HTML is built here (database, templates); WeasyPrint, which takes nearly all
    the time, runs on several processes when the selection has several chunks. Those start
    first, and each chunk's data is read and its HTML built only when a process is free for
    it; the chunks are merged as they come back, in order, so that the merge does not wait
    for the last one. Progress is reported as chunks finish; a chunk that fails fails the
    whole document.
    """
    from pypdf import PdfWriter  # noqa: PLC0415

    ids = list(document.object_ids)
    total = len(ids)
    _report_progress(document.pk, 0, total)
    chunks = [
        ids[start : start + renderer.chunk_size] for start in range(0, total, renderer.chunk_size)
    ]
    filename = ""

    def renderings():
        nonlocal filename
        for chunk_ids in chunks:
            by_pk = model._default_manager.in_bulk(chunk_ids)
            rendering = renderer.render([by_pk[pk] for pk in chunk_ids if pk in by_pk])
            filename = rendering.filename
            yield rendering

    writer = PdfWriter()
    done = 0

    def chunk_done(index, pdf):
        nonlocal done
        writer.append(BytesIO(pdf))
        done = min(total, done + len(chunks[index]))
        _report_progress(document.pk, done, total)
        if on_progress is not None:
            on_progress(done, total)

    _render_chunks(renderings(), len(chunks), chunk_done)
    output = BytesIO()
    writer.write(output)
    return output.getvalue(), filename


def bulk_processes():
    """How many processes render the chunks of one bulk document (1: in this process)."""
    configured = settings.DOCUMENTS_BULK_PROCESSES
    return max(1, configured if configured is not None else min(4, os.cpu_count() or 1))


def _render_chunks(renderings, count, chunk_done):
    """Render ``count`` renderings (an iterator), in order: ``chunk_done(index, pdf)`` as each
    one is ready. Several processes when there are several chunks of plain renderings."""
    processes = min(bulk_processes(), count)
    renderings = iter(renderings)
    first = next(renderings, None)
    if first is None:
        return
    if processes <= 1 or not is_plain(first):
        for index, rendering in enumerate(chain([first], renderings)):
            chunk_done(index, render_pdf(rendering))
        return
    from .render_process import render_in_processes  # noqa: PLC0415

    def jobs():
        for rendering in chain([first], renderings):
            if not is_plain(rendering):
                raise TypeError("The chunks of a bulk document are all plain or none")
            yield render_html(rendering), write_options(rendering), rendering.stylesheet

    render_in_processes(jobs(), count, processes, chunk_done)


def _store(document, pdf, filename):
    checksum = hashlib.sha256(pdf).hexdigest()
    storage = document.file.storage
    old_name = document.file.name
    name = storage.save(
        document_path(document, f"{document.pk}-{checksum[:16]}.pdf"), ContentFile(pdf)
    )
    document.file.name = name
    document.filename = filename[:150]
    document.sha256 = checksum
    document.size = len(pdf)
    document.status = DocumentStatus.READY
    document.error = ""
    document.ready_at = timezone.now()
    document.progress_done = document.progress_total
    document.save(
        update_fields=[
            "file",
            "filename",
            "sha256",
            "size",
            "status",
            "error",
            "ready_at",
            "progress_done",
        ]
    )
    if old_name and old_name != name:
        # The replaced file goes once the new one is committed.
        transaction.on_commit(lambda: storage.delete(old_name))


# --- Sweeping -----------------------------------------------------------------------------


def sweep_documents(*, now=None):
    """Send again the documents left pending (or failed) longer than the retry delay.

    Rows being rendered right now are locked and skipped; a pending document that used up
    its attempts (a worker killed again and again) is marked failed for a person to look at.
    Returns the ids sent.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.DOCUMENTS_RETRY_AFTER)
    max_attempts = settings.DOCUMENTS_MAX_ATTEMPTS
    stale = Q(status=DocumentStatus.PENDING, requested_at__lt=cutoff) & (
        Q(started_at__isnull=True) | Q(started_at__lt=cutoff)
    )
    retryable = Q(status=DocumentStatus.FAILED, attempts__lt=max_attempts) & (
        Q(started_at__isnull=True) | Q(started_at__lt=cutoff)
    )
    with transaction.atomic():
        documents = list(
            Document.objects.select_for_update(skip_locked=True)
            .filter(stale | retryable)
            .order_by("requested_at", "pk")
            .only("pk", "status", "attempts")[:SWEEP_BATCH]
        )
        abandoned = [d.pk for d in documents if d.attempts >= max_attempts]
        if abandoned:
            Document.objects.filter(pk__in=abandoned).update(
                status=DocumentStatus.FAILED,
                error=_("Abandonné après %(count)s tentatives.") % {"count": max_attempts},
            )
    ids = [d.pk for d in documents if d.pk not in set(abandoned)]
    sent = [pk for pk in ids if enqueue(pk)]
    if ids:
        logger.info("Documents swept: %s sent again of %s", len(sent), len(ids))
    return sent
