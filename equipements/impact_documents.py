"""The funders' impact report of a call as a document of :mod:`solidaire.documents`.

Two ways out of one template and one rendering helper: a live preview rendered in the
request (figures of the moment, never stored), and an archived copy produced by the
workers through ``request_document`` (a stored PDF with its checksum, replaced when a
programme manager produces it again).
"""

from django.utils import timezone
from django.utils.text import slugify

from solidaire.documents import Rendering, register
from solidaire.models import DocumentKind

from . import charts, reporting

IMPACT_REPORT = DocumentKind.IMPACT_REPORT
# Narrower charts keep their text legible once shrunk to half an A4 page.
CHART_WIDTH = 460


def report_charts(data, width=720, row_height=34, deliveries_width=None):
    """Per region, survey answers, deliveries per month (in this order)."""
    deliveries_width = deliveries_width or 2 * width
    return [
        charts.regions_chart(data["regions"], width=width, row_height=row_height),
        charts.satisfaction_chart(data["survey"], reporting.RATING_LABELS, width=width),
        charts.deliveries_chart(
            data["series"], width=deliveries_width, height=deliveries_width // 2
        ),
    ]


def impact_report_rendering(call):
    """The report's template and context for ``call``: figures computed now."""
    data = reporting.call_report(call)
    data["charts"] = report_charts(
        data, width=CHART_WIDTH, row_height=22, deliveries_width=CHART_WIDTH
    )
    today = timezone.localdate()
    return Rendering(
        template_name="documents/impact_report.html",
        context={**data, "generated_on": today},
        filename=f"{slugify(f'rapport impact {call.slug}')}-{today:%Y-%m-%d}.pdf",
    )


@register(IMPACT_REPORT, "appels.Call")
def render_impact_report(call):
    return impact_report_rendering(call)
