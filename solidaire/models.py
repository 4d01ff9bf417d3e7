"""Generated documents (agreements, invoices, shipment sheets) as rows before files.

A :class:`Document` is created in the transaction of the business event that asks for it
(``pending``), then a worker renders it (``ready``, with its file and SHA-256) or records the
error (``failed``). One business object and one kind give one document: requesting it again
returns the same row. The business object is a generic relation so that ``solidaire``
imports no domain app.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .storage import private_storage


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("convention")
    AGREEMENT_SIGNED = "agreement_signed", _("convention signée")
    INVOICE = "invoice", _("facture")
    CREDIT_NOTE = "credit_note", _("avoir")
    SHIPMENT_SHEET = "shipment_sheet", _("bordereau d’expédition")
    SHIPMENT_SHEETS_BULK = "shipment_sheets_bulk", _("bordereaux d’expédition groupés")
    REPLACEMENT_SHEET = "replacement_sheet", _("bordereau d’expédition de remplacement")
    IMPACT_REPORT = "impact_report", _("rapport d’impact")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    READY = "ready", _("prêt")
    FAILED = "failed", _("en échec")


def document_path(document, filename):
    return f"documents/{document.kind}/{filename}"


class Document(models.Model):
    """A PDF to produce for a business object (or, in bulk, for a list of objects)."""

    Kind = DocumentKind
    Status = DocumentStatus

    kind = models.CharField(_("nature"), max_length=30, choices=DocumentKind.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("type d’objet"), on_delete=models.PROTECT, related_name="+"
    )
    # Null for a bulk document: its objects are listed in ``object_ids``.
    object_id = models.PositiveBigIntegerField(_("identifiant de l’objet"), null=True, blank=True)
    content_object = GenericForeignKey("content_type", "object_id")
    object_ids = models.JSONField(_("objets (document groupé)"), default=list, blank=True)
    # A bulk document's identity: the same selection requested twice gives one document.
    selection_key = models.CharField(_("clé de la sélection"), max_length=64, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    error = models.TextField(_("erreur"), blank=True)
    file = models.FileField(
        _("fichier"), storage=private_storage, upload_to=document_path, max_length=255, blank=True
    )
    filename = models.CharField(_("nom du fichier"), max_length=150, blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    progress_done = models.PositiveIntegerField(_("pages produites"), default=0)
    progress_total = models.PositiveIntegerField(_("pages à produire"), default=0)
    requested_at = models.DateTimeField(_("demandé le"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    ready_at = models.DateTimeField(_("prêt le"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=Q(object_id__isnull=False),
                name="document_one_per_object_and_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "selection_key"],
                condition=~Q(selection_key=""),
                name="document_one_per_selection",
            ),
            models.CheckConstraint(
                condition=Q(object_id__isnull=False) | ~Q(selection_key=""),
                name="document_has_an_object_or_a_selection",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & ~Q(sha256="")),
                name="document_ready_has_file_and_checksum",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="document_status_requested"),
        ]

    def __str__(self):
        label = self.get_kind_display()
        return f"{label} – {self.filename}" if self.filename else f"{label} #{self.pk}"

    @property
    def is_ready(self):
        return self.status == DocumentStatus.READY

    @property
    def progress_percent(self):
        if not self.progress_total:
            return 100 if self.is_ready else 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("en échec")


class OutboxEmail(models.Model):
    """An e-mail the platform owes someone, written in the transaction of the event it tells.

    The row commits or rolls back with the business event; a worker sends it after commit and
    marks it sent, once (the row is locked while sending). One ``key`` (the event, e.g.
    ``agreement-issued:12``) gives one e-mail: asking again for the same event sends nothing
    more. The beat sweeper sends again what stayed unsent (a lost job, Redis down).
    """

    key = models.CharField(_("événement"), max_length=120, unique=True)
    recipients = models.JSONField(_("destinataires"), default=list)
    subject = models.CharField(_("objet"), max_length=255)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("statut"), max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail à envoyer")
        verbose_name_plural = _("e-mails à envoyer")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]

    def __str__(self):
        return self.subject
