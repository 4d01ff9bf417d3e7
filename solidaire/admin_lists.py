"""Admin changelists of tens of thousands of rows (reviews, items, shipments).

Django's changelist costs about 0.1 ms a cell, most of it work that is the same for every
row of a column. :class:`LongListChangeList` does that work once per page and writes the
same markup; ``templates/admin/change_list.html`` uses it when the list is a long one.

It follows the rules of Django 5.2's ``items_for_result`` (and uses its private
``_coerce_field_name``): ``tests/test_admin_lists.py`` compares the rows with Django's own
for every long list, so an upgrade that changes them fails there.
"""

import datetime

from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
)
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field, quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

PK_MARKER = "__solidaire_pk__"
NOWRAP_FIELDS = (models.DateField, models.TimeField, models.ForeignKey)


class LongListChangeList(ChangeList):
    """A changelist whose rows are the ones Django writes, built faster.

    - Row links: Django adds the list's filters to each row's link with
      ``add_preserved_filters``, which resolves the link against the whole URLconf, and
      reverses the change URL for each row (half of a 50-row page with a filter). Here the
      change URL is reversed once, with a marker for the key, and the encoded filters are
      appended. ``preserved_filters`` is left empty, so that Django's own rows (popups,
      editable lists) have nothing to resolve; their links carry the filters all the same.
    - Cells (:meth:`rows`): how each column is read and shown (model field, admin method or
      model attribute; its empty value, boolean flag and CSS classes) is decided once per
      column, not once per cell.
    """

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.row_link_query = self.preserved_filters
        self.preserved_filters = ""
        self._change_url_parts = None

    def url_for_result(self, result):
        if self._change_url_parts is None:
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=(PK_MARKER,),
                current_app=self.model_admin.admin_site.name,
            )
            prefix, suffix = url.split(PK_MARKER)
            if self.row_link_query:
                suffix = f"{suffix}?{self.row_link_query}"
            self._change_url_parts = prefix, suffix
        prefix, suffix = self._change_url_parts
        return f"{prefix}{quote(getattr(result, self.pk_attname))}{suffix}"

    @property
    def writes_own_rows(self):
        """Popups and editable lists keep Django's rows (their links and form fields)."""
        return not self.is_popup and not self.formset

    def rows(self):
        """The page's rows as ``items_for_result`` writes them, as ``ResultList``s."""
        if not self.result_list:
            return []
        columns = [Column(self, name, index) for index, name in enumerate(self.list_display)]
        linked = next((c for c in columns if c.link), None)
        if linked is not None:
            linked.tag = "th"
        return [ResultList(None, [c.cell(result) for c in columns]) for result in self.result_list]


class Column:
    """One column of a long list: how its cells are read and written (``items_for_result``'s
    rules, decided on the page's first row)."""

    def __init__(self, changelist, name, index):
        model_admin = changelist.model_admin
        self.changelist = changelist
        self.name = name
        self.index = index
        self.default_empty = model_admin.get_empty_value_display()
        # Read on the first row where the lookup succeeds (a missing related object raises).
        self.field, attr = None, None
        for result in changelist.result_list:
            try:
                self.field, attr, _value = lookup_field(name, result, model_admin)
            except ObjectDoesNotExist:
                continue
            break
        self.attr = attr
        if self.field is not None:
            self.read = self._read_field
        elif callable(name):
            self.read = name
        elif hasattr(model_admin, name) and name != "__str__":
            self.read = getattr(model_admin, name)
        else:
            self.read = self._read_lookup  # model attribute or ``a__b``: Django's own lookup
        self.empty = getattr(attr, "empty_value_display", self.default_empty)
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        self.boolean = boolean
        class_name = _coerce_field_name(name, index)
        if name == "action_checkbox" and (self.field is None or self.field.auto_created):
            self.classes = "action-checkbox"
        else:
            self.classes = f"field-{class_name}"
            field = self.field
            if field is not None and not field.auto_created and isinstance(field, NOWRAP_FIELDS):
                self.classes += " nowrap"
        links = changelist.list_display_links
        self.link = links is not None and (name in links or (not links and index == 0))
        self.tag = "td"

    def _read_field(self, result):
        return getattr(result, self.name)

    def _read_lookup(self, result):
        return lookup_field(self.name, result, self.changelist.model_admin)[2]

    def display(self, result):
        field = self.field
        classes = self.classes
        try:
            value = self.read(result)
        except ObjectDoesNotExist:
            return self.default_empty, f"field-{_coerce_field_name(self.name, self.index)}"
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if field is None or field.auto_created:
            if isinstance(value, (datetime.date, datetime.time)):
                classes += " nowrap"
            return display_for_value(value, self.empty, self.boolean), classes
        if isinstance(field.remote_field, models.ManyToOneRel):
            value = getattr(result, field.name)
            return (self.empty if value is None else value), classes
        return display_for_field(value, field, self.empty, avoid_link=self.link), classes

    def cell(self, result):
        shown, classes = self.display(result)
        tag = self.tag
        if self.link:
            try:
                url = self.changelist.url_for_result(result)
            except NoReverseMatch:
                pass
            else:
                shown = format_html('<a href="{}">{}</a>', url, shown)
        return mark_safe(f'<{tag} class="{classes}">{conditional_escape(shown)}</{tag}>')


class LongListMixin:
    """For the changelists of tens of thousands of rows.

    No second ``COUNT(*)`` of the whole table, 50 rows a page, rows written by
    :class:`LongListChangeList`, and a row checkbox written directly: the form renderer's
    template behind Django's own took a third of the page at 100 rows. The markup is the one
    Django renders (name, value, class, aria-label).
    """

    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return LongListChangeList

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )
