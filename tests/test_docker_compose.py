"""Static checks of docker-compose.yml and .ci/run (no Docker engine, no database needed).

The compose file cannot be run here, so these tests pin down what it must say: the five
services, the app containers pointed at the `postgres` and `redis` services, only environment
variables that the settings actually read, health checks, and the Celery app name.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SETTINGS_FILE = ROOT / "solidaire" / "settings.py"
SETTINGS_PACKAGE = ROOT / "solidaire" / "settings"
CI_RUN = ROOT / ".ci" / "run"

APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = (*APP_SERVICES, "postgres", "redis")

# The contract the settings were specified with; used only while no settings source exists.
DOCUMENTED_SETTINGS_VARIABLES = frozenset(
    {
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "MEDIA_ROOT",
        "PRIVATE_MEDIA_ROOT",
        "STATIC_ROOT",
        "EMAIL_URL",
        "DEFAULT_FROM_EMAIL",
        "CSRF_TRUSTED_ORIGINS",
    }
)

# django-environ helpers that have a default variable name when called without one.
ENVIRON_DEFAULT_NAMES = {
    "db": "DATABASE_URL",
    "db_url": "DATABASE_URL",
    "cache": "CACHE_URL",
    "cache_url": "CACHE_URL",
    "email": "EMAIL_URL",
    "email_url": "EMAIL_URL",
    "search_url": "SEARCH_URL",
}

_NAMED_READ = re.compile(
    r"""
    (?:
        \benv(?:\.\w+)?\(\s*(?:var\s*=\s*)?     # env("X"), env.bool("X"), env.db(var="X")
      | \bos\.environ\.get\(\s*                  # os.environ.get("X")
      | \bos\.environ\[\s*                       # os.environ["X"]
      | \bos\.getenv\(\s*                        # os.getenv("X")
      | \benviron\.get\(\s*
    )
    ["']([A-Za-z_][A-Za-z0-9_]*)["']
    """,
    re.VERBOSE,
)
_UNNAMED_READ = re.compile(r"\benv\.(\w+)\(\s*(?:\)|default\s*=)")


def _settings_sources():
    if SETTINGS_FILE.is_file():
        return [SETTINGS_FILE.read_text(encoding="utf-8")]
    if SETTINGS_PACKAGE.is_dir():
        return [p.read_text(encoding="utf-8") for p in sorted(SETTINGS_PACKAGE.glob("*.py"))]
    return []


def settings_variables():
    """Names of the environment variables the settings read (from the source text)."""
    sources = _settings_sources()
    if not sources:
        return DOCUMENTED_SETTINGS_VARIABLES
    names = set()
    for text in sources:
        names.update(_NAMED_READ.findall(text))
        for helper in _UNNAMED_READ.findall(text):
            if helper in ENVIRON_DEFAULT_NAMES:
                names.add(ENVIRON_DEFAULT_NAMES[helper])
    return frozenset(names)


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value):
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR:?error} with an empty environment."""

    def replace(match):
        operator, argument = match.group(2), match.group(3)
        if operator in (":-", "-"):
            return argument
        if operator in (":?", "?"):
            return f"<required {match.group(1)}>"
        return ""

    return _INTERPOLATION.sub(replace, str(value))


@pytest.fixture(scope="module")
def compose():
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose):
    assert isinstance(compose.get("services"), dict), "no `services:` mapping"
    return compose["services"]


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", "KEY"]
        pairs = (item.split("=", 1) for item in env)
        env = {pair[0]: (pair[1] if len(pair) > 1 else None) for pair in pairs}
    assert isinstance(env, dict)
    return env


def command_text(service):
    command = service.get("command") or ""
    return " ".join(command) if isinstance(command, list) else str(command)


def test_all_services_present(services):
    missing = [name for name in ALL_SERVICES if name not in services]
    assert not missing, f"docker-compose.yml lacks services: {missing}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_the_compose_postgres_and_redis(services, name):
    env = environment_of(services[name])
    assert "DATABASE_URL" in env, f"{name}: no DATABASE_URL"
    assert "REDIS_URL" in env, f"{name}: no REDIS_URL"

    database = urlsplit(interpolate(env["DATABASE_URL"]))
    assert database.scheme in {"postgres", "postgresql", "pgsql", "postgis"}, database.scheme
    assert database.hostname == "postgres", f"{name}: DATABASE_URL host is {database.hostname}"

    redis = urlsplit(interpolate(env["REDIS_URL"]))
    assert redis.scheme in {"redis", "rediss"}, redis.scheme
    assert redis.hostname == "redis", f"{name}: REDIS_URL host is {redis.hostname}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_only_uses_variables_the_settings_read(services, name):
    known = settings_variables()
    assert known, "found no environment variable read in the settings source"
    unknown = sorted(set(environment_of(services[name])) - known)
    assert not unknown, (
        f"{name} sets {unknown}, which the settings never read (they read {sorted(known)})"
    )


def test_secret_key_is_required_not_defaulted(services):
    for name in APP_SERVICES:
        secret = str(environment_of(services[name]).get("SECRET_KEY", ""))
        assert re.fullmatch(r"\$\{SECRET_KEY:?\?[^}]*\}", secret), (
            f"{name}: SECRET_KEY must be ${{SECRET_KEY:?...}}, got {secret!r}"
        )


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_infrastructure_has_healthchecks(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable"), f"{name} healthcheck is disabled"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_infrastructure(services, name):
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must use conditions"
    for dependency in ("postgres", "redis"):
        assert depends_on.get(dependency, {}).get("condition") == "service_healthy", (
            f"{name} must wait for {dependency} to be healthy"
        )


def test_celery_commands_name_the_solidaire_app(services):
    worker = command_text(services["worker"])
    beat = command_text(services["beat"])
    assert re.search(r"(?:-A|--app)[ =]solidaire\b", worker), worker
    assert re.search(r"\bworker\b", worker), worker
    assert re.search(r"(?:-A|--app)[ =]solidaire\b", beat), beat
    assert re.search(r"\bbeat\b", beat), beat


def test_web_migrates_then_serves_with_gunicorn(services):
    command = (
        command_text(services["web"])
        + " "
        + command_text({"command": services["web"].get("entrypoint")})
    )
    assert "migrate" in command, command
    assert "gunicorn" in command and "solidaire.wsgi" in command, command
    assert services["web"].get("healthcheck", {}).get("test"), "web has no healthcheck"


def test_ci_run_calls_make_test():
    text = CI_RUN.read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    assert any(re.match(r"^(?:exec\s+)?make\s+(?:.*\s)?test(?:\s|$)", line) for line in lines), (
        ".ci/run must run `make test`"
    )
    assert "set -euo pipefail" in text
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable"
