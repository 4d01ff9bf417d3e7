from django.views.generic import TemplateView

from appels.models import Call

from .impact import figures_by_call, headline_figures


class HomeView(TemplateView):
    """Public home: open calls with what they offer, and the figures of published calls."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        published = Call.objects.published().order_by("opens_at")
        context["open_calls"] = (
            Call.objects.accepting_applications()
            .prefetch_related("offers__pack_type", "call_partners__partner")
            .order_by("closes_at")
        )
        context["figures"] = headline_figures(published)
        context["editions"] = figures_by_call(published)
        return context
