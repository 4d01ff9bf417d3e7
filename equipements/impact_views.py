"""The programme managers' impact dashboard, inside the admin (its look, its login).

Programme managers and superusers only: anonymous visitors and non-staff users are sent to
the admin login, other staff (reviewers, logistics) get a 403. The views only render what
:mod:`equipements.reporting` (tables) and :mod:`equipements.charts` (SVG) produce.

The dashboard of all calls aggregates the whole database (well over a second at national
scale): it is computed at most every ``IMPACT_FIGURES_CACHE_SECONDS`` and cached as its
tables plus its rendered body, the time of computation shown on the page, which any
programme manager can recompute at once. Its exports read the same snapshot, so a table
exported reads as on the page. A call's page, exports and report are computed live.
"""

import logging
import time

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from centres.roles import is_programme_manager
from solidaire.documents import request_document
from solidaire.documents.access import attach_documents
from solidaire.documents.rendering import render_pdf

from . import charts, exports, impact_documents, reporting

logger = logging.getLogger(__name__)


def impact_view(view_class):
    """``view_class`` behind the admin's login, then the programme-manager check."""
    view = view_class.as_view()

    def check(request, *args, **kwargs):
        if not is_programme_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(check)


class AdminPageMixin:
    """The admin's context (site header, sidebar) so the pages belong to the admin."""

    title = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        context.setdefault("title", self.title)
        return context


def _dashboard_charts(data):
    return [
        charts.editions_chart(data["calls"], data["per_call"]),
        charts.regions_chart(data["regions"]),
        charts.deliveries_chart(data["series"]),
        charts.satisfaction_chart(data["survey_total"], reporting.RATING_LABELS),
    ]


def dashboard_cache_seconds():
    """How long the dashboard's snapshot is served (0: computed at each request). Defaults
    to the public figures' duration."""
    if settings.IMPACT_FIGURES_CACHE_SECONDS is not None:
        return settings.IMPACT_FIGURES_CACHE_SECONDS
    return settings.PUBLIC_FIGURES_CACHE_SECONDS


def _snapshot_key(part):
    return f"impact-dashboard:v1:{get_language()}:{part}"


def dashboard_snapshot(*, refresh=False, with_tables=False):
    """The dashboard of every call past its preparation: ``{"computed_at", "call_count",
    "body"}``, ``body`` being the rendered figures, charts and tables; with ``with_tables``,
    also ``"tables"`` (for the exports), of the same computation.

    Served from the cache for ``dashboard_cache_seconds()`` unless ``refresh``. The tables
    are cached apart: the page does not pay for unpickling them. A cache that does not
    answer (``solidaire.cache``) only costs a computation.
    """
    timeout = dashboard_cache_seconds()
    if timeout and not refresh:
        snapshot = cache.get(_snapshot_key("page"))
        if snapshot is not None and with_tables:
            tables = cache.get(_snapshot_key(snapshot["computed_at"].isoformat()))
            snapshot = None if tables is None else {**snapshot, "tables": tables}
        if snapshot is not None:
            return snapshot
    started = time.perf_counter()
    data = reporting.dashboard(reporting.dashboard_calls())
    data["charts"] = _dashboard_charts(data)
    snapshot = {
        "computed_at": timezone.now(),
        "call_count": len(data["calls"]),
        # Nothing in the body depends on the request: the CSP nonce is added when served.
        "body": render_to_string("admin/impact/_dashboard_body.html", data),
    }
    logger.info("impact dashboard computed in %.0f ms", 1000 * (time.perf_counter() - started))
    if timeout:
        tables_key = _snapshot_key(snapshot["computed_at"].isoformat())
        cache.set_many({_snapshot_key("page"): snapshot, tables_key: data["tables"]}, timeout)
    return {**snapshot, "tables": data["tables"]}


class DashboardView(AdminPageMixin, TemplateView):
    template_name = "admin/impact/dashboard.html"

    def get(self, request, *args, **kwargs):
        if "recalculer" in request.GET:
            dashboard_snapshot(refresh=True)
            return redirect(request.path)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        snapshot = dashboard_snapshot()
        return super().get_context_data(
            title=_("Impact des appels à projets"),
            computed_at=snapshot["computed_at"],
            call_count=snapshot["call_count"],
            body=mark_safe(snapshot["body"]),  # noqa: S308 - rendered by our template
            refresh_seconds=dashboard_cache_seconds(),
            **kwargs,
        )


class CallImpactView(AdminPageMixin, TemplateView):
    template_name = "admin/impact/call.html"

    def get_context_data(self, **kwargs):
        call = get_object_or_404(reporting.dashboard_calls(), pk=self.kwargs["pk"])
        data = reporting.call_report(call)
        data["charts"] = impact_documents.report_charts(data, deliveries_width=720)
        attach_documents([call], [impact_documents.IMPACT_REPORT], attr="archived_report")
        return super().get_context_data(
            title=_("Impact – %(call)s") % {"call": reporting.call_label(call)}, **data, **kwargs
        )


class ExportView(View):
    """One figure table as CSV or XLSX: of all calls, or of one call (``pk``)."""

    def get(self, request, table, file_format, pk=None):
        if file_format not in exports.FORMATS:
            raise Http404
        if pk is None:
            # The figures of the dashboard as shown (same snapshot).
            data, name = dashboard_snapshot(with_tables=True), ""
        else:
            call = get_object_or_404(reporting.dashboard_calls(), pk=pk)
            data, name = reporting.call_report(call), call.slug
        if table not in data["tables"]:
            raise Http404
        return exports.export_response(data["tables"][table], file_format, name)


class ReportPdfView(View):
    """The one-page impact report of a call for its funders, with today's figures.

    A live preview rendered in the request (a quarter of a second with WeasyPrint) by the
    documents' rendering helper, never stored; ``ArchiveReportView`` stores a copy.
    """

    def get(self, request, pk):
        call = get_object_or_404(reporting.dashboard_calls(), pk=pk)
        rendering = impact_documents.impact_report_rendering(call)
        response = HttpResponse(render_pdf(rendering), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{rendering.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class ArchiveReportView(View):
    """Have the workers produce (again) the stored copy of a call's impact report."""

    def post(self, request, pk):
        call = get_object_or_404(reporting.dashboard_calls(), pk=pk)
        with transaction.atomic():
            document = request_document(
                call, impact_documents.IMPACT_REPORT, by=request.user, force=True
            )
        return redirect(reverse("admin:solidaire_document_progress", args=[document.pk]))


dashboard = impact_view(DashboardView)
call_impact = impact_view(CallImpactView)
export = impact_view(ExportView)
report_pdf = impact_view(ReportPdfView)
archive_report = impact_view(ArchiveReportView)
