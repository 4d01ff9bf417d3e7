"""Renderer processes for the chunks of a bulk document: HTML in, PDF out, over pipes.

Started by :func:`render_in_processes`, not with ``multiprocessing``: a Celery worker's pool
process may not have multiprocessing children. A child reads pickled ``(index, html,
options, stylesheet)`` jobs on its input and writes pickled ``(index, ok, pdf_or_error)`` on
its output; it ends when its input closes, so it never outlives the process that started it.

A child is forked from the process that renders (``os.fork``): it starts at once with
Django, WeasyPrint, the fonts and the stylesheets already loaded, where a new interpreter
took ~2.3 CPU-seconds (and as long before its first chunk) to set them up again. It never
touches what it inherited besides them (database and broker connections) and leaves with
``os._exit``, running no clean-up of the parent's objects. In a process that runs other
threads (a fork copies only the calling one, and the locks the others hold), children are
new interpreters instead (``python -c``).
"""

import contextlib
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading

from django.conf import settings

CHILD_COMMAND = (
    "import django; django.setup(); from solidaire.documents.render_process import serve; serve()"
)


def serve(jobs=None, results=None):
    """The child's loop (its output carries results only: prints go to stderr)."""
    from .rendering import pdf_of_html, prepare_renderer_process  # noqa: PLC0415

    if jobs is None:
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


class _Child:
    """A renderer process: ``stdin`` (jobs) and ``stdout`` (results) seen from the parent."""

    def __init__(self, pid, stdin, stdout, popen=None):
        self.pid, self.stdin, self.stdout, self.popen = pid, stdin, stdout, popen

    def poll(self):
        if self.popen is not None:
            return self.popen.poll()
        pid, _status = os.waitpid(self.pid, os.WNOHANG)
        return None if pid == 0 else 0

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self):
        if self.popen is not None:
            self.popen.wait()
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _fork_child(inherited):
    """A forked renderer; ``inherited``: the parent's ends of earlier children's pipes, which
    this child closes (else an earlier child would never see its input end)."""
    jobs_read, jobs_write = os.pipe()
    results_read, results_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            for fd in (jobs_write, results_read, *inherited):
                os.close(fd)
            serve(os.fdopen(jobs_read, "rb"), os.fdopen(results_write, "wb"))
        except BaseException:  # noqa: BLE001 - the parent sees the pipe close and fails the job
            status = 1
        finally:
            os._exit(status)
    os.close(jobs_read)
    os.close(results_write)
    return _Child(pid, os.fdopen(jobs_write, "wb"), os.fdopen(results_read, "rb"))


def _spawn_child():
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")
    popen = subprocess.Popen(
        [sys.executable, "-c", CHILD_COMMAND],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=settings.BASE_DIR,
        env=env,
    )
    return _Child(popen.pid, popen.stdin, popen.stdout, popen)


def _start_children(processes):
    children = []
    fork = threading.active_count() == 1
    for _ in range(processes):
        if fork:
            inherited = [f.fileno() for child in children for f in (child.stdin, child.stdout)]
            children.append(_fork_child(inherited))
        else:
            children.append(_spawn_child())
    return children


def render_in_processes(jobs, count, processes, on_ready):
    """Render the ``count`` ``(html, options, stylesheet)`` jobs with ``processes`` children.

    ``jobs`` may be a generator: it is consumed as children become free, so each chunk's
    HTML is built while the others render. ``on_ready(index, pdf)`` is
    called in order, as soon as the jobs up to ``index`` are done (a job's PDF is not kept
    after it). The first failure stops every child and raises.
    """
    pdfs = [None] * count
    pending = enumerate(jobs)
    reported = 0
    children = []
    selector = selectors.DefaultSelector()
    try:
        children = _start_children(min(processes, count))
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
