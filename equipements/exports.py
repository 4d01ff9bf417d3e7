"""Export a figure table (:class:`equipements.reporting.Table`) as CSV or XLSX with tablib.

Numbers stay numbers (a spreadsheet can add them up); amounts, rates and durations are
Decimals with the unit in the column header. The CSV is UTF-8 with a byte-order mark so
that spreadsheet programs read the accents.
"""

from decimal import Decimal

import tablib
from django.http import HttpResponse
from django.utils.text import slugify

from .reporting import EUROS, INT, PERCENT, TEXT

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNITS = {EUROS: " (€)", PERCENT: " (%)"}


def _value(column, value):
    if value is None or value == "":
        return None
    if column.kind == TEXT:
        return str(value)
    if column.kind == INT:
        return int(value)
    return Decimal(value)


def dataset(table):
    """The table as a tablib Dataset: a header line, the rows, then the total line."""
    headers = [f"{column.label}{UNITS.get(column.kind, '')}" for column in table.columns]
    data = tablib.Dataset(headers=headers, title=str(table.title)[:31])
    rows = [*table.rows, *([table.total] if table.total is not None else [])]
    for row in rows:
        data.append([_value(column, row.get(column.key)) for column in table.columns])
    return data


def export(table, file_format):
    """``(bytes, content type)`` of ``table`` in ``file_format`` ("csv" or "xlsx")."""
    data = dataset(table)
    if file_format == "csv":
        content = "\ufeff" + data.export("csv")
        return content.encode("utf-8"), FORMATS["csv"]
    if file_format == "xlsx":
        return data.export("xlsx"), FORMATS["xlsx"]
    raise ValueError(f"unknown export format: {file_format}")


def export_response(table, file_format, name=""):
    content, content_type = export(table, file_format)
    response = HttpResponse(content, content_type=content_type)
    filename = slugify(f"impact {name} {table.slug}") or "impact"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
