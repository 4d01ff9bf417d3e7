"""Which function renders which kind of document.

Domain apps register their renderers at start-up (``AppConfig.ready()`` imports their
``documents`` module), so ``solidaire`` renders their documents without importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF (e.g. an invoice's Factur-X XML)."""

    name: str
    content: bytes
    # The PDF/A-3 ``AFRelationship``: "Data", "Alternative", "Source", "Supplement"...
    relationship: str = "Unspecified"
    description: str = ""


@dataclass
class Rendering:
    """What a renderer returns: a template and its context, and how to finish the PDF."""

    template_name: str
    context: dict[str, Any]
    filename: str
    # "pdf/a-3b" for an invoice that carries its Factur-X XML.
    pdf_variant: str | None = None
    # Called with the rendered PDF bytes; returns the bytes to store.
    finish: Callable[[bytes], bytes] | None = None
    # Set on WeasyPrint's ``DocumentMetadata`` (``title``, ``authors``, ``keywords``...).
    metadata: dict[str, Any] = field(default_factory=dict)
    # Embedded while the PDF is written (no second pass over the PDF).
    attachments: list[Attachment] = field(default_factory=list)
    # ``rdf:RDF`` blocks added to the XMP metadata (e.g. the Factur-X extension schema).
    xmp_metadata: list[bytes] = field(default_factory=list)
    # The static print stylesheet applied to the HTML (the templates do not link it).
    stylesheet: str = "documents/print.css"


@dataclass(frozen=True)
class Renderer:
    kind: str
    model_label: str
    render: Callable[..., Rendering]
    # Bulk renderers take a list of objects (one chunk) instead of one object.
    is_bulk: bool = False
    # A ready document of an immutable kind is never rendered again (an issued invoice).
    is_immutable: bool = False
    chunk_size: int = 25
    # ``backfill(queryset)``: the objects that should have this document (for the
    # ``request_documents`` command, e.g. after installing on existing data).
    backfill: Callable | None = None

    @property
    def model(self):
        return apps.get_model(self.model_label)


_renderers: dict[str, Renderer] = {}


def register(kind, model_label, *, bulk=False, immutable=False, chunk_size=25, backfill=None):
    """Decorator: ``@register(DocumentKind.INVOICE, "equipements.Invoice")``."""

    def decorator(function):
        _renderers[kind] = Renderer(
            kind=str(kind),
            model_label=model_label,
            render=function,
            is_bulk=bulk,
            is_immutable=immutable,
            chunk_size=chunk_size,
            backfill=backfill,
        )
        return function

    return decorator


def get_renderer(kind):
    try:
        return _renderers[kind]
    except KeyError:
        raise LookupError(f"No renderer registered for documents of kind {kind!r}") from None


def registered_kinds():
    return sorted(_renderers)


def renderers():
    return [_renderers[kind] for kind in sorted(_renderers)]
