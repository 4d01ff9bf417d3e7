"""Accounts and the centre's own pages: profile, sites, colleagues."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from solidaire.errors import DomainError

from . import services
from .forms import CentreProfileForm, InvitationForm, PreferencesForm, SignatoriesForm, SiteForm
from .invitations import send_first_login_link
from .models import DataRequest
from .portal import CentreStaffMixin
from .privacy import personal_data
from .roles import is_reviewer


class LoginView(auth_views.LoginView):
    """Login by e-mail; centre staff land on their space, platform staff on the admin."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if self.request.user.is_staff and not self.request.user.memberships.exists():
            return reverse("admin:index")
        return reverse("appels:dashboard")


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """First login of an invited colleague: choose a password, then logged in."""

    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("appels:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Bienvenue ! Votre mot de passe est enregistré."))
        return response


class MyCentreView(CentreStaffMixin, TemplateView):
    template_name = "centres/my_centre.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sites"] = self.centre.sites.all()
        context["colleagues"] = colleagues = list(
            self.centre.memberships.select_related("user").order_by(
                "-is_referent", "user__last_name"
            )
        )
        context["invitation_form"] = kwargs.get("invitation_form") or InvitationForm()
        if self.membership.is_referent:
            context["signatories_form"] = kwargs.get("signatories_form") or SignatoriesForm(
                colleagues=[m for m in colleagues if not m.is_referent]
            )
        return context


class ReferentMixin(CentreStaffMixin):
    """Pages that change the centre: its referent only (others get 403)."""

    def check_referent(self):
        if not self.membership.is_referent:
            raise PermissionDenied


class CentreProfileEditView(ReferentMixin, TemplateView):
    template_name = "centres/profile_form.html"

    def get(self, request, *args, **kwargs):
        self.check_referent()
        return self.render_to_response(
            self.get_context_data(form=CentreProfileForm(instance=self.centre))
        )

    def post(self, request, *args, **kwargs):
        self.check_referent()
        form = CentreProfileForm(request.POST, instance=self.centre)
        if form.is_valid():
            try:
                services.update_centre_profile(
                    self.centre,
                    by_membership=self.membership,
                    **{name: form.cleaned_data[name] for name in form.Meta.fields},
                )
            except DomainError as error:
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _("La fiche du centre est enregistrée."))
                return redirect("centres:my_centre")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SiteEditView(ReferentMixin, TemplateView):
    template_name = "centres/site_form.html"

    def get_site(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.centre.sites.all(), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.check_referent()
        site = self.get_site()
        form = SiteForm(instance=site, centre=self.centre)
        return self.render_to_response(self.get_context_data(form=form, site=site))

    def post(self, request, *args, **kwargs):
        self.check_referent()
        site = self.get_site()
        form = SiteForm(request.POST, instance=site, centre=self.centre)
        if form.is_valid():
            try:
                services.save_site(
                    self.centre,
                    by_membership=self.membership,
                    site=site,
                    **{name: form.cleaned_data[name] for name in form.Meta.fields},
                )
            except ValidationError as error:  # a DomainError or a model rule (unique name)
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _("Le site est enregistré."))
                return redirect("centres:my_centre")
        return self.render_to_response(self.get_context_data(form=form, site=site), status=400)


class InviteColleagueView(ReferentMixin, MyCentreView):
    def get(self, request, *args, **kwargs):
        return redirect("centres:my_centre")

    def post(self, request, *args, **kwargs):
        self.check_referent()
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                user, token = services.invite_colleague(
                    self.centre, by_membership=self.membership, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error("email", error.messages[0])
            else:
                send_first_login_link(request, user, self.centre, token=token)
                messages.success(
                    request,
                    _("Invitation envoyée à %(email)s.") % {"email": user.email},
                )
                return redirect("centres:my_centre")
        return self.render_to_response(self.get_context_data(invitation_form=form), status=400)


class SignatoriesView(ReferentMixin, MyCentreView):
    """The referent names the colleagues who may sign agreements (posted from Mon centre)."""

    def get(self, request, *args, **kwargs):
        return redirect("centres:my_centre")

    def post(self, request, *args, **kwargs):
        self.check_referent()
        colleagues = list(self.centre.memberships.select_related("user").filter(is_referent=False))
        form = SignatoriesForm(request.POST, colleagues=colleagues)
        if form.is_valid():
            try:
                services.set_signatories(
                    self.centre,
                    by_membership=self.membership,
                    memberships=form.cleaned_data["signatories"],
                )
            except DomainError as error:
                form.add_error("signatories", error.messages[0])
            else:
                messages.success(request, _("Les signataires des conventions sont enregistrés."))
                return redirect("centres:my_centre")
        return self.render_to_response(self.get_context_data(signatories_form=form), status=400)


class PreferencesView(LoginRequiredMixin, TemplateView):
    """Anyone logged in: their own name and phone; reviewers also opt out of review e-mails."""

    template_name = "centres/preferences.html"

    def form(self, data=None):
        return PreferencesForm(
            data,
            instance=self.request.user,
            show_review_emails=is_reviewer(self.request.user),
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                services.update_preferences(
                    request.user, **{name: form.cleaned_data[name] for name in form.fields}
                )
            except (DomainError, ValidationError) as error:
                form.add_error(None, " ".join(error.messages))
            else:
                messages.success(request, _("Vos préférences sont enregistrées."))
                return redirect("centres:preferences")
        request.user.refresh_from_db()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MyDataView(LoginRequiredMixin, TemplateView):
    """Anyone logged in: what the platform holds about them, its export, a deletion request."""

    template_name = "centres/my_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["data_requests"] = DataRequest.objects.filter(user=self.request.user)[:20]
        context["retention_days"] = settings.PERSONAL_DATA_RETENTION_DAYS
        return context


class MyDataExportView(LoginRequiredMixin, View):
    """The person's own data as a JSON download (no id in the URL: only one's own)."""

    def get(self, request, *args, **kwargs):
        data = personal_data(request.user)
        services.record_data_export(request.user)
        response = JsonResponse(
            data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 1}
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.json"'
        response["Cache-Control"] = "no-store"
        return response


class MyDataDeletionView(LoginRequiredMixin, View):
    """Records a deletion request, handled by a programme manager in the admin."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            services.request_data_deletion(request.user, message=request.POST.get("message", ""))
        except DomainError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "Votre demande d’effacement est enregistrée. Un chargé de programme la "
                    "traitera et vous en serez informé."
                ),
            )
        return redirect("centres:my_data")
