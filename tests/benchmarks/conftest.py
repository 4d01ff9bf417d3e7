"""Benchmarks run on the seeded bench database as it is (``make bench``): no test database.

Each test records rows in the session's report; at the end the report is printed as tables
and written to ``test-output/bench.json``.
"""

import gc
import json
import os
import platform
import time
from pathlib import Path

import pytest

REPORT = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "sections": {}}
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", "test-output/bench.json"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """Use the database of DATABASE_URL (seeded by ``seed_scale``) instead of a test copy;
    every test still runs inside a transaction rolled back at its end."""
    from django.conf import settings  # noqa: PLC0415

    from equipements import scale  # noqa: PLC0415

    name = settings.DATABASES["default"]["NAME"]
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("benchmarks run on PostgreSQL: use `make bench`", returncode=2)
    with django_db_blocker.unblock():
        if not scale.is_seeded():
            pytest.exit(f"{name} holds no scale data: run `manage.py seed_scale`", returncode=2)


@pytest.fixture(scope="session", autouse=True)
def _start_up_objects_frozen(django_db_setup):
    """As ``solidaire/wsgi.py`` does in each web process once loaded: the long-lived objects
    are moved out of the garbage collector's full collections, which then walk the requests'
    objects only."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _production_caching(settings):
    """The suite turns the home's cache off (tests/conftest.py); the benchmark measures the
    pages as deployed."""
    import environ  # noqa: PLC0415

    settings.PUBLIC_FIGURES_CACHE_SECONDS = environ.Env().int(
        "PUBLIC_FIGURES_CACHE_SECONDS", default=300
    )


@pytest.fixture(scope="session")
def report():
    return REPORT["sections"]


def _row_text(row):
    return "  ".join(f"{key}={value}" for key, value in row.items())


def _table(title, rows):
    if not rows:
        return []
    columns = list(rows[0])
    widths = {c: max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = [title, "  ".join(str(c).ljust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        lines.append("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))
    return [*lines, ""]


def markdown_tables(sections):
    out = []
    for title, rows in sections.items():
        if not rows:
            continue
        columns = list(rows[0])
        out += [f"**{title}**", "", "| " + " | ".join(columns) + " |"]
        out.append("|" + "|".join("---" for _ in columns) + "|")
        out += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
        out.append("")
    return "\n".join(out)


def pytest_terminal_summary(terminalreporter):
    sections = REPORT["sections"]
    if not sections:
        return
    REPORT["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(REPORT, indent=2, ensure_ascii=False, default=str))
    OUTPUT.with_suffix(".md").write_text(markdown_tables(sections))
    terminalreporter.write_sep("=", "benchmark")
    for title, rows in sections.items():
        for line in _table(title, rows):
            terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {OUTPUT} and {OUTPUT.with_suffix('.md')}")
