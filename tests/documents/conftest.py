"""Fixtures of the document tests: private files in a temporary folder, ready-made
business objects (an invoiced delivery, an agreement, shipments) built with the factories."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import _test_database_url, _worker_is_ready

OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-output" / "documents"


@pytest.fixture(autouse=True)
def _render_documents(_documents_left_pending, settings):
    """The tests of this folder are about documents: eager tasks render them."""
    settings.DOCUMENTS_RENDER_EAGERLY = True


def pdf_text(data):
    """The text of a PDF, as ``pdftotext -layout`` extracts it."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def save_pictures(data, name, *, first=1, last=1):
    """Save PNG pictures of the pages for a person to look at (test-output/documents/)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    pdf_path = OUTPUT_DIR / f"{name}.pdf"
    pdf_path.write_bytes(data)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf_path),
            str(OUTPUT_DIR / name),
        ],
        check=True,
    )
    return sorted(OUTPUT_DIR.glob(f"{name}*.png"))


# --- A real worker for the document jobs -------------------------------------------------

WORKER_START_TIMEOUT = 60  # seconds


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throw-away Redis that a test may stop and start again (same port, no data kept)."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class DocumentWorker:
    """``celery worker`` processes on the test database, with render hooks (slow_worker)."""

    def __init__(self, root, base, redis_url, media_root, *, concurrency=2, beat=False, env=None):
        self.root = root
        self.base = base
        self.redis_url = redis_url
        self.markers = base / "markers"
        self.markers.mkdir(parents=True, exist_ok=True)
        self.media_root = media_root
        self.concurrency = concurrency
        self.beat = beat
        self.extra_env = env or {}
        self.process = None
        self.starts = 0

    @property
    def log_path(self):
        return self.base / f"worker-{self.starts}.log"

    def start(self):
        from django.db import connection  # noqa: PLC0415

        self.starts += 1
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(connection.settings_dict),
            "REDIS_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "solidaire.settings",
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            "PRIVATE_MEDIA_ROOT": str(self.media_root),
            "DOCUMENTS_TEST_MARKERS": str(self.markers),
            "EMAIL_URL": "dummymail://",
            **self.extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.documents.slow_worker",
            "worker",
            "-P",
            "prefork",
            "-c",
            str(self.concurrency),
            "-l",
            "info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.beat:
            command += ["-B", "-s", str(self.base / f"beat-schedule-{self.starts}")]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not _worker_is_ready(self.log_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + self.log_text()[-4000:])
            time.sleep(0.2)
        return self

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self):
        """SIGKILL the worker and all its processes (no graceful shutdown)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self):
        self.stop()
        return self.start()

    def log_text(self):
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.base.glob("worker-*.log"))
        )

    def renders(self, filename=None):
        """``[(pid, filename)]`` of every render started in the worker processes."""
        path = self.markers / "renders.log"
        if not path.exists():
            return []
        rows = [line.split(" ", 1) for line in path.read_text().splitlines() if line.strip()]
        return [(int(pid), name) for pid, name in rows if filename in (None, name)]

    def slow_down(self, seconds):
        (self.markers / "slow").write_text(str(seconds))

    def speed_up(self):
        (self.markers / "slow").unlink(missing_ok=True)


def _need_services():
    from django.db import connection  # noqa: PLC0415

    if not os.environ.get("REDIS_URL"):
        pytest.skip("document worker tests need REDIS_URL (scripts/services.sh env)")
    if connection.vendor != "postgresql":
        pytest.skip("document worker tests need PostgreSQL: the worker shares the test database")


@pytest.fixture(scope="module")
def document_worker(
    request, django_db_setup, django_db_blocker, tmp_path_factory, _documents_storage
):
    """A prefork worker (two processes) on the suite's Redis, with render hooks."""
    _need_services()
    worker = DocumentWorker(
        Path(str(request.config.rootpath)),
        tmp_path_factory.mktemp("document-worker"),
        os.environ["REDIS_URL"],
        _documents_storage.location,
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.speed_up()
        worker.stop()


@pytest.fixture
def queued_tasks(settings):
    """Tasks go through the broker (Redis) to the worker, not run in process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


def wait_for(predicate, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
