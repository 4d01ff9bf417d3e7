"""Fixtures shared by the whole suite.

- ``postgres`` tests are skipped unless the database is PostgreSQL;
- ``celery_worker`` tests get a real worker process (Redis + PostgreSQL required);
- Playwright drives Debian's Chromium (no browser download here).
"""

import os

# Playwright's sync API runs an event loop in the test thread: allow the ORM there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402
from django.apps import apps  # noqa: E402

WORKER_START_TIMEOUT = 60  # seconds
DOMAIN_APPS = ("centres", "appels", "equipements")


# --- markers ----------------------------------------------------------------------------


def _database_vendor():
    from django.db import connection  # noqa: PLC0415 - settings are configured by then

    return connection.vendor


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests on another database (the embedded SQLite)."""
    vendor = _database_vendor()
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (DATABASE_URL); the test database is {vendor}"
    )
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _real_worker_for_marked_tests(request):
    """Tests marked ``celery_worker`` run against the worker process, tasks sent to Redis;
    every other test runs tasks eagerly, so none is left in a real queue."""
    if request.node.get_closest_marker("celery_worker") is None:
        settings = request.getfixturevalue("settings")
        settings.CELERY_TASK_ALWAYS_EAGER = True
        yield
        return
    request.getfixturevalue("celery_worker")
    settings = request.getfixturevalue("settings")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield


@pytest.fixture(scope="session", autouse=True)
def _documents_storage(tmp_path_factory):
    """Generated documents go to a temporary folder, never to the project's private/."""
    from django.core.files.storage import FileSystemStorage  # noqa: PLC0415

    from solidaire.models import Document  # noqa: PLC0415

    field = Document._meta.get_field("file")
    previous = field.storage
    field.storage = FileSystemStorage(location=tmp_path_factory.mktemp("documents"))
    yield field.storage
    field.storage = previous


@pytest.fixture(autouse=True)
def _documents_left_pending(settings):
    """Documents (PDF) render only in the tests about them (tests/documents): elsewhere
    eager tasks leave them pending, as with a broker down, and tests stay fast."""
    settings.DOCUMENTS_RENDER_EAGERLY = False


@pytest.fixture(autouse=True)
def _public_figures_not_cached(settings):
    """The home's figures are computed on each request in tests (a shared Redis cache would
    carry them from one test's data to the next)."""
    settings.PUBLIC_FIGURES_CACHE_SECONDS = 0


# --- browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# --- people and centres -----------------------------------------------------------------


@pytest.fixture
def centre(db):
    from tests.factories import CentreFactory  # noqa: PLC0415

    return CentreFactory()


@pytest.fixture
def other_centre(db):
    from tests.factories import CentreFactory  # noqa: PLC0415

    return CentreFactory()


@pytest.fixture
def site(centre):
    from tests.factories import SiteFactory  # noqa: PLC0415

    return SiteFactory(centre=centre)


@pytest.fixture
def staff_user(centre):
    """The referent of ``centre``."""
    from tests.factories import MembershipFactory  # noqa: PLC0415

    return MembershipFactory(centre=centre, is_referent=True).user


@pytest.fixture
def other_staff_user(other_centre):
    from tests.factories import MembershipFactory  # noqa: PLC0415

    return MembershipFactory(centre=other_centre, is_referent=True).user


@pytest.fixture
def manager(db):
    """A programme manager (platform staff)."""
    from tests.factories import UserFactory  # noqa: PLC0415

    return UserFactory(is_staff=True, email="charge.programme@example.org")


@pytest.fixture
def open_call(db):
    """An open call with one offer (10 packs, cap 3, 90 €) and two criteria."""
    from tests.factories import CallFactory  # noqa: PLC0415

    return CallFactory()


# --- "nothing changed" ------------------------------------------------------------------


def _domain_rows():
    rows = {}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows


@pytest.fixture
def db_state(db):
    """A function returning every row of the domain apps, to compare before and after."""
    return _domain_rows


@pytest.fixture
def check_move(db_state):
    """Run a transition service and check it against a lifecycle table.

    ``check_move(obj, target, lifecycle, run)`` calls ``run(obj)``: when the table allows
    ``obj.status -> target`` (or ``same_state_ok`` and the two are equal) the service must
    succeed and leave ``obj`` in ``target``; otherwise it must raise ``refused`` (a
    :class:`TransitionError` unless told) and change nothing in the database.
    """
    from solidaire.errors import DomainError, TransitionError  # noqa: PLC0415

    def check(obj, target, lifecycle, run, *, refused=TransitionError, same_state_ok=False):
        assert issubclass(refused, DomainError)
        source = obj.status
        allowed = lifecycle.can_move(source, target) or (same_state_ok and source == target)
        before = db_state()
        if allowed:
            run(obj)
            obj.refresh_from_db()
            assert obj.status == target
        else:
            with pytest.raises(refused) as exc:
                run(obj)
            assert str(exc.value.messages[0]).strip(), "a refusal needs a message"
            assert db_state() == before, "a refused move changed the database"
            obj.refresh_from_db()
            assert obj.status == source
        return allowed

    return check


# --- Celery worker ----------------------------------------------------------------------


def _test_database_url(settings_dict):
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def _worker_is_ready(log_path):
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return False
    return " ready." in text


@pytest.fixture(scope="module")
def celery_worker(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """A real ``celery worker -P solo`` on Redis, using the test database.

    Yields a namespace with ``mail_dir`` (the file e-mail backend's directory) and
    ``log_path``. Skips unless ``REDIS_URL`` is set and the database is PostgreSQL.
    """
    from django.db import connection  # noqa: PLC0415

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("celery_worker tests need REDIS_URL (scripts/services.sh env)")
    if connection.vendor != "postgresql":
        pytest.skip("celery_worker tests need PostgreSQL: the worker shares the test database")

    base = tmp_path_factory.mktemp("celery-worker")
    mail_dir = base / "mail"
    mail_dir.mkdir()
    log_path = base / "worker.log"
    env = {
        **os.environ,
        # pytest-django renamed the database to test_<name>: the worker must use that one.
        "DATABASE_URL": _test_database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # Four slashes: django-environ keeps the path absolute.
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "DJANGO_SETTINGS_MODULE": "solidaire.settings",
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        # Files the worker writes (generated documents) go where the tests read them, out of
        # the project's private/.
        "PRIVATE_MEDIA_ROOT": str(request.getfixturevalue("_documents_storage").location),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "solidaire",
        "worker",
        "-P",
        "solo",
        "-l",
        "info",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    root = Path(str(request.config.rootpath))
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not _worker_is_ready(log_path):
            if process.poll() is not None:
                pytest.fail(
                    f"the Celery worker exited with status {process.returncode}:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the Celery worker was not ready within {WORKER_START_TIMEOUT} s:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.2)

        class Worker:
            pass

        worker = Worker()
        worker.process = process
        worker.mail_dir = mail_dir
        worker.log_path = log_path
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
