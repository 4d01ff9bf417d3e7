"""The audit trail in the admin: django-simple-history's pages, read-only and scoped.

``SimpleHistoryAdmin`` as it comes lets anyone with the model's view permission read the
history of any object (it falls back to the historical rows when the object is outside
the admin's queryset) and re-save an old version through the change form. Here a record's
history is shown only to whoever may see the record itself, and nothing is reverted:
every change goes through the services.
"""

from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin


class AuditedAdmin(SimpleHistoryAdmin):
    def _check_visible(self, request, object_id):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._check_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        self._check_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
