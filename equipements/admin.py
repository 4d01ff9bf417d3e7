"""Admin of stock, allocations, shipments, invoices and after-sales, for logistics.

Statuses are read-only: they move through ``equipements.services`` (admin actions or a form
whose save calls a service). Invoices are never edited nor deleted here.
"""

import copy as copy_module

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from appels import services as appels_services
from appels.admin import ReadOnlyInline, ServiceFormMixin, run_service_action
from appels.models import Call
from centres.models import Partner
from solidaire.admin import DocumentActionsMixin, bulk_document_action
from solidaire.admin_lists import LongListMixin
from solidaire.documents import DocumentKind
from solidaire.errors import DomainError
from solidaire.history import AuditedAdmin

from . import services
from .logistics import logistics_figures
from .models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
    Batch,
    ChainStep,
    DataErasure,
    DeviceModel,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Item,
    ItemReturn,
    ItemStatus,
    ReplacementShipment,
    ReplacementStatus,
    Resolution,
    SelectedApplication,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketMessage,
    TicketStatus,
)
from .resources import COLUMNS, REQUIRED_COLUMNS, ItemResource


def run_form_action(
    modeladmin,
    request,
    queryset,
    *,
    form_class,
    service,
    success_message,
    arguments,
    page,
):
    """An action that asks for something first (an intermediate page with ``form_class``),
    then calls ``service(obj, by=…, **arguments(cleaned_data))`` on each selected object.

    ``page`` gives the page's ``title``, ``intro``, ``submit_label`` and the ``objects`` it
    lists. The form is bound once the page posts it (its first field is present)."""
    first_field = next(iter(form_class.base_fields))
    form = form_class(request.POST if first_field in request.POST else None)
    if form.is_bound and form.is_valid():
        run_service_action(
            modeladmin,
            request,
            queryset,
            service,
            success_message,
            by=request.user,
            **arguments(form.cleaned_data),
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "form": form,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        **page,
    }
    return TemplateResponse(request, "admin/equipements/action_form.html", context)


class ProvidedByFilter(admin.SimpleListFilter):
    """The partners who provided items: not the whole table of partners (federations,
    funders…); one semi-join on the items' partner index, whatever the number of items."""

    title = _("reconditionné, donné ou financé par")
    parameter_name = "provenance_partner__id__exact"

    def lookups(self, request, model_admin):
        providers = Partner.objects.filter(
            Exists(Item.objects.filter(provenance_partner=OuterRef("pk")))
        ).order_by("name")
        return [(str(partner.pk), partner.name) for partner in providers.only("pk", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(provenance_partner_id=self.value())
        return queryset


# --- Stock ------------------------------------------------------------------------------


@admin.register(DeviceModel)
class DeviceModelAdmin(admin.ModelAdmin):
    list_display = ("manufacturer", "name", "kind", "weight_kg", "item_count")
    list_filter = ("kind", "manufacturer")
    search_fields = ("manufacturer", "name")
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description=_("matériels"), ordering="item_count")
    def item_count(self, obj):
        return obj.item_count


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("reference", "partner", "received_on", "item_count")
    list_select_related = ("partner",)
    list_filter = ("partner",)
    search_fields = ("reference", "partner__name", "notes")
    date_hierarchy = "received_on"
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description=_("matériels"), ordering="item_count")
    def item_count(self, obj):
        return obj.item_count


class DataErasureInline(admin.StackedInline):
    model = DataErasure
    extra = 0
    max_num = 1
    fields = ("method", "erased_on", "operator", "report")


class BatchImportForm(ImportForm):
    """The file, and the batch its items go to: chosen here, or named in the file's ``lot``
    column (created from the file when it does not exist yet, with the supplier below)."""

    batch = forms.ModelChoiceField(
        queryset=Batch.objects.select_related("partner"),
        label=_("Lot"),
        required=False,
        help_text=_(
            "Le lot reçu du reconditionneur : il donne le fournisseur et la date d’entrée. "
            "Laissez vide si le fichier nomme son lot dans une colonne « lot » : un lot qui "
            "n’existe pas encore est alors créé avec le fournisseur et la date ci-dessous."
        ),
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.order_by("name"),
        label=_("Fournisseur"),
        required=False,
        help_text=_("Pour un lot créé depuis le fichier (à défaut, sa colonne « fournisseur »)."),
    )
    received_on = forms.DateField(
        label=_("Date de réception"),
        required=False,
        initial=timezone.localdate,
        help_text=_("Pour un lot créé depuis le fichier ; aujourd’hui par défaut."),
        # ISO format: a date input shows nothing of a localised value (29/11/2026).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        services.check_import_file(upload)
        return upload


class BatchConfirmImportForm(ConfirmImportForm):
    batch = forms.ModelChoiceField(
        queryset=Batch.objects.select_related("partner"),
        required=False,
        widget=forms.HiddenInput,
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(), required=False, widget=forms.HiddenInput
    )
    received_on = forms.DateField(required=False, widget=forms.HiddenInput)


def import_columns():
    """The batch file's column headers, required and optional (with a note), for the form."""
    notes = {
        "provenance": _("reconditionné par défaut"),
        "erasure_operator": _("les trois ensemble"),
    }
    return {
        "required_columns": [COLUMNS[name] for name in REQUIRED_COLUMNS],
        "optional_columns": [
            (header, notes.get(name, ""))
            for name, header in COLUMNS.items()
            if name not in REQUIRED_COLUMNS
        ],
    }


def batch_choice(form):
    """What the import form chose: the batch, or the supplier and date of a new batch."""
    data = getattr(form, "cleaned_data", {})
    return {name: data.get(name) for name in ("batch", "partner", "received_on")}


class IncidentForm(forms.Form):
    note = forms.CharField(
        label=_("Description de l’incident"), widget=forms.Textarea(attrs={"rows": 4})
    )


class ReductionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : colis perdu par le transporteur, pas de stock pour réexpédier."),
    )


class EndOfLifeForm(forms.Form):
    destination = forms.CharField(
        label=_("Filière de recyclage"),
        max_length=200,
        help_text=_("Éco-organisme ou recycleur agréé qui reçoit le matériel, et son site."),
    )
    taken_back_on = forms.DateField(
        label=_("Repris le"),
        initial=timezone.localdate,
        # ISO format: a date input shows nothing of a localised value (29/11/2026).
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


@admin.register(Item)
class ItemAdmin(LongListMixin, ImportMixin, AuditedAdmin):
    """Items in stock and their journey. A refurbisher's batch comes in by import (CSV/XLSX).

    The import checks the whole file and reports every error at once (line, column,
    reason); a file with any error imports nothing (see ``equipements.resources``).
    """

    resource_classes = [ItemResource]
    import_form_class = BatchImportForm
    confirm_form_class = BatchConfirmImportForm
    import_template_name = "admin/equipements/item/import.html"
    rollback_on_validation_errors = True

    def has_delete_permission(self, request, obj=None):
        # An item is never deleted: it is scrapped or taken back for recycling, its story kept.
        return False

    # The inventory number and the provenance are searched and filtered, and shown on
    # the item's page: each column costs every row of a long list.
    list_display = (
        "serial_number",
        "status",
        "device_model",
        "pack_type",
        "grade",
        "provenance_partner",
        "received_on",
        "has_erasure",
        "journey_link",
    )
    list_select_related = ("device_model", "pack_type", "provenance_partner", "erasure")
    list_filter = (
        "status",
        "grade",
        "provenance",
        "pack_type",
        "device_model__kind",
        ProvidedByFilter,
        # Periods relative to today rather than a date hierarchy, whose years, months or
        # days are read from every row.
        ("received_on", admin.DateFieldListFilter),
    )
    search_fields = ("serial_number", "asset_tag", "device_model__name", "batch__reference")
    autocomplete_fields = ("device_model", "pack_type", "batch")
    readonly_fields = ("status",)
    fieldsets = (
        (None, {"fields": ("serial_number", "asset_tag", "device_model", "pack_type", "status")}),
        (
            _("Origine"),
            {"fields": ("grade", "provenance", "provenance_partner", "batch", "received_on")},
        ),
        (None, {"fields": ("specifications",)}),
    )
    inlines = (DataErasureInline,)
    actions = ("send_to_repair", "put_back_in_stock", "scrap", "take_back_for_recycling")

    def get_import_resource_kwargs(self, request, **kwargs):
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            **batch_choice(kwargs.get("form")),
            "by": request.user,
        }

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            chosen = batch_choice(import_form)
            initial["batch"] = chosen["batch"].pk if chosen["batch"] else ""
            initial["partner"] = chosen["partner"].pk if chosen["partner"] else ""
            initial["received_on"] = chosen["received_on"] or ""
        return initial

    def get_import_context_data(self, **kwargs):
        return {**super().get_import_context_data(**kwargs), **import_columns()}

    def process_dataset(self, dataset, form, request, **kwargs):
        # The confirmed import goes through the service, which checks the file again.
        try:
            return services.import_items(dataset, **batch_choice(form), by=request.user)
        except services.ImportRefused as refused:
            return refused.result

    def process_result(self, result, request):
        if result.has_errors():
            # The stock changed between the preview and the confirmation (the same serial
            # imported meanwhile): nothing was imported; say why, and offer the form again.
            for message in services.ImportRefused(result.report).messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:equipements_item_import"))
        return super().process_result(result, request)

    def get_urls(self):
        journey = path(
            "<path:object_id>/parcours/",
            self.admin_site.admin_view(self.journey_view),
            name="equipements_item_journey",
        )
        return [journey, *super().get_urls()]

    def journey_view(self, request, object_id):
        """One page with an item's whole story: batch, erasure, centres, tickets, return."""
        item = self.get_object(request, object_id)
        if item is None or not self.has_view_permission(request, item):
            raise Http404
        item = (
            Item.objects.select_related(
                "device_model", "pack_type", "batch__partner", "provenance_partner", "erasure"
            )
            .prefetch_related(
                Prefetch(
                    "allocations",
                    queryset=AllocatedItem.objects.select_related(
                        "line__allocation__application__centre",
                        "line__allocation__application__call",
                        "line__allocation__application__site",
                        "shipment",
                    ).order_by("picked_at"),
                ),
                Prefetch(
                    "support_tickets",
                    queryset=SupportTicket.objects.select_related(
                        "centre", "replacement_item"
                    ).order_by("opened_at"),
                ),
                Prefetch(
                    "replacing_tickets",
                    queryset=SupportTicket.objects.select_related("item", "centre"),
                ),
            )
            .get(pk=item.pk)
        )
        statuses = item.history.select_related("history_user").order_by("history_date")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Parcours de %(item)s") % {"item": item},
            "item": item,
            "statuses": statuses,
        }
        return TemplateResponse(request, "admin/equipements/item/journey.html", context)

    @admin.display(description=_("données effacées"), boolean=True)
    def has_erasure(self, obj):
        return hasattr(obj, "erasure")

    @admin.display(description=_("parcours"))
    def journey_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:equipements_item_journey", args=[obj.pk]),
            _("Parcours"),
        )

    @admin.action(description=_("Reprendre pour recyclage…"), permissions=("change",))
    def take_back_for_recycling(self, request, queryset):
        """Asks the destination first (an intermediate page), then records the end of life."""
        form = EndOfLifeForm(request.POST if "destination" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_service_action(
                self,
                request,
                queryset,
                services.take_back_for_recycling,
                _("%(object)s : repris pour recyclage."),
                destination=form.cleaned_data["destination"],
                on=form.cleaned_data["taken_back_on"],
                by=request.user,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Reprendre pour recyclage"),
            "form": form,
            "items": queryset.select_related("device_model"),
            "action": "take_back_for_recycling",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/equipements/item/end_of_life.html", context)

    def _move(self, request, queryset, target, message):
        run_service_action(
            self, request, queryset, services.set_item_status, message, target=target
        )

    @admin.action(description=_("Mettre en réparation"), permissions=("change",))
    def send_to_repair(self, request, queryset):
        self._move(request, queryset, ItemStatus.UNDER_REPAIR, _("%(object)s : en réparation."))

    @admin.action(description=_("Remettre en stock"), permissions=("change",))
    def put_back_in_stock(self, request, queryset):
        self._move(request, queryset, ItemStatus.IN_STOCK, _("%(object)s : remis en stock."))

    @admin.action(description=_("Réformer"), permissions=("change",))
    def scrap(self, request, queryset):
        self._move(request, queryset, ItemStatus.SCRAPPED, _("%(object)s : réformé."))


# --- Allocations ------------------------------------------------------------------------


class AllocationLineInline(ReadOnlyInline, admin.TabularInline):
    model = AllocationLine
    fields = (
        "pack_type",
        "quantity",
        "units_per_pack",
        "device_count",
        "unit_price",
        "total_price",
        "market_unit_value",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pack_type")

    @admin.display(description=_("appareils"))
    def device_count(self, obj):
        return obj.device_count

    @admin.display(description=_("total (€)"))
    def total_price(self, obj):
        return obj.total_price


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    """Allocations are proposed, confirmed, picked and shipped by the services only."""

    def has_delete_permission(self, request, obj=None):
        # Allocations are cancelled through the services, never deleted.
        return False

    list_display = (
        "application_centre",
        "call",
        "status",
        "scan_link",
        "device_count",
        "shipment",
        "created_at",
        "confirmed_at",
        "delivered_at",
    )
    list_select_related = ("application__centre", "application__call", "shipment")
    list_filter = ("status", "application__call", "application__centre__region")
    search_fields = (
        "application__centre__name",
        "application__centre__siret",
        "shipment__reference",
    )
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = ("application", "status", "shipment", "created_at", "confirmed_at", "delivered_at")
    readonly_fields = fields
    inlines = (AllocationLineInline,)
    actions = ("confirm", "pick", "cancel", "ship_together", "ship_by_site")

    def get_urls(self):
        scan = path(
            "<path:object_id>/preparer/",
            self.admin_site.admin_view(self.scan_view),
            name="equipements_allocation_scan",
        )
        figures = path(
            "chiffres/",
            self.admin_site.admin_view(self.figures_view),
            name="equipements_logistics_figures",
        )
        return [figures, scan, *super().get_urls()]

    def figures_view(self, request):
        """Logistics figures per call: devices per status, delivery times, after-sales."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows, total = logistics_figures(
            Call.objects.exclude(status=Call.Status.DRAFT).order_by("-opens_at")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Chiffres de la logistique"),
            "rows": rows,
            "total": total,
            "device_statuses": ItemStatus.choices,
            "allocation_statuses": AllocationStatus.choices,
        }
        return TemplateResponse(request, "admin/equipements/allocation/figures.html", context)

    def scan_view(self, request, object_id):
        """Pick by scanning serials one by one (a barcode scanner types and presses Enter)."""
        allocation = self.get_object(request, object_id)
        if allocation is None:
            raise Http404
        if not self.has_change_permission(request, allocation):
            raise PermissionDenied
        error = None
        if request.method == "POST":
            try:
                if "unpick" in request.POST:
                    item = Item.objects.filter(pk=request.POST.get("unpick")).first()
                    if item is None:
                        raise DomainError(_("Matériel introuvable."))
                    services.unpick_item(allocation, item, by=request.user)
                    self.message_user(
                        request, _("%(item)s remis en stock.") % {"item": item.serial_number}
                    )
                else:
                    item = services.scan_item(
                        allocation, request.POST.get("serial", ""), by=request.user
                    )
                    self.message_user(
                        request,
                        _("%(item)s ajouté.") % {"item": item.serial_number},
                        level=messages.SUCCESS,
                    )
            except DomainError as refused:
                error = " ".join(refused.messages)
            else:
                return HttpResponseRedirect(request.path)
        allocation = Allocation.objects.select_related(
            "application__centre", "application__site", "application__call"
        ).get(pk=allocation.pk)
        picked = (
            AllocatedItem.objects.filter(line__allocation=allocation, released_at__isnull=True)
            .select_related("item__device_model", "line__pack_type")
            .order_by("-picked_at")
        )
        progress = services.picking_progress(allocation)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Préparer l’attribution de %(centre)s")
            % {"centre": allocation.application.centre.name},
            "allocation": allocation,
            "progress": progress,
            "remaining": sum(needed - done for _line, done, needed in progress),
            "picked": picked,
            "error": error,
            "serial": request.POST.get("serial", "") if error else "",
            "can_scan": allocation.status == AllocationStatus.CONFIRMED,
        }
        return TemplateResponse(
            request,
            "admin/equipements/allocation/scan.html",
            context,
            status=400 if error else 200,
        )

    @admin.display(description=_("préparer"))
    def scan_link(self, obj):
        if obj.status not in (AllocationStatus.CONFIRMED, AllocationStatus.PICKED):
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:equipements_allocation_scan", args=[obj.pk]),
            _("Scanner"),
        )

    @admin.action(
        description=_("Créer les expéditions (une par site de réception)"),
        permissions=("change",),
    )
    def ship_by_site(self, request, queryset):
        try:
            shipments = services.create_shipments_by_site(list(queryset), by=request.user)
        except DomainError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
        else:
            self.message_user(
                request,
                _("Expéditions créées : %(references)s.")
                % {"references": ", ".join(s.reference for s in shipments)},
                level=messages.SUCCESS,
            )

    def get_queryset(self, request):
        # One devices total per row; lines only, so no join fan-out.
        return (
            super()
            .get_queryset(request)
            .annotate(
                devices=Count(
                    "lines__allocated_items",
                    filter=Q(lines__allocated_items__released_at__isnull=True),
                )
            )
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("centre"), ordering="application__centre__name")
    def application_centre(self, obj):
        return obj.application.centre.name

    @admin.display(description=_("appel"), ordering="application__call")
    def call(self, obj):
        return obj.application.call.edition

    @admin.display(description=_("appareils préparés"), ordering="devices")
    def device_count(self, obj):
        return obj.devices

    @admin.action(description=_("Confirmer l’attribution"), permissions=("change",))
    def confirm(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.confirm_allocation,
            _("Attribution « %(object)s » confirmée."),
            by=request.user,
        )

    @admin.action(
        description=_("Préparer le matériel (plus anciens en stock)"), permissions=("change",)
    )
    def pick(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.pick_items,
            _("Matériel préparé pour « %(object)s »."),
            by=request.user,
        )

    @admin.action(description=_("Annuler l’attribution"), permissions=("change",))
    def cancel(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.cancel_allocation,
            _("Attribution « %(object)s » annulée."),
            by=request.user,
        )

    @admin.action(description=_("Créer une expédition groupée"), permissions=("change",))
    def ship_together(self, request, queryset):
        try:
            shipment = services.create_shipment(list(queryset))
        except DomainError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
        else:
            self.message_user(
                request,
                _("Expédition %(reference)s créée.") % {"reference": shipment.reference},
                level=messages.SUCCESS,
            )


@admin.register(AllocatedItem)
class AllocatedItemAdmin(admin.ModelAdmin):
    """The history of picked items, kept by the services (picking, after-sales swaps)."""

    list_display = ("item", "centre", "call", "pack_type", "picked_at", "released_at")
    list_select_related = (
        "item__device_model",
        "line__pack_type",
        "line__allocation__application__centre",
        "line__allocation__application__call",
    )
    list_filter = (
        ("released_at", admin.EmptyFieldListFilter),
        "line__allocation__application__call",
        "line__pack_type",
    )
    search_fields = (
        "item__serial_number",
        "item__asset_tag",
        "line__allocation__application__centre__name",
    )
    date_hierarchy = "picked_at"
    list_per_page = 100
    fields = ("item", "line", "picked_at", "released_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("centre"))
    def centre(self, obj):
        return obj.line.allocation.application.centre.name

    @admin.display(description=_("appel"))
    def call(self, obj):
        return obj.line.allocation.application.call.edition

    @admin.display(description=_("type de pack"))
    def pack_type(self, obj):
        return obj.line.pack_type


# --- Shipments --------------------------------------------------------------------------


class ShipmentAllocationInline(ReadOnlyInline, admin.TabularInline):
    model = Allocation
    fields = ("application", "status", "confirmed_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("application__centre", "application__call")
        )


@admin.register(Shipment)
class ShipmentAdmin(ServiceFormMixin, LongListMixin, DocumentActionsMixin, AuditedAdmin):
    document_kinds = (DocumentKind.SHIPMENT_SHEET,)
    # Parcels and weight are on the shipment's page and its sheet: each column costs every
    # row of a long list.
    list_display = (
        "reference",
        "centre",
        "site",
        "status",
        "pdf_link",
        "carrier",
        "tracking_number",
        "created_at",
        "shipped_at",
        "delivered_at",
    )
    list_select_related = ("site__centre",)
    # No filter listing the carriers (a DISTINCT over every shipment) nor date hierarchy
    # (its periods read from every row): the carrier is searched, periods are relative.
    list_filter = ("status", "site__centre__region", ("created_at", admin.DateFieldListFilter))
    search_fields = (
        "reference",
        "tracking_number",
        "carrier",
        "site__name",
        "site__centre__name",
    )
    fields = (
        "reference",
        "site",
        "status",
        "parcels",
        "weight_kg",
        "carrier",
        "tracking_number",
        "created_at",
        "shipped_at",
        "delivered_at",
        "received_at",
        "confirmed_by",
        "incident_note",
        "missing_serials",
        "settlement",
        "settled_at",
        "reshipment_of",
        "sheet",
    )
    readonly_fields = (
        "reference",
        "site",
        "status",
        "created_at",
        "shipped_at",
        "delivered_at",
        "received_at",
        "confirmed_by",
        "incident_note",
        "missing_serials",
        "settlement",
        "settled_at",
        "reshipment_of",
        "sheet",
    )
    inlines = (ShipmentAllocationInline,)
    actions = (
        "mark_shipped",
        "mark_delivered",
        "mark_incident",
        "reship_missing",
        "reduce_after_incident",
        "close_incident",
        bulk_document_action(
            DocumentKind.SHIPMENT_SHEETS_BULK,
            _("Imprimer les bordereaux de la sélection (un seul PDF)"),
            follows=DocumentKind.SHIPMENT_SHEET,
        ),
    )

    def has_add_permission(self, request):
        # A shipment groups picked allocations: see the allocations' action.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("centre"), ordering="site__centre__name")
    def centre(self, obj):
        return obj.site.centre.name

    def get_readonly_fields(self, request, obj=None):
        # What the sheet prints is edited until the centre has checked the parcel.
        closed = obj is not None and obj.status in (
            ShipmentStatus.RECEIVED,
            ShipmentStatus.INCIDENT,
        )
        extra = services.SHEET_FIELDS if closed else ()
        return (*self.readonly_fields, *extra)

    def save_model(self, request, obj, form, change):
        """Through the service: the sheet is rendered again when what it prints changes."""
        fields = {
            name: form.cleaned_data[name]
            for name in services.SHEET_FIELDS
            if name in form.cleaned_data
        }
        services.update_shipment(obj, by=request.user, **fields)

    @admin.display(description=_("bordereau d’expédition"))
    def sheet(self, obj):
        """The ready sheet's PDF (the object comes annotated from ``get_queryset``)."""
        if getattr(obj, "_pdf_document_id", None):
            return self.pdf_link(obj)
        return _("Pas encore produit : action « Produire ou reproduire le PDF » de la liste.")

    @admin.action(description=_("Marquer expédiée"), permissions=("change",))
    def mark_shipped(self, request, queryset):
        run_service_action(
            self, request, queryset, services.ship_shipment, _("%(object)s : expédiée.")
        )

    @admin.action(description=_("Signaler un incident…"), permissions=("change",))
    def mark_incident(self, request, queryset):
        """Asks what happened first (an intermediate page), then records the incident."""
        return run_form_action(
            self,
            request,
            queryset,
            form_class=IncidentForm,
            service=services.report_incident,
            success_message=_("%(object)s : incident enregistré."),
            arguments=lambda data: {"note": data["note"]},
            page={
                "title": _("Signaler un incident"),
                "objects": queryset.select_related("site__centre"),
                "submit_label": _("Enregistrer l’incident"),
                "intro": _("Décrivez ce qui s’est passé : colis perdu, endommagé, incomplet…"),
            },
        )

    @admin.action(description=_("Marquer livrée par le transporteur"), permissions=("change",))
    def mark_delivered(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.deliver_shipment,
            _(
                "%(object)s : livrée ; le centre confirme la réception, "
                "n° de série par n° de série."
            ),
            by=request.user,
        )

    @admin.action(description=_("Incident : réexpédier les manquants"), permissions=("change",))
    def reship_missing(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.reship_missing,
            _(
                "%(object)s : les attributions concernées repassent en préparation ; "
                "scannez le matériel de remplacement puis créez l’expédition."
            ),
            by=request.user,
        )

    @admin.action(
        description=_("Incident : réduire l’attribution et émettre l’avoir…"),
        permissions=("change",),
    )
    def reduce_after_incident(self, request, queryset):
        """Asks for the reason first (an intermediate page), then reduces."""
        return run_form_action(
            self,
            request,
            queryset,
            form_class=ReductionForm,
            service=services.reduce_after_incident,
            success_message=_("%(object)s : attribution réduite au matériel reçu."),
            arguments=lambda data: {"reason": data["reason"]},
            page={
                "title": _("Réduire l’attribution au matériel reçu"),
                "objects": queryset.select_related("site__centre"),
                "submit_label": _("Réduire et émettre l’avoir"),
                "intro": _(
                    "Le matériel non reçu est retiré de l’attribution ; une facture déjà "
                    "émise reçoit un avoir pour ce matériel, une facture à venir ne le compte pas."
                ),
            },
        )

    @admin.action(description=_("Incident : clore (tout est arrivé)"), permissions=("change",))
    def close_incident(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.close_incident,
            _("%(object)s : incident clos, réception confirmée."),
            by=request.user,
        )


# --- Invoices ---------------------------------------------------------------------------


class InvoiceLineInline(ReadOnlyInline, admin.TabularInline):
    model = InvoiceLine
    fields = ("position", "description", "quantity", "unit_price", "total_excl_tax")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(DocumentActionsMixin, admin.ModelAdmin):
    """Invoices are issued by the services and never edited nor deleted: see credit notes.

    Their PDF (Factur-X) is made once; the action only sends again one not made yet.
    """

    document_kinds = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)
    list_display = (
        "number",
        "kind",
        "buyer_name",
        "total_incl_tax",
        "status",
        "issued_on",
        "due_on",
        "paid_on",
        "pdf_link",
    )
    list_filter = ("kind", "status", "series", "year")
    search_fields = ("number", "buyer_name", "buyer_siret")
    date_hierarchy = "issued_on"
    list_per_page = 100
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "kind",
                    "corrects",
                    "allocation",
                    "status",
                    "issued_on",
                    "due_on",
                    "paid_on",
                ),
            },
        ),
        (
            _("Vendeur"),
            {"fields": ("seller_name", "seller_address", "seller_siret", "seller_vat_number")},
        ),
        (_("Acheteur"), {"fields": ("buyer_name", "buyer_address", "buyer_siret")}),
        (
            _("Montants"),
            {
                "fields": (
                    "total_excl_tax",
                    "vat_rate",
                    "total_vat",
                    "total_incl_tax",
                    "vat_mention",
                    "payment_terms",
                    "reason",
                ),
            },
        ),
    )
    inlines = (InvoiceLineInline,)

    def document_kind_for(self, obj):
        return DocumentKind.CREDIT_NOTE if obj.kind == "credit_note" else DocumentKind.INVOICE

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Every stored invoice is issued: its content never changes.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(admin.ModelAdmin):
    list_display = ("series", "year", "last_number")
    list_filter = ("series", "year")
    search_fields = ("series",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- After-sales ------------------------------------------------------------------------


class ReplacementForm(forms.Form):
    """The replacement picker: only items in stock of the ticket item's pack type (the
    service checks it again)."""

    replacement = forms.ModelChoiceField(
        label=_("Matériel de remplacement"),
        queryset=Item.objects.none(),
        help_text=_(
            "En stock, du même type de pack, les plus anciens d’abord. Il part dans une "
            "expédition de remplacement ; le retour de l’appareil défectueux est attendu."
        ),
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = services.replacement_candidates(ticket)
        self.fields["replacement"].label_from_instance = lambda item: (
            f"{item.serial_number} – {item.device_model} ({item.get_grade_display()})"
        )


class AdminTicketMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message au centre"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    attachment = forms.FileField(
        label=_("Pièce jointe"),
        required=False,
        help_text=_("Une photo (JPEG, PNG) ou un PDF, 10 Mo au plus."),
    )


def attachment_response(message):
    """A thread's attachment, served privately (after the caller's permission check)."""
    if not message.attachment:
        raise Http404
    response = FileResponse(
        message.attachment.open("rb"),
        as_attachment=True,
        filename=message.attachment_name,
        content_type=message.attachment_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class TicketMessageInline(ReadOnlyInline, admin.TabularInline):
    """The thread with the centre, oldest first (written through the form below it)."""

    model = TicketMessage
    verbose_name_plural = _("Échanges avec le centre")
    fields = ("created_at", "side", "author", "body", "attachment_link")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "ticket__centre")

    @admin.display(description=_("de"))
    def side(self, obj):
        return obj.ticket.centre.name if obj.from_centre else _("Logistique")

    @admin.display(description=_("pièce jointe"))
    def attachment_link(self, obj):
        if not obj.attachment:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:equipements_supportticket_attachment", args=[obj.ticket_id, obj.pk]),
            obj.attachment_name,
        )


class ReplacementShipmentInline(ReadOnlyInline, admin.TabularInline):
    model = ReplacementShipment
    fields = ("reference", "item", "status", "carrier", "tracking_number", "shipped_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item__device_model")


class ItemReturnInline(ReadOnlyInline, admin.TabularInline):
    model = ItemReturn
    fields = ("item", "status", "expected_at", "received_at", "closed_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item__device_model")


@admin.register(SupportTicket)
class SupportTicketAdmin(ServiceFormMixin, AuditedAdmin):
    """Tickets are opened, started and resolved through the services; the change page
    holds the thread with the centre and the replacement decision."""

    change_form_template = "admin/equipements/supportticket/change_form.html"
    list_display = (
        "subject",
        "centre",
        "item_serial",
        "status",
        "opened_at",
        "resolved_at",
        "resolution",
    )
    list_select_related = ("centre", "item")
    list_filter = ("status", "resolution", "centre__region")
    search_fields = ("subject", "item__serial_number", "item__asset_tag", "centre__name")
    date_hierarchy = "opened_at"
    autocomplete_fields = ("centre", "item")
    list_per_page = 100
    actions = ("start",)
    inlines = (TicketMessageInline, ReplacementShipmentInline, ItemReturnInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "centre", "item__device_model", "opened_by", "replacement_item", "allocation"
            )
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("centre", "item", "subject", "description")}),)
        return (
            (
                None,
                {
                    "fields": (
                        "centre",
                        "item",
                        "subject",
                        "description",
                        "status",
                        "opened_by",
                        "opened_at",
                    ),
                },
            ),
            (
                _("Résolution"),
                {"fields": ("resolution", "resolution_note", "replacement_item", "resolved_at")},
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["centre", "item", "subject", "description", "status", "opened_by", "opened_at"]
        readonly += ["replacement_item", "resolved_at"]
        if obj.status == TicketStatus.RESOLVED:
            readonly += ["resolution", "resolution_note"]
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "resolution":
            # A replacement travels in a shipment: decided below the form, not resolved here.
            field.choices = [c for c in field.choices if c[0] != Resolution.REPLACEMENT]
            field.help_text = _(
                "Pour un remplacement, choisissez le matériel sous le formulaire : le ticket "
                "sera résolu quand le centre en confirmera la réception."
            )
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            ticket = services.open_ticket(
                obj.item,
                centre=obj.centre,
                subject=obj.subject,
                description=obj.description,
                by=request.user,
            )
            obj.pk = ticket.pk
        elif obj.resolution and "resolution" in form.changed_data:
            services.resolve_ticket(
                obj, resolution=obj.resolution, note=obj.resolution_note, by=request.user
            )

    def save_related(self, request, form, formsets, change):
        # Nothing is edited inline: the replacement shipments and returns are the services'.
        pass

    # --- the thread and the replacement, on the change page

    def get_urls(self):
        def view(function, suffix, route):
            return path(
                route,
                self.admin_site.admin_view(function),
                name=f"equipements_supportticket_{suffix}",
            )

        return [
            view(self.message_view, "message", "<path:object_id>/message/"),
            view(
                self.attachment_view,
                "attachment",
                "<path:object_id>/messages/<int:message_pk>/piece/",
            ),
            view(self.replacement_view, "replacement", "<path:object_id>/remplacer/"),
            *super().get_urls(),
        ]

    def _ticket(self, request, object_id, *, change):
        ticket = self.get_object(request, object_id)
        if ticket is None:
            raise Http404
        allowed = (
            self.has_change_permission(request, ticket)
            if change
            else self.has_view_permission(request, ticket)
        )
        if not allowed:
            raise PermissionDenied
        return ticket

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if ticket is not None and request.method == "GET":
            extra_context.update(self.thread_context(request, ticket))
        return super().change_view(request, object_id, form_url, extra_context)

    def thread_context(self, request, ticket, *, message_form=None, replacement_form=None):
        can_change = self.has_change_permission(request, ticket)
        in_flight = any(
            s.status in (ReplacementStatus.RESERVED, ReplacementStatus.SHIPPED)
            for s in ticket.replacement_shipments.all()
        )
        may_replace = can_change and ticket.status != TicketStatus.RESOLVED and not in_flight
        return {
            "message_form": (message_form or AdminTicketMessageForm()) if can_change else None,
            "replacement_form": (replacement_form or ReplacementForm(ticket=ticket))
            if may_replace
            else None,
        }

    def message_view(self, request, object_id):
        ticket = self._ticket(request, object_id, change=True)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:equipements_supportticket_change", args=[ticket.pk])
            )
        form = AdminTicketMessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.post_ticket_message(
                    ticket,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    upload=form.cleaned_data["attachment"],
                )
            except DomainError as error:
                field = {"too_big": "attachment", "bad_type": "attachment"}.get(error.code)
                form.add_error(field, error.messages[0])
            else:
                self.message_user(request, _("Message envoyé au centre."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:equipements_supportticket_change", args=[ticket.pk]) + "#fil"
                )
        return self._refused_page(request, ticket, message_form=form)

    def _refused_page(self, request, ticket, **forms_):
        """The change page again with the refused form and its French messages (400)."""
        response = self.change_view(request_as_get(request), str(ticket.pk), extra_context=None)
        response.context_data.update(self.thread_context(request, ticket, **forms_))
        response.status_code = 400
        return response

    def replacement_view(self, request, object_id):
        ticket = self._ticket(request, object_id, change=True)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:equipements_supportticket_change", args=[ticket.pk])
            )
        form = ReplacementForm(request.POST, ticket=ticket)
        if form.is_valid():
            try:
                shipment = services.decide_replacement(
                    ticket, replacement=form.cleaned_data["replacement"], by=request.user
                )
            except DomainError as error:
                form.add_error(
                    "replacement" if error.code == "replacement" else None, error.messages[0]
                )
            else:
                self.message_user(
                    request,
                    _(
                        "Remplacement décidé : expédition %(reference)s en préparation, "
                        "retour de %(serial)s attendu."
                    )
                    % {"reference": shipment.reference, "serial": ticket.item.serial_number},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:equipements_replacementshipment_change", args=[shipment.pk])
                )
        return self._refused_page(request, ticket, replacement_form=form)

    def attachment_view(self, request, object_id, message_pk):
        """Private files are served after the same check as the ticket itself."""
        ticket = self.get_object(request, object_id)
        if ticket is None or not self.has_view_permission(request, ticket):
            raise Http404
        return attachment_response(get_object_or_404(ticket.messages.all(), pk=message_pk))

    @admin.display(description=_("n° de série"), ordering="item__serial_number")
    def item_serial(self, obj):
        return obj.item.serial_number

    @admin.action(description=_("Prendre en charge"), permissions=("change",))
    def start(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.start_ticket,
            _("%(object)s : pris en charge."),
            by=request.user,
        )


def request_as_get(request):
    """The same request read as a GET (to render a page again after a refused POST)."""
    copy = copy_module.copy(request)
    copy.method = "GET"
    copy.POST = QueryDict()
    return copy


@admin.register(ReplacementShipment)
class ReplacementShipmentAdmin(DocumentActionsMixin, AuditedAdmin):
    """A replacement's own shipment: carrier and tracking entered here, shipped by the
    action, delivered only when the centre confirms its receipt in the portal."""

    document_kinds = (DocumentKind.REPLACEMENT_SHEET,)
    list_display = (
        "reference",
        "centre",
        "item",
        "status",
        "pdf_link",
        "carrier",
        "tracking_number",
        "created_at",
        "shipped_at",
        "delivered_at",
    )
    list_select_related = ("site__centre", "item__device_model")
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("reference", "tracking_number", "item__serial_number", "site__centre__name")
    list_per_page = 100
    fields = (
        "reference",
        "ticket",
        "item",
        "site",
        "status",
        "carrier",
        "tracking_number",
        "created_at",
        "shipped_at",
        "delivered_at",
        "confirmed_by",
        "sheet",
    )
    actions = ("mark_shipped", "cancel")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("site__centre", "item__device_model", "ticket__item", "confirmed_by")
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = [f for f in self.fields if f not in ("carrier", "tracking_number")]
        if obj is not None and obj.status != ReplacementStatus.RESERVED:
            readonly += ["carrier", "tracking_number"]
        return readonly

    def has_add_permission(self, request):
        # A replacement is decided on its ticket's page.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("centre"), ordering="site__centre__name")
    def centre(self, obj):
        return obj.site.centre.name

    @admin.display(description=_("bordereau d’expédition"))
    def sheet(self, obj):
        if getattr(obj, "_pdf_document_id", None):
            return self.pdf_link(obj)
        return _("Pas encore produit : action « Produire ou reproduire le PDF » de la liste.")

    @admin.action(description=_("Marquer expédié"), permissions=("change",))
    def mark_shipped(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.ship_replacement,
            _("%(object)s : expédié."),
            by=request.user,
        )

    @admin.action(
        description=_("Annuler le remplacement (remis en stock)"), permissions=("change",)
    )
    def cancel(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.cancel_replacement,
            _("%(object)s : annulé, matériel remis en stock."),
            by=request.user,
        )


@admin.register(ItemReturn)
class ItemReturnAdmin(AuditedAdmin):
    """Faulty units expected back from centres: received at the warehouse, then repaired
    (back to stock) or recycled with their destination, all through the services."""

    list_display = ("item", "centre", "status", "expected_at", "received_at", "closed_at")
    list_select_related = ("item__device_model", "ticket__centre")
    list_filter = ("status",)
    search_fields = ("item__serial_number", "item__asset_tag", "ticket__centre__name")
    list_per_page = 100
    fields = (
        "ticket",
        "item",
        "status",
        "expected_at",
        "received_at",
        "received_by",
        "closed_at",
        "destination",
    )
    readonly_fields = fields
    actions = ("mark_received", "mark_repaired", "recycle")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("item__device_model", "ticket__centre", "received_by")
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("centre"), ordering="ticket__centre__name")
    def centre(self, obj):
        return obj.ticket.centre.name

    @admin.display(description=_("filière de recyclage"))
    def destination(self, obj):
        return obj.item.end_of_life_destination or "—"

    @admin.action(description=_("Marquer reçu à l’entrepôt"), permissions=("change",))
    def mark_received(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.receive_return,
            _("%(object)s : reçu à l’entrepôt."),
            by=request.user,
        )

    @admin.action(description=_("Réparé : remettre en stock"), permissions=("change",))
    def mark_repaired(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.repair_return,
            _("%(object)s : réparé, remis en stock."),
            by=request.user,
        )

    @admin.action(description=_("Reprendre pour recyclage…"), permissions=("change",))
    def recycle(self, request, queryset):
        """Asks the destination first (an intermediate page), then records the end of life."""
        return run_form_action(
            self,
            request,
            queryset,
            form_class=EndOfLifeForm,
            service=services.recycle_return,
            success_message=_("%(object)s : repris pour recyclage."),
            arguments=lambda data: {
                "destination": data["destination"],
                "on": data["taken_back_on"],
            },
            page={
                "title": _("Reprendre pour recyclage"),
                "objects": queryset.select_related("item__device_model"),
                "submit_label": _("Enregistrer la reprise"),
                "intro": _("Le matériel retourné ne se répare pas : indiquez qui le reprend."),
            },
        )


# --- The chain of each selected application ---------------------------------------------


class ChainChangeList(ChangeList):
    """The chain list's page, its rows' steps read in one more query for those rows."""

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)
        chain = {
            values.pop("pk"): values
            for values in SelectedApplication.objects.filter(pk__in=[row.pk for row in rows])
            .with_chain()
            .values("pk", "step", "has_agreement", "agreement_signed", "is_invoiced", "is_surveyed")
        }
        for row in rows:
            for name, value in chain[row.pk].items():
                setattr(row, name, value)
        self.result_list = rows


class ChainStepFilter(admin.SimpleListFilter):
    title = _("étape")
    parameter_name = "etape"

    def lookups(self, request, model_admin):
        return ChainStep.choices

    def queryset(self, request, queryset):
        if self.value() in ChainStep.values:
            return queryset.with_chain().filter(step=self.value())
        return queryset


class ChainCallFilter(admin.SimpleListFilter):
    """The calls whose results are published (the only ones with selected applications
    in the chain), newest first: a query of a few rows, not a scan of the applications."""

    title = _("appel")
    parameter_name = "call__id__exact"

    def lookups(self, request, model_admin):
        published = Call.objects.filter(results_published_at__isnull=False)
        return [
            (str(pk), title)
            for pk, title in published.order_by("-opens_at").values_list("pk", "title")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(call_id=int(value))
        return queryset


def _mark(done):
    """A tick or a dash, with a text for screen readers (not colour alone)."""
    text = escape(gettext("oui") if done else gettext("non"))
    return mark_safe(  # noqa: S308 - constant markup, escaped text
        f'<span aria-hidden="true">{"✓" if done else "—"}</span>'
        f'<span class="visually-hidden">{text}</span>'
    )


@admin.register(SelectedApplication)
class SelectedApplicationAdmin(admin.ModelAdmin):
    """Every selected application and where it stands: agreement, allocation, picking,
    shipment, reception, invoice, survey; filtered by call and by step, acted on in bulk."""

    # The next step first, then a narrow column per step of the chain.
    list_display = (
        "centre_name",
        "call_edition",
        "step_label",
        "agreement_state",
        "allocation_status",
        "invoiced",
        "surveyed",
    )
    list_display_links = None
    list_filter = (ChainCallFilter, ChainStepFilter)
    search_fields = ("title", "centre__name")
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-pk",)
    actions = ("issue_agreements", "confirm_allocations", "propose_allocations")

    def get_queryset(self, request):
        # The rows only: each page's steps are read by ChainChangeList for its 50 rows (a
        # query joining the agreement, survey and invoice of every row costs more to plan
        # than to run); the step filter asks for them on the whole list.
        return (
            super()
            .get_queryset(request)
            .select_related("call", "centre", "allocation")
            .only(
                "title",
                "status",
                "call__edition",
                "call__title",
                "centre__name",
                "allocation__status",
            )
            # Newest first, read backwards from the primary key: a page costs its 50 rows.
            .order_by("-pk")
        )

    def get_changelist(self, request, **kwargs):
        return ChainChangeList

    # The row checkbox written directly, as on the long lists (the same markup as Django's).
    action_checkbox = LongListMixin.action_checkbox

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The rows are read here; the actions change them through the services.
        return obj is None and super().has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Suivi des candidatures retenues"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("centre"), ordering="centre__name")
    def centre_name(self, obj):
        return obj.centre.name

    @admin.display(description=_("appel"), ordering="call")
    def call_edition(self, obj):
        return obj.call.edition

    @admin.display(description=_("convention"))
    def agreement_state(self, obj):
        if obj.agreement_signed:
            return gettext("signée")
        return gettext("émise, à signer") if obj.has_agreement else "—"

    def _allocation(self, obj):
        try:
            return obj.allocation
        except Allocation.DoesNotExist:
            return None

    @admin.display(description=_("attribution"))
    def allocation_status(self, obj):
        """Proposed, confirmed, picked, shipped, delivered (received by the centre)."""
        allocation = self._allocation(obj)
        return allocation.get_status_display() if allocation else "—"

    @admin.display(description=_("facturée"))
    def invoiced(self, obj):
        return _mark(obj.is_invoiced)

    @admin.display(description=_("enquête"))
    def surveyed(self, obj):
        return _mark(obj.is_surveyed)

    @admin.display(description=_("étape suivante"))
    def step_label(self, obj):
        return ChainStep(obj.step).label

    def _each(self, request, queryset, service, success_message):
        run_service_action(self, request, queryset, service, success_message)

    @admin.action(description=_("Émettre les conventions"), permissions=("change",))
    def issue_agreements(self, request, queryset):
        self._each(
            request,
            queryset,
            appels_services.issue_agreement,
            _("%(object)s : convention émise, le centre est prévenu par e-mail."),
        )

    @admin.action(description=_("Confirmer les attributions"), permissions=("change",))
    def confirm_allocations(self, request, queryset):
        def confirm(application):
            allocation = Allocation.objects.filter(application=application).first()
            if allocation is None:
                raise DomainError(_("pas encore d’attribution."))
            services.confirm_allocation(allocation, by=request.user)

        self._each(
            request,
            queryset.filter(allocation__status=AllocationStatus.PROPOSED)
            | queryset.filter(allocation__isnull=True),
            confirm,
            _("%(object)s : attribution confirmée, le centre est prévenu par e-mail."),
        )

    @admin.action(description=_("Proposer les attributions manquantes"), permissions=("change",))
    def propose_allocations(self, request, queryset):
        self._each(
            request,
            queryset.filter(allocation__isnull=True),
            services.propose_allocation,
            _("%(object)s : attribution proposée."),
        )
