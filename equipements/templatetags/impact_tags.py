"""Formatting of impact figures in pages and documents, by column kind."""

import base64

from django import template

from centres.roles import is_programme_manager
from solidaire.templatetags.solidaire import euros, format_number

from ..reporting import DAYS, DECIMAL, EUROS, INT, KG, PERCENT, TEXT

register = template.Library()


@register.filter
def cell(value, kind):
    """A figure as French text: ``1 433``, ``89,50 €``, ``95 %``, ``12,5 j``, ``17 196 kg``."""
    if kind == TEXT:
        return value if value not in (None, "") else "—"
    if value is None or value == "":
        return "—"
    if kind == INT:
        return format_number(value)
    if kind == EUROS:
        return euros(value, 0 if abs(value) >= 1000 else 2)
    if kind == PERCENT:
        return f"{format_number(value)}\u00a0%"
    if kind == DAYS:
        return f"{format_number(value, 1)}\u00a0j"
    if kind == KG:
        return f"{format_number(value)}\u00a0kg"
    if kind == DECIMAL:
        return format_number(value, 2)
    return value


@register.filter
def tonnes(value):
    """Kilograms as tonnes with one decimal: ``286 600`` → ``286,6``."""
    if value is None:
        return "—"
    return format_number(value / 1000, 1)


@register.filter
def svg_data_uri(chart):
    """A chart as a ``data:`` URI for an ``<img>``: WeasyPrint draws SVG images, not inline
    ``<svg>`` elements."""
    return "data:image/svg+xml;base64," + base64.b64encode(str(chart).encode()).decode()


@register.filter
def sees_impact(user):
    """Whether ``user`` may open the impact dashboard (programme managers, superusers)."""
    return is_programme_manager(user)
