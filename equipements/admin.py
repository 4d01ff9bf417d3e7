"""Admin of stock, allocations, shipments, invoices and after-sales, for logistics.

Statuses are read-only: they move through ``equipements.services`` (admin actions or a form
whose save calls a service). Invoices are never edited nor deleted here.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from appels.admin import ReadOnlyInline, ServiceFormMixin, run_service_action
from solidaire.admin import DocumentActionsMixin, bulk_document_action
from solidaire.documents import DocumentKind
from solidaire.errors import DomainError

from . import services
from .models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    Batch,
    DataErasure,
    DeviceModel,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Item,
    ItemStatus,
    Shipment,
    SupportTicket,
    TicketStatus,
)

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


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = (
        "serial_number",
        "asset_tag",
        "device_model",
        "pack_type",
        "grade",
        "provenance",
        "provenance_partner",
        "status",
        "received_on",
        "has_erasure",
    )
    list_select_related = ("device_model", "pack_type", "provenance_partner", "erasure")
    list_filter = (
        "status",
        "grade",
        "provenance",
        "pack_type",
        "device_model__kind",
        "provenance_partner",
    )
    search_fields = ("serial_number", "asset_tag", "device_model__name", "batch__reference")
    date_hierarchy = "received_on"
    autocomplete_fields = ("device_model", "pack_type", "batch")
    readonly_fields = ("status",)
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("serial_number", "asset_tag", "device_model", "pack_type", "status")}),
        (
            _("Origine"),
            {"fields": ("grade", "provenance", "provenance_partner", "batch", "received_on")},
        ),
        (None, {"fields": ("specifications",)}),
    )
    inlines = (DataErasureInline,)
    actions = ("send_to_repair", "put_back_in_stock", "scrap")

    @admin.display(description=_("données effacées"), boolean=True)
    def has_erasure(self, obj):
        return hasattr(obj, "erasure")

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

    list_display = (
        "application_centre",
        "call",
        "status",
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
    actions = ("confirm", "pick", "cancel", "ship_together")

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
class ShipmentAdmin(DocumentActionsMixin, admin.ModelAdmin):
    document_kinds = (DocumentKind.SHIPMENT_SHEET,)
    list_display = (
        "reference",
        "centre",
        "site",
        "status",
        "parcels",
        "weight_kg",
        "carrier",
        "tracking_number",
        "created_at",
        "shipped_at",
        "delivered_at",
        "pdf_link",
    )
    list_select_related = ("site__centre",)
    list_filter = ("status", "carrier", "site__centre__region")
    search_fields = ("reference", "tracking_number", "site__name", "site__centre__name")
    date_hierarchy = "created_at"
    list_per_page = 100
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
        "confirmed_by",
        "incident_note",
    )
    readonly_fields = (
        "reference",
        "site",
        "status",
        "created_at",
        "shipped_at",
        "delivered_at",
        "confirmed_by",
        "incident_note",
    )
    inlines = (ShipmentAllocationInline,)
    actions = (
        "mark_shipped",
        "mark_delivered",
        bulk_document_action(
            DocumentKind.SHIPMENT_SHEETS_BULK,
            _("Imprimer les bordereaux de la sélection (un seul PDF)"),
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

    @admin.action(description=_("Marquer expédiée"), permissions=("change",))
    def mark_shipped(self, request, queryset):
        run_service_action(
            self, request, queryset, services.ship_shipment, _("%(object)s : expédiée.")
        )

    @admin.action(description=_("Marquer livrée"), permissions=("change",))
    def mark_delivered(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.deliver_shipment,
            _("%(object)s : livrée."),
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


@admin.register(SupportTicket)
class SupportTicketAdmin(ServiceFormMixin, admin.ModelAdmin):
    """Tickets are opened, started and resolved through the services."""

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
    autocomplete_fields = ("centre", "item", "replacement_item")
    list_per_page = 100
    actions = ("start",)

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
        readonly.append("resolved_at")
        if obj.status == TicketStatus.RESOLVED:
            readonly += ["resolution", "resolution_note", "replacement_item"]
        return readonly

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
        elif obj.resolution:
            services.resolve_ticket(
                obj,
                resolution=obj.resolution,
                note=obj.resolution_note,
                replacement=obj.replacement_item,
                by=request.user,
            )

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
