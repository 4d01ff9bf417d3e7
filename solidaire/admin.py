"""Admin of generated documents, and the document actions of the domain admins.

A document is read-only here: it is (re)sent to a worker through the services. Files are
served by a view that checks the admin permission, never from a public URL.
"""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from solidaire.documents import (
    live_progress,
    request_bulk_document,
    request_document,
    retry_document,
)
from solidaire.documents.access import file_response, ready_document_id_subquery
from solidaire.errors import DomainError
from solidaire.models import Document, DocumentStatus, OutboxEmail, OutboxStatus
from solidaire.queue import send_task
from solidaire.tasks import send_outbox_email


def may_view_object_type(user, content_type):
    return user.has_perm(f"{content_type.app_label}.view_{content_type.model}")


def viewable_content_types(user):
    """Content types of the documents' objects that ``user`` may view."""
    used = ContentType.objects.filter(pk__in=Document.objects.values("content_type").distinct())
    return [ct.pk for ct in used if may_view_object_type(user, ct)]


def document_download_url(document_id):
    return reverse("admin:solidaire_document_download", args=[document_id])


def document_progress_url(document_id):
    return reverse("admin:solidaire_document_progress", args=[document_id])


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "kind",
        "business_object",
        "status",
        "attempts",
        "requested_at",
        "ready_at",
        "size",
        "download",
    )
    list_select_related = ("content_type",)
    list_filter = ("status", "kind")
    search_fields = ("filename", "sha256", "error")
    date_hierarchy = "requested_at"
    list_per_page = 100
    fields = (
        "kind",
        "content_type",
        "object_id",
        "object_ids",
        "status",
        "error",
        "filename",
        "file",
        "sha256",
        "size",
        "attempts",
        "progress_done",
        "progress_total",
        "requested_at",
        "requested_by",
        "started_at",
        "ready_at",
    )
    readonly_fields = fields
    actions = ("retry",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/telecharger/",
                self.admin_site.admin_view(self.download_view),
                name="solidaire_document_download",
            ),
            path(
                "<int:object_id>/progression/",
                self.admin_site.admin_view(self.progress_view),
                name="solidaire_document_progress",
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        # Only documents of objects the user may see (logistics: no agreements).
        return (
            super()
            .get_queryset(request)
            .filter(content_type__in=viewable_content_types(request.user))
        )

    def _get_visible(self, request, object_id):
        document = get_object_or_404(Document.objects.select_related("content_type"), pk=object_id)
        if not self.has_view_permission(request, document) or not may_view_object_type(
            request.user, document.content_type
        ):
            raise PermissionDenied
        return document

    def download_view(self, request, object_id):
        return file_response(self._get_visible(request, object_id))

    def progress_view(self, request, object_id):
        """A bulk document while its worker runs: progress, then the download link."""
        document = self._get_visible(request, object_id)
        if request.method == "POST":
            if not self.has_change_permission(request, document):
                raise PermissionDenied
            try:
                with transaction.atomic():
                    document = _regenerate(document, request.user)
            except DomainError as error:
                self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return HttpResponseRedirect(document_progress_url(document.pk))
        done, total = live_progress(document)
        state = {
            "status": document.status,
            "done": done,
            "total": total,
            "percent": min(100, round(100 * done / total)) if total else 0,
            "download_url": document_download_url(document.pk) if document.is_ready else None,
            "error": document.error,
        }
        if request.GET.get("format") == "json":
            return JsonResponse(state)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Production de « %(document)s »") % {"document": document},
            "document": document,
            "state": state,
            "refresh": document.status == DocumentStatus.PENDING,
            "can_change": self.has_change_permission(request, document),
        }
        return TemplateResponse(request, "admin/solidaire/document/progress.html", context)

    @admin.display(description=_("objet"))
    def business_object(self, obj):
        if obj.object_id is None:
            return _("%(count)s × %(model)s") % {
                "count": len(obj.object_ids),
                "model": obj.content_type.name,
            }
        return f"{obj.content_type.name} #{obj.object_id}"

    @admin.display(description=_("fichier"))
    def download(self, obj):
        if obj.status == DocumentStatus.READY:
            return format_html(
                '<a href="{}">{}</a>', document_download_url(obj.pk), _("télécharger")
            )
        if obj.object_id is None:
            return format_html(
                '<a href="{}">{}</a>', document_progress_url(obj.pk), _("progression")
            )
        return "—"

    @admin.action(description=_("Relancer la production"), permissions=("change",))
    def retry(self, request, queryset):
        for document in queryset:
            retry_document(document, by=request.user)
        self.message_user(
            request,
            _("%(count)s document(s) renvoyé(s) aux workers.") % {"count": len(queryset)},
            level=messages.SUCCESS,
        )


def _regenerate(document, user):
    if document.object_id is None:
        return request_bulk_document(
            document.content_type.model_class(),
            document.object_ids,
            document.kind,
            by=user,
            force=True,
        )
    obj = document.content_type.get_object_for_this_type(pk=document.object_id)
    return request_document(obj, document.kind, by=user, force=True)


class DocumentActionsMixin:
    """For a domain admin: a PDF column and a "(re)generate the PDF" action.

    ``document_kinds`` lists the kinds of the model by preference (first ready one is
    linked); ``document_kind_for(obj)`` says which kind an object gets (re)generated as.
    """

    document_kinds = ()

    def document_kind_for(self, obj):
        return self.document_kinds[0]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_pdf_document_id=ready_document_id_subquery(self.model, self.document_kinds))
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_change_permission(request) or self.has_view_permission(request):
            action = DocumentActionsMixin.generate_documents
            actions["generate_documents"] = (
                action,
                "generate_documents",
                action.short_description,
            )
        return actions

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        document_id = getattr(obj, "_pdf_document_id", None)
        if not document_id:
            return "—"
        return format_html('<a href="{}">{}</a>', document_download_url(document_id), _("PDF"))

    def generate_documents(self, request, queryset):
        generated, refused = 0, []
        for obj in queryset:
            try:
                with transaction.atomic():
                    request_document(obj, self.document_kind_for(obj), by=request.user, force=True)
            except DomainError as error:
                refused.append(f"{obj} : {' '.join(error.messages)}")
            else:
                generated += 1
        if generated:
            self.message_user(
                request,
                _("%(count)s document(s) demandé(s) : ils seront prêts dans quelques instants.")
                % {"count": generated},
                level=messages.SUCCESS,
            )
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)

    generate_documents.short_description = _("Produire ou reproduire le PDF")


def bulk_document_action(kind, description, *, follows=None):
    """An admin action making one PDF of the selection, then showing its progress (made
    again when one of the objects' own ``follows`` documents was asked since)."""

    def action(modeladmin, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        try:
            with transaction.atomic():
                document = request_bulk_document(
                    modeladmin.model, ids, kind, by=request.user, follows=follows
                )
        except DomainError as error:
            modeladmin.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return None
        return HttpResponseRedirect(document_progress_url(document.pk))

    action.__name__ = f"bulk_{kind}"
    action.short_description = description
    action.allowed_permissions = ("view",)
    return action


__all__ = ["DocumentActionsMixin", "bulk_document_action", "Http404"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """What the platform has e-mailed or still owes; failed sends are sent again from here."""

    list_display = ("subject", "key", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("key", "subject")
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = (
        "key",
        "recipients",
        "subject",
        "body",
        "status",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ("resend",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Renvoyer"), permissions=("change",))
    def resend(self, request, queryset):
        pks = list(queryset.exclude(status=OutboxStatus.SENT).values_list("pk", flat=True))
        queued = sum(send_task(send_outbox_email, pk) for pk in pks)
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail renvoyé aux workers.",
                "%(count)d e-mails renvoyés aux workers.",
                queued,
            )
            % {"count": queued},
            messages.SUCCESS if queued == len(pks) else messages.WARNING,
        )
