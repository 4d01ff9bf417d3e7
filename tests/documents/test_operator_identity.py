"""One operator identity on the agreement, the shipment sheet and the invoice: built by
``appels.operator.operator_identity``, copied at issue, printed from the copy."""

import pytest

from appels import services as appels_services
from appels.models import ApplicationStatus
from appels.operator import OperatorIdentity, operator_identity
from centres.models import Partner
from equipements import services
from solidaire.documents import DocumentKind, generate_document, request_document
from solidaire.errors import DomainError
from solidaire.models import DocumentStatus
from tests.documents.conftest import pdf_text
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CallPartnerFactory,
    PartnerFactory,
    picked_allocation,
    siret_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OPERATOR = {
    "name": "Emmaüs Connect",
    "address": "71 rue Archereau",
    "postal_code": "75019",
    "city": "Paris",
    "siret": siret_for(424_242),
    "vat_number": "FR32424242424",
    "email": "convention@emmaus-connect.example.org",
    "phone": "01 80 05 98 80",
}


def compact(text):
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def rendered(obj, kind, *, again=False):
    document = generate_document(request_document(obj, kind, force=again).pk)
    assert document.status == DocumentStatus.READY, document.error
    return compact(pdf_text(document.file.read()))


@pytest.fixture
def call():
    call = CallFactory(operator=None)
    CallPartnerFactory(call=call, partner=PartnerFactory(kind=Partner.Kind.OPERATOR, **OPERATOR))
    return call


@pytest.fixture
def issued(call):
    """The agreement, the shipment and the invoice of one selected application."""
    application = ApplicationFactory(call=call, status=ApplicationStatus.SELECTED)
    agreement = appels_services.issue_agreement(application)
    allocation = picked_allocation(application=application)
    shipment = services.create_shipment([allocation], carrier="Colissimo")
    invoice = services.issue_invoice(allocation)
    return agreement, shipment, invoice


def test_the_three_documents_copy_the_same_identity_at_issue(issued):
    agreement, shipment, invoice = issued
    expected = OperatorIdentity(**OPERATOR)
    assert agreement.operator == shipment.operator == expected
    assert (
        invoice.seller_name,
        invoice.seller_address,
        invoice.seller_siret,
        invoice.seller_vat_number,
        invoice.seller_legal_form,
    ) == (
        expected.name,
        expected.postal_address,
        expected.siret,
        expected.vat_number,
        expected.legal_form,
    )


def test_the_three_pdfs_print_the_copied_identity(issued, settings):
    agreement, shipment, invoice = issued
    texts = {
        "agreement": rendered(agreement, DocumentKind.AGREEMENT),
        "sheet": rendered(shipment, DocumentKind.SHIPMENT_SHEET),
        "invoice": rendered(invoice, DocumentKind.INVOICE),
    }
    for name, text in texts.items():
        assert OPERATOR["name"] in text, name
        assert OPERATOR["address"] in text, name
        assert f"{OPERATOR['postal_code']} {OPERATOR['city']}" in text, name
        # The settings' issuer appears on none of them.
        assert settings.DOCUMENTS_ISSUER_NAME not in text, name
    for name in ("agreement", "invoice"):
        assert OPERATOR["siret"] in texts[name], name
        assert OPERATOR["vat_number"] in texts[name], name
    for name in ("agreement", "sheet"):
        assert OPERATOR["email"] in texts[name] and OPERATOR["phone"] in texts[name], name


def test_a_later_change_of_the_partner_alters_no_issued_document(issued, call):
    agreement, shipment, invoice = issued
    rendered(invoice, DocumentKind.INVOICE)
    Partner.objects.filter(call_roles__call=call).update(
        name="Nouvel opérateur", address="1 place Neuve", siret=siret_for(515_151)
    )
    # Regenerated after the change, the agreement and the sheet print the copy still.
    for obj, kind in ((agreement, DocumentKind.AGREEMENT), (shipment, DocumentKind.SHIPMENT_SHEET)):
        text = rendered(obj, kind, again=True)
        assert OPERATOR["name"] in text and OPERATOR["address"] in text
        assert "Nouvel opérateur" not in text and "1 place Neuve" not in text
    agreement.refresh_from_db()
    shipment.refresh_from_db()
    assert agreement.operator == shipment.operator == OperatorIdentity(**OPERATOR)
    note = services.issue_credit_note(invoice, reason="Erreur de quantité")
    assert (note.seller_name, note.seller_siret) == (OPERATOR["name"], OPERATOR["siret"])
    # What is issued from now on names the partner as it now is.
    assert operator_identity(call).name == "Nouvel opérateur"


# --- where the identity comes from ------------------------------------------------------


def test_a_call_without_operator_partner_is_run_by_the_settings_organisation(settings):
    settings.DOCUMENTS_ISSUER_NAME = "Solidatech"
    settings.DOCUMENTS_ISSUER_SIRET = siret_for(777)
    identity = operator_identity(CallFactory(operator=None))
    assert identity == OperatorIdentity.from_settings()
    assert identity.siret == siret_for(777)


def test_the_settings_complete_the_partner_that_is_their_organisation(settings):
    settings.DOCUMENTS_ISSUER_NAME = "Solidatech"
    settings.DOCUMENTS_ISSUER_LEGAL_FORM = "Association loi 1901"
    settings.DOCUMENTS_ISSUER_PHONE = "02 41 00 00 00"
    call = CallFactory(
        operator__partner__name="SOLIDATECH",
        operator__partner__address="3 rue de la Fontaine",
        operator__partner__postal_code="49300",
        operator__partner__city="Cholet",
        operator__partner__phone="",
    )
    identity = operator_identity(call)
    assert (identity.name, identity.address, identity.city) == (
        "SOLIDATECH",
        "3 rue de la Fontaine",
        "Cholet",
    )
    assert identity.legal_form == "Association loi 1901"  # partners record no legal form
    assert identity.phone == "02 41 00 00 00"


def test_the_settings_lend_nothing_to_another_organisation(settings, call):
    settings.DOCUMENTS_ISSUER_NAME = "Solidatech"
    settings.DOCUMENTS_ISSUER_LEGAL_FORM = "Association loi 1901"
    settings.DOCUMENTS_ISSUER_SIRET = siret_for(777)
    Partner.objects.filter(call_roles__call=call).update(phone="", vat_number="")
    identity = operator_identity(call)
    assert identity.name == OPERATOR["name"]
    assert identity.siret == OPERATOR["siret"]
    assert (identity.legal_form, identity.phone, identity.vat_number) == ("", "", "")


def test_an_invoice_needs_an_operator_with_a_siret(settings, db_state):
    settings.DOCUMENTS_ISSUER_SIRET = ""
    application = ApplicationFactory(
        call=CallFactory(operator=None), status=ApplicationStatus.SELECTED
    )
    allocation = picked_allocation(application=application)
    before = db_state()
    with pytest.raises(DomainError, match="SIRET"):
        services.issue_invoice(allocation)
    assert db_state() == before
