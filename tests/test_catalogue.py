"""The English interface is complete: every string marked for translation in the code and the
templates has an English translation that is neither missing nor fuzzy.

The catalogue is extracted again (as ``make messages`` does) in a copy of the source tree, so
a string added without updating ``locale/en`` fails here, not in front of a user.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = shutil.ignore_patterns(
    ".venv",
    ".git",
    ".services",
    ".hypothesis",
    "node_modules",
    "staticfiles",
    "media",
    "private",
    "test-output",
    "tests",
    "__pycache__",
    "*.sqlite3",
    "*.mo",
)

pytestmark = pytest.mark.skipif(
    not shutil.which("xgettext") or not shutil.which("msgattrib"), reason="needs GNU gettext"
)


def entries(po_text):
    """The entries of a .po text (header excluded), without their source references."""
    return [
        "\n".join(line for line in block.splitlines() if not line.startswith("#:"))
        for block in po_text.split("\n\n")
        if "msgid" in block and 'msgid ""\nmsgstr ""\n"' not in block
    ]


def test_english_catalogue_translates_every_string(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=SKIPPED)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore=node_modules"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    po = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    missing = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert entries(missing) == [], "untranslated (run `make messages`, then translate)"
    assert entries(fuzzy) == [], "fuzzy translations to review in locale/en"
