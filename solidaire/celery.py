"""The Celery application: tasks are discovered in each app's ``tasks.py``.

Configuration comes from Django settings (``CELERY_*``), so the embedded default runs
tasks eagerly in process and production uses the Redis broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")

app = Celery("solidaire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
