import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")

application = get_wsgi_application()

# What is loaded at start-up (Django, the apps, their modules) lives as long as the process.
# Frozen into the permanent generation, it is no longer walked by every full collection,
# which the pages building many objects paid on each request (10 to 15 ms on the committee's
# ranking, make bench). See gc.freeze in Python's documentation.
gc.collect()
gc.freeze()
