"""The database is unreachable (restarting, failing over, out of connections): every page
answers 503 with a short page saying to try again, never a 500 and never a traceback.

``handler500`` (solidaire/urls.py) sees every uncaught exception, wherever it was raised
(a view, a middleware saving the session); the database's are answered here, the others go
to Django's usual 500. Nothing is half-written: the services run in transactions, rolled
back by PostgreSQL when the connection drops. The broken connection is closed at the end of
the request (Django's ``close_old_connections``) and ``CONN_HEALTH_CHECKS`` checks a kept one
before reuse, so the next request after the outage reconnects without restarting the app.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


def is_database_unavailable(exc):
    """True if ``exc`` (or an exception it was raised from) is a lost database."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def database_unavailable(request=None):
    # Rendered without the request: no context processor may touch the database.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """``handler500``: 503 for a lost database, Django's 500 page otherwise."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request, template_name)
