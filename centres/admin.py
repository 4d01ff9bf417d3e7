"""Admin of the network directory: people, centres, their sites and partner organisations."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from solidaire.errors import DomainError

from . import services
from .invitations import send_first_login_link
from .models import AccessLog, Centre, DataRequest, Membership, Partner, Site, User
from .roles import is_programme_manager


class UserCreationForm(BaseUserCreationForm):
    """Create a person from an e-mail address and a password typed twice."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Une personne utilise déjà cette adresse e-mail."), code="unique"
            )
        return email


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("centre", "user", "is_referent", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("centre", "user")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("centre", "user")


class UserMembershipInline(MembershipInline):
    fields = ("centre", "is_referent", "role", "created_at")
    autocomplete_fields = ("centre",)
    fk_name = "user"


class CentreMembershipInline(MembershipInline):
    fields = ("user", "is_referent", "role", "created_at")
    autocomplete_fields = ("user",)
    fk_name = "centre"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Identité"),
            {"fields": ("first_name", "last_name", "phone", "organisation")},
        ),
        (
            _("Droits"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )
    list_display = (
        "email",
        "first_name",
        "last_name",
        "organisation",
        "role_names",
        "is_staff",
        "is_active",
    )
    list_select_related = ("organisation",)
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "organisation")
    search_fields = ("email", "first_name", "last_name", "phone")
    ordering = ("last_name", "first_name", "email")
    readonly_fields = ("last_login", "date_joined")
    autocomplete_fields = ("organisation",)
    inlines = (UserMembershipInline,)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    @admin.display(description=_("rôles"))
    def role_names(self, obj):
        return ", ".join(group.name for group in obj.groups.all())


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "city", "region", "siret", "email")
    list_select_related = ("parent",)
    list_filter = ("kind", "region")
    search_fields = ("name", "siret", "city", "email")
    autocomplete_fields = ("parent",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("name", "kind", "parent")}),
        (_("Identification"), {"fields": ("siret", "vat_number")}),
        (
            _("Coordonnées"),
            {"fields": ("address", "postal_code", "city", "region", "email", "phone", "website")},
        ),
    )


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = (
        "name",
        "address",
        "postal_code",
        "city",
        "contact_name",
        "contact_phone",
        "is_active",
    )


class MembershipValidityFilter(admin.SimpleListFilter):
    title = _("adhésion à jour")
    parameter_name = "adhesion"

    def lookups(self, request, model_admin):
        return (("yes", _("oui")), ("no", _("non")))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        valid = Q(membership_valid_until__gte=today) & ~Q(fcsf_member_number="")
        if self.value() == "yes":
            return queryset.filter(valid)
        if self.value() == "no":
            return queryset.exclude(valid)
        return queryset


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "city",
        "department",
        "region",
        "federation",
        "fcsf_member_number",
        "membership_valid_until",
        "is_member_up_to_date",
    )
    list_select_related = ("federation",)
    list_filter = (MembershipValidityFilter, "region", "department", "federation")
    search_fields = ("name", "siret", "city", "postal_code", "fcsf_member_number", "email")
    autocomplete_fields = ("federation",)
    readonly_fields = ("region", "created_at")
    date_hierarchy = "membership_valid_until"
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("name", "siret", "federation")}),
        (_("Adhésion"), {"fields": ("fcsf_member_number", "membership_valid_until")}),
        (
            _("Coordonnées"),
            {
                "fields": (
                    "address",
                    "postal_code",
                    "city",
                    "department",
                    "region",
                    "email",
                    "phone",
                    "created_at",
                ),
            },
        ),
    )
    inlines = (SiteInline, CentreMembershipInline)

    @admin.display(description=_("adhésion à jour"), boolean=True)
    def is_member_up_to_date(self, obj):
        return obj.is_member


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "centre", "city", "postal_code", "contact_name", "is_active")
    list_select_related = ("centre",)
    list_filter = ("is_active", "centre__region")
    search_fields = (
        "name",
        "city",
        "postal_code",
        "centre__name",
        "centre__siret",
        "contact_email",
    )
    autocomplete_fields = ("centre",)
    list_per_page = 100


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "user_email", "centre", "is_referent", "role", "created_at")
    list_select_related = ("user", "centre")
    list_filter = ("is_referent", "centre__region")
    search_fields = (
        "user__email",
        "user__first_name",
        "user__last_name",
        "centre__name",
        "centre__siret",
    )
    autocomplete_fields = ("user", "centre")
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ["send_first_login_links"]

    @admin.action(description=_("Envoyer le lien de première connexion"))
    def send_first_login_links(self, request, queryset):
        sent = 0
        for membership in queryset.select_related("user", "centre"):
            if membership.user.has_usable_password():
                continue  # already has a password: "mot de passe oublié" is the way
            send_first_login_link(request, membership.user, membership.centre)
            sent += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d lien de première connexion envoyé.",
                "%(count)d liens de première connexion envoyés.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )

    @admin.display(description=_("e-mail"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email


# --- Privacy (RGPD) ---------------------------------------------------------------------


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ("requested_at", "user", "kind", "status", "processed_at", "processed_by")
    list_select_related = ("user", "processed_by")
    list_filter = ("status", "kind")
    search_fields = ("user__email", "user__last_name")
    date_hierarchy = "requested_at"
    fields = (
        "user", "kind", "status", "message", "requested_at", "processed_at", "processed_by",
        "note",
    )  # fmt: skip
    readonly_fields = (
        "user", "kind", "status", "message", "requested_at", "processed_at", "processed_by",
    )  # fmt: skip
    actions = ["anonymise_people"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # evidence that a request was answered

    @admin.action(
        description=_("Anonymiser les personnes (demandes d’effacement à traiter)"),
        permissions=["change"],
    )
    def anonymise_people(self, request, queryset):
        done = 0
        for data_request in queryset.filter(
            kind=DataRequest.Kind.DELETION, status=DataRequest.Status.PENDING
        ).select_related("user"):
            try:
                services.process_deletion_request(data_request, by=request.user)
            except DomainError as error:
                self.message_user(
                    request, f"{data_request.user} : {' '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d personne anonymisée.", "%(count)d personnes anonymisées.", done)
            % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Who viewed personal data: read-only, for superusers and programme managers."""

    list_display = ("accessed_at", "user", "object_type", "object_id", "url_name", "ip_address")
    list_select_related = ("user",)
    list_filter = ("object_type", "url_name")
    search_fields = ("user__email", "object_id", "ip_address")
    date_hierarchy = "accessed_at"
    list_per_page = 100

    def has_view_permission(self, request, obj=None):
        return is_programme_manager(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
