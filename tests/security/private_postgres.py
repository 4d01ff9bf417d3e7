"""A private PostgreSQL cluster for the drills that stop and restart the database.

Never the shared server of ``scripts/services.sh`` (other people's tests run on it): a
cluster of its own, ``initdb`` into a temporary directory, on a free port of 127.0.0.1, with
the binaries ``scripts/services.sh`` finds (PostgreSQL 15 if installed, else the newest). As
root, the server runs as the ``postgres`` user (PostgreSQL refuses root). Trust
authentication on loopback only: a throw-away cluster, deleted when stopped for good.

The migrated database is a template: each drill works in a copy of its own
(:meth:`PrivatePostgres.copy`), so their data never meet.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bindir():
    base = Path("/usr/lib/postgresql")
    if (base / "15/bin/initdb").exists():
        return base / "15/bin"
    versions = sorted(
        (int(p.name) for p in base.glob("*") if p.name.isdigit() and (p / "bin/initdb").exists()),
        reverse=True,
    )
    return base / str(versions[0]) / "bin" if versions else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    def __init__(self, name="drill_template"):
        self.bin = bindir()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.port = free_port()
        self.name = name
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="solidaire-drill-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"

    def url_of(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self):
        return self.url_of(self.name)

    def _run(self, *args, check=True, timeout=60):
        command = [str(self.bin / args[0]), *map(str, args[1:])]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, cwd="/", capture_output=True, text=True, check=check, timeout=timeout
        )

    def init(self):
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
            self.base.chmod(0o755)
        self._run(
            "initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8", "--no-locale",
            "--auth=trust",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# solidaire fault drill (tests/security/private_postgres.py)\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.base}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 60\n"
            )
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", self.name)
        return self

    def start(self):
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        """``fast``: open transactions are rolled back and their connections cut."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def is_running(self):
        return self._run("pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def copy(self, database):
        """A new database copied from the migrated template; returns its URL."""
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "-T", self.name,
            database,
        )  # fmt: skip
        return self.url_of(database)

    def psql(self, sql, database=None):
        result = self._run(
            "psql", "-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres",
            "-d", database or self.name, "-v", "ON_ERROR_STOP=1", "-c", sql,
        )  # fmt: skip
        return result.stdout.strip()

    def migrate(self, env):
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**env, "DATABASE_URL": self.url},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr[-3000:]}")

    def destroy(self):
        if self.data.exists() and self.is_running():
            self.stop(mode="immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def wait_for_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")
