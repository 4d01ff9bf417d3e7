"""French formatting of numbers and amounts, independent of the active locale's quirks.

``1433`` → ``1 433`` and ``Decimal("90")`` → ``90,00 €`` (narrow no-break spaces as
French typography wants), so figures read the same on pages and in documents.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

register = template.Library()

NARROW_NBSP = "\u202f"


def _group(integer_digits):
    groups = []
    while integer_digits:
        groups.insert(0, integer_digits[-3:])
        integer_digits = integer_digits[:-3]
    return NARROW_NBSP.join(groups) or "0"


def format_number(value, places=0):
    if value is None or value == "":
        return "—"
    quantum = Decimal(1).scaleb(-int(places))
    value = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    integer, _, fraction = f"{abs(value):f}".partition(".")
    decimal_separator = formats.get_format("DECIMAL_SEPARATOR")
    return sign + _group(integer) + (decimal_separator + fraction if fraction else "")


@register.filter
def number(value, places=0):
    """A number grouped by thousands: ``1 433``."""
    return format_number(value, places)


@register.filter
def euros(value, places=2):
    """An amount in euros: ``90,00 €``."""
    if value is None or value == "":
        return "—"
    return f"{format_number(value, places)}\u00a0€"


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template, or ``None``."""
    return mapping.get(key) if mapping else None


_STYLE_OPENING = re.compile(r"<style(?=[\s>])")


@register.filter
def with_csp_nonce(html, request):
    """Our server-drawn SVG (pygal) carries its CSS in a ``<style>``: give it the request's
    Content-Security-Policy nonce so the policy need not allow inline styles."""
    html = conditional_escape(html)  # a Chart is safe (``__html__``); anything else escaped
    nonce = getattr(request, "csp_nonce", None)  # lazy: reading it puts it in the header
    if nonce is None:
        return html
    attribute = f' nonce="{escape(str(nonce))}"'
    return mark_safe(_STYLE_OPENING.sub(lambda m: m.group(0) + attribute, html))  # noqa: S308
