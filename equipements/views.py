"""Public home and the centre's follow-up pages: delivery, invoices, survey, after-sales."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from appels import services as appels_services
from appels.documents import AGREEMENT_KINDS
from appels.forms import SurveyForm
from appels.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Call,
    CallOffer,
    CallPartner,
    SurveyAnswer,
)
from centres.portal import CentreStaffMixin
from solidaire.cache import public_content_seconds
from solidaire.documents.access import attach_documents
from solidaire.errors import DomainError

from . import charts, services
from .documents import INVOICE_KINDS
from .forms import ReceptionForm, TicketForm, TicketMessageForm
from .impact import equipment_by, figures_by_call, headline_figures, public_testimonials
from .models import (
    Allocation,
    AllocationLine,
    Invoice,
    Item,
    ItemStatus,
    ReplacementShipment,
    ReplacementStatus,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketMessage,
)


class HomeView(TemplateView):
    """Public home: open calls with what they offer, and the figures of published calls."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["content"] = home_content()
        return context


def home_content():
    """The home's open calls and impact section as HTML, the same for every visitor.

    Rendered at most every ``public_content_seconds()`` (a call opening or closing shows up
    to a minute late on the home; its own page and the application form check the dates),
    the impact section inside it being cached under a key that follows the data.
    """

    def render():
        open_calls = (
            Call.objects.accepting_applications()
            .prefetch_related(
                Prefetch("offers", CallOffer.objects.select_related("pack_type")),
                Prefetch("call_partners", CallPartner.objects.select_related("partner")),
            )
            .order_by("closes_at")
        )
        impact = public_impact(Call.objects.published().order_by("opens_at"))
        return render_to_string(
            "equipements/_home_content.html", {"open_calls": open_calls, "impact": impact}
        )

    timeout = public_content_seconds()
    if not timeout:
        return render()
    return mark_safe(cache.get_or_set(f"home-content:{get_language()}", render, timeout))  # noqa: S308


def _compute_public_figures(published):
    editions = figures_by_call(published)
    return {
        "figures": headline_figures(published),
        "editions": editions,
        "charts": [
            charts.editions_chart([c for c, _row in editions], {c.pk: r for c, r in editions}),
            charts.regions_chart(equipment_by(published, "region")),
        ],
        "testimonials": public_testimonials(published),
    }


def _public_figures_key(published):
    """A key that changes with the data the public figures are computed from (calls
    published, deliveries, survey answers) and the language. Three small queries."""
    state = (
        list(published.values_list("pk", "results_published_at", "status")),
        Allocation.objects.aggregate(
            n=Count("pk"), last=Max("delivered_at"), changed=Max("confirmed_at")
        ),
        SurveyAnswer.objects.aggregate(
            n=Count("pk"),
            last=Max("answered_at"),
            shown=Count("pk", filter=Q(is_testimonial_publishable=True)),
        ),
        get_language(),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()


def public_figures(published):
    """The published calls' figures, charts and testimonials: the same for every visitor,
    so they are cached (``PUBLIC_FIGURES_CACHE_SECONDS``) under a key that changes with
    the data they are computed from."""
    timeout = settings.PUBLIC_FIGURES_CACHE_SECONDS
    if not timeout:
        return _compute_public_figures(published)
    key = "public-figures:" + _public_figures_key(published)
    return cache.get_or_set(key, lambda: _compute_public_figures(published), timeout)


def public_impact(published):
    """The home's impact section (figures, charts, testimonials, editions) as HTML,
    rendered once per state of the data and cached like the figures: a visitor's request
    then reads one string instead of rendering two SVG charts and the tables."""

    def render():
        return render_to_string(
            "equipements/_public_impact.html", _compute_public_figures(published)
        )

    timeout = settings.PUBLIC_FIGURES_CACHE_SECONDS
    if not timeout:
        return render()
    key = "public-impact:" + _public_figures_key(published)
    return mark_safe(cache.get_or_set(key, render, timeout))  # noqa: S308 - our template


def shipment_items(shipment, status=None):
    """The items that left in ``shipment`` and still belong to its allocations."""
    items = Item.objects.filter(
        allocations__shipment=shipment, allocations__released_at__isnull=True
    )
    if status is not None:
        items = items.filter(status=status)
    return items.select_related("device_model").order_by("serial_number")


class FollowUpView(CentreStaffMixin, TemplateView):
    """Everything after selection, on one page: agreement, delivery, invoice, survey, SAV."""

    template_name = "equipements/follow_up.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = get_object_or_404(
            Application.objects.visible_to(self.request.user)
            .filter(centre=self.centre, status=ApplicationStatus.SELECTED)
            .select_related("call", "site", "allocation__shipment__site")
            .prefetch_related(
                Prefetch("allocation__lines", AllocationLine.objects.select_related("pack_type")),
                "allocation__invoices",
            ),
            pk=self.kwargs["pk"],
        )
        allocation = getattr(application, "allocation", None)
        shipment = allocation.shipment if allocation else None
        context.update(
            application=application,
            agreement=Agreement.objects.filter(application=application).first(),
            allocation=allocation,
            shipment=shipment,
            invoices=list(allocation.invoices.all()) if allocation else [],
            survey_answer=SurveyAnswer.objects.filter(application=application).first(),
            tickets=SupportTicket.objects.filter(
                centre=self.centre, item__allocations__line__allocation=allocation
            )
            .select_related("item")
            .distinct()
            if allocation
            else [],
        )
        # The PDF of each, when ready (two queries whatever the number of invoices).
        attach_documents([context["agreement"]], AGREEMENT_KINDS)
        attach_documents(context["invoices"], INVOICE_KINDS)
        awaiting = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
        if shipment and shipment.status in awaiting and "reception_form" not in context:
            context["reception_form"] = ReceptionForm(
                items=list(shipment_items(shipment, ItemStatus.SHIPPED))
            )
        # A re-shipment follows an incident: the earlier parcels stay on the page, and the
        # devices received are those of every parcel (two queries whatever their number).
        context["earlier_shipments"] = (
            list(
                Shipment.objects.filter(shipped_items__line__allocation=allocation)
                .exclude(pk=shipment.pk)
                .distinct()
                .order_by("created_at")
            )
            if shipment
            else []
        )
        if shipment and (
            context["earlier_shipments"]
            or shipment.status in (ShipmentStatus.RECEIVED, ShipmentStatus.INCIDENT)
        ):
            context["items"] = list(
                Item.objects.filter(
                    allocations__line__allocation=allocation,
                    allocations__released_at__isnull=True,
                    status=ItemStatus.DELIVERED,
                )
                .select_related("device_model")
                .order_by("serial_number")
            )
        return context


class ConfirmReceptionView(FollowUpView):
    """The centre's check of a parcel, serial by serial; a refused form is shown again on
    the follow-up page with its errors next to the fields."""

    http_method_names = ["post"]

    def post(self, request, pk):
        shipment = get_object_or_404(
            Shipment.objects.visible_to(request.user).filter(site__centre=self.centre), pk=pk
        )
        allocation = shipment.allocations.select_related("application").first()
        if allocation is None:
            raise Http404
        application = allocation.application
        form = ReceptionForm(request.POST, items=list(shipment_items(shipment, ItemStatus.SHIPPED)))
        if form.is_valid():
            try:
                shipment = services.confirm_reception(
                    shipment,
                    received_serials=form.cleaned_data["received"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.messages[0])
            else:
                if shipment.status == ShipmentStatus.RECEIVED:
                    messages.success(request, _("Réception confirmée. Merci !"))
                else:
                    messages.warning(
                        request,
                        _("Le problème est signalé à la logistique, qui vous recontacte."),
                    )
                return redirect("equipements:follow_up", pk=application.pk)
        self.kwargs = {"pk": application.pk}
        context = self.get_context_data(reception_form=form)
        return self.render_to_response(context, status=400)


class SurveyView(CentreStaffMixin, TemplateView):
    """The satisfaction survey, open once the equipment is delivered."""

    template_name = "equipements/survey.html"

    def get_application(self):
        application = get_object_or_404(
            Application.objects.visible_to(self.request.user)
            .filter(centre=self.centre, status=ApplicationStatus.SELECTED)
            .select_related("call", "allocation"),
            pk=self.kwargs["pk"],
        )
        allocation = getattr(application, "allocation", None)
        if allocation is None or allocation.status != "delivered":
            raise Http404
        return application

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        if SurveyAnswer.objects.filter(application=application).exists():
            messages.info(request, _("Vous avez déjà répondu à l’enquête : merci !"))
            return redirect("equipements:follow_up", pk=application.pk)
        return self.render_to_response(
            self.get_context_data(application=application, form=SurveyForm())
        )

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = SurveyForm(request.POST)
        if form.is_valid():
            answers = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                appels_services.answer_survey(application, by=request.user, answers=answers)
            except DomainError as error:
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _("Merci pour vos réponses !"))
                return redirect("equipements:follow_up", pk=application.pk)
        return self.render_to_response(
            self.get_context_data(application=application, form=form), status=400
        )


class InvoiceDetailView(CentreStaffMixin, DetailView):
    template_name = "equipements/invoice_detail.html"
    context_object_name = "invoice"

    def get_queryset(self):
        return (
            Invoice.objects.visible_to(self.request.user)
            .filter(allocation__application__centre=self.centre)
            .select_related("allocation__application__call", "corrects")
            .prefetch_related("lines")
        )

    def get_context_data(self, **kwargs):
        attach_documents([self.object], INVOICE_KINDS)
        return super().get_context_data(**kwargs)


def delivered_items(centre):
    return (
        Item.objects.for_centre(centre)
        .filter(status=ItemStatus.DELIVERED)
        .select_related("device_model")
        .order_by("serial_number")
    )


class TicketListView(CentreStaffMixin, ListView):
    template_name = "equipements/ticket_list.html"
    context_object_name = "tickets"
    paginate_by = 25

    def get_queryset(self):
        return (
            SupportTicket.objects.visible_to(self.request.user)
            .filter(centre=self.centre)
            .select_related("item__device_model")
        )


class TicketCreateView(CentreStaffMixin, TemplateView):
    template_name = "equipements/ticket_form.html"

    def get(self, request, *args, **kwargs):
        form = TicketForm(items=delivered_items(self.centre), initial=request.GET)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = TicketForm(request.POST, items=delivered_items(self.centre))
        if form.is_valid():
            try:
                ticket = services.open_ticket(
                    form.cleaned_data["item"],
                    centre=self.centre,
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _("Votre demande est enregistrée : le SAV vous répond."))
                return redirect("equipements:ticket_detail", pk=ticket.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class TicketDetailView(CentreStaffMixin, TemplateView):
    """A ticket's page: its thread with logistics (a message posts here), its replacement
    on its way (receipt confirmed here) and the faulty unit's expected return."""

    template_name = "equipements/ticket_detail.html"

    def get_ticket(self):
        return get_object_or_404(
            SupportTicket.objects.visible_to(self.request.user)
            .filter(centre=self.centre)
            .select_related("item__device_model", "replacement_item__device_model"),
            pk=self.kwargs["pk"],
        )

    def get(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        return self.render_to_response(self.ticket_context(ticket, TicketMessageForm()))

    def post(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        form = TicketMessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.post_ticket_message(
                    ticket,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    upload=form.cleaned_data["attachment"],
                )
            except DomainError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Message envoyé au service après-vente."))
                return redirect(reverse("equipements:ticket_detail", args=[ticket.pk]) + "#fil")
        return self.render_to_response(self.ticket_context(ticket, form), status=400)

    def ticket_context(self, ticket, form):
        return self.get_context_data(
            ticket=ticket,
            form=form,
            thread=list(ticket.messages.select_related("author")),
            replacements=list(
                ticket.replacement_shipments.exclude(status=ReplacementStatus.CANCELLED)
                .select_related("item__device_model")
                .order_by("created_at", "pk")
            ),
            returns=list(ticket.returns.select_related("item").order_by("expected_at", "pk")),
        )


class TicketAttachmentView(CentreStaffMixin, View):
    """A thread's attachment, after the ticket's check: another centre's is a 404."""

    def get(self, request, pk, message_pk):
        message = get_object_or_404(
            TicketMessage.objects.filter(
                ticket__in=SupportTicket.objects.visible_to(request.user).filter(
                    centre=self.centre
                ),
                ticket_id=pk,
            ).exclude(attachment=""),
            pk=message_pk,
        )
        response = FileResponse(
            message.attachment.open("rb"),
            as_attachment=True,
            filename=message.attachment_name,
            content_type=message.attachment_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ConfirmReplacementView(CentreStaffMixin, View):
    """The centre confirms it received the replacement unit: the ticket is resolved."""

    def post(self, request, pk, shipment_pk):
        shipment = get_object_or_404(
            ReplacementShipment.objects.for_centre(self.centre).filter(
                ticket__in=SupportTicket.objects.visible_to(request.user), ticket_id=pk
            ),
            pk=shipment_pk,
        )
        try:
            services.confirm_replacement(shipment, by=request.user)
        except DomainError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Réception du remplacement confirmée. Merci !"))
        return redirect("equipements:ticket_detail", pk=pk)
