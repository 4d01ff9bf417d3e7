"""Documents of the equipment side: invoices (Factur-X) and shipment sheets.

Registered with :mod:`solidaire.documents` when the app is ready; the worker calls these
functions to build a template's context, never the other way round.
"""

import re
from collections import defaultdict
from decimal import Decimal
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.db.models import Prefetch
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from lxml import etree

from appels.operator import OperatorIdentity
from solidaire.documents import DocumentKind, Rendering, register
from solidaire.documents.registry import Attachment

from .models import (
    AllocatedItem,
    Allocation,
    AllocationLine,
    Invoice,
    InvoiceKind,
    ReplacementShipment,
    Shipment,
)

# --- Invoices -------------------------------------------------------------------------------

INVOICE_KINDS = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)


def _invoice(invoice):
    return (
        Invoice.objects.select_related(
            "allocation__application__call", "allocation__application__centre", "corrects"
        )
        .prefetch_related("lines")
        .get(pk=invoice.pk)
    )


def invoice_rendering(invoice):
    invoice = _invoice(invoice)
    is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    allocation = invoice.allocation
    delivered_at = allocation.delivered_at
    title = f"{capfirst(invoice.get_kind_display())} {invoice.number}"
    xml = invoice_cii_xml(invoice)
    check_facturx_xml(xml)
    lines = list(invoice.lines.all())
    if is_credit_note:
        # The credit note reads in positive figures: its nature says they are deducted.
        for line in lines:
            line.quantity = -line.quantity
            line.total_excl_tax = -line.total_excl_tax
    return Rendering(
        template_name="documents/invoice.html",
        context={
            "invoice": invoice,
            "lines": lines,
            "is_credit_note": is_credit_note,
            "totals": {
                "excl_tax": abs(invoice.total_excl_tax),
                "vat": abs(invoice.total_vat),
                "incl_tax": abs(invoice.total_incl_tax),
            },
            "call": allocation.application.call,
            "delivered_on": delivered_at.date() if delivered_at else None,
            "legal": {
                "late_penalty": settings.INVOICE_LATE_PENALTY_MENTION,
                "recovery_fee": Decimal(settings.INVOICE_RECOVERY_FEE),
                "early_payment": settings.INVOICE_EARLY_PAYMENT_MENTION,
            },
        },
        filename=f"{invoice.number}.pdf",
        # Factur-X: a PDF/A-3 carrying its XML, embedded while WeasyPrint writes the PDF.
        pdf_variant="pdf/a-3b",
        attachments=[
            Attachment(
                name=FACTURX_FILENAME,
                content=xml,
                relationship="Data",
                description="Factur-X (EN 16931)",
            )
        ],
        xmp_metadata=[FACTURX_XMP],
        metadata={
            "title": title,
            "authors": [invoice.seller_name],
            "keywords": ["Factur-X"],
            "description": f"{title} – {invoice.buyer_name}",
        },
    )


@register(
    DocumentKind.INVOICE,
    "equipements.Invoice",
    immutable=True,
    backfill=lambda invoices: invoices.filter(kind=InvoiceKind.INVOICE),
)
def render_invoice(invoice):
    return invoice_rendering(invoice)


@register(
    DocumentKind.CREDIT_NOTE,
    "equipements.Invoice",
    immutable=True,
    backfill=lambda invoices: invoices.filter(kind=InvoiceKind.CREDIT_NOTE),
)
def render_credit_note(invoice):
    return invoice_rendering(invoice)


FACTURX_FILENAME = "factur-x.xml"
FACTURX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
# The XMP of a Factur-X EN 16931 invoice: its fx: properties and the PDF/A extension schema
# that declares them (WeasyPrint writes the PDF/A identification and the Dublin Core part).
_FACTURX_PROPERTIES = "".join(
    f"""
              <rdf:li rdf:parseType="Resource">
                <pdfaProperty:name>{name}</pdfaProperty:name>
                <pdfaProperty:valueType>Text</pdfaProperty:valueType>
                <pdfaProperty:category>external</pdfaProperty:category>
                <pdfaProperty:description>{description}</pdfaProperty:description>
              </rdf:li>"""
    for name, description in (
        ("DocumentFileName", "The name of the embedded XML document"),
        ("DocumentType", "The type of the hybrid document in capital letters"),
        ("Version", "The actual version of the standard applying to the XML"),
        ("ConformanceLevel", "The conformance level of the embedded XML"),
    )
)
FACTURX_XMP = f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns:fx="{FACTURX_URN}"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
  <rdf:Description rdf:about="">
    <pdfaExtension:schemas>
      <rdf:Bag>
        <rdf:li rdf:parseType="Resource">
          <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
          <pdfaSchema:namespaceURI>{FACTURX_URN}</pdfaSchema:namespaceURI>
          <pdfaSchema:prefix>fx</pdfaSchema:prefix>
          <pdfaSchema:property>
            <rdf:Seq>{_FACTURX_PROPERTIES}
            </rdf:Seq>
          </pdfaSchema:property>
        </rdf:li>
      </rdf:Bag>
    </pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="">
    <fx:DocumentType>INVOICE</fx:DocumentType>
    <fx:DocumentFileName>{FACTURX_FILENAME}</fx:DocumentFileName>
    <fx:Version>1.0</fx:Version>
    <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
  </rdf:Description>
</rdf:RDF>""".encode()


def check_facturx_xml(xml):
    """Raise unless the CII XML validates against the Factur-X EN 16931 schema."""
    import facturx  # noqa: PLC0415

    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")


# EN 16931 in UN/CEFACT CII (Factur-X profile EN16931).
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
POSTCODE_CITY = re.compile(r"^(?P<street>.*?),?\s*(?P<postcode>\d{5})\s+(?P<city>[^,]+)$")


def _el(parent, tag, text=None, **attributes):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", **attributes)
    if text is not None:
        element.text = str(text)
    return element


def _amount(value):
    return f"{abs(Decimal(value)):.2f}"


def _date(parent, tag, day, prefix="udt"):
    wrapper = _el(parent, tag)
    _el(wrapper, f"{prefix}:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent, tag, name, address, siret, vat_number=""):
    party = _el(parent, tag)
    _el(party, "ram:Name", name)
    if siret:
        legal = _el(party, "ram:SpecifiedLegalOrganization")
        # ICD 0009: SIRET.
        _el(legal, "ram:ID", siret, schemeID="0009")
    postal = _el(party, "ram:PostalTradeAddress")
    match = POSTCODE_CITY.match(address.strip())
    if match:
        _el(postal, "ram:PostcodeCode", match["postcode"])
        _el(postal, "ram:LineOne", match["street"].strip() or address)
        _el(postal, "ram:CityName", match["city"].strip())
    else:
        _el(postal, "ram:LineOne", address)
    _el(postal, "ram:CountryID", "FR")
    if vat_number:
        registration = _el(party, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", vat_number, schemeID="VA")
    return party


def invoice_cii_xml(invoice):
    """The EN 16931 Cross Industry Invoice of an invoice or credit note, as bytes."""
    is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    vat_category = "S" if invoice.vat_rate else "E"
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    guideline = _el(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _el(guideline, "ram:ID", "urn:cen.eu:en16931:2017")

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", "381" if is_credit_note else "380")
    _date(document, "ram:IssueDateTime", invoice.issued_on)
    notes = [invoice.reason] if is_credit_note and invoice.reason else []
    if not is_credit_note:
        notes.append(
            f"{settings.INVOICE_LATE_PENALTY_MENTION}. Indemnité forfaitaire pour frais de "
            f"recouvrement : {Decimal(settings.INVOICE_RECOVERY_FEE):.2f} EUR."
        )
    for note in notes:
        included = _el(document, "ram:IncludedNote")
        _el(included, "ram:Content", note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines.all():
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_document, "ram:LineID", line.position)
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _amount(line.unit_price))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", abs(line.quantity), unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", vat_category)
        _el(tax, "ram:RateApplicablePercent", f"{invoice.vat_rate:.2f}")
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.total_excl_tax))

    header_agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(
        header_agreement,
        "ram:SellerTradeParty",
        invoice.seller_name,
        invoice.seller_address,
        invoice.seller_siret,
        invoice.seller_vat_number,
    )
    _party(
        header_agreement,
        "ram:BuyerTradeParty",
        invoice.buyer_name,
        invoice.buyer_address,
        invoice.buyer_siret,
    )
    header_delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    delivered_at = invoice.allocation.delivered_at
    if delivered_at:
        event = _el(header_delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", delivered_at.date())

    header_settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(header_settlement, "ram:PaymentReference", invoice.number)
    _el(header_settlement, "ram:InvoiceCurrencyCode", "EUR")
    means = _el(header_settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    # 58: SEPA credit transfer; 30: credit transfer without an account given.
    _el(means, "ram:TypeCode", "58" if settings.DOCUMENTS_ISSUER_IBAN else "30")
    if settings.DOCUMENTS_ISSUER_IBAN:
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", settings.DOCUMENTS_ISSUER_IBAN.replace(" ", ""))
    tax = _el(header_settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:CalculatedAmount", _amount(invoice.total_vat))
    _el(tax, "ram:TypeCode", "VAT")
    if vat_category == "E":
        _el(tax, "ram:ExemptionReason", invoice.vat_mention or "Exonération")
    _el(tax, "ram:BasisAmount", _amount(invoice.total_excl_tax))
    _el(tax, "ram:CategoryCode", vat_category)
    _el(tax, "ram:RateApplicablePercent", f"{invoice.vat_rate:.2f}")
    terms = _el(header_settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", invoice.payment_terms)
    if not is_credit_note:
        _date(terms, "ram:DueDateDateTime", invoice.due_on)
    totals = _el(header_settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(invoice.total_excl_tax))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(invoice.total_excl_tax))
    _el(totals, "ram:TaxTotalAmount", _amount(invoice.total_vat), currencyID="EUR")
    _el(totals, "ram:GrandTotalAmount", _amount(invoice.total_incl_tax))
    _el(totals, "ram:DuePayableAmount", _amount(invoice.total_incl_tax))
    if is_credit_note and invoice.corrects_id:
        referenced = _el(header_settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", invoice.corrects.number)
        _date(referenced, "ram:FormattedIssueDateTime", invoice.corrects.issued_on, "qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- Shipment sheets --------------------------------------------------------------------

# The sheets' own stylesheet, smaller than print.css: a bulk print lays out hundreds of them.
SHEET_STYLESHEET = "documents/sheet.css"


def shipment_sheets(shipments):
    """One sheet per shipment: site and contact, packs, items with serials (few queries)."""
    shipments = list(
        Shipment.objects.filter(pk__in=[s.pk for s in shipments])
        .select_related("site__centre")
        .prefetch_related(
            Prefetch(
                "allocations",
                # Only the call's edition: a call row is wide (texts of the call for projects).
                Allocation.objects.select_related("application__call")
                .only("shipment_id", "created_at", "application__call__edition")
                .prefetch_related(
                    Prefetch("lines", AllocationLine.objects.select_related("pack_type"))
                ),
            )
        )
    )
    order = {pk: index for index, pk in enumerate(s.pk for s in shipments)}
    picked = (
        AllocatedItem.objects.filter(shipment__in=shipments, released_at__isnull=True)
        .select_related("item__device_model", "line__pack_type")
        .order_by("shipment_id", "item__serial_number")
    )
    items = defaultdict(list)
    for shipment_id, group in groupby(picked, key=attrgetter("shipment_id")):
        items[shipment_id] = list(group)
    sheets = []
    # Shipments created before the sender was copied print the settings' issuer, as then.
    legacy_sender = OperatorIdentity.from_settings()
    for shipment in sorted(shipments, key=lambda s: order[s.pk]):
        allocations = list(shipment.allocations.all())
        lines = [line for allocation in allocations for line in allocation.lines.all()]
        shipment_items = items.get(shipment.pk, [])
        weight_kg, weight_is_estimate = shipment_weight(shipment, shipment_items)
        sheets.append(
            {
                "shipment": shipment,
                "site": shipment.site,
                "centre": shipment.site.centre,
                "sender": shipment.operator or legacy_sender,
                "calls": sorted({a.application.call.edition for a in allocations}),
                "lines": lines,
                "pack_count": sum(line.quantity for line in lines),
                "items": shipment_items,
                "weight_kg": weight_kg,
                "weight_is_estimate": weight_is_estimate,
            }
        )
    return sheets


def shipment_weight(shipment, picked_items):
    """``(kg, is_estimate)``: the weight entered for the shipment, else the sum of its
    devices' model weights when every model has one, else ``(None, False)``."""
    if shipment.weight_kg is not None:
        return shipment.weight_kg, False
    weights = [picked.item.device_model.weight_kg for picked in picked_items]
    if not weights or any(weight is None for weight in weights):
        return None, False
    return sum(weights, Decimal(0)), True


@register(DocumentKind.SHIPMENT_SHEET, "equipements.Shipment")
def render_shipment_sheet(shipment):
    return Rendering(
        template_name="documents/shipment_sheets.html",
        context={"sheets": shipment_sheets([shipment]), "title": shipment.reference},
        filename=f"bordereau-{shipment.reference}.pdf",
        stylesheet=SHEET_STYLESHEET,
    )


@register(DocumentKind.SHIPMENT_SHEETS_BULK, "equipements.Shipment", bulk=True, chunk_size=25)
def render_shipment_sheets(shipments):
    return Rendering(
        template_name="documents/shipment_sheets.html",
        context={"sheets": shipment_sheets(shipments), "title": _("Bordereaux d’expédition")},
        filename="bordereaux-expedition.pdf",
        stylesheet=SHEET_STYLESHEET,
    )


# --- Replacement sheets (after-sales) ---------------------------------------------------


def replacement_sheet_context(shipment):
    """The replacement's sheet: site and contact, the replacement unit, the faulty unit to
    send back. One query."""
    shipment = ReplacementShipment.objects.select_related(
        "site__centre",
        "item__device_model",
        "item__pack_type",
        "ticket__item__device_model",
    ).get(pk=shipment.pk)
    return {
        "shipment": shipment,
        "ticket": shipment.ticket,
        "site": shipment.site,
        "centre": shipment.site.centre,
        "item": shipment.item,
        "faulty": shipment.ticket.item,
        "title": shipment.reference,
    }


@register(DocumentKind.REPLACEMENT_SHEET, "equipements.ReplacementShipment")
def render_replacement_sheet(shipment):
    return Rendering(
        template_name="documents/replacement_sheet.html",
        context=replacement_sheet_context(shipment),
        filename=f"bordereau-{shipment.reference}.pdf",
        stylesheet=SHEET_STYLESHEET,
    )
