"""HTML → PDF with WeasyPrint, from our own templates only.

The URL fetcher serves our static files and ``data:`` URLs (charts drawn by the app) and
refuses everything else: no ``file://``, no network, whatever a document's content holds.

Each process keeps the fonts and the parsed print stylesheet between documents (immutable
resources, read once; a changed stylesheet file is read again): loading them again for every
document cost more than our own work around WeasyPrint.
"""

import base64
import gc
import logging
import mimetypes
import os
from functools import cache
from io import BytesIO
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template, render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

# Documents resolve relative URLs against this base; only its static part is served.
BASE_URL = "https://documents.solidaire.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
# Applied by ``render_pdf`` to every document whose rendering names no other stylesheet
# (the templates do not link it).
PRINT_STYLESHEET = "documents/print.css"


def _weasyprint():
    # Imported on first use: ~1 s, and the web process may never render.
    import weasyprint  # noqa: PLC0415

    return weasyprint


@cache
def _fetcher_class():
    weasyprint = _weasyprint()

    class StaticOnlyFetcher(weasyprint.URLFetcher):
        """Serve ``{% static %}`` files of the project; refuse any other URL."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                # Self-contained (an SVG chart drawn by the app): no file, no network.
                return _data_url_response(weasyprint, url)
            path = _static_path(url)
            with open(path, "rb") as handle:
                body = handle.read()
            mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(
                url, body, headers={"Content-Type": mime_type}
            )

    return StaticOnlyFetcher


def static_only_fetcher():
    return _fetcher_class()(allowed_protocols=("https",))


def _static_path(url):
    """The file of a static URL of a document; ``ValueError`` for any other URL."""
    if not url.startswith(STATIC_PREFIX):
        raise ValueError(f"URL refused in a document: {url[:200]}")
    relative = url[len(STATIC_PREFIX) :].split("?", 1)[0].split("#", 1)[0]
    if ".." in relative.split("/"):
        raise ValueError(f"URL refused in a document: {url[:200]}")
    path = finders.find(relative)
    if not path:
        raise ValueError(f"Static file not found: {relative}")
    return path


def _data_url_response(weasyprint, url):
    header, _comma, payload = url[len("data:") :].partition(",")
    mime_type, *parameters = header.split(";")
    body = base64.b64decode(payload) if "base64" in parameters else unquote_to_bytes(payload)
    return weasyprint.urls.URLFetcherResponse(
        url, body, headers={"Content-Type": mime_type or "text/plain"}
    )


@cache
def font_configuration():
    """The process's Fontconfig configuration: system fonts are loaded once, not per PDF."""
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    return FontConfiguration()


_stylesheets = {}


def print_stylesheet(name=PRINT_STYLESHEET):
    """A parsed print stylesheet (a static path), parsed again only when its file changes."""
    url = STATIC_PREFIX + name
    stat = os.stat(_static_path(url))
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _stylesheets.get(url)
    if cached is None or cached[0] != key:
        css = _weasyprint().CSS(
            url=url, url_fetcher=static_only_fetcher(), font_config=font_configuration()
        )
        cached = _stylesheets[url] = (key, css)
    return cached[1]


def warm_up():
    """Load what every document needs (fonts, stylesheet, base template) in this process."""
    get_template("documents/base.html")
    pdf_of_html("<p>Solidaire</p>", {})


# Young objects a renderer process allocates between two collections of the youngest
# generation (CPython's default is 700).
RENDERER_GC_THRESHOLD = (10_000, 20, 100)


def prepare_renderer_process():
    """Warm up a process that renders documents from now on (a worker's pool process, a
    bulk renderer), then keep its long-lived objects out of the garbage collector's way.

    Laying out a document allocates hundreds of thousands of objects; with the default
    thresholds the collector ran ~450 times per 25-sheet chunk, three of them full
    collections that walked every object of Django, WeasyPrint and the fonts again: 20–25%
    of the chunk's CPU. ``gc.freeze()`` moves what is loaded now (modules, templates, fonts,
    stylesheets: kept for the process's life) to a generation that is never collected, and
    a higher first threshold lets a document's short-lived objects die by reference count
    before the collector looks at them. Cyclic garbage is still collected, later.
    """
    warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*RENDERER_GC_THRESHOLD)


def render_html(rendering):
    with translation.override(settings.DOCUMENTS_LANGUAGE):
        return render_to_string(
            rendering.template_name,
            {"STATIC_BASE": STATIC_PREFIX, "issuer": issuer(), **rendering.context},
        )


def write_options(rendering):
    """The ``write_pdf`` options of a rendering (the benchmark's bare render uses them too)."""
    options = {"custom_metadata": True}
    if rendering.pdf_variant:
        options["pdf_variant"] = rendering.pdf_variant
    return options


def layout_html(html, stylesheet=PRINT_STYLESHEET, **options):
    """WeasyPrint's laid-out document of our HTML, with the process's fonts and stylesheet."""
    weasyprint = _weasyprint()
    return weasyprint.HTML(
        string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher()
    ).render(
        stylesheets=[print_stylesheet(stylesheet)], font_config=font_configuration(), **options
    )


def is_plain(rendering):
    """Whether the PDF of a rendering is its HTML alone (no metadata, files or finishing),
    so that :func:`pdf_of_html` in another process makes it."""
    return not (
        rendering.finish or rendering.attachments or rendering.xmp_metadata or rendering.metadata
    )


def pdf_of_html(html, options, stylesheet=PRINT_STYLESHEET):
    """The PDF bytes of one of our HTML documents (a top-level function: a process pool
    runs it)."""
    output = BytesIO()
    layout_html(html, stylesheet, **options).write_pdf(output, **options)
    return output.getvalue()


def render_pdf(rendering):
    """The PDF bytes of a :class:`~solidaire.documents.registry.Rendering`."""
    weasyprint = _weasyprint()
    options = write_options(rendering)
    document = layout_html(render_html(rendering), rendering.stylesheet, **options)
    metadata = document.metadata
    for name, value in rendering.metadata.items():
        setattr(metadata, name, value)
    metadata.xmp_metadata.extend(rendering.xmp_metadata)
    metadata.attachments.extend(
        weasyprint.Attachment(
            string=attachment.content,
            name=attachment.name,
            description=attachment.description,
            relationship=attachment.relationship,
        )
        for attachment in rendering.attachments
    )
    output = BytesIO()
    document.write_pdf(output, **options)
    pdf = output.getvalue()
    if rendering.finish is not None:
        pdf = rendering.finish(pdf)
    return pdf


def issuer():
    """The operator issuing documents, from settings (see ``DOCUMENTS_ISSUER_*``)."""
    return {
        "name": settings.DOCUMENTS_ISSUER_NAME,
        "address": settings.DOCUMENTS_ISSUER_ADDRESS,
        "postal_code": settings.DOCUMENTS_ISSUER_POSTAL_CODE,
        "city": settings.DOCUMENTS_ISSUER_CITY,
        "siret": settings.DOCUMENTS_ISSUER_SIRET,
        "vat_number": settings.DOCUMENTS_ISSUER_VAT_NUMBER,
        "email": settings.DOCUMENTS_ISSUER_EMAIL,
        "phone": settings.DOCUMENTS_ISSUER_PHONE,
        "iban": settings.DOCUMENTS_ISSUER_IBAN,
        "legal_form": settings.DOCUMENTS_ISSUER_LEGAL_FORM,
    }
