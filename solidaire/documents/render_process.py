"""Renderer processes for the chunks of a bulk document: HTML in, PDF out, over pipes.

Started by :func:`render_in_processes` as ``python -c`` children (Django set up before this
module is imported), not with ``multiprocessing``: a Celery worker's pool process may not
have multiprocessing children. A child reads pickled ``(index, html, options, stylesheet)`` jobs on
stdin and writes pickled ``(index, ok, pdf_or_error)`` on stdout; it ends when stdin
closes, so it never outlives the process that started it.
"""

import os
import pickle
import selectors
import subprocess
import sys

from django.conf import settings

CHILD_COMMAND = (
    "import django; django.setup(); from solidaire.documents.render_process import serve; serve()"
)


def serve():
    """The child's loop (stdout carries results only: prints go to stderr)."""
    from .rendering import pdf_of_html, prepare_renderer_process  # noqa: PLC0415

    jobs, results = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    # While the parent builds the first chunk's HTML.
    prepare_renderer_process()
    while True:
        try:
            index, html, options, stylesheet = pickle.load(jobs)
        except EOFError:
            return
        try:
            result = (index, True, pdf_of_html(html, options, stylesheet))
        except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the job
            result = (index, False, f"{type(error).__name__}: {error}")
        pickle.dump(result, results)
        results.flush()


def render_in_processes(jobs, count, processes, on_ready):
    """Render the ``count`` ``(html, options, stylesheet)`` jobs with ``processes`` children.

    ``jobs`` may be a generator: it is consumed as children become free, so the children
    start (about a second each) while the first HTML is built. ``on_ready(index, pdf)`` is
    called in order, as soon as the jobs up to ``index`` are done (a job's PDF is not kept
    after it). The first failure stops every child and raises.
    """
    pdfs = [None] * count
    pending = enumerate(jobs)
    reported = 0
    children = []
    selector = selectors.DefaultSelector()
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")
    try:
        for _ in range(min(processes, count)):
            children.append(
                subprocess.Popen(
                    [sys.executable, "-c", CHILD_COMMAND],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    cwd=settings.BASE_DIR,
                    env=env,
                )
            )
        for child in children:
            if not _send(child, pending):
                break
            selector.register(child.stdout, selectors.EVENT_READ, child)
        while reported < count:
            for key, _events in selector.select():
                child = key.data
                try:
                    index, ok, payload = pickle.load(child.stdout)
                except EOFError:
                    raise RuntimeError("A document renderer process stopped") from None
                if not ok:
                    raise RuntimeError(payload)
                pdfs[index] = payload
                if not _send(child, pending):
                    selector.unregister(child.stdout)
                while reported < count and pdfs[reported] is not None:
                    on_ready(reported, pdfs[reported])
                    pdfs[reported] = b""
                    reported += 1
    finally:
        selector.close()
        for child in children:
            child.stdin.close()
            if child.poll() is None and reported < count:
                child.kill()
            child.wait()
            child.stdout.close()


def _send(child, pending):
    job = next(pending, None)
    if job is None:
        return False
    index, (html, options, stylesheet) = job
    pickle.dump((index, html, options, stylesheet), child.stdin)
    child.stdin.flush()
    return True
