"""Use cases of stock, allocations, shipments, invoices and after-sales.

One function, one transaction; row locks where two people can race (picking items,
numbering invoices). Illegal moves raise :class:`~solidaire.errors.DomainError`.
"""

import os
import uuid
import zipfile
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appels.models import ApplicationStatus
from appels.services import ATTACHMENT_MAX_SIZE, sniff_attachment
from centres.models import User
from centres.roles import LOGISTICS
from solidaire.documents import DocumentKind, request_document
from solidaire.errors import DomainError
from solidaire.outbox import queue_email
from solidaire.queue import enqueue_on_commit
from solidaire.states import transition

from . import tasks
from .models import (
    ALLOCATION_LIFECYCLE,
    INVOICE_LIFECYCLE,
    ITEM_LIFECYCLE,
    REPLACEMENT_LIFECYCLE,
    RETURN_LIFECYCLE,
    SHIPMENT_LIFECYCLE,
    TICKET_LIFECYCLE,
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Item,
    ItemReturn,
    ItemStatus,
    Provenance,
    ReplacementShipment,
    ReplacementStatus,
    Resolution,
    ReturnStatus,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketMessage,
    TicketStatus,
)
from .pricing import check_resale_ceilings

CENTS = Decimal("0.01")


def _locked(obj):
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def _move_items(items, target):
    for item in items:
        transition(item, target, ITEM_LIFECYCLE)


# --- Allocations ------------------------------------------------------------------------


@transaction.atomic
def propose_allocation(application):
    """Turn a selected application's granted lines into an allocation (idempotent)."""
    if application.status != ApplicationStatus.SELECTED:
        raise DomainError(_("Seule une candidature retenue reçoit une attribution."))
    allocation, created = Allocation.objects.get_or_create(application=application)
    if created:
        for line in application.lines.select_related("offer__pack_type").filter(
            granted_quantity__gt=0
        ):
            AllocationLine.objects.create(
                allocation=allocation,
                offer=line.offer,
                pack_type=line.offer.pack_type,
                quantity=line.granted_quantity,
                units_per_pack=line.offer.pack_type.units_per_pack,
                unit_price=line.granted_unit_price,
                market_unit_value=line.offer.pack_type.market_value,
            )
    return allocation


@transaction.atomic
def confirm_allocation(allocation, *, by=None, now=None):
    allocation = _locked(allocation)
    transition(allocation, AllocationStatus.CONFIRMED, ALLOCATION_LIFECYCLE, save=False)
    allocation.confirmed_at = now or timezone.now()
    allocation.save(update_fields=["status", "confirmed_at"])
    if not allocation.application.call.invoice_on_delivery:
        issue_invoice(allocation, now=now)
    return allocation


@transaction.atomic
def cancel_allocation(allocation, *, by=None):
    """Cancel an allocation not yet shipped; its picked items go back to stock."""
    allocation = _locked(allocation)
    transition(allocation, AllocationStatus.CANCELLED, ALLOCATION_LIFECYCLE)
    _release_items(allocation)
    return allocation


def _release_items(allocation):
    now = timezone.now()
    picked = AllocatedItem.objects.select_related("item").filter(
        line__allocation=allocation, released_at__isnull=True
    )
    items = [Item.objects.select_for_update().get(pk=p.item_id) for p in picked]
    picked.update(released_at=now)
    _move_items(items, ItemStatus.IN_STOCK)


@transaction.atomic
def pick_items(allocation, *, serials=None, by=None):
    """Reserve the items of a confirmed allocation, all lines at once.

    Without ``serials``, the oldest items in stock of each line's pack type (and grade,
    when the line asks for one) are taken;
    with ``serials`` (a scanner), exactly those. Rows are locked with ``SKIP LOCKED`` so two
    people picking at once never take the same item and stock never goes negative.
    """
    allocation = _locked(allocation)
    if allocation.status != AllocationStatus.CONFIRMED:
        raise DomainError(_("Le matériel se prépare pour une attribution confirmée."))
    lines = list(allocation.lines.select_related("pack_type"))
    for line in lines:
        needed = line.device_count - line.allocated_items.filter(released_at__isnull=True).count()
        if needed <= 0:
            continue
        available = Item.objects.select_for_update(skip_locked=True).filter(
            pack_type=line.pack_type, status=ItemStatus.IN_STOCK
        )
        if line.grade:
            available = available.filter(grade=line.grade)
        if serials is not None:
            available = available.filter(serial_number__in=serials)
        items = list(available.order_by("received_on", "pk")[:needed])
        if len(items) < needed:
            raise DomainError(
                _(
                    "Stock insuffisant pour « %(pack)s » : %(needed)s appareils nécessaires, "
                    "%(found)s disponibles."
                )
                % {"pack": line.pack_type, "needed": needed, "found": len(items)},
                code="out_of_stock",
            )
        _move_items(items, ItemStatus.RESERVED)
        AllocatedItem.objects.bulk_create(AllocatedItem(line=line, item=i) for i in items)
    return transition(allocation, AllocationStatus.PICKED, ALLOCATION_LIFECYCLE)


def picking_progress(allocation):
    """``[(line, picked, needed)]`` for an allocation's lines (two queries)."""
    lines = list(
        allocation.lines.select_related("pack_type").annotate(
            picked=Count("allocated_items", filter=Q(allocated_items__released_at__isnull=True))
        )
    )
    return [(line, line.picked, line.device_count) for line in lines]


@transaction.atomic
def scan_item(allocation, serial, *, by=None):
    """Reserve one scanned item for a confirmed allocation (a barcode scanner types the serial).

    The item must be in stock, of a pack type (and grade) that a line still needs. When the
    last item is scanned the allocation is picked. Returns the reserved item. The item row is
    locked, so the same serial scanned at two packing tables is reserved once.
    """
    allocation = _locked(allocation)
    if allocation.status != AllocationStatus.CONFIRMED:
        raise DomainError(_("Le matériel se prépare pour une attribution confirmée."))
    serial = (serial or "").strip()
    if not serial:
        raise DomainError(_("Scannez ou saisissez un numéro de série."), code="serial_required")
    item = (
        Item.objects.select_for_update()
        .select_related("pack_type")
        .filter(serial_number__iexact=serial)
        .first()
    )
    if item is None:
        raise DomainError(
            _("Aucun matériel ne porte le n° de série « %(serial)s ».") % {"serial": serial},
            code="unknown_serial",
        )
    if item.status != ItemStatus.IN_STOCK:
        raise DomainError(
            _("« %(serial)s » n’est pas disponible : %(status)s.")
            % {"serial": item.serial_number, "status": item.get_status_display()},
            code="not_in_stock",
        )
    progress = picking_progress(allocation)
    wanted = [
        line
        for line, picked, needed in progress
        if picked < needed and line.pack_type_id == item.pack_type_id
    ]
    if not wanted:
        raise DomainError(
            _("« %(serial)s » (%(pack)s) n’est pas attendu dans cette attribution.")
            % {"serial": item.serial_number, "pack": item.pack_type},
            code="not_expected",
        )
    line = next((line for line in wanted if not line.grade or line.grade == item.grade), None)
    if line is None:
        raise DomainError(
            _("« %(serial)s » est de grade %(grade)s ; le grade %(asked)s est demandé.")
            % {
                "serial": item.serial_number,
                "grade": item.grade,
                "asked": ", ".join(sorted({line.grade for line in wanted})),
            },
            code="wrong_grade",
        )
    transition(item, ItemStatus.RESERVED, ITEM_LIFECYCLE)
    AllocatedItem.objects.create(line=line, item=item)
    remaining = sum(needed - picked for _line, picked, needed in progress) - 1
    if remaining == 0:
        transition(allocation, AllocationStatus.PICKED, ALLOCATION_LIFECYCLE)
    return item


@transaction.atomic
def unpick_item(allocation, item, *, by=None):
    """Put back a scanned item (wrong box): it returns to stock, the allocation to confirmed."""
    allocation = _locked(allocation)
    if allocation.status not in (AllocationStatus.CONFIRMED, AllocationStatus.PICKED):
        raise DomainError(_("Ce matériel est déjà parti : il ne se retire plus."))
    picked = (
        AllocatedItem.objects.select_for_update()
        .filter(line__allocation=allocation, item=item, released_at__isnull=True)
        .first()
    )
    if picked is None:
        raise DomainError(_("Ce matériel n’est pas préparé pour cette attribution."))
    picked.released_at = timezone.now()
    picked.save(update_fields=["released_at"])
    transition(_locked(item), ItemStatus.IN_STOCK, ITEM_LIFECYCLE)
    if allocation.status == AllocationStatus.PICKED:
        transition(allocation, AllocationStatus.CONFIRMED, ALLOCATION_LIFECYCLE)
    return allocation


@transaction.atomic
def create_shipments_by_site(allocations, *, by=None, now=None):
    """Group picked allocations by receiving site: one shipment per site. Returns them."""
    by_site = {}
    for allocation in Allocation.objects.select_related("application").filter(
        pk__in=[a.pk for a in allocations]
    ):
        by_site.setdefault(allocation.application.site_id, []).append(allocation)
    return [create_shipment(group, now=now) for _site, group in sorted(by_site.items())]


class ImportRefused(DomainError):
    """A batch file with bad rows: nothing was imported. ``rows`` lists ``(line, reason)``."""

    def __init__(self, rows):
        self.rows = rows
        super().__init__(
            [_("Ligne %(line)s : %(reason)s") % {"line": n, "reason": r} for n, r in rows],
            code="import_refused",
        )


def import_report(result):
    """``[(line number, reason)]`` of a django-import-export result, in file order.

    Line numbers count the header as line 1, as a spreadsheet shows them.
    """
    rows = []
    for error in result.base_errors:
        rows.append((1, str(error.error)))
    for row_number, errors in result.row_errors():
        for error in errors:
            rows.append((row_number + 1, str(error.error)))
    for invalid in result.invalid_rows:
        for field, messages in invalid.error_dict.items():
            label = invalid.field_specific_errors and field != "__all__"
            for message in messages:
                text = f"{field} : {message}" if label else str(message)
                rows.append((invalid.number + 1, text))
    return sorted(rows, key=lambda row: row[0])


# A batch file is a few thousand rows: a few megabytes at most.  An XLSX file is a zip archive
# that the import unpacks in memory, so what it unpacks to is bounded too (a zip bomb of a
# few kilobytes can unpack to gigabytes).
IMPORT_MAX_FILE_BYTES = 5 * 1024 * 1024
IMPORT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
IMPORT_MAX_ZIP_PARTS = 100
IMPORT_MAX_COMPRESSION_RATIO = 100


def check_import_file(upload):
    """Refuse a batch file that would cost more to read than any real batch: over 5 MB, or a
    spreadsheet (zip) that unpacks to more than 50 MB, holds more than 100 parts, or one of
    whose parts is compressed more than 100 to 1.  Reads only the zip's directory."""
    if upload.size > IMPORT_MAX_FILE_BYTES:
        raise DomainError(
            _("Le fichier dépasse %(size)s Mo : découpez le lot en plusieurs fichiers.")
            % {"size": IMPORT_MAX_FILE_BYTES // (1024 * 1024)},
            code="import_too_large",
        )
    upload.seek(0)
    is_zip = zipfile.is_zipfile(upload)
    upload.seek(0)
    if not is_zip:
        return
    refused = DomainError(
        _(
            "Ce classeur se décompresse en un volume anormal (archive piégée ?) : "
            "enregistrez-le à nouveau depuis votre tableur, ou exportez-le en CSV."
        ),
        code="import_zip_bomb",
    )
    try:
        with zipfile.ZipFile(upload) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise DomainError(_("Ce classeur est illisible."), code="import_bad_zip") from error
    finally:
        upload.seek(0)
    if len(parts) > IMPORT_MAX_ZIP_PARTS:
        raise refused
    if sum(part.file_size for part in parts) > IMPORT_MAX_UNPACKED_BYTES:
        raise refused
    for part in parts:
        if part.file_size > IMPORT_MAX_COMPRESSION_RATIO * max(part.compress_size, 1024):
            raise refused


@transaction.atomic
def import_items(dataset, *, batch, by=None):
    """Import a refurbisher's batch (a tablib ``Dataset``): every row, or none.

    Raises :class:`ImportRefused` with each bad row's line and reason. Returns the number
    of items created.
    """
    from .resources import ItemResource  # noqa: PLC0415 - resources import services' models

    result = ItemResource(batch=batch).import_data(
        dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )
    if result.has_errors() or result.has_validation_errors():
        raise ImportRefused(import_report(result))
    return result.totals["new"]


# --- Shipments --------------------------------------------------------------------------


@transaction.atomic
def create_shipment(
    allocations, *, parcels=1, weight_kg=None, carrier="", tracking_number="", now=None
):
    """Group picked allocations bound for the same receiving site into one shipment."""
    allocations = list(
        Allocation.objects.select_for_update()
        .select_related("application")
        .filter(pk__in=[a.pk for a in allocations])
    )
    if not allocations:
        raise DomainError(_("Choisissez au moins une attribution."))
    sites = {a.application.site_id for a in allocations}
    if len(sites) != 1 or None in sites:
        raise DomainError(_("Une expédition part vers un seul site de réception."))
    for allocation in allocations:
        if allocation.status != AllocationStatus.PICKED or allocation.shipment_id:
            raise DomainError(
                _("« %(allocation)s » n’est pas prête à expédier.") % {"allocation": allocation}
            )
    now = now or timezone.now()
    shipment = Shipment.objects.create(
        reference=f"EXP-{uuid.uuid4().hex[:12].upper()}",
        site_id=sites.pop(),
        parcels=parcels,
        weight_kg=weight_kg,
        carrier=carrier,
        tracking_number=tracking_number,
    )
    # A readable reference from the row's own id: unique without counting rows.
    shipment.reference = f"EXP-{now:%Y}-{shipment.pk:06d}"
    shipment.save(update_fields=["reference"])
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(shipment=shipment)
    request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    return shipment


def _shipment_items(shipment):
    return list(
        Item.objects.select_for_update().filter(
            allocations__line__allocation__shipment=shipment,
            allocations__released_at__isnull=True,
        )
    )


@transaction.atomic
def ship_shipment(shipment, *, carrier=None, tracking_number=None, now=None):
    """Mark shipped: allocations and items follow; refurbished items need an erasure record."""
    shipment = _locked(shipment)
    if carrier is not None:
        shipment.carrier = carrier
    if tracking_number is not None:
        shipment.tracking_number = tracking_number
    if not shipment.carrier:
        raise DomainError(_("Indiquez le transporteur avant d’expédier."), code="carrier")
    items = _shipment_items(shipment)
    missing = [
        i.serial_number
        for i in Item.objects.filter(
            pk__in=[i.pk for i in items], provenance=Provenance.REFURBISHED, erasure__isnull=True
        )
    ]
    if missing:
        raise DomainError(
            _("Effacement des données non enregistré pour : %(serials)s.")
            % {"serials": ", ".join(sorted(missing))},
            code="erasure_missing",
        )
    transition(shipment, ShipmentStatus.SHIPPED, SHIPMENT_LIFECYCLE, save=False)
    shipment.shipped_at = now or timezone.now()
    shipment.save(update_fields=["status", "shipped_at", "carrier", "tracking_number"])
    for allocation in shipment.allocations.select_for_update():
        transition(allocation, AllocationStatus.SHIPPED, ALLOCATION_LIFECYCLE)
    _move_items(items, ItemStatus.SHIPPED)
    enqueue_on_commit(tasks.send_shipment_notice, shipment.pk)
    # The sheet now shows the shipping date, carrier and tracking number.
    request_document(shipment, DocumentKind.SHIPMENT_SHEET, force=True)
    return shipment


@transaction.atomic
def deliver_shipment(shipment, *, by=None, now=None):
    """Delivery confirmed (by the centre or logistics): allocations, items, maybe invoice."""
    shipment = _locked(shipment)
    now = now or timezone.now()
    transition(shipment, ShipmentStatus.DELIVERED, SHIPMENT_LIFECYCLE, save=False)
    shipment.delivered_at = now
    shipment.confirmed_by = by
    shipment.save(update_fields=["status", "delivered_at", "confirmed_by"])
    _move_items(_shipment_items(shipment), ItemStatus.DELIVERED)
    for allocation in shipment.allocations.select_for_update().select_related("application__call"):
        transition(allocation, AllocationStatus.DELIVERED, ALLOCATION_LIFECYCLE, save=False)
        allocation.delivered_at = now
        allocation.save(update_fields=["status", "delivered_at"])
        if allocation.application.call.invoice_on_delivery:
            issue_invoice(allocation, now=now)
    return shipment


@transaction.atomic
def confirm_reception(shipment, *, received_serials, note="", by, now=None):
    """The centre confirms what arrived, item by item.

    Everything received closes the shipment as delivered; a missing item (or a note on a
    problem) records an incident with the missing serials, for logistics to follow up.
    """
    shipment = _locked(shipment)
    expected = {item.serial_number for item in _shipment_items(shipment)}
    received = set(received_serials) & expected
    missing = sorted(expected - received)
    if not missing and not note.strip():
        return deliver_shipment(shipment, by=by, now=now)
    lines = []
    if missing:
        lines.append(_("Non reçus : %(serials)s.") % {"serials": ", ".join(missing)})
    if note.strip():
        lines.append(note.strip())
    return report_incident(shipment, note="\n".join(lines), by=by)


@transaction.atomic
def report_incident(shipment, *, note, by=None):
    shipment = _locked(shipment)
    if not note.strip():
        raise DomainError(_("Décrivez l’incident."), code="note_required")
    transition(shipment, ShipmentStatus.INCIDENT, SHIPMENT_LIFECYCLE, save=False)
    shipment.incident_note = note.strip()
    shipment.save(update_fields=["status", "incident_note"])
    return shipment


# --- Invoices ---------------------------------------------------------------------------


def next_invoice_number(series, year):
    """Take the next number of a series and year from its counter row, locked until commit.

    A database sequence would leave gaps on rollback and ``max + 1`` would duplicate under
    concurrency; the locked counter gives gapless, chronological numbers.
    """
    InvoiceCounter.objects.get_or_create(series=series, year=year)
    counter = InvoiceCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _issuer(call):
    operator = call.call_partners.select_related("partner").filter(role="operator").first()
    if operator is None:
        raise DomainError(_("L’appel n’a pas d’opérateur pour émettre les factures."))
    return operator.partner


def _vat():
    rate = Decimal(str(settings.INVOICE_VAT_RATE))
    mention = "" if rate else settings.INVOICE_VAT_EXEMPTION_MENTION
    return rate, mention


@transaction.atomic
def issue_invoice(allocation, *, now=None):
    """Issue the invoice of an allocation at the solidarity price, once.

    Seller, buyer, prices and VAT are copied onto the invoice: later changes never alter it.
    """
    allocation = (
        Allocation.objects.select_for_update()
        .select_related("application__call", "application__centre")
        .get(pk=allocation.pk)
    )
    existing = allocation.invoices.filter(kind=InvoiceKind.INVOICE).first()
    if existing:
        return existing
    now = now or timezone.now()
    issued_on = timezone.localdate(now)
    seller = _issuer(allocation.application.call)
    centre = allocation.application.centre
    rate, mention = _vat()
    lines = list(allocation.lines.select_related("pack_type"))
    check_resale_ceilings(lines, rate, issued_on)
    total_excl = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    total_vat = (total_excl * rate / 100).quantize(CENTS, rounding=ROUND_HALF_UP)
    series = settings.INVOICE_SERIES
    sequence = next_invoice_number(series, issued_on.year)
    invoice = Invoice.objects.create(
        kind=InvoiceKind.INVOICE,
        series=series,
        year=issued_on.year,
        sequence_number=sequence,
        number=f"{series}-{issued_on.year}-{sequence:05d}",
        allocation=allocation,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=settings.INVOICE_PAYMENT_DAYS),
        seller_name=seller.name,
        seller_address=seller.postal_address,
        seller_siret=seller.siret,
        seller_vat_number=seller.vat_number,
        buyer_name=centre.name,
        buyer_address=centre.postal_address,
        buyer_siret=centre.siret,
        vat_rate=rate,
        vat_mention=mention,
        total_excl_tax=total_excl,
        total_vat=total_vat,
        total_incl_tax=total_excl + total_vat,
        payment_terms=_("Paiement à %(days)s jours par virement.")
        % {"days": settings.INVOICE_PAYMENT_DAYS},
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=index,
            description=str(line.pack_type),
            quantity=line.quantity,
            unit_price=line.unit_price,
            total_excl_tax=line.quantity * line.unit_price,
        )
        for index, line in enumerate(lines, start=1)
    )
    # The PDF (Factur-X) is made by a worker once this transaction commits.
    request_document(invoice, DocumentKind.INVOICE)
    return invoice


@transaction.atomic
def mark_invoice_paid(invoice, *, paid_on=None):
    invoice = _locked(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise DomainError(_("Un avoir ne se règle pas comme une facture."))
    transition(invoice, InvoiceStatus.PAID, INVOICE_LIFECYCLE, save=False)
    invoice.paid_on = paid_on or timezone.localdate()
    invoice.save(update_fields=["status", "paid_on"])
    return invoice


@transaction.atomic
def issue_credit_note(invoice, *, reason, now=None):
    """Cancel an issued invoice in full by a credit note with its own number."""
    invoice = _locked(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise DomainError(_("Un avoir corrige une facture, pas un autre avoir."))
    if not reason.strip():
        raise DomainError(_("Indiquez le motif de l’avoir."), code="reason_required")
    if invoice.credit_notes.exists():
        raise DomainError(_("Cette facture a déjà été annulée par un avoir."))
    issued_on = timezone.localdate(now or timezone.now())
    series = settings.CREDIT_NOTE_SERIES
    sequence = next_invoice_number(series, issued_on.year)
    note = Invoice.objects.create(
        kind=InvoiceKind.CREDIT_NOTE,
        series=series,
        year=issued_on.year,
        sequence_number=sequence,
        number=f"{series}-{issued_on.year}-{sequence:05d}",
        allocation=invoice.allocation,
        corrects=invoice,
        issued_on=issued_on,
        due_on=issued_on,
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_siret=invoice.seller_siret,
        seller_vat_number=invoice.seller_vat_number,
        buyer_name=invoice.buyer_name,
        buyer_address=invoice.buyer_address,
        buyer_siret=invoice.buyer_siret,
        vat_rate=invoice.vat_rate,
        vat_mention=invoice.vat_mention,
        total_excl_tax=-invoice.total_excl_tax,
        total_vat=-invoice.total_vat,
        total_incl_tax=-invoice.total_incl_tax,
        payment_terms=invoice.payment_terms,
        reason=reason.strip(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            position=line.position,
            description=line.description,
            quantity=-line.quantity,
            unit_price=line.unit_price,
            total_excl_tax=-line.total_excl_tax,
        )
        for line in invoice.lines.all()
    )
    request_document(note, DocumentKind.CREDIT_NOTE)
    return note


# --- Items and after-sales --------------------------------------------------------------


@transaction.atomic
def set_item_status(item, target):
    """Move one item along its lifecycle (repair, restock, scrap…).

    The end of life has its own use case, which records the destination.
    """
    if target == ItemStatus.RECYCLED:
        raise DomainError(
            _("La reprise pour recyclage s’enregistre avec sa filière de destination."),
            code="destination",
        )
    return transition(_locked(item), target, ITEM_LIFECYCLE)


@transaction.atomic
def take_back_for_recycling(item, *, destination, on=None, by=None):
    """End of life: an item is taken back for recycling, recorded with its destination."""
    item = _locked(item)
    if not destination.strip():
        raise DomainError(
            _("Indiquez la filière de recyclage qui reçoit le matériel."), code="destination"
        )
    transition(item, ItemStatus.RECYCLED, ITEM_LIFECYCLE, save=False)
    item.end_of_life_on = on or timezone.localdate()
    item.end_of_life_destination = destination.strip()
    item.save(update_fields=["status", "end_of_life_on", "end_of_life_destination"])
    AllocatedItem.objects.filter(item=item, released_at__isnull=True).update(
        released_at=timezone.now()
    )
    return item


# --- After-sales: tickets, their thread, replacements and returns ------------------------
#
# Every status change of a ticket, of a replacement's shipment and of a faulty unit's return
# is e-mailed to both sides (the centre's active members, the Logistique group), and each
# message to the side that did not write it, through the outbox: in the same transaction,
# under a key unique to the event.


def _centre_emails(centre):
    return list(
        centre.memberships.filter(user__is_active=True).values_list("user__email", flat=True)
    )


def _logistics_emails():
    return list(
        User.objects.filter(is_active=True, groups__name=LOGISTICS).values_list("email", flat=True)
    )


def _ticket_urls(ticket):
    return {
        "centre": settings.SITE_URL + reverse("equipements:ticket_detail", args=[ticket.pk]),
        "logistics": settings.SITE_URL
        + reverse("admin:equipements_supportticket_change", args=[ticket.pk]),
    }


def _tell(key, ticket, template, context, *, sides=("centre", "logistics")):
    """Queue the e-mail of one event to each side, with that side's link to the ticket."""
    urls = _ticket_urls(ticket)
    for side in sides:
        recipients = _centre_emails(ticket.centre) if side == "centre" else _logistics_emails()
        queue_email(
            f"{key}:{side}",
            recipients,
            f"emails/{template}",
            {**context, "ticket": ticket, "url": urls[side], "side": side},
        )


def _ticket_moved(ticket, target, *, save_fields=()):
    """Move a (locked) ticket, count the change and tell both sides."""
    transition(ticket, target, TICKET_LIFECYCLE, save=False)
    ticket.status_changes += 1
    ticket.save(update_fields=["status", "status_changes", *save_fields])
    _tell(
        f"ticket-status:{ticket.pk}:{ticket.status}:{ticket.status_changes}",
        ticket,
        "ticket_status",
        {},
    )
    return ticket


def _replacement_event(ticket, key, event, **context):
    _tell(key, ticket, "replacement_status", {"event": event, **context})


@transaction.atomic
def open_ticket(item, *, centre, subject, description, by=None, now=None):
    """A centre opens an after-sales ticket on an item delivered to it.

    The ticket records the allocation that brought the item, so that it counts for that
    call even once the item is replaced or taken back.
    """
    item = _locked(item)
    picked = (
        AllocatedItem.objects.filter(
            item=item,
            released_at__isnull=True,
            line__allocation__application__centre=centre,
        )
        .values_list("line__allocation_id", flat=True)
        .first()
    )
    if item.status != ItemStatus.DELIVERED or picked is None:
        raise DomainError(_("Ce matériel n’a pas été livré à votre centre."))
    if not subject.strip() or not description.strip():
        raise DomainError(_("Indiquez l’objet et la description du problème."))
    ticket = SupportTicket.objects.create(
        centre=centre,
        item=item,
        allocation_id=picked,
        subject=subject.strip(),
        description=description.strip(),
        opened_by=by,
        opened_at=now or timezone.now(),
    )
    _tell(f"ticket-status:{ticket.pk}:{ticket.status}:0", ticket, "ticket_status", {})
    return ticket


@transaction.atomic
def start_ticket(ticket, *, by=None):
    return _ticket_moved(_locked(ticket), TicketStatus.IN_PROGRESS)


@transaction.atomic
def resolve_ticket(ticket, *, resolution, note="", by=None, now=None):
    """Close a ticket by advice, repair or no fault found.

    A replacement is not a resolution given here: it travels in a shipment of its own
    (:func:`decide_replacement`) and resolves the ticket when the centre confirms receipt.
    """
    ticket = _locked(ticket)
    if resolution not in Resolution.values:
        raise DomainError(_("Choisissez une résolution."))
    if resolution == Resolution.REPLACEMENT:
        raise DomainError(
            _(
                "Un remplacement part dans une expédition : choisissez le matériel de "
                "remplacement sur la page du ticket. Le ticket sera résolu quand le centre "
                "en confirmera la réception."
            ),
            code="replacement_needs_shipment",
        )
    ticket.resolution = resolution
    ticket.resolution_note = note.strip()
    ticket.resolved_at = now or timezone.now()
    return _ticket_moved(
        ticket,
        TicketStatus.RESOLVED,
        save_fields=["resolution", "resolution_note", "resolved_at"],
    )


def replacement_candidates(ticket):
    """The items that may replace a ticket's item: in stock, of the same pack type, the
    oldest first (as picking takes them)."""
    return (
        Item.objects.in_stock()
        .filter(pack_type_id=ticket.item.pack_type_id)
        .select_related("device_model")
        .order_by("received_on", "pk")
    )


@transaction.atomic
def decide_replacement(ticket, *, replacement, by=None, now=None):
    """Replace a ticket's faulty item: the replacement (in stock, of the same pack type) is
    reserved in a replacement shipment of its own, and the faulty unit's return is expected.

    The ticket is in progress until the centre confirms the replacement's receipt.
    """
    ticket = (
        SupportTicket.objects.select_for_update(of=("self",))
        .select_related("item", "allocation__application__site")
        .get(pk=ticket.pk)
    )
    if ticket.status == TicketStatus.RESOLVED:
        raise DomainError(_("Ce ticket est résolu : reprenez-le en charge avant de remplacer."))
    if replacement is None:
        raise DomainError(_("Choisissez le matériel de remplacement."), code="replacement")
    if ticket.replacement_shipments.filter(
        status__in=[ReplacementStatus.RESERVED, ReplacementStatus.SHIPPED]
    ).exists():
        raise DomainError(_("Un remplacement est déjà en route pour ce ticket."))
    replacement = _locked(replacement)
    if replacement.status != ItemStatus.IN_STOCK:
        raise DomainError(_("Le matériel de remplacement doit être en stock."), code="replacement")
    if replacement.pack_type_id != ticket.item.pack_type_id:
        raise DomainError(
            _("Le matériel de remplacement doit être du même type de pack (%(pack)s).")
            % {"pack": ticket.item.pack_type},
            code="replacement",
        )
    if ticket.allocation is None or ticket.allocation.application.site_id is None:
        raise DomainError(_("Le site de réception du centre est inconnu."))
    now = now or timezone.now()
    transition(replacement, ItemStatus.RESERVED, ITEM_LIFECYCLE)
    shipment = ReplacementShipment.objects.create(
        reference=f"REM-{uuid.uuid4().hex[:12].upper()}",
        ticket=ticket,
        item=replacement,
        site_id=ticket.allocation.application.site_id,
        created_at=now,
    )
    # A readable reference from the row's own id: unique without counting rows.
    shipment.reference = f"REM-{now:%Y}-{shipment.pk:06d}"
    shipment.save(update_fields=["reference"])
    if not ItemReturn.objects.filter(
        item=ticket.item, status__in=[ReturnStatus.EXPECTED, ReturnStatus.RECEIVED]
    ).exists():
        ItemReturn.objects.create(ticket=ticket, item=ticket.item, expected_at=now)
    if ticket.status == TicketStatus.OPEN:
        _ticket_moved(ticket, TicketStatus.IN_PROGRESS)
    _replacement_event(
        ticket, f"replacement-status:{shipment.pk}:reserved", "reserved", shipment=shipment
    )
    request_document(shipment, DocumentKind.REPLACEMENT_SHEET)
    return shipment


@transaction.atomic
def ship_replacement(shipment, *, carrier=None, tracking_number=None, by=None, now=None):
    """The replacement leaves the warehouse: carrier required, data erased if refurbished."""
    shipment = (
        ReplacementShipment.objects.select_for_update(of=("self",))
        .select_related("ticket__centre")
        .get(pk=shipment.pk)
    )
    if carrier is not None:
        shipment.carrier = carrier.strip()
    if tracking_number is not None:
        shipment.tracking_number = tracking_number.strip()
    if not shipment.carrier:
        raise DomainError(_("Indiquez le transporteur avant d’expédier."), code="carrier")
    item = _locked(shipment.item)
    if item.provenance == Provenance.REFURBISHED and not hasattr(item, "erasure"):
        raise DomainError(
            _("Effacement des données non enregistré pour : %(serials)s.")
            % {"serials": item.serial_number},
            code="erasure_missing",
        )
    transition(shipment, ReplacementStatus.SHIPPED, REPLACEMENT_LIFECYCLE, save=False)
    shipment.shipped_at = now or timezone.now()
    shipment.save(update_fields=["status", "shipped_at", "carrier", "tracking_number"])
    transition(item, ItemStatus.SHIPPED, ITEM_LIFECYCLE)
    _replacement_event(
        shipment.ticket, f"replacement-status:{shipment.pk}:shipped", "shipped", shipment=shipment
    )
    # The sheet now shows the shipping date, carrier and tracking number.
    request_document(shipment, DocumentKind.REPLACEMENT_SHEET, force=True)
    return shipment


@transaction.atomic
def cancel_replacement(shipment, *, by=None):
    """A replacement not shipped yet is cancelled: its item goes back to stock."""
    shipment = (
        ReplacementShipment.objects.select_for_update(of=("self",))
        .select_related("ticket__centre")
        .get(pk=shipment.pk)
    )
    transition(shipment, ReplacementStatus.CANCELLED, REPLACEMENT_LIFECYCLE)
    transition(_locked(shipment.item), ItemStatus.IN_STOCK, ITEM_LIFECYCLE)
    _replacement_event(
        shipment.ticket,
        f"replacement-status:{shipment.pk}:cancelled",
        "cancelled",
        shipment=shipment,
    )
    return shipment


def _release_from_centre(item, allocation, now):
    """The item's row on the ticket's allocation, released (once); returns its line id."""
    picked = (
        AllocatedItem.objects.select_for_update()
        .filter(item=item, line__allocation=allocation)
        .order_by("-picked_at", "-pk")
        .first()
    )
    if picked is None:
        return None
    if picked.released_at is None:
        picked.released_at = now
        picked.save(update_fields=["released_at"])
    return picked.line_id


@transaction.atomic
def confirm_replacement(shipment, *, by, now=None):
    """The centre confirms it received the replacement: the item is delivered to it in
    place of the faulty one (on the same allocation line) and the ticket is resolved."""
    shipment = (
        ReplacementShipment.objects.select_for_update(of=("self",))
        .select_related("ticket__centre")
        .get(pk=shipment.pk)
    )
    if shipment.status != ReplacementStatus.SHIPPED:
        raise DomainError(
            _("Ce remplacement n’est pas encore expédié : sa réception ne se confirme pas."),
            code="not_shipped",
        )
    now = now or timezone.now()
    transition(shipment, ReplacementStatus.DELIVERED, REPLACEMENT_LIFECYCLE, save=False)
    shipment.delivered_at = now
    shipment.confirmed_by = by
    shipment.save(update_fields=["status", "delivered_at", "confirmed_by"])
    ticket = _locked(shipment.ticket)
    item = _locked(shipment.item)
    transition(item, ItemStatus.DELIVERED, ITEM_LIFECYCLE)
    line_id = _release_from_centre(ticket.item, ticket.allocation_id, now)
    if line_id is not None:
        AllocatedItem.objects.create(line_id=line_id, item=item)
    _replacement_event(
        ticket, f"replacement-status:{shipment.pk}:delivered", "delivered", shipment=shipment
    )
    ticket.replacement_item = item
    if ticket.status != TicketStatus.RESOLVED:
        ticket.resolution = Resolution.REPLACEMENT
        ticket.resolved_at = now
        _ticket_moved(
            ticket,
            TicketStatus.RESOLVED,
            save_fields=["resolution", "resolved_at", "replacement_item"],
        )
    else:
        ticket.save(update_fields=["replacement_item"])
    return shipment


def _locked_return(item_return):
    return (
        ItemReturn.objects.select_for_update(of=("self",))
        .select_related("ticket__centre")
        .get(pk=item_return.pk)
    )


@transaction.atomic
def receive_return(item_return, *, by=None, now=None):
    """Logistics received the faulty unit at the warehouse: it is returned (no longer the
    centre's)."""
    item_return = _locked_return(item_return)
    now = now or timezone.now()
    transition(item_return, ReturnStatus.RECEIVED, RETURN_LIFECYCLE, save=False)
    item_return.received_at = now
    item_return.received_by = by
    item_return.save(update_fields=["status", "received_at", "received_by"])
    transition(_locked(item_return.item), ItemStatus.RETURNED, ITEM_LIFECYCLE)
    _release_from_centre(item_return.item, item_return.ticket.allocation_id, now)
    _replacement_event(
        item_return.ticket,
        f"return-status:{item_return.pk}:received",
        "return_received",
        item_return=item_return,
    )
    return item_return


@transaction.atomic
def repair_return(item_return, *, by=None, now=None):
    """The returned unit is repaired: back in stock."""
    item_return = _locked_return(item_return)
    transition(item_return, ReturnStatus.REPAIRED, RETURN_LIFECYCLE, save=False)
    item_return.closed_at = now or timezone.now()
    item_return.save(update_fields=["status", "closed_at"])
    item = _locked(item_return.item)
    transition(item, ItemStatus.UNDER_REPAIR, ITEM_LIFECYCLE)
    transition(item, ItemStatus.IN_STOCK, ITEM_LIFECYCLE)
    return item_return


@transaction.atomic
def recycle_return(item_return, *, destination, on=None, by=None, now=None):
    """The returned unit cannot be repaired: taken back for recycling, with its destination."""
    item_return = _locked_return(item_return)
    transition(item_return, ReturnStatus.RECYCLED, RETURN_LIFECYCLE, save=False)
    item_return.closed_at = now or timezone.now()
    item_return.save(update_fields=["status", "closed_at"])
    take_back_for_recycling(item_return.item, destination=destination, on=on, by=by)
    return item_return


TICKET_ATTACHMENT_MAX_SIZE = ATTACHMENT_MAX_SIZE


@transaction.atomic
def post_ticket_message(ticket, *, by, body, upload=None, now=None):
    """A message on a ticket's thread, from the centre (one of its members) or logistics
    (staff), with an optional photo or PDF recognised by its content; the other side is
    e-mailed."""
    ticket = (
        SupportTicket.objects.select_for_update(of=("self",))
        .select_related("centre")
        .get(pk=ticket.pk)
    )
    from_centre = not by.is_staff
    if from_centre and not ticket.centre.memberships.filter(user=by).exists():
        raise DomainError(_("Ce ticket n’est pas celui de votre centre."), code="forbidden")
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Écrivez votre message avant de l’envoyer."), code="body")
    message = TicketMessage(
        ticket=ticket,
        author=by,
        from_centre=from_centre,
        body=body,
        created_at=now or timezone.now(),
    )
    if upload is not None:
        _store_ticket_attachment(message, upload)
    message.save()
    _tell(
        f"ticket-message:{message.pk}",
        ticket,
        "ticket_message",
        {"message": message},
        sides=("logistics",) if from_centre else ("centre",),
    )
    return message


def _store_ticket_attachment(message, upload):
    if upload.size > TICKET_ATTACHMENT_MAX_SIZE:
        raise DomainError(_("Le fichier dépasse 10 Mo."), code="too_big")
    upload.seek(0)
    sniffed = sniff_attachment(upload.read(16))
    if sniffed is None:
        raise DomainError(
            _("Seuls les photos (JPEG, PNG) et les PDF sont acceptés."), code="bad_type"
        )
    content_type, extension = sniffed
    upload.seek(0)
    message.attachment_name = os.path.basename(upload.name or "")[:255] or f"piece{extension}"
    message.attachment_type = content_type
    message.attachment_size = upload.size
    # The stored name never comes from the user.
    name = message.attachment.field.generate_filename(message, f"{uuid.uuid4().hex}{extension}")
    storage = message.attachment.storage
    try:
        message.attachment.name = storage.save(name, upload, max_length=255)
    except OSError as error:  # disk full, permissions, a storage outage
        if storage.exists(name):
            storage.delete(name)
        raise DomainError(
            _(
                "Le fichier n’a pas pu être enregistré (espace de stockage indisponible) : "
                "réessayez plus tard."
            ),
            code="storage",
        ) from error
