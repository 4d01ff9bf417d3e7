"""What the documents say: invoice mentions and totals, Factur-X, agreements, serials.

Pictures of each rendered document are saved in ``test-output/documents/`` (pdftoppm) for
a person to look at.
"""

import hashlib
import io
import time
from decimal import Decimal

import facturx
import pytest
from django.utils import timezone
from lxml import etree
from pypdf import PdfReader

from appels import services as appels_services
from appels.models import ApplicationStatus
from equipements import services
from equipements.documents import invoice_cii_xml
from equipements.models import AllocationStatus, ItemStatus, ShipmentStatus
from solidaire.documents import DocumentKind, generate_document, request_document
from solidaire.models import DocumentStatus
from tests.documents.conftest import pdf_text, save_pictures
from tests.factories import (
    AllocatedItemFactory,
    AllocationFactory,
    ApplicationFactory,
    CallFactory,
    CallOfferFactory,
    CentreFactory,
    PackTypeFactory,
    ShipmentFactory,
    SiteFactory,
    put_in_shipment,
    staff_of,
)

pytestmark = pytest.mark.django_db


def ready(obj, kind):
    document = generate_document(request_document(obj, kind).pk)
    assert document.status == DocumentStatus.READY, document.error
    return document


PDFAID = "http://www.aiim.org/pdfa/ns/id/"
FACTURX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def xmp_properties(xmp, namespace, name):
    """The values of an XMP property, written as an element or as an attribute."""
    root = etree.fromstring(xmp)
    description = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"
    tag = f"{{{namespace}}}{name}"
    attributes = [d.get(tag) for d in root.iter(description) if d.get(tag) is not None]
    return attributes + [element.text for element in root.iter(tag)]


def compact(text):
    """pdftotext's layout with single spaces, and the narrow no-break spaces of figures."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


@pytest.fixture
def delivered_allocation():
    """Three packs of 6 tablets at 90 € delivered to a real-looking centre."""
    centre = CentreFactory(
        name="Centre social La Passerelle",
        address="12 rue Jean Jaurès",
        postal_code="59000",
        city="Lille",
        department="59",
    )
    site = SiteFactory(
        centre=centre,
        name="Espace numérique du Faubourg",
        address="4 allée des Tilleuls",
        postal_code="59000",
        city="Lille",
        contact_name="Nadia Benali",
        contact_phone="03 20 00 00 00",
        contact_email="nadia@passerelle.example.org",
    )
    call = CallFactory(
        title="Mon centre social numérique et durable",
        edition="2014",
        offers=0,
        operator__partner__name="Solidatech",
        operator__partner__address="14 rue Charles V",
        operator__partner__postal_code="75004",
        operator__partner__city="Paris",
    )
    pack = PackTypeFactory(
        name="Flotte de 6 tablettes",
        kind="tablet",
        units_per_pack=6,
        composition="6 tablettes 10 pouces, housses, chariot de charge",
    )
    CallOfferFactory(call=call, pack_type=pack, solidarity_price=Decimal("90.00"))
    application = ApplicationFactory(
        call=call, centre=centre, site=site, status=ApplicationStatus.SELECTED, lines=3
    )
    application.lines.update(granted_quantity=3, granted_unit_price=Decimal("90.00"))
    allocation = AllocationFactory(
        application=application,
        status=AllocationStatus.DELIVERED,
        lines=3,
        delivered_at=timezone.now(),
    )
    line = allocation.lines.get()
    assert line.device_count == 18
    for _ in range(18):
        AllocatedItemFactory(line=line, item__status=ItemStatus.DELIVERED)
    return allocation


def test_invoice_pdf_has_mandatory_mentions_and_right_totals(delivered_allocation, settings):
    settings.DOCUMENTS_ISSUER_IBAN = "FR76 3000 4000 0500 0012 3456 789"
    invoice = services.issue_invoice(delivered_allocation)

    started = time.perf_counter()
    document = ready(invoice, DocumentKind.INVOICE)
    elapsed = time.perf_counter() - started

    data = document.file.read()
    text = compact(pdf_text(data))
    save_pictures(data, "invoice")
    assert invoice.number in text
    assert "FACTURE" in text
    # Seller and buyer identities, with SIRET.
    assert "Solidatech" in text and invoice.seller_siret in text
    assert "Centre social La Passerelle" in text and invoice.buyer_siret in text
    assert "12 rue Jean Jaurès, 59000 Lille" in text
    # Dates: issue, due, delivery.
    assert f"Date d’émission {invoice.issued_on.day}" in text
    assert "Date d’échéance" in text and "Date de livraison" in text
    # Lines, totals, VAT exemption, payment terms and the legal penalties.
    assert "Flotte de 6 tablettes 3 90,00 € 0,00 % 270,00 €" in text
    assert "Total HT 270,00 €" in text
    assert "Total TTC à payer 270,00 €" in text
    assert "TVA non applicable, art. 261-7-1° b du CGI" in text
    assert "Paiement à 30 jours par virement" in text
    assert "trois fois le taux d’intérêt légal" in text
    assert "40,00 €" in text and "frais de recouvrement" in text
    assert "FR76 3000 4000 0500 0012 3456 789" in text
    print(f"invoice rendered in {elapsed:.2f} s")


def test_invoice_pdf_is_a_factur_x_whose_xml_validates(delivered_allocation):
    invoice = services.issue_invoice(delivered_allocation)
    data = ready(invoice, DocumentKind.INVOICE).file.read()

    filename, xml = facturx.get_xml_from_pdf(data, check_xsd=True)
    assert filename == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    root = etree.fromstring(xml)
    ns = {
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    }
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=ns) == invoice.number
    assert root.findtext(".//ram:GrandTotalAmount", namespaces=ns) == "270.00"
    assert root.findtext(".//ram:ExemptionReason", namespaces=ns).startswith("TVA non applicable")
    # PDF/A-3 with the XML as an associated file.
    reader = PdfReader(io.BytesIO(data))
    assert "factur-x.xml" in reader.attachments
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data()
    assert xmp_properties(xmp, PDFAID, "part") == ["3"]
    assert xmp_properties(xmp, PDFAID, "conformance") == ["B"]
    assert xmp_properties(xmp, FACTURX, "ConformanceLevel") == ["EN 16931"]
    assert xmp_properties(xmp, FACTURX, "DocumentFileName") == ["factur-x.xml"]
    # The fx: properties are declared by a PDF/A extension schema.
    assert FACTURX.encode() in xmp and b"Factur-X PDFA Extension Schema" in xmp
    assert "/OutputIntents" in catalog and "/AF" in catalog


def test_a_credit_note_refers_to_its_invoice_and_validates(delivered_allocation):
    invoice = services.issue_invoice(delivered_allocation)
    note = services.issue_credit_note(invoice, reason="Pack retourné complet")
    data = ready(note, DocumentKind.CREDIT_NOTE).file.read()
    text = compact(pdf_text(data))
    save_pictures(data, "credit-note")
    assert "AVOIR" in text and note.number in text
    assert f"Avoir sur la facture n° {invoice.number}" in text
    assert "Total TTC à déduire 270,00 €" in text
    _filename, xml = facturx.get_xml_from_pdf(data, check_xsd=True)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert invoice.number.encode() in xml


def test_the_xml_of_an_invoice_with_vat_uses_the_standard_rate(delivered_allocation, settings):
    settings.INVOICE_VAT_RATE = "20"
    invoice = services.issue_invoice(delivered_allocation)
    xml = invoice_cii_xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:CategoryCode>S</ram:CategoryCode>" in xml
    assert b"<ram:GrandTotalAmount>324.00</ram:GrandTotalAmount>" in xml


def test_agreement_pdf_before_and_after_signature(delivered_allocation):
    application = delivered_allocation.application
    agreement = appels_services.issue_agreement(application)
    issued_document = ready(agreement, DocumentKind.AGREEMENT)
    issued = issued_document.file.read()
    text = compact(pdf_text(issued))
    save_pictures(issued, "agreement")
    assert agreement.number in text
    assert "Centre social La Passerelle" in text and application.centre.siret in text
    assert application.title in text
    assert "Flotte de 6 tablettes 3 18 90,00 € 270,00 €" in text
    assert "enquête de satisfaction" in text and "service après-vente" in text
    assert "Acceptée électroniquement" not in text

    referent = staff_of(application.centre)[0]
    signed_at = timezone.now()
    appels_services.sign_agreement(
        agreement,
        by=referent,
        signer_name="Claude Bernard",
        signer_role="Présidente",
        document_sha256=issued_document.sha256,
        ip_address="203.0.113.9",
    )
    signed = ready(agreement, DocumentKind.AGREEMENT_SIGNED).file.read()
    text = compact(pdf_text(signed))
    save_pictures(signed, "agreement-signed", first=2, last=2)
    assert "Acceptée électroniquement" in text
    assert "par Claude Bernard, Présidente" in text
    assert timezone.localtime(signed_at).strftime("%Y") in text
    assert referent.email in text
    # Where from, and which PDF was read: its checksum, the one of the issued file.
    assert "Adresse IP : 203.0.113.9" in text
    assert hashlib.sha256(issued).hexdigest() in text.replace(" ", "")
    # The issued version is kept as it was.
    assert hashlib.sha256(issued).hexdigest() != hashlib.sha256(signed).hexdigest()


def test_shipment_sheet_lists_site_contact_parcels_and_every_serial(delivered_allocation):
    sheet_shipment = ShipmentFactory(
        site=delivered_allocation.application.site,
        status=ShipmentStatus.SHIPPED,
        parcels=3,
        weight_kg=Decimal("24.5"),
        carrier="Colissimo",
        tracking_number="6A12345678901",
    )
    put_in_shipment(delivered_allocation, sheet_shipment)
    data = ready(sheet_shipment, DocumentKind.SHIPMENT_SHEET).file.read()
    raw = pdf_text(data)
    text = compact(raw)
    save_pictures(data, "shipment-sheet")
    assert sheet_shipment.reference in text
    assert "Espace numérique du Faubourg" in text and "4 allée des Tilleuls" in text
    assert "Nadia Benali" in text and "03 20 00 00 00" in text
    assert "Colissimo" in text and "6A12345678901" in text and "24,5 kg" in text
    serials = [
        picked.item.serial_number
        for picked in delivered_allocation.lines.get().allocated_items.select_related("item")
    ]
    assert len(serials) == 18
    for serial in serials:
        assert serial in raw
    assert "Réception par le centre" in text


def test_shipment_sheet_weight_comes_from_the_devices_when_none_was_entered(
    delivered_allocation,
):
    """18 devices of 7.50 kg (the factory's model weight) and no weight entered: ≈ 135 kg;
    one device of a model without a weight: no estimate."""
    from equipements.documents import shipment_sheets

    shipment = ShipmentFactory(
        site=delivered_allocation.application.site, status=ShipmentStatus.SHIPPED
    )
    put_in_shipment(delivered_allocation, shipment)
    assert shipment.weight_kg is None
    data = ready(shipment, DocumentKind.SHIPMENT_SHEET).file.read()
    assert "≈ 135,0 kg" in compact(pdf_text(data))

    picked = delivered_allocation.lines.get().allocated_items.select_related("item").first()
    model = picked.item.device_model
    model.weight_kg = None
    model.save(update_fields=["weight_kg"])
    [sheet] = shipment_sheets([shipment])
    assert (sheet["weight_kg"], sheet["weight_is_estimate"]) == (None, False)
    shipment.weight_kg = Decimal("20")
    shipment.save(update_fields=["weight_kg"])
    [sheet] = shipment_sheets([shipment])
    assert (sheet["weight_kg"], sheet["weight_is_estimate"]) == (Decimal("20"), False)


def test_a_renderer_process_keeps_what_it_loaded_out_of_the_garbage_collector():
    """Workers and bulk renderers freeze their warm state (modules, fonts, stylesheets) and
    collect young objects less often: full collections walked all of it again, 20–25% of a
    chunk's CPU."""
    import gc

    from solidaire.documents.rendering import RENDERER_GC_THRESHOLD, prepare_renderer_process

    thresholds = gc.get_threshold()
    try:
        prepare_renderer_process()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == RENDERER_GC_THRESHOLD
        assert RENDERER_GC_THRESHOLD[0] > thresholds[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
