"""Admin of calls, applications, reviews, decisions, agreements and surveys.

Statuses are read-only here: every change of state goes through ``appels.services`` (admin
actions, or saving a form that calls a service). A refused request is reported as an error
message and changes nothing.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from centres.roles import is_logistics, is_programme_manager, is_reviewer
from solidaire.admin import DocumentActionsMixin
from solidaire.admin_lists import LongListMixin
from solidaire.documents import DocumentKind
from solidaire.errors import DomainError
from solidaire.history import AuditedAdmin

from . import services
from .models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationLine,
    ApplicationStatus,
    Attachment,
    Call,
    CallOffer,
    CallPartner,
    Criterion,
    Decision,
    PackType,
    Review,
    ReviewStatus,
    Score,
    SurveyAnswer,
)

# --- Shared helpers (also used by equipements.admin) ------------------------------------


def run_service_action(modeladmin, request, queryset, service, success_message, **kwargs):
    """Call ``service(obj, **kwargs)`` for each selected object and report each outcome."""
    for obj in queryset:
        try:
            service(obj, **kwargs)
        except DomainError as error:
            modeladmin.message_user(
                request, f"{obj} : {' '.join(error.messages)}", level=messages.ERROR
            )
        else:
            modeladmin.message_user(
                request, success_message % {"object": obj}, level=messages.SUCCESS
            )


class ServiceFormMixin:
    """For admins whose ``save_model`` calls a service: a refusal rolls back and is shown."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            # The admin's transaction has been rolled back when the error reaches here.
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyInline:
    """An inline that shows rows kept by the services: no add, change or delete here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def sees_every_application(user):
    """Reviewers alone see only the applications assigned to them (blind review)."""
    return is_programme_manager(user) or is_logistics(user) or not is_reviewer(user)


# --- Pack types and calls ---------------------------------------------------------------


def _items(status):
    # Items live in equipements and point here (related name "items"): counted by name.
    return Count("items", filter=Q(items__status=status))


@admin.register(PackType)
class PackTypeAdmin(admin.ModelAdmin):
    """The catalogue, with the stock of each pack type at a glance (devices per status)."""

    list_display = (
        "name",
        "kind",
        "units_per_pack",
        "market_value",
        "in_stock",
        "packs_in_stock",
        "reserved",
        "delivered",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "composition")
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                in_stock=_items("in_stock"),
                reserved=_items("reserved"),
                delivered=_items("delivered"),
            )
        )

    @admin.display(description=_("appareils en stock"), ordering="in_stock")
    def in_stock(self, obj):
        return getattr(obj, "in_stock", None)

    @admin.display(description=_("packs complets en stock"))
    def packs_in_stock(self, obj):
        count = getattr(obj, "in_stock", None)
        return None if count is None else count // obj.units_per_pack

    @admin.display(description=_("réservés"), ordering="reserved")
    def reserved(self, obj):
        return getattr(obj, "reserved", None)

    @admin.display(description=_("livrés"), ordering="delivered")
    def delivered(self, obj):
        return getattr(obj, "delivered", None)


class CallOfferInline(admin.TabularInline):
    model = CallOffer
    extra = 0
    fields = ("pack_type", "quantity_available", "solidarity_price", "per_centre_cap")
    autocomplete_fields = ("pack_type",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pack_type", "call")


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("position", "name", "description", "weight", "max_score")


class CallPartnerInline(admin.TabularInline):
    model = CallPartner
    extra = 0
    fields = ("partner", "role")
    autocomplete_fields = ("partner",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")


@admin.register(Call)
class CallAdmin(AuditedAdmin):
    list_display = (
        "title",
        "edition",
        "status",
        "opens_at",
        "closes_at",
        "submitted_count",
        "results_published_at",
        "ranking_link",
    )
    list_filter = ("status",)
    search_fields = ("title", "edition", "slug")
    date_hierarchy = "opens_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("status", "results_published_at", "created_at")
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("title", "slug", "edition", "status", "summary", "description")}),
        (
            _("Calendrier"),
            {"fields": ("opens_at", "closes_at", "review_ends_at", "results_published_at")},
        ),
        (
            _("Évaluation"),
            {
                "fields": (
                    "requires_aim",
                    "reviewers_per_application",
                    "conflict_rule",
                    "is_blind_review",
                ),
            },
        ),
        (
            _("Attribution et facturation"),
            {"fields": ("confirm_after_signature", "invoice_on_delivery", "created_at")},
        ),
    )
    inlines = (CallOfferInline, CriterionInline, CallPartnerInline)
    actions = (
        "open_calls",
        "assign_reviewers",
        "start_reviews",
        "publish_call_results",
        "archive_calls",
        "duplicate_calls",
    )
    change_form_template = "admin/appels/call/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                submitted_count=Count(
                    "applications", filter=~Q(applications__status=ApplicationStatus.DRAFT)
                )
            )
        )

    @admin.display(description=_("candidatures déposées"), ordering="submitted_count")
    def submitted_count(self, obj):
        return obj.submitted_count

    @admin.display(description=_("comité"))
    def ranking_link(self, obj):
        if obj.status not in (Call.Status.REVIEW, Call.Status.DECIDED, Call.Status.ARCHIVED):
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:appels_call_ranking", args=[obj.pk]),
            _("Classement"),
        )

    def get_urls(self):
        ranking = path(
            "<path:object_id>/classement/",
            self.admin_site.admin_view(self.ranking_view),
            name="appels_call_ranking",
        )
        return [ranking, *super().get_urls()]

    def ranking_view(self, request, object_id):
        from .committee import CommitteeView  # noqa: PLC0415 - keeps this module readable

        call = self.get_object(request, object_id)
        if call is None:
            raise Http404
        if not (is_programme_manager(request.user) and self.has_change_permission(request, call)):
            raise PermissionDenied
        return CommitteeView(self, request, call).response()

    @admin.action(
        description=_("Désigner automatiquement les évaluateurs"), permissions=("change",)
    )
    def assign_reviewers(self, request, queryset):
        for call in queryset:
            try:
                created, understaffed = services.auto_assign_reviewers(call, by=request.user)
            except DomainError as error:
                self.message_user(
                    request, f"{call} : {' '.join(error.messages)}", level=messages.ERROR
                )
                continue
            self.message_user(
                request,
                _("« %(call)s » : %(count)s dossier(s) confié(s) à des évaluateurs.")
                % {"call": call, "count": len(created)},
                level=messages.SUCCESS,
            )
            if understaffed:
                self.message_user(
                    request,
                    _(
                        "« %(call)s » : %(count)s candidature(s) n’ont pas assez d’évaluateurs "
                        "sans conflit : %(names)s."
                    )
                    % {
                        "call": call,
                        "count": len(understaffed),
                        "names": ", ".join(a.centre.name for a in understaffed[:10]),
                    },
                    level=messages.WARNING,
                )

    @admin.action(description=_("Dupliquer pour une nouvelle édition"), permissions=("add",))
    def duplicate_calls(self, request, queryset):
        for call in queryset:
            copy = services.duplicate_call(call, by=request.user)
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Nouvelle édition en préparation :"),
                    reverse("admin:appels_call_change", args=[copy.pk]),
                    copy.title,
                ),
                level=messages.SUCCESS,
            )

    @admin.action(description=_("Ouvrir aux candidatures"), permissions=("change",))
    def open_calls(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.open_call,
            _("« %(object)s » est ouvert aux candidatures."),
            by=request.user,
        )

    @admin.action(
        description=_("Clore les candidatures et lancer l’évaluation"), permissions=("change",)
    )
    def start_reviews(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.start_review,
            _("« %(object)s » est en évaluation."),
            by=request.user,
        )

    @admin.action(description=_("Publier les résultats"), permissions=("change",))
    def publish_call_results(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.publish_results,
            _("Les résultats de « %(object)s » sont publiés."),
            by=request.user,
        )

    @admin.action(description=_("Archiver"), permissions=("change",))
    def archive_calls(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.archive_call,
            _("« %(object)s » est archivé."),
            by=request.user,
        )


@admin.register(CallOffer)
class CallOfferAdmin(AuditedAdmin):
    """Offers at a glance, with the packs granted so far; edited within their call."""

    list_display = (
        "pack_type",
        "call",
        "quantity_available",
        "granted",
        "packs_in_stock",
        "solidarity_price",
        "per_centre_cap",
    )
    list_select_related = ("pack_type", "call")
    list_filter = ("call", "pack_type")
    search_fields = ("pack_type__name", "call__title", "call__edition")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                granted=Sum(
                    "lines__granted_quantity",
                    filter=Q(lines__application__status=ApplicationStatus.SELECTED),
                ),
                # A subquery: counting items in the same join would multiply the sum.
                devices_in_stock=Coalesce(
                    Subquery(
                        PackType.objects.filter(pk=OuterRef("pack_type"))
                        .annotate(n=_items("in_stock"))
                        .values("n")[:1]
                    ),
                    0,
                ),
            )
        )

    @admin.display(description=_("packs accordés"), ordering="granted")
    def granted(self, obj):
        return obj.granted or 0

    @admin.display(description=_("packs complets en stock"))
    def packs_in_stock(self, obj):
        return obj.devices_in_stock // obj.pack_type.units_per_pack

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Applications -----------------------------------------------------------------------


class ApplicationLineInline(admin.TabularInline):
    model = ApplicationLine
    extra = 0
    fields = ("offer", "requested_quantity", "granted_quantity", "granted_unit_price")
    readonly_fields = ("granted_quantity", "granted_unit_price")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__pack_type", "offer__call")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        offer_field = formset.form.base_fields.get("offer")
        if offer_field is not None:
            offers = CallOffer.objects.select_related("pack_type", "call")
            offer_field.queryset = offers.filter(call_id=obj.call_id) if obj else offers
        return formset


class AttachmentInline(ReadOnlyInline, admin.TabularInline):
    model = Attachment
    fields = ("download", "description", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("fichier"))
    def download(self, obj):
        if obj is None or obj.pk is None:  # a blank row redrawn after a malformed post
            return "—"
        url = reverse("admin:appels_application_attachment", args=[obj.application_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class ReviewInline(ReadOnlyInline, admin.TabularInline):
    model = Review
    fields = ("reviewer", "status", "recommendation", "total", "submitted_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewer")

    @admin.display(description=_("note /100"))
    def total(self, obj):
        return obj.total


@admin.register(ApplicationLine)
class ApplicationLineAdmin(AuditedAdmin):
    """What each centre asked for and was granted; history of the committee's grants."""

    list_display = (
        "application",
        "offer",
        "requested_quantity",
        "granted_quantity",
        "granted_unit_price",
    )
    list_select_related = (
        "application__centre",
        "application__call",
        "offer__pack_type",
        "offer__call",
    )
    list_filter = ("application__call", "application__status", "offer__pack_type")
    search_fields = ("application__centre__name", "application__title")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not sees_every_application(request.user):
            queryset = queryset.filter(
                application__in=Review.objects.assigned_to(request.user).values("application")
            )
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(AuditedAdmin):
    def has_delete_permission(self, request, obj=None):
        # A submitted application is never lost: centres withdraw, committees decide.
        return False

    list_display = (
        "centre_name",
        "call",
        "title",
        "status",
        "region",
        "submitted_at",
        "opens_mediation_space",
    )
    list_select_related = ("call", "centre")
    list_filter = ("status", "call", "centre__region", "opens_mediation_space")
    search_fields = ("centre__name", "centre__siret", "centre__city", "title")
    date_hierarchy = "submitted_at"
    autocomplete_fields = ("centre", "site")
    raw_id_fields = ("created_by",)
    readonly_fields = (
        "status",
        "submitted_at",
        "decided_at",
        "withdrawn_at",
        "waitlist_rank",
        "created_by",
        "created_at",
        "updated_at",
    )
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("call", "centre", "site", "status", "waitlist_rank")}),
        (
            _("Projet"),
            {
                "fields": (
                    "title",
                    "summary",
                    "audience",
                    "expected_beneficiaries",
                    "activities",
                    "opens_mediation_space",
                    "partners_description",
                    "aim",
                ),
            },
        ),
        (
            _("Suivi"),
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "updated_at",
                    "submitted_at",
                    "decided_at",
                    "withdrawn_at",
                ),
            },
        ),
    )
    inlines = (ApplicationLineInline, AttachmentInline, ReviewInline)
    actions = (
        "select_applications",
        "waitlist_applications",
        "reject_applications",
        "issue_agreements",
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("call", "centre")
        if not sees_every_application(request.user):
            queryset = queryset.filter(
                pk__in=Review.objects.assigned_to(request.user).values("application")
            )
        return queryset

    def get_inlines(self, request, obj):
        if is_programme_manager(request.user):
            return self.inlines
        return [inline for inline in self.inlines if inline is not ReviewInline]

    def get_urls(self):
        download = path(
            "<path:object_id>/pieces/<int:attachment_pk>/",
            self.admin_site.admin_view(self.attachment_view),
            name="appels_application_attachment",
        )
        return [download, *super().get_urls()]

    def attachment_view(self, request, object_id, attachment_pk):
        """Private files are served after the same check as the application itself."""
        application = self.get_object(request, object_id)
        if application is None or not self.has_view_permission(request, application):
            raise Http404
        attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description=_("centre"), ordering="centre__name")
    def centre_name(self, obj):
        return obj.centre.name

    @admin.display(description=_("région"), ordering="centre__region")
    def region(self, obj):
        return obj.centre.get_region_display()

    def _decide(self, request, queryset, outcome, message):
        if not is_programme_manager(request.user):
            raise PermissionDenied
        run_service_action(
            self,
            request,
            queryset.order_by("submitted_at"),
            services.decide,
            message,
            outcome=outcome,
            by=request.user,
        )

    @admin.action(description=_("Retenir (quantités demandées)"), permissions=("change",))
    def select_applications(self, request, queryset):
        self._decide(request, queryset, ApplicationStatus.SELECTED, _("« %(object)s » retenue."))

    @admin.action(description=_("Placer en liste d’attente"), permissions=("change",))
    def waitlist_applications(self, request, queryset):
        self._decide(
            request, queryset, ApplicationStatus.WAITLISTED, _("« %(object)s » en liste d’attente.")
        )

    @admin.action(description=_("Ne pas retenir"), permissions=("change",))
    def reject_applications(self, request, queryset):
        self._decide(
            request, queryset, ApplicationStatus.REJECTED, _("« %(object)s » non retenue.")
        )

    @admin.action(description=_("Émettre la convention"), permissions=("change",))
    def issue_agreements(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            services.issue_agreement,
            _("Convention émise pour « %(object)s »."),
        )


# --- Reviews ----------------------------------------------------------------------------


class ScoreInline(ReadOnlyInline, admin.TabularInline):
    model = Score
    fields = ("criterion", "value", "max_score")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")

    @admin.display(description=_("note maximale"))
    def max_score(self, obj):
        return obj.criterion.max_score


class ReviewAssignForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ("application", "reviewer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reviewer" in self.fields:
            self.fields["reviewer"].queryset = services.eligible_reviewers()


class ReviewTodoFilter(admin.SimpleListFilter):
    """A reviewer's two lists: what is left to do, and what is done."""

    title = _("avancement")
    parameter_name = "todo"

    def lookups(self, request, model_admin):
        return (("todo", _("à faire")), ("done", _("rendues")))

    def queryset(self, request, queryset):
        if self.value() == "todo":
            return queryset.filter(status__in=[ReviewStatus.ASSIGNED, ReviewStatus.DRAFT])
        if self.value() == "done":
            return queryset.filter(status=ReviewStatus.SUBMITTED)
        return queryset


class ReviewForm(forms.ModelForm):
    """A reviewer's evaluation: one score per criterion of the call, an opinion, or a conflict."""

    submit = forms.BooleanField(
        label=_("Rendre l’évaluation"),
        required=False,
        help_text=_("Une évaluation rendue reste modifiable jusqu’à la fin de l’évaluation."),
    )
    conflict = forms.CharField(
        label=_("Déclarer un conflit d’intérêts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Indiquez le motif : le dossier quittera votre liste."),
    )
    criteria = ()

    class Meta:
        model = Review
        fields = ("comment", "recommendation")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        values = dict(self.instance.scores.values_list("criterion_id", "value"))
        for criterion in self.criteria:
            self.fields[score_field(criterion)].initial = values.get(criterion.pk)

    def scores(self):
        return {
            criterion.pk: self.cleaned_data[score_field(criterion)]
            for criterion in self.criteria
            if self.cleaned_data.get(score_field(criterion)) is not None
        }


def score_field(criterion):
    return f"score_{criterion.pk}"


def review_form_for(criteria):
    """A ReviewForm with one score field per criterion of the call's grid.

    Each input carries its criterion's weight and maximum so that the page's script updates
    the weighted total as the reviewer types (the server computes it again on save).
    """
    fields = {
        score_field(criterion): forms.IntegerField(
            label=criterion.name,
            required=False,
            min_value=0,
            max_value=criterion.max_score,
            help_text=(
                _("sur %(max)s, pondération %(weight)s — %(description)s")
                if criterion.description
                else _("sur %(max)s, pondération %(weight)s")
            )
            % {
                "max": criterion.max_score,
                "weight": f"{criterion.weight.normalize():f}".replace(".", ","),
                "description": criterion.description,
            },
            widget=forms.NumberInput(
                attrs={
                    "class": "review-score",
                    "data-max": criterion.max_score,
                    "data-weight": str(criterion.weight),
                    "min": 0,
                    "max": criterion.max_score,
                    "inputmode": "numeric",
                    "style": "width: 5em",
                }
            ),
        )
        for criterion in criteria
    }
    return type("ReviewForm", (ReviewForm,), {**fields, "criteria": tuple(criteria)})


@admin.register(Review)
class ReviewAdmin(LongListMixin, ServiceFormMixin, AuditedAdmin):
    """Reviewers score here: their own list (to do / done), one page per application.

    The evaluation page shows the project, its requested equipment and attachments, one
    score field per criterion with the weighted total updated as they type, their opinion
    and, unless the call is blind and their review is not submitted yet, the other reviews.
    """

    def has_delete_permission(self, request, obj=None):
        # Reviews are part of the audit trail: a reviewer steps aside by declaring a conflict.
        return False

    list_display = (
        "application_centre",
        "call",
        "reviewer",
        "status",
        "recommendation",
        "total",
        "submitted_at",
    )
    list_display_links = ("application_centre",)
    # The order "save and next" follows, so the next one is the row below.
    ordering = ("application__call", "assigned_at", "pk")
    list_select_related = ("application__centre", "application__call", "reviewer")
    list_filter = (ReviewTodoFilter, "status", "recommendation", "application__call")
    search_fields = (
        "application__centre__name",
        "application__title",
        "reviewer__email",
        "reviewer__first_name",
        "reviewer__last_name",
    )
    autocomplete_fields = ("application", "reviewer")
    # Tens of thousands of reviews: no date drill-down (two queries over the whole list); the
    # mixin drops the second count of the unfiltered list and builds the row links once.
    inlines = (ScoreInline,)

    class Media:
        js = ("js/review-total.js",)
        css = {"all": ("css/admin-review.css",)}

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related("application__centre", "application__call", "reviewer")
        )
        if not is_programme_manager(request.user):
            queryset = queryset.assigned_to(request.user)
        return queryset

    def get_list_display(self, request):
        if is_programme_manager(request.user):
            return self.list_display
        return [name for name in self.list_display if name != "reviewer"]

    def get_list_filter(self, request):
        if is_programme_manager(request.user):
            return self.list_filter
        return (ReviewTodoFilter, "application__call")

    def is_evaluating(self, request, obj):
        """Only the assigned reviewer writes the evaluation, while it is not a conflict."""
        return (
            obj is not None
            and obj.reviewer_id == request.user.pk
            and obj.status != ReviewStatus.CONFLICT
        )

    def has_add_permission(self, request):
        return is_programme_manager(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self.is_evaluating(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("application", "reviewer")}),)
        header = (None, {"fields": ("application_link", "status", "submitted_at")})
        project = (_("Le projet"), {"fields": ("project",)})
        if self.is_evaluating(request, obj):
            criteria = obj.application.call.criteria.all()
            return (
                header,
                project,
                (
                    _("Notes"),
                    {"fields": [score_field(c) for c in criteria] + ["live_total"]},
                ),
                (_("Avis"), {"fields": ("comment", "recommendation", "submit")}),
                (_("Les autres évaluations"), {"fields": ("other_reviews",)}),
                (
                    _("Conflit d’intérêts"),
                    {"fields": ("conflict",), "classes": ("collapse",)},
                ),
            )
        return (
            (None, {"fields": ("application_link", "reviewer", "status", "submitted_at")}),
            project,
            (_("Avis"), {"fields": ("total", "comment", "recommendation", "conflict_reason")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if self.is_evaluating(request, obj):
            return (
                "application_link",
                "status",
                "submitted_at",
                "project",
                "live_total",
                "other_reviews",
            )
        return (
            "application_link",
            "reviewer",
            "status",
            "submitted_at",
            "project",
            "total",
            "comment",
            "recommendation",
            "conflict_reason",
        )

    def get_inlines(self, request, obj):
        return () if obj is None or self.is_evaluating(request, obj) else self.inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReviewAssignForm
        elif self.is_evaluating(request, obj):
            kwargs["form"] = review_form_for(list(obj.application.call.criteria.all()))
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            review = services.assign_reviewer(obj.application, obj.reviewer, by=request.user)
            obj.pk, obj.assigned_at = review.pk, review.assigned_at
        elif form.cleaned_data.get("conflict", "").strip():
            replacement = services.declare_conflict(
                obj, reason=form.cleaned_data["conflict"], by=request.user
            )
            obj.status = ReviewStatus.CONFLICT
            self.message_user(
                request,
                _("Conflit d’intérêts enregistré : le dossier quitte votre liste.")
                if replacement
                else _(
                    "Conflit d’intérêts enregistré : le dossier quitte votre liste ; "
                    "le chargé de programme désignera un autre évaluateur."
                ),
                level=messages.WARNING,
            )
        else:
            services.save_review(
                obj,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
                recommendation=form.cleaned_data["recommendation"],
                submit=form.cleaned_data["submit"],
                by=request.user,
            )

    def response_change(self, request, obj):
        """ "Save and next" takes the reviewer to their next application to do."""
        if obj.status == ReviewStatus.CONFLICT:
            return HttpResponseRedirect(self._todo_url())
        if "_savenext" in request.POST:
            following = (
                Review.objects.assigned_to(request.user)
                .filter(status__in=[ReviewStatus.ASSIGNED, ReviewStatus.DRAFT])
                .exclude(pk=obj.pk)
                .order_by("application__call", "assigned_at", "pk")
                .first()
            )
            self.message_user(request, _("Évaluation enregistrée."), level=messages.SUCCESS)
            if following is None:
                self.message_user(request, _("Vous avez tout évalué. Merci !"))
                return HttpResponseRedirect(self._todo_url())
            return HttpResponseRedirect(reverse("admin:appels_review_change", args=[following.pk]))
        return super().response_change(request, obj)

    def _todo_url(self):
        return reverse("admin:appels_review_changelist") + "?todo=todo"

    @admin.display(description=_("candidature"))
    def application_link(self, obj):
        application = obj.application
        return format_html(
            "<strong>{}</strong> ({}, {}) – {}",
            application.centre.name,
            application.centre.city,
            application.centre.get_department_display(),
            application.call,
        )

    @admin.display(description=_("projet"))
    def project(self, obj):
        application = (
            Application.objects.select_related("centre", "site", "call")
            .prefetch_related("lines__offer__pack_type", "attachments")
            .get(pk=obj.application_id)
        )
        return render_to_string(
            "admin/appels/review/project.html",
            {"application": application, "review": obj},
        )

    @admin.display(description=_("note pondérée /100"))
    def live_total(self, obj):
        total = obj.total if obj.pk else None
        return format_html(
            '<output id="review-total" aria-live="polite" class="review-total">{}</output>',
            "—" if total is None else number_format(total, 2),
        )

    @admin.display(description=_("évaluations des autres"))
    def other_reviews(self, obj):
        call = obj.application.call
        if call.is_blind_review and obj.status != ReviewStatus.SUBMITTED:
            return _(
                "Évaluation en aveugle : les autres évaluations s’affichent une fois la vôtre "
                "rendue."
            )
        others = list(
            Review.objects.filter(application_id=obj.application_id, status=ReviewStatus.SUBMITTED)
            .exclude(pk=obj.pk)
            .select_related("reviewer")
        )
        return render_to_string(
            "admin/appels/review/other_reviews.html",
            {"others": [(other, other.total) for other in others]},
        )

    @admin.display(description=_("centre"), ordering="application__centre__name")
    def application_centre(self, obj):
        return obj.application.centre.name

    @admin.display(description=_("appel"), ordering="application__call")
    def call(self, obj):
        return obj.application.call.edition

    @admin.display(description=_("note /100"))
    def total(self, obj):
        return obj.total


@admin.register(Score)
class ScoreAdmin(AuditedAdmin):
    """Read-only: scores are written through the review page; their history is kept here."""

    list_display = ("review", "criterion", "value")
    list_select_related = (
        "review__application__centre",
        "review__application__call",
        "review__reviewer",
        "criterion",
    )
    list_filter = ("criterion__call",)
    search_fields = ("review__application__centre__name", "review__reviewer__email")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not is_programme_manager(request.user):
            queryset = queryset.filter(review__in=Review.objects.assigned_to(request.user))
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Decisions, agreements, surveys -----------------------------------------------------


@admin.register(Decision)
class DecisionAdmin(ServiceFormMixin, AuditedAdmin):
    """Decisions are recorded through ``services.decide``; locked once published."""

    list_display = (
        "application_centre",
        "call",
        "outcome",
        "rank",
        "decided_at",
        "decided_by",
        "published_at",
    )
    list_select_related = ("application__centre", "application__call", "decided_by")
    list_filter = ("outcome", "application__call", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("application__centre__name", "application__centre__siret", "comment")
    autocomplete_fields = ("application",)
    date_hierarchy = "decided_at"
    list_per_page = 100
    fields = (
        "application",
        "outcome",
        "rank",
        "comment",
        "decided_by",
        "decided_at",
        "published_at",
    )

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # No service undoes a decision: the committee records another outcome instead.
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("decided_by", "decided_at", "published_at")
        if obj.is_locked:
            return self.fields
        return ("application", "decided_by", "decided_at", "published_at")

    def save_model(self, request, obj, form, change):
        services.decide(
            obj.application, obj.outcome, by=request.user, rank=obj.rank, comment=obj.comment
        )
        obj.pk = Decision.objects.values_list("pk", flat=True).get(application=obj.application)

    @admin.display(description=_("centre"), ordering="application__centre__name")
    def application_centre(self, obj):
        return obj.application.centre.name

    @admin.display(description=_("appel"), ordering="application__call")
    def call(self, obj):
        return obj.application.call.edition


@admin.register(Agreement)
class AgreementAdmin(DocumentActionsMixin, ServiceFormMixin, admin.ModelAdmin):
    """Agreements are issued by the services; here they are followed and, if need be, voided."""

    # The signed version when there is one, else the issued one.
    document_kinds = (DocumentKind.AGREEMENT_SIGNED, DocumentKind.AGREEMENT)
    list_display = (
        "number",
        "application_centre",
        "call",
        "status",
        "issued_at",
        "signed_at",
        "signer_name",
        "pdf_link",
    )
    list_select_related = ("application__centre", "application__call")
    list_filter = ("status", "application__call")
    search_fields = ("number", "application__centre__name", "application__centre__siret")
    date_hierarchy = "issued_at"
    list_per_page = 100
    fields = (
        "number",
        "application",
        "status",
        "issued_at",
        "signed_at",
        "signed_by",
        "signer_name",
        "signer_role",
        "voided_at",
        "void_reason",
    )

    def document_kind_for(self, obj):
        if obj.status == AgreementStatus.SIGNED:
            return DocumentKind.AGREEMENT_SIGNED
        return DocumentKind.AGREEMENT

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == AgreementStatus.VOID:
            return self.fields
        return [f for f in self.fields if f != "void_reason"]

    def save_model(self, request, obj, form, change):
        if "void_reason" in form.changed_data and obj.void_reason.strip():
            services.void_agreement(obj, reason=obj.void_reason, by=request.user)

    @admin.display(description=_("centre"), ordering="application__centre__name")
    def application_centre(self, obj):
        return obj.application.centre.name

    @admin.display(description=_("appel"), ordering="application__call")
    def call(self, obj):
        return obj.application.call.edition


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(admin.ModelAdmin):
    """Answers are the centres' own words: only the testimonial's publication is decided here."""

    list_display = (
        "application_centre",
        "call",
        "satisfaction",
        "equipment_quality",
        "ease_of_installation",
        "after_sales_responsiveness",
        "opened_mediation_space",
        "is_testimonial_publishable",
        "answered_at",
    )
    list_editable = ("is_testimonial_publishable",)
    list_select_related = ("application__centre", "application__call")
    list_filter = (
        "satisfaction",
        "is_testimonial_publishable",
        "opened_mediation_space",
        "application__call",
        "application__centre__region",
    )
    search_fields = ("application__centre__name", "testimonial")
    date_hierarchy = "answered_at"
    list_per_page = 100
    readonly_fields = (
        "application",
        "satisfaction",
        "equipment_quality",
        "ease_of_installation",
        "after_sales_responsiveness",
        "opened_mediation_space",
        "testimonial",
        "answered_by",
        "answered_at",
    )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("centre"), ordering="application__centre__name")
    def application_centre(self, obj):
        return obj.application.centre.name

    @admin.display(description=_("appel"), ordering="application__call")
    def call(self, obj):
        return obj.application.call.edition
