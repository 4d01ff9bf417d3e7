"""Fixtures of the fault drills: a private PostgreSQL cluster (never the shared server), its
data made in a process of its own, and gunicorn serving the app against it."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.security.private_postgres import PrivatePostgres, bindir, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "drill: fault drill on a private PostgreSQL cluster and gunicorn (tens of seconds); "
        "deselect with -m 'not drill'",
    )


def drill_env(database_url, tmp_path, **extra):
    """The app's environment: the private cluster, no shared service, nothing sent."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="solidaire.settings",
        CELERY_TASK_ALWAYS_EAGER="true",
        DOCUMENTS_RENDER_EAGERLY="false",
        EMAIL_URL="memorymail://",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        MEDIA_ROOT=str(tmp_path / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DEBUG", None)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def private_postgres(tmp_path_factory):
    """A migrated private cluster, shared by the drills of the session."""
    if bindir() is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    cluster = PrivatePostgres()
    try:
        cluster.init()
        cluster.migrate(drill_env(cluster.url, tmp_path_factory.mktemp("migrate")))
        yield cluster
    finally:
        cluster.destroy()


def make_drill_data(cluster, tmp_path, prefix, users, calls):
    """A database of the drill's own (``prefix``, copied from the migrated template) with
    its data; returns the data, its ``url`` and ``database`` name added."""
    url = cluster.copy(prefix)
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.drill_data", prefix, str(users), str(calls)],
        cwd=ROOT,
        env=drill_env(url, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"drill data failed:\n{result.stderr[-3000:]}")
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "url": url, "database": prefix}


class Gunicorn:
    def __init__(self, env, log_path, *, workers=2, threads=4, extra=()):
        self.port = free_port()
        self.log_path = log_path
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "solidaire.wsgi",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--graceful-timeout",
                "5",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self):
        """The worker processes' ids (gunicorn starts a new one when a worker dies)."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                pids.add(int(stat.parent.name))
        return pids

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def log(self):
        return self.log_path.read_text(errors="replace")
