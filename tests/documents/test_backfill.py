"""``request_documents``: existing agreements and invoices get their missing documents."""

from io import StringIO

import pytest
from django.core.management import call_command

from appels.models import AgreementStatus
from solidaire.documents import DocumentKind
from solidaire.models import Document, DocumentStatus
from tests.factories import AgreementFactory, InvoiceFactory, InvoiceLineFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("request_documents", *args, stdout=out)
    return out.getvalue()


def test_missing_documents_are_requested_once(settings):
    settings.DOCUMENTS_RENDER_EAGERLY = False  # left pending: this test is about the rows
    issued = AgreementFactory()
    signed = AgreementFactory(status=AgreementStatus.SIGNED)
    invoice = InvoiceLineFactory().invoice

    assert "4 in all" in run("--dry-run")
    assert not Document.objects.exists()
    output = run()
    kinds = sorted(Document.objects.values_list("kind", "object_id"))
    assert kinds == sorted(
        [
            (DocumentKind.AGREEMENT, issued.pk),
            (DocumentKind.AGREEMENT, signed.pk),
            (DocumentKind.AGREEMENT_SIGNED, signed.pk),
            (DocumentKind.INVOICE, invoice.pk),
        ]
    )
    assert set(Document.objects.values_list("status", flat=True)) == {DocumentStatus.PENDING}
    assert "invoice: 1 document(s) requested" in output
    assert "0 in all" in run()


def test_one_kind_only_and_unknown_kinds_refused(settings):
    settings.DOCUMENTS_RENDER_EAGERLY = False
    AgreementFactory()
    InvoiceFactory()
    run("--kind", "invoice")
    assert list(Document.objects.values_list("kind", flat=True)) == [DocumentKind.INVOICE]
    with pytest.raises(Exception, match="Unknown kinds"):
        run("--kind", "menu")
