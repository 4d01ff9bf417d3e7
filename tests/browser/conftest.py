"""Browser tests: Playwright (sync API) on Debian's Chromium against pytest-django's live_server.

``browser_type_launch_args`` (``/usr/bin/chromium``) comes from ``tests/conftest.py``.
Accessibility is checked with axe-core from npm (``npm ci`` at the repository root, done by
``make test``); screenshots of the main steps go to ``test-output/screenshots/`` (git-ignored).
"""

import inspect
import json
import os
from pathlib import Path

# Playwright's sync API runs an event loop in the test thread: allow the ORM there (also set
# by tests/conftest.py; repeated here so these tests never depend on its order).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = REPO_ROOT / "test-output" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")

# Runs axe in the page; returns the violations reduced to what a report needs.
AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(" ")),
    summaries: v.nodes.map((n) => n.failureSummary),
  }));
}"""


@pytest.fixture(scope="session", autouse=True)
def _post_migrate_receiver_accepts_flush():
    """Work around ``centres.signals.sync_roles_after_migrate`` requiring ``apps``.

    ``flush`` (the teardown of every ``transaction=True`` test) sends ``post_migrate`` without
    ``apps``, so the receiver raises ``TypeError`` and each test errors at teardown. Until the
    receiver defaults ``apps``, wrap it to pass the global registry. Session-scoped: it must
    outlive pytest-django's flush, which runs after function-scoped fixtures are torn down.
    """
    from django.apps import apps as global_apps  # noqa: PLC0415
    from django.db.models.signals import post_migrate  # noqa: PLC0415

    from centres import signals  # noqa: PLC0415

    original = signals.sync_roles_after_migrate
    apps_param = inspect.signature(original).parameters.get("apps")
    if apps_param is None or apps_param.default is not inspect.Parameter.empty:
        yield  # fixed in the application: nothing to do
        return
    sender = global_apps.get_app_config("centres")

    def receiver(sender, **kwargs):
        kwargs.setdefault("apps", global_apps)
        return original(sender, **kwargs)

    uid = "centres.sync_roles"
    post_migrate.disconnect(sender=sender, dispatch_uid=uid)
    post_migrate.connect(receiver, sender=sender, dispatch_uid=uid, weak=False)
    yield
    post_migrate.disconnect(sender=sender, dispatch_uid=uid)
    post_migrate.connect(original, sender=sender, dispatch_uid=uid)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A French-speaking browser (Accept-Language fr-FR), on a laptop-sized window."""
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def browser_settings(settings, tmp_path):
    """Uploaded files under tmp_path; Celery tasks (e-mails) run in process; a fast password
    hasher (users who log in must get their password set after this fixture)."""
    private = tmp_path / "private"
    media = tmp_path / "media"
    private.mkdir()
    media.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private), "base_url": None},
        },
    }
    settings.MEDIA_ROOT = str(media)
    settings.PRIVATE_MEDIA_ROOT = str(private)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def _format_violations(name, url, violations):
    lines = [f"axe: {len(violations)} serious/critical violation(s) on {name} ({url}):"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for target, summary in zip(v["targets"], v["summaries"], strict=False):
            lines.append(f"    target: {target}")
            if summary:
                lines.append("      " + summary.replace("\n", "\n      "))
    return "\n".join(lines)


def inject_axe(page):
    """Load axe-core into the page through the DevTools protocol.

    ``add_script_tag`` would add an inline script, which the site's Content-Security-Policy
    (``script-src 'self'``) rightly blocks; an evaluation from the driver is not a page script.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")


@pytest.fixture
def check_a11y():
    """``check_a11y(page, name)``: inject axe-core, run it, fail on serious/critical issues."""
    if not AXE_PATH.exists():
        pytest.fail(
            f"{AXE_PATH.relative_to(REPO_ROOT)} is missing: run `npm ci` at the repository root "
            "(make test does it)."
        )
    checked = []

    def check(page, name):
        page.wait_for_load_state("load")
        inject_axe(page)
        violations = page.evaluate(AXE_RUN)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            message = _format_violations(name, page.url, blocking)
            print(message)
            print(json.dumps(blocking, ensure_ascii=False, indent=1))
            pytest.fail(message, pytrace=False)
        checked.append(name)
        return violations

    check.checked = checked
    return check


@pytest.fixture
def screenshot():
    """``screenshot(page, "01-login")`` saves test-output/screenshots/01-login.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
