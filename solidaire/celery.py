"""The Celery application: tasks are discovered in each app's ``tasks.py``.

Configuration comes from Django settings (``CELERY_*``), so the embedded default runs
tasks eagerly in process and production uses the Redis broker.
"""

import logging
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")

app = Celery("solidaire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def import_document_libraries_before_forking(**kwargs):
    """Import WeasyPrint (~1 s) and the PDF libraries once in the worker's main process: the
    forked children inherit them instead of each paying for them on its first document."""
    import facturx  # noqa: F401, PLC0415
    import pypdf  # noqa: F401, PLC0415
    import weasyprint  # noqa: F401, PLC0415


@worker_process_init.connect
def warm_up_document_rendering(**kwargs):
    """Each pool process loads its fonts, the print stylesheet and the templates before its
    first task (not while a user waits for a document), and keeps them out of the garbage
    collector's way. Never fatal: the first document would load them anyway."""
    from solidaire.documents.rendering import prepare_renderer_process  # noqa: PLC0415

    try:
        prepare_renderer_process()
    except Exception:  # noqa: BLE001
        logging.getLogger(__name__).warning("Document rendering not warmed up", exc_info=True)
