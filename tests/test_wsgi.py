"""The WSGI entry point gunicorn loads."""

import subprocess
import sys


def test_wsgi_application_loads_and_freezes_the_start_up_objects():
    """Loaded objects are frozen out of the full collections (see ``solidaire/wsgi.py``)."""
    code = (
        "import gc, solidaire.wsgi as w; "
        "print(callable(w.application), gc.get_freeze_count() > 10000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["True", "True"]
