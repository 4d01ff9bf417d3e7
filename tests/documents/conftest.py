"""Fixtures of the document tests: private files in a temporary folder, ready-made
business objects (an invoiced delivery, an agreement, shipments) built with the factories."""

import shutil
import subprocess
from pathlib import Path

import pytest

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
