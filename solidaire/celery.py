"""The Celery application: tasks are discovered in each app's ``tasks.py``.

Configuration comes from Django settings (``CELERY_*``), so the embedded default runs
tasks eagerly in process and production uses the Redis broker.
"""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")

app = Celery("solidaire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def import_weasyprint_before_forking(**kwargs):
    """Import WeasyPrint (~1 s) once in the worker's main process: the forked children
    inherit it instead of each paying for it on its first document."""
    import weasyprint  # noqa: F401, PLC0415
