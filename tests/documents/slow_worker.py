"""The Celery app as the document tests' worker runs it, with two test-only hooks.

``celery -A tests.documents.slow_worker worker`` loads the project's app unchanged; in each
worker process, every PDF render is logged to ``$DOCUMENTS_TEST_MARKERS/renders.log``
(``<pid> <filename>``) and, while the file ``$DOCUMENTS_TEST_MARKERS/slow`` exists, waits
that many seconds first, so a test can kill the process in the middle of a render.
"""

import os
import time
from pathlib import Path

from celery.signals import worker_process_init

from solidaire.celery import app

__all__ = ["app"]


def _hook_renders(**kwargs):
    from solidaire.documents import services  # noqa: PLC0415 - Django is set up by now

    markers = Path(os.environ["DOCUMENTS_TEST_MARKERS"])
    original = services.render_pdf

    def render_pdf(rendering):
        with (markers / "renders.log").open("a") as log:
            log.write(f"{os.getpid()} {rendering.filename}\n")
        slow = markers / "slow"
        if slow.exists():
            time.sleep(float(slow.read_text() or "5"))
        return original(rendering)

    services.render_pdf = render_pdf


worker_process_init.connect(_hook_renders)
