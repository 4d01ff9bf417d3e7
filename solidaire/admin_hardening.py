"""Where the admin answered a 500 to hostile or plain input, and what it does instead.

Both pass posted ids to ``filter(pk__in=...)`` unchecked, so an id that is not a number
("abc", "1 OR 1=1", " ") raises ``ValueError``, and one beyond the database's integers
raises ``OverflowError`` on SQLite:

- ``ModelAdmin.response_action``: the ``_selected_action`` ids of every action of every
  admin (third-party ones included);
- ``AutocompleteMixin.optgroups``: an autocomplete field shown again with the posted value,
  after its form refused it.

- django-axes' "Clean up expired attempts" action reads ``request.axes_attempt_time``,
  which axes sets on login requests only: the action failed on every use. It now counts
  the cool-off from now, as axes does when that time is ``None``.

Patched on Django's and axes' classes (from ``SolidaireConfig.ready``) so every admin is covered.
Found by ``tests/security/test_hostile_admin.py``.
"""

import functools

from axes.admin import AccessAttemptAdmin
from django.contrib import messages
from django.contrib.admin import ModelAdmin, helpers
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _


def well_formed(field, value):
    """Whether ``value`` can be looked up in ``field``: a number for an integer id, within
    the database's range for it (SQLite cannot even bind a larger integer)."""
    try:
        prepared = field.get_prep_value(field.to_python(value))
    except (TypeError, ValueError, ValidationError):
        return False
    if isinstance(prepared, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or prepared >= low) and (high is None or prepared <= high)
    return True


def refuse_malformed_selection(response_action):
    @functools.wraps(response_action)
    def checked(self, request, queryset):
        pk = self.model._meta.pk
        if not all(
            well_formed(pk, value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ):
            self.message_user(
                request, _("La sélection contient un identifiant invalide."), messages.ERROR
            )
            return None  # the changelist redirects to itself, with the message
        return response_action(self, request, queryset)

    return checked


def skip_malformed_choices(optgroups):
    @functools.wraps(optgroups)
    def checked(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        value = [choice for choice in value if well_formed(target, choice)]
        return optgroups(self, name, value, attr)

    return checked


def give_attempt_time(action):
    @functools.wraps(action)
    def with_time(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = None
        return action(self, request, queryset)

    return with_time


def apply():
    if not hasattr(ModelAdmin.response_action, "__wrapped__"):
        ModelAdmin.response_action = refuse_malformed_selection(ModelAdmin.response_action)
    if not hasattr(AutocompleteMixin.optgroups, "__wrapped__"):
        AutocompleteMixin.optgroups = skip_malformed_choices(AutocompleteMixin.optgroups)
    if not hasattr(AccessAttemptAdmin.cleanup_expired_attempts, "__wrapped__"):
        AccessAttemptAdmin.cleanup_expired_attempts = give_attempt_time(
            AccessAttemptAdmin.cleanup_expired_attempts
        )
