"""Portal pages of calls and applications, for centre staff (and the public for calls)."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from centres.portal import CentreStaffMixin, current_centre
from solidaire.cache import public_content_seconds
from solidaire.client_ip import client_ip_address
from solidaire.documents.access import attach_documents
from solidaire.errors import DomainError

from . import services
from .documents import AGREEMENT_KINDS
from .forms import AgreementSignatureForm, AttachmentForm, ProjectForm, RequestForm
from .models import (
    Agreement,
    Application,
    ApplicationLine,
    ApplicationStatus,
    Call,
    CallOffer,
    CallPartner,
    CallStatus,
)


def _offers():
    return Prefetch("offers", queryset=CallOffer.objects.select_related("pack_type"))


def _partners():
    return Prefetch("call_partners", queryset=CallPartner.objects.select_related("partner"))


STEPS = [
    ("projet", gettext_lazy("Le projet")),
    ("demande", gettext_lazy("Le matériel demandé")),
    ("pieces", gettext_lazy("Pièces jointes")),
    ("recapitulatif", gettext_lazy("Vérifier et déposer")),
]


def eligibility(call, centre, now=None):
    """``(True, "")`` when ``centre`` may apply to ``call`` now, else ``(False, reason)``."""
    if centre is None:
        return False, ""
    try:
        services.check_centre_may_apply(call, centre, now=now)
    except DomainError as error:
        return False, error.messages[0]
    return True, ""


class CallListView(TemplateView):
    """Open calls with what each offers; public. Centre staff also read whether their centre
    may apply to each."""

    template_name = "appels/call_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["content"] = open_calls_content(current_centre(self.request.user))
        return context


def open_calls_content(centre):
    """The open calls as HTML. Without a centre it is the same for every visitor, and served
    as rendered for ``public_content_seconds()``, as the home's list; with one, it says
    whether the centre may apply, read on each request."""

    def render():
        calls = list(
            Call.objects.filter(status=CallStatus.OPEN)
            .prefetch_related(_offers(), _partners())
            .order_by("closes_at")
        )
        return render_to_string(
            "appels/_call_list.html",
            {
                "calls": calls,
                "centre": centre,
                "eligibility": {call.pk: eligibility(call, centre) for call in calls},
            },
        )

    timeout = public_content_seconds()
    if centre is not None or not timeout:
        return mark_safe(render())  # noqa: S308 - a template's output
    key = f"open-calls:{get_language()}"
    return mark_safe(cache.get_or_set(key, render, timeout))  # noqa: S308 - a template's output


class CallDetailView(DetailView):
    template_name = "appels/call_detail.html"
    context_object_name = "call"

    def get_queryset(self):
        return Call.objects.public().prefetch_related(_offers(), _partners(), "criteria")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        centre = current_centre(self.request.user)
        context["centre"] = centre
        context["can_apply"], context["why_not"] = eligibility(self.object, centre)
        if centre:
            context["application"] = Application.objects.filter(
                call=self.object, centre=centre
            ).first()
        return context


class CallResultsView(DetailView):
    """The published results of a call: the selected centres and what they receive; public."""

    template_name = "appels/call_results.html"
    context_object_name = "call"

    def get_queryset(self):
        return Call.objects.published().prefetch_related(_offers())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selected = list(
            Application.objects.filter(call=self.object, status=ApplicationStatus.SELECTED)
            .select_related("centre")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=ApplicationLine.objects.filter(granted_quantity__gt=0)
                    .select_related("offer__pack_type")
                    .order_by("offer__pack_type__name"),
                )
            )
            .order_by("centre__region", "centre__department", "centre__name")
        )
        context["selected"] = selected
        context["packs"] = sum(line.granted_quantity for a in selected for line in a.lines.all())
        return context


class StartApplicationView(CentreStaffMixin, View):
    """Start (or resume) the centre's application to a call."""

    def post(self, request, slug):
        call = get_object_or_404(Call.objects.public(), slug=slug)
        existing = Application.objects.filter(call=call, centre=self.centre).first()
        if existing:
            return redirect(existing_step_url(existing))
        try:
            application = services.start_application(call, self.centre, by=request.user)
        except DomainError as error:
            messages.error(request, error.messages[0])
            return redirect("appels:call_detail", slug=call.slug)
        messages.success(request, _("Votre brouillon est créé : il est enregistré à chaque étape."))
        return redirect("appels:application_step", pk=application.pk, step="projet")


def existing_step_url(application):
    if application.status == ApplicationStatus.DRAFT:
        return reverse("appels:application_step", args=[application.pk, "projet"])
    return reverse("appels:application_detail", args=[application.pk])


def scoped_applications(user):
    return Application.objects.visible_to(user).select_related("call", "centre", "site")


class DashboardView(CentreStaffMixin, TemplateView):
    """The centre's applications with their status and next step."""

    template_name = "appels/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Only what the table shows: a project's texts are read on its own page; the lines
        # as (application, quantity, pack) values, grouped here (Django's prefetch took a
        # quarter of the page, make bench).
        applications = list(
            Application.objects.filter(centre=self.centre)
            .select_related("call")
            .only("title", "status", *(f"call__{name}" for name in DASHBOARD_CALL_FIELDS))
            .order_by("-call__opens_at")
        )
        requested = {}
        for application_id, quantity, pack in ApplicationLine.objects.filter(
            application__centre=self.centre
        ).values_list("application_id", "requested_quantity", "offer__pack_type__name"):
            requested.setdefault(application_id, []).append((quantity, pack))
        for application in applications:
            application.requested = requested.get(application.pk, [])
        context["applications"] = applications
        context["open_calls"] = (
            Call.objects.accepting_applications()
            .exclude(applications__centre=self.centre)
            .only(*DASHBOARD_CALL_FIELDS)
        )
        return context


# What the dashboard shows of a call, and reads to know whether it still accepts applications.
DASHBOARD_CALL_FIELDS = ("title", "slug", "edition", "status", "opens_at", "closes_at")


class ApplicationMixin(CentreStaffMixin):
    """Fetch the application through the user's scope: another centre's is a 404."""

    def get_application(self, *, related=True):
        """The application; with its lines and attachments unless ``related`` is false."""
        queryset = scoped_applications(self.request.user).filter(centre=self.centre)
        if related:
            queryset = queryset.prefetch_related(*_application_related())
        return get_object_or_404(queryset, pk=self.kwargs["pk"])


def _lines():
    return ApplicationLine.objects.select_related("offer__pack_type")


def _application_related():
    return (Prefetch("lines", queryset=_lines()), "attachments")


class ApplicationDetailView(ApplicationMixin, TemplateView):
    template_name = "appels/application_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["application"] = application = self.get_application()
        context["is_editable"] = application.status == ApplicationStatus.DRAFT and (
            application.call.is_accepting_applications()
        )
        return context


class ApplicationStepView(ApplicationMixin, TemplateView):
    """One step of the multi-step form; every step saves the draft."""

    template_name = "appels/application_step.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["step"] not in dict(STEPS):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def setup_application(self):
        # Each step reads only what it shows: the project step needs neither the lines nor
        # the attachments.
        self.application = self.get_application(related=False)
        self.step = self.kwargs["step"]
        self.editable = self.application.status == ApplicationStatus.DRAFT and (
            self.application.call.is_accepting_applications()
        )
        if not self.editable or self.step != "projet":
            prefetch_related_objects([self.application], *_application_related())

    def make_form(self, data=None, files=None):
        application = self.application
        if self.step == "projet":
            return ProjectForm(data, instance=application, call=application.call)
        if self.step == "demande":
            return RequestForm(data, application=application)
        if self.step == "pieces":
            return AttachmentForm(data, files)
        return None

    def get(self, request, *args, **kwargs):
        self.setup_application()
        if self.application.status != ApplicationStatus.DRAFT:
            return redirect("appels:application_detail", pk=self.application.pk)
        if not self.editable:
            messages.warning(
                request,
                _(
                    "La date limite de candidature est passée : votre brouillon reste "
                    "consultable mais ne peut plus être déposé."
                ),
            )
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request, *args, **kwargs):
        self.setup_application()
        form = self.make_form(request.POST, request.FILES)
        if form is None or not self.editable:
            return redirect("appels:application_detail", pk=self.application.pk)
        if form.is_valid():
            try:
                self.save(form)
            except DomainError as error:
                self.attach_error(form, error)
            else:
                if "rester" in request.POST or self.step == "pieces":
                    messages.success(request, _("Brouillon enregistré."))
                    return redirect(request.path)
                messages.success(request, _("Brouillon enregistré."))
                return redirect(self.next_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def save(self, form):
        user = self.request.user
        if self.step == "projet":
            fields = {name: form.cleaned_data[name] for name in form.fields}
            services.update_application_draft(self.application, by=user, **fields)
        elif self.step == "demande":
            services.set_application_request(
                self.application,
                site=form.cleaned_data["site"],
                quantities=form.quantities(),
                by=user,
            )
        elif self.step == "pieces":
            services.add_attachment(
                self.application,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                by=user,
            )

    def attach_error(self, form, error):
        if hasattr(error, "error_dict") and self.step == "demande":
            for offer_id, field_errors in error.error_dict.items():
                name = f"offer_{offer_id}"
                form.add_error(name if name in form.fields else None, field_errors)
            return
        field = {"site": "site", "too_big": "file", "bad_type": "file"}.get(error.code)
        form.add_error(field if field in form.fields else None, error.messages[0])

    def next_url(self):
        names = [name for name, _label in STEPS]
        following = names[min(names.index(self.step) + 1, len(names) - 1)]
        return reverse("appels:application_step", args=[self.application.pk, following])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            application=self.application, step=self.step, steps=STEPS, editable=self.editable
        )
        if self.step == "recapitulatif":
            try:
                services.check_application_complete(self.application)
                context["missing"] = ""
            except DomainError as error:
                context["missing"] = error.messages[0]
        return context


class SubmitApplicationView(ApplicationMixin, View):
    def post(self, request, pk):
        application = self.get_application()
        try:
            services.submit_application(application, by=request.user)
        except DomainError as error:
            messages.error(request, error.messages[0])
            return redirect("appels:application_step", pk=pk, step="recapitulatif")
        messages.success(
            request,
            _("Votre candidature est déposée. Un accusé de réception est envoyé par e-mail."),
        )
        return redirect("appels:application_detail", pk=pk)


class WithdrawApplicationView(ApplicationMixin, View):
    def post(self, request, pk):
        application = self.get_application()
        try:
            services.withdraw_application(application, by=request.user)
        except DomainError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Votre candidature est retirée."))
        return redirect("appels:application_detail", pk=pk)


class RemoveAttachmentView(ApplicationMixin, View):
    def post(self, request, pk, attachment_pk):
        application = self.get_application()
        attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
        try:
            services.remove_attachment(attachment, by=request.user)
        except DomainError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Pièce jointe supprimée."))
        return redirect("appels:application_step", pk=pk, step="pieces")


class AttachmentDownloadView(ApplicationMixin, View):
    """Private files go through this check: another centre's file is a 404."""

    def get(self, request, pk, attachment_pk):
        application = self.get_application()
        attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _offered_checksum(agreement):
    """The SHA-256 of the agreement's PDF offered for download, if it is ready."""
    pdf = agreement.pdf
    return pdf.sha256 if pdf is not None and pdf.is_ready else ""


class AgreementView(ApplicationMixin, TemplateView):
    """Read the agreement and sign it (an explicit, recorded acceptance).

    The signing form is shown to the centre's referent and named signatories only, once
    the PDF is ready: it posts the SHA-256 of the PDF offered for download, so what is
    signed is what was read.
    """

    template_name = "appels/agreement.html"

    def get_agreement(self):
        application = self.get_application()
        agreement = Agreement.objects.filter(application=application).first()
        if agreement is None:
            raise Http404
        attach_documents([agreement], AGREEMENT_KINDS)
        return application, agreement

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = context["agreement"]
        context["pdf_checksum"] = _offered_checksum(agreement)
        context["may_sign"] = self.membership.may_sign
        context["signers"] = services.agreement_signers(self.centre)
        return context

    def get(self, request, *args, **kwargs):
        application, agreement = self.get_agreement()
        initial = {
            "signer_name": request.user.get_full_name(),
            "signer_role": self.membership.role,
            "document_sha256": _offered_checksum(agreement),
        }
        return self.render_to_response(
            self.get_context_data(
                application=application,
                agreement=agreement,
                form=AgreementSignatureForm(initial=initial),
            )
        )

    def post(self, request, *args, **kwargs):
        application, agreement = self.get_agreement()
        if not self.membership.may_sign:
            raise PermissionDenied
        form = AgreementSignatureForm(request.POST)
        if form.is_valid():
            try:
                services.sign_agreement(
                    agreement,
                    by=request.user,
                    signer_name=form.cleaned_data["signer_name"],
                    signer_role=form.cleaned_data["signer_role"],
                    document_sha256=form.cleaned_data["document_sha256"],
                    ip_address=client_ip_address(request),
                )
            except DomainError as error:
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _("Convention signée. Merci !"))
                return redirect("appels:agreement", pk=application.pk)
        # Shown again with the checksum of the PDF now offered (once re-read, it is signed).
        form.data = form.data.copy()
        form.data["document_sha256"] = _offered_checksum(agreement)
        return self.render_to_response(
            self.get_context_data(application=application, agreement=agreement, form=form),
            status=400,
        )
