"""Production settings: the deploy checks, the secret key, passwords, CSP, sessions, axes."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client
from django.urls import reverse
from django.utils.safestring import mark_safe

from tests.factories import PASSWORD, MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Variables that would leak from the developer's or CI's shell into the production runs.
SCRUBBED = {
    "DEBUG", "SECRET_KEY", "DJANGO_ENV", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the test suite for Playwright only
}  # fmt: skip


def production_env(**overrides):
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="solidaire.example.org",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- production mode ------------------------------------------------------------------


def test_deploy_checks_pass_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_fail_with_the_embedded_defaults():
    env = production_env(DJANGO_ENV=None, SECRET_KEY=None)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "solidaire.W001" in output  # not in production mode
    assert "solidaire.W002" in output  # the demo key
    assert "security.W012" in output  # session cookie not secure


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = manage("check", env=production_env(DEBUG="1"))
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_an_unknown_django_env_is_refused():
    result = manage("check", env=production_env(DJANGO_ENV="prod"))
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


PRINT_SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
    "AXES_IPWARE_PROXY_COUNT", "AXES_CLIENT_IP_CALLABLE", "ADMIN_URL",
)}))
"""


def production_settings(**overrides):
    result = manage("shell", "-c", PRINT_SETTINGS, env=production_env(**overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_are_strict():
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False  # the operator's decision
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when configured
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_proxy_settings_are_read_from_the_environment():
    values = production_settings(
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        AXES_IPWARE_PROXY_COUNT="1",
        SECURE_HSTS_PRELOAD="1",
        ADMIN_URL="coulisses-7f3a/",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["AXES_IPWARE_PROXY_COUNT"] == 1
    assert values["AXES_CLIENT_IP_CALLABLE"] == "solidaire.client_ip.client_ip_address"
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["ADMIN_URL"] == "coulisses-7f3a/"


@pytest.mark.django_db
def test_https_redirect_and_hsts_in_production_mode(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = client.get("/appels/")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    proxied = client.get("/appels/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- passwords and sessions -----------------------------------------------------------


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2():
    assert identify_hasher(make_password("un-mot-de-passe-neuf")).algorithm == "argon2"
    user = UserFactory()
    user.set_password("un autre mot de passe")
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password("un autre mot de passe")


@pytest.mark.django_db
def test_argon2_uses_owasp_parameters_and_upgrades_older_hashes():
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet): never below it.
    A hash made with Django's own Argon2 defaults (m=100 MiB, p=8) still logs in, and is
    re-hashed with these parameters at that login."""
    from argon2 import Type, extract_parameters  # noqa: PLC0415
    from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: PLC0415

    params = extract_parameters("$" + make_password("un-mot-de-passe").split("$", 1)[1])
    assert params.type == Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert params.salt_len >= 16 and params.hash_len >= 32

    user = UserFactory()
    user.password = Argon2PasswordHasher().encode("ancien mot de passe", "sel-de-seize-car")
    user.save()
    assert extract_parameters("$" + user.password.split("$", 1)[1]).memory_cost == 102400
    assert not user.check_password("mauvais mot de passe")
    assert user.check_password("ancien mot de passe")
    user.refresh_from_db()
    upgraded = extract_parameters("$" + user.password.split("$", 1)[1])
    assert (upgraded.memory_cost, upgraded.parallelism) == (19 * 1024, 1)
    assert user.check_password("ancien mot de passe")


def test_sessions_expire(settings):
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600  # a working day at most
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_the_session_cookie_ends_with_the_browser(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = MembershipFactory().user
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("centres:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expire_at_browser_close()


# --- Content-Security-Policy ----------------------------------------------------------


def policy_of(response):
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def assert_strict(policy):
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/appels/", "/compte/connexion/"])
def test_portal_pages_send_the_content_security_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_strict(policy_of(response))


@pytest.mark.django_db
def test_admin_pages_send_the_content_security_policy(client, settings):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for url in (
        reverse("admin:index"),
        reverse("admin:centres_user_changelist"),
        reverse("admin:appels_call_add"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(policy_of(response))


@pytest.mark.django_db
def test_chart_styles_carry_the_nonce_of_the_policy():
    from csp.middleware import CSPMiddleware  # noqa: PLC0415
    from django.template import Context, Template  # noqa: PLC0415
    from django.test import RequestFactory  # noqa: PLC0415

    request = RequestFactory().get("/")
    middleware = CSPMiddleware(lambda request: None)
    middleware.process_request(request)
    svg = mark_safe(
        '<svg><style type="text/css">#c{fill:red}</style><g style="opacity: 0"></g></svg>'
    )
    html = Template("{% load solidaire %}{{ svg|with_csp_nonce:request }}").render(
        Context({"svg": svg, "request": request})
    )
    nonce = str(request.csp_nonce)
    assert f'<style nonce="{nonce}" type="text/css">' in html
    from django.http import HttpResponse  # noqa: PLC0415

    response = middleware.process_response(request, HttpResponse(html))
    assert f"'nonce-{nonce}'" in policy_of(response)["style-src"]


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"", re.IGNORECASE
)


def test_no_inline_script_or_style_in_the_page_templates():
    """The policy forbids them: pages keep their CSS and JS in static files. PDF templates
    (WeasyPrint, no browser) and e-mails are not pages."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        relative = path.relative_to(TEMPLATES)
        if relative.parts[0] in ("documents", "emails"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


# --- login throttling (django-axes) ---------------------------------------------------


@pytest.fixture
def locked_pair(settings, db):
    """A centre staff member whose password was mistyped up to the limit from one address."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = MembershipFactory().user
    user.set_password(PASSWORD)
    user.save()
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("centres:login"), {"username": user.email, "password": "non"})
    return user, attacker


def test_axes_locks_the_username_and_ip_after_the_failure_limit(locked_pair):
    user, attacker = locked_pair
    response = attacker.post(
        reverse("centres:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 429


def test_axes_does_not_lock_the_same_person_out_from_another_address(locked_pair):
    user, _attacker = locked_pair
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    response = elsewhere.post(
        reverse("centres:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_behind_a_proxy_the_forwarded_client_address_is_the_one_locked(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_IPWARE_PROXY_COUNT = 1
    user = MembershipFactory().user
    user.set_password(PASSWORD)
    user.save()
    proxy = "10.0.0.2"
    login = reverse("centres:login")
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(login, {"username": user.email, "password": "non"})
    assert attacker.post(login, {"username": user.email, "password": PASSWORD}).status_code == 429
    # A forged X-Forwarded-For does not help: the proxy appends the address it saw.
    forging = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20, 203.0.113.7")
    assert forging.post(login, {"username": user.email, "password": PASSWORD}).status_code == 429
    # The real person comes through the same proxy from another address.
    person = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert person.post(login, {"username": user.email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy configured: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "9.9.9.9, 203.0.113.7", "203.0.113.7"),  # the client's own entry is ignored
        (2, "203.0.113.7, 10.1.1.1", "203.0.113.7"),  # CDN then load balancer
        (2, "203.0.113.7", "10.0.0.2"),  # shorter than the proxy chain: REMOTE_ADDR
        (1, "pas-une-adresse", "10.0.0.2"),
    ],
)
def test_client_ip_address_behind_proxies(settings, proxies, forwarded, expected):
    from django.test import RequestFactory  # noqa: PLC0415

    from solidaire.client_ip import client_ip_address  # noqa: PLC0415

    settings.AXES_IPWARE_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected
