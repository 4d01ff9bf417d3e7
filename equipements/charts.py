"""Impact charts drawn on the server as SVG with pygal: readable without JavaScript, printable,
and accessible (``role="img"`` with a ``<title>`` and a ``<desc>`` that states the figures).

pygal was chosen over matplotlib after measuring both here: ``import pygal`` ~0.1 s and
~10 ms per bar chart, against ~0.7-1.4 s and ~60-90 ms for matplotlib, for native SVG with
text kept as text. The charts take figures already computed by :mod:`equipements.impact`.
"""

import re
from dataclasses import dataclass

import pygal
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pygal.style import Style

from appels.models import Rating
from centres.geography import Region
from solidaire.templatetags.solidaire import format_number

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.DOTALL)
OPENING_SVG = re.compile(r"<svg(?P<attributes>[^>]*)>")

COMPUTERS, TABLETS = "#0b6e4f", "#3a6ea5"
RATING_COLOURS = ("#b02a37", "#e8a33d", "#8cc5a8", "#0b6e4f")
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif'


def _style(colours, value_colours=None):
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#212529",
        foreground_strong="#212529",
        foreground_subtle="#6c757d",
        opacity="1",
        opacity_hover=".85",
        colors=colours,
        # Values are printed inside the bars: white on the dark fills.
        value_colors=value_colours or ("#ffffff",) * len(colours),
        font_family=FONT,
        title_font_family=FONT,
        label_font_family=FONT,
        major_label_font_family=FONT,
        value_font_family=FONT,
        value_label_font_family=FONT,
        legend_font_family=FONT,
        tooltip_font_family=FONT,
        title_font_size=18,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        value_font_size=13,
        value_label_font_size=13,
    )


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    desc: str
    svg: str

    def __str__(self):
        return self.svg

    def __html__(self):
        return self.svg


def _config(chart_class, colours, value_colours=None, **options):
    config = {
        "style": _style(colours, value_colours),
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "show_title": False,  # the page and the <title> carry it; the SVG stays compact
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "print_values": True,
        "print_zeroes": False,
        "value_formatter": lambda value: format_number(value or 0),
        "margin": 12,
        "spacing": 12,
        "truncate_legend": -1,
        "truncate_label": -1,
    }
    return chart_class(**{**config, **options})


def _add_series(chart, series):
    """Add the series that have something to show (the first one at least); a legend only
    when there are several."""
    shown = [(label, values) for label, values in series if any(values)] or series[:1]
    # Labels inside bars too small to hold them are left out (the desc states every value).
    largest = max((sum(v) for v in zip(*(values for _l, values in shown), strict=True)), default=0)
    for label, values in shown:
        chart.add(
            label,
            [
                {"value": value, "formatter": lambda v, top=largest: _label_if_room(v, top)}
                for value in values
            ],
        )
    chart.config.show_legend = len(shown) > 1
    chart.config.legend_at_bottom_columns = len(shown)


def _label_if_room(value, largest):
    return format_number(value) if value and value >= largest * 0.06 else ""


def _accessible(chart, slug, title, desc):
    """Render ``chart`` and make it an accessible image: no script, a title and a desc.

    String surgery on pygal's (well-formed) output rather than a round trip through
    ElementTree, whose serialiser would rename the SVG namespace (``ns0:svg``), which an
    HTML page cannot show.
    """
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    title_id, desc_id = f"{slug}-titre", f"{slug}-description"
    opening = OPENING_SVG.search(svg)
    attributes = opening.group("attributes").replace(
        'class="pygal-chart"', 'class="pygal-chart impact-chart"'
    )
    svg = (
        f'<svg{attributes} role="img" aria-labelledby="{title_id} {desc_id}" '
        'preserveAspectRatio="xMidYMid meet">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(desc)}</desc>' + svg[opening.end() :]
    )
    return Chart(slug, title, desc, mark_safe(svg))  # noqa: S308 - our figures, escaped


def _devices(computers, tablets):
    parts = []
    if computers:
        parts.append(
            ngettext("%(n)s ordinateur", "%(n)s ordinateurs", computers)
            % {"n": format_number(computers)}
        )
    if tablets:
        parts.append(
            ngettext("%(n)s tablette", "%(n)s tablettes", tablets) % {"n": format_number(tablets)}
        )
    return _(" et ").join(parts) or _("aucun appareil")


def editions_chart(calls, per_call, slug="graphique-editions", width=720):
    """Bars per edition: computers and tablets delivered."""
    chart = _config(pygal.Bar, (COMPUTERS, TABLETS), width=width, height=width // 2)
    labels = [call.edition for call in calls]
    chart.x_labels = labels
    computers = [per_call.get(call.pk, {}).get("computers", 0) for call in calls]
    tablets = [per_call.get(call.pk, {}).get("tablets", 0) for call in calls]
    _add_series(chart, [(_("Ordinateurs"), computers), (_("Tablettes"), tablets)])
    title = _("Matériel livré par édition")
    desc = "; ".join(
        f"{label} : {_devices(c, t)}"
        for label, c, t in zip(labels, computers, tablets, strict=True)
    )
    return _accessible(chart, slug, title, desc + ".")


def regions_chart(regions, slug="graphique-regions", width=720, row_height=34):
    """Horizontal stacked bars per region: computers and tablets delivered."""
    rows = sorted(
        (
            (Region(code).label if code in Region.values else (code or "—"), f)
            for code, f in regions.items()
            if f["computers"] or f["tablets"]
        ),
        key=lambda row: -(row[1]["computers"] + row[1]["tablets"]),
    )
    height = 90 + row_height * max(len(rows), 1)
    chart = _config(
        pygal.HorizontalStackedBar, (COMPUTERS, TABLETS), width=width, height=height, max_scale=6
    )
    # pygal draws the first label at the bottom: reverse so the largest region comes first.
    rows.reverse()
    chart.x_labels = [label for label, _f in rows]
    _add_series(
        chart,
        [
            (_("Ordinateurs"), [f["computers"] for _l, f in rows]),
            (_("Tablettes"), [f["tablets"] for _l, f in rows]),
        ],
    )
    title = _("Matériel livré par région")
    desc = "; ".join(
        f"{label} : {_devices(f['computers'], f['tablets'])}" for label, f in reversed(rows)
    )
    return _accessible(chart, slug, title, (desc or _("Aucune livraison")) + ".")


def deliveries_chart(series, slug="graphique-livraisons", width=720, height=340):
    """Stacked bars per month: devices delivered, months without delivery included."""
    chart = _config(
        pygal.StackedBar,
        (COMPUTERS, TABLETS),
        width=width,
        height=height,
        print_values=False,
        max_scale=6,
        x_label_rotation=-40,
        margin_left=56,  # room for the first month's slanted label
        show_minor_x_labels=False,
        x_labels_major_every=3 if len(series) > 12 else 1,
    )
    chart.x_labels = [date_format(row["month"], "F Y") for row in series]
    _add_series(
        chart,
        [
            (_("Ordinateurs"), [row["computers"] for row in series]),
            (_("Tablettes"), [row["tablets"] for row in series]),
        ],
    )
    title = _("Livraisons par mois")
    delivered = [row for row in series if row["devices"]]
    if delivered:
        busiest = max(delivered, key=lambda row: row["devices"])
        desc = _(
            "De %(first)s à %(last)s, %(total)s livrés ; le mois le plus chargé est "
            "%(busiest)s (%(busiest_count)s)."
        ) % {
            "first": date_format(delivered[0]["month"], "F Y"),
            "last": date_format(delivered[-1]["month"], "F Y"),
            "total": _devices(
                sum(r["computers"] for r in series), sum(r["tablets"] for r in series)
            ),
            "busiest": date_format(busiest["month"], "F Y"),
            "busiest_count": _devices(busiest["computers"], busiest["tablets"]),
        }
    else:
        desc = _("Aucune livraison.")
    return _accessible(chart, slug, title, desc)


def satisfaction_chart(survey, labels, slug="graphique-satisfaction", width=720):
    """Horizontal stacked bars per question: share of each answer of the scale (in %)."""
    questions = [
        (label, survey["ratings"][name]) for name, label in labels.items() if survey is not None
    ]
    questions = [(label, rating) for label, rating in questions if rating["answers"]]
    height = 110 + 40 * max(len(questions), 1)
    chart = _config(
        pygal.HorizontalStackedBar,
        RATING_COLOURS,
        value_colours=("#ffffff", "#212529", "#212529", "#ffffff"),
        width=width,
        height=height,
        range=(0, 100),
        y_labels=[0, 25, 50, 75, 100],
        legend_at_bottom_columns=2 if width >= 600 else 1,
        # Shares under 8 % have no room for their label (the desc states them all).
        value_formatter=lambda value: f"{format_number(value)} %" if (value or 0) >= 8 else "",
        print_values=True,
    )
    questions.reverse()
    chart.x_labels = [str(label) for label, _r in questions]

    def share(rating, value):
        return round(100 * rating["counts"][value] / rating["answers"])

    for value, label in Rating.choices:
        chart.add(str(label).capitalize(), [share(r, value) for _l, r in questions])
    title = _("Réponses à l’enquête de satisfaction")
    desc = "; ".join(
        _("%(question)s : %(satisfied)s %% satisfaits ou très satisfaits, moyenne %(avg)s sur 4")
        % {
            "question": label,
            "satisfied": share(r, 3) + share(r, 4),
            "avg": format_number(r["average"], 1),
        }
        for label, r in reversed(questions)
    )
    return _accessible(chart, slug, title, (desc or _("Aucune réponse")) + ".")
