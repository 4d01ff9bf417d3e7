"""Use cases of stock, allocations, shipments, invoices and after-sales.

One function, one transaction; row locks where two people can race (picking items,
numbering invoices). Illegal moves raise :class:`~solidaire.errors.DomainError`.
"""

import os
import uuid
import zipfile
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appels.models import Agreement, AgreementStatus, ApplicationStatus
from appels.operator import operator_fields, operator_identity
from appels.services import ATTACHMENT_MAX_SIZE, sniff_attachment
from centres.models import User
from centres.roles import LOGISTICS
from solidaire.documents import DocumentKind, request_document
from solidaire.errors import DomainError
from solidaire.models import OutboxEmail
from solidaire.outbox import queue_email
from solidaire.queue import enqueue_on_commit
from solidaire.states import Lifecycle, check_transition, transition

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
    Settlement,
    Shipment,
    ShipmentStatus,
    SupportTicket,
    TicketMessage,
    TicketStatus,
)
from .pricing import check_resale_ceilings

CENTS = Decimal("0.01")
CONFIRMATION = Lifecycle(
    AllocationStatus, {AllocationStatus.PROPOSED: [AllocationStatus.CONFIRMED]}
)


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


def propose_allocations(applications):
    """Each selected application gets its proposed allocation, once (publication, promotion)."""
    return [
        propose_allocation(application)
        for application in applications
        if application.status == ApplicationStatus.SELECTED
    ]


@transaction.atomic
def confirm_allocation(allocation, *, by=None, now=None):
    """Confirm the packs granted; unless the call says otherwise, once the agreement is signed."""
    allocation = _locked(allocation)
    # Only a proposal is confirmed (back to confirmed after an incident is ``reship_missing``).
    check_transition(allocation.status, AllocationStatus.CONFIRMED, CONFIRMATION, str(allocation))
    application = allocation.application
    call = application.call
    if call.confirm_after_signature:
        agreement = Agreement.objects.filter(application=application).first()
        if agreement is None or agreement.status != AgreementStatus.SIGNED:
            raise DomainError(
                _(
                    "« %(allocation)s » : la convention doit être signée par le centre "
                    "avant de confirmer l’attribution."
                )
                % {"allocation": allocation},
                code="agreement_not_signed",
            )
    transition(allocation, AllocationStatus.CONFIRMED, ALLOCATION_LIFECYCLE, save=False)
    allocation.confirmed_at = now or timezone.now()
    allocation.save(update_fields=["status", "confirmed_at"])
    if not call.invoice_on_delivery:
        issue_invoice(allocation, now=now)
    notify_centre(
        f"allocation-confirmed:{allocation.pk}",
        application,
        "emails/allocation_confirmed",
        {"allocation": allocation, "lines": list(allocation.lines.select_related("pack_type"))},
    )
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
        shipment = _preparing_shipment(allocation)
        AllocatedItem.objects.bulk_create(
            AllocatedItem(line=line, item=i, shipment=shipment) for i in items
        )
    return transition(allocation, AllocationStatus.PICKED, ALLOCATION_LIFECYCLE)


def _preparing_shipment(allocation):
    """The shipment still being packed that this allocation's new items go into, if any."""
    if allocation.shipment_id is None:
        return None
    shipment = Shipment.objects.get(pk=allocation.shipment_id)
    if shipment.status != ShipmentStatus.PREPARING:
        return None
    # What the sheet prints changed: render it again.
    request_document(shipment, DocumentKind.SHIPMENT_SHEET, force=True)
    return shipment


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
    AllocatedItem.objects.create(line=line, item=item, shipment=_preparing_shipment(allocation))
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
    if picked.shipment_id:
        # The item leaves a parcel still being packed: its sheet is printed again.
        request_document(picked.shipment, DocumentKind.SHIPMENT_SHEET, force=True)
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
    """A batch file with errors: nothing was imported. ``rows`` lists every error as
    ``(line, column, reason)``, the header being line 1; ``result`` is the import's result."""

    def __init__(self, rows, result=None):
        self.rows = list(rows)
        self.result = result
        super().__init__(
            [
                _("Ligne %(line)s, colonne %(column)s : %(reason)s")
                % {"line": line, "column": column, "reason": reason}
                if column
                else _("Ligne %(line)s : %(reason)s") % {"line": line, "reason": reason}
                for line, column, reason in self.rows
            ],
            code="import_refused",
        )


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
def import_items(dataset, *, batch=None, partner=None, received_on=None, by=None):
    """Import a refurbisher's batch file (a tablib ``Dataset``): every row, or none.

    The whole file is checked first; the device models and the batch it names that do not
    exist yet are created with the items (a new batch gets ``partner`` and ``received_on``),
    and only then. Raises :class:`ImportRefused` listing every error. Returns the import's
    result (``totals["new"]`` items created).
    """
    from .resources import ItemResource  # noqa: PLC0415 - resources import services' models

    resource = ItemResource(batch=batch, partner=partner, received_on=received_on, by=by)
    result = resource.import_data(
        dataset,
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        retain_instance_in_row_result=True,
    )
    if result.has_errors():
        raise ImportRefused(result.report, result=result)
    return result


# --- Shipments --------------------------------------------------------------------------


@transaction.atomic
def create_shipment(
    allocations, *, parcels=1, weight_kg=None, carrier="", tracking_number="", now=None
):
    """Group picked allocations bound for the same receiving site into one shipment."""
    allocations = list(
        Allocation.objects.select_for_update(of=("self", "application"))
        .select_related("application__call")
        .filter(pk__in=[a.pk for a in allocations])
    )
    if not allocations:
        raise DomainError(_("Choisissez au moins une attribution."))
    sites = {a.application.site_id for a in allocations}
    if len(sites) != 1 or None in sites:
        raise DomainError(_("Une expédition part vers un seul site de réception."))
    previous = {
        s.pk: s
        for s in Shipment.objects.filter(
            pk__in=[a.shipment_id for a in allocations if a.shipment_id]
        )
    }
    for allocation in allocations:
        earlier = previous.get(allocation.shipment_id)
        # A second shipment only follows a settled incident (the missing items sent again).
        if allocation.status != AllocationStatus.PICKED or (
            earlier is not None and earlier.status != ShipmentStatus.INCIDENT
        ):
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
        reshipment_of=next(iter(previous.values()), None),
        # The sender printed on the sheet, copied now: the operator of the first allocation's
        # call (allocations of calls with different operators share a parcel only by choice).
        **operator_fields(
            operator_identity(min(allocations, key=attrgetter("pk")).application.call)
        ),
    )
    # A readable reference from the row's own id: unique without counting rows.
    shipment.reference = f"EXP-{now:%Y}-{shipment.pk:06d}"
    shipment.save(update_fields=["reference"])
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(shipment=shipment)
    # The items picked and not yet sent travel in this shipment.
    AllocatedItem.objects.filter(
        line__allocation__in=allocations, released_at__isnull=True, shipment__isnull=True
    ).update(shipment=shipment)
    request_document(shipment, DocumentKind.SHIPMENT_SHEET)
    return shipment


SHEET_FIELDS = ("parcels", "weight_kg", "carrier", "tracking_number")


@transaction.atomic
def update_shipment(shipment, *, by=None, **fields):
    """Change what a shipment's sheet prints (parcels, weight, carrier, tracking number).

    The sheet is rendered again through the documents pipeline whenever one of them
    changes, so printing never hands out a stale sheet. A received shipment is history.
    """
    shipment = _locked(shipment)
    unknown = set(fields) - set(SHEET_FIELDS)
    if unknown:
        raise TypeError(f"not a shipment sheet field: {sorted(unknown)}")
    changed = [name for name, value in fields.items() if getattr(shipment, name) != value]
    if not changed:
        return shipment
    if shipment.status in (ShipmentStatus.RECEIVED, ShipmentStatus.INCIDENT):
        raise DomainError(_("Cette expédition est close : elle ne se modifie plus."))
    for name in changed:
        setattr(shipment, name, fields[name])
    shipment.full_clean(exclude=["site", "reshipment_of"])
    shipment.save(update_fields=changed)
    request_document(shipment, DocumentKind.SHIPMENT_SHEET, by=by, force=True)
    return shipment


def _shipment_items(shipment, *, status=None):
    items = Item.objects.select_for_update().filter(
        allocations__shipment=shipment, allocations__released_at__isnull=True
    )
    if status is not None:
        items = items.filter(status=status)
    return list(items)


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
    """The carrier delivered (recorded by logistics). Nothing is received nor invoiced yet:
    only the centre's check, serial by serial, closes the reception."""
    shipment = _locked(shipment)
    transition(shipment, ShipmentStatus.DELIVERED, SHIPMENT_LIFECYCLE, save=False)
    shipment.delivered_at = now or timezone.now()
    shipment.save(update_fields=["status", "delivered_at"])
    return shipment


@transaction.atomic
def confirm_reception(shipment, *, received_serials, note="", by, now=None):
    """The centre confirms what arrived, serial by serial.

    Nothing ticked and no note is refused. Everything ticked closes the reception: the
    items are the centre's, the allocations delivered (and invoiced when the call invoices
    on reception). Anything not ticked, or a note, records an incident naming the missing
    serials; what is missing is neither delivered nor invoiced until logistics settle it.
    """
    shipment = _locked(shipment)
    now = now or timezone.now()
    note = (note or "").strip()
    items = _shipment_items(shipment, status=ItemStatus.SHIPPED)
    expected = {item.serial_number: item for item in items}
    received = set(received_serials or ()) & set(expected)
    if not received and not note:
        raise DomainError(
            _(
                "Cochez chaque matériel reçu, ou décrivez le problème si le colis n’est "
                "pas arrivé : rien n’a été enregistré."
            ),
            code="nothing_confirmed",
        )
    if shipment.status not in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
        raise DomainError(_("Cette expédition n’attend pas de confirmation de réception."))
    missing = sorted(set(expected) - received)
    shipment.delivered_at = shipment.delivered_at or now
    shipment.confirmed_by = by
    shipment.received_at = now
    _move_items([expected[serial] for serial in sorted(received)], ItemStatus.DELIVERED)
    if not missing and not note:
        transition(shipment, ShipmentStatus.RECEIVED, SHIPMENT_LIFECYCLE, save=False)
        shipment.save(update_fields=["status", "delivered_at", "confirmed_by", "received_at"])
        _close_received_allocations(shipment, now)
        return shipment
    lines = []
    if missing:
        lines.append(_("Non reçus : %(serials)s.") % {"serials": ", ".join(missing)})
    if note:
        lines.append(note)
    transition(shipment, ShipmentStatus.INCIDENT, SHIPMENT_LIFECYCLE, save=False)
    shipment.incident_note = "\n".join(lines)
    shipment.missing_serials = missing
    shipment.save(
        update_fields=[
            "status",
            "delivered_at",
            "confirmed_by",
            "received_at",
            "incident_note",
            "missing_serials",
        ]
    )
    _acknowledge_incident(shipment)
    return shipment


def _close_received_allocations(shipment, now):
    """Allocations of the shipment whose every item is now at the centre are delivered:
    invoiced when the call invoices on reception, and the centre is asked for its opinion."""
    for allocation in shipment.allocations.select_for_update().select_related(
        "application__call", "application__centre"
    ):
        if allocation.status != AllocationStatus.SHIPPED:
            continue
        outstanding = AllocatedItem.objects.filter(
            line__allocation=allocation, released_at__isnull=True
        ).exclude(item__status=ItemStatus.DELIVERED)
        if outstanding.exists():
            continue
        transition(allocation, AllocationStatus.DELIVERED, ALLOCATION_LIFECYCLE, save=False)
        allocation.delivered_at = now
        allocation.save(update_fields=["status", "delivered_at"])
        invoices = allocation.invoices.filter(kind=InvoiceKind.INVOICE)
        if allocation.application.call.invoice_on_delivery or invoices.exists():
            invoice = issue_invoice(allocation, now=now)
            _credit_written_off(invoice, now=now)
        notify_centre(
            f"survey-invitation:{allocation.application_id}",
            allocation.application,
            "emails/survey_invitation",
            {"allocation": allocation},
            link=("equipements:survey", allocation.application_id),
        )


@transaction.atomic
def report_incident(shipment, *, note, by=None):
    """Logistics record an incident on a shipment on its way (parcel lost, damaged…)."""
    shipment = _locked(shipment)
    if not note.strip():
        raise DomainError(_("Décrivez l’incident."), code="note_required")
    transition(shipment, ShipmentStatus.INCIDENT, SHIPMENT_LIFECYCLE, save=False)
    shipment.incident_note = note.strip()
    shipment.missing_serials = sorted(
        i.serial_number for i in _shipment_items(shipment, status=ItemStatus.SHIPPED)
    )
    shipment.save(update_fields=["status", "incident_note", "missing_serials"])
    _acknowledge_incident(shipment)
    return shipment


def _acknowledge_incident(shipment):
    allocation = shipment.allocations.select_related("application__centre").first()
    if allocation is not None:
        notify_centre(
            f"incident-acknowledged:{shipment.pk}",
            allocation.application,
            "emails/incident_acknowledged",
            {"shipment": shipment},
        )


def _open_incident(shipment):
    shipment = _locked(shipment)
    if shipment.status != ShipmentStatus.INCIDENT or shipment.settled_at:
        raise DomainError(
            _("« %(shipment)s » n’a pas d’incident à régler.") % {"shipment": shipment},
            code="no_open_incident",
        )
    return shipment


def _write_off_missing(shipment, now):
    """The items not received leave the allocation (kept in its history): not in stock, not
    at the centre. Returns ``{line: count}``."""
    missing = (
        AllocatedItem.objects.select_for_update()
        .select_related("line")
        .filter(shipment=shipment, released_at__isnull=True, item__status=ItemStatus.SHIPPED)
    )
    by_line = {}
    for picked in missing:
        by_line[picked.line] = by_line.get(picked.line, 0) + 1
    items = [Item.objects.select_for_update().get(pk=p.item_id) for p in missing]
    missing.update(released_at=now)
    _move_items(items, ItemStatus.LOST)
    return by_line


@transaction.atomic
def reship_missing(shipment, *, by=None, now=None):
    """Settle an incident by sending the missing items again.

    The allocations that lack items go back to picking (scan or automatic), then leave in a
    new shipment to the same site; they are received, and invoiced, when that one is.
    """
    shipment = _open_incident(shipment)
    now = now or timezone.now()
    by_line = _write_off_missing(shipment, now)
    if not by_line:
        raise DomainError(
            _("Rien ne manque dans « %(shipment)s » : clôturez l’incident.")
            % {"shipment": shipment},
            code="nothing_missing",
        )
    short = {line.allocation_id for line in by_line}
    for allocation in shipment.allocations.select_for_update().filter(pk__in=short):
        transition(allocation, AllocationStatus.CONFIRMED, ALLOCATION_LIFECYCLE)
    shipment.settlement = Settlement.RESHIPPED
    shipment.settled_at = now
    shipment.save(update_fields=["settlement", "settled_at"])
    _close_received_allocations(shipment, now)
    return shipment


@transaction.atomic
def reduce_after_incident(shipment, *, reason, by=None, now=None):
    """Settle an incident by reducing the allocation to what arrived.

    The missing devices are written off the allocation's lines; an invoice already issued
    gets a credit note for them, one issued on reception leaves them out.
    """
    shipment = _open_incident(shipment)
    if not (reason or "").strip():
        raise DomainError(_("Indiquez le motif de la réduction."), code="reason_required")
    now = now or timezone.now()
    by_line = _write_off_missing(shipment, now)
    for line, count in by_line.items():
        line.written_off_devices += count
        line.save(update_fields=["written_off_devices"])
    shipment.settlement = Settlement.REDUCED
    shipment.settled_at = now
    shipment.incident_note = f"{shipment.incident_note}\n{reason.strip()}".strip()
    shipment.save(update_fields=["settlement", "settled_at", "incident_note"])
    _close_received_allocations(shipment, now)
    return shipment


@transaction.atomic
def close_incident(shipment, *, by=None, now=None):
    """Everything arrived after all (a note on a damaged box, a parcel found): received."""
    shipment = _open_incident(shipment)
    now = now or timezone.now()
    if _shipment_items(shipment, status=ItemStatus.SHIPPED):
        raise DomainError(
            _(
                "Des matériels manquent encore : réexpédiez-les ou réduisez l’attribution "
                "avant de clôturer."
            ),
            code="still_missing",
        )
    transition(shipment, ShipmentStatus.RECEIVED, SHIPMENT_LIFECYCLE, save=False)
    shipment.settlement = Settlement.FOUND
    shipment.settled_at = now
    shipment.save(update_fields=["status", "settlement", "settled_at"])
    _close_received_allocations(shipment, now)
    return shipment


# --- E-mails ----------------------------------------------------------------------------


def remind_survey(now=None):
    """Remind once the centres that received their equipment ``SURVEY_REMINDER_DAYS`` ago
    and have not answered the survey (only the last month's deliveries: older ones were
    delivered before the survey was sent by e-mail). Returns how many were reminded."""
    from appels.models import SurveyAnswer  # noqa: PLC0415

    now = now or timezone.now()
    due = now - timedelta(days=settings.SURVEY_REMINDER_DAYS)
    allocations = (
        Allocation.objects.filter(
            status=AllocationStatus.DELIVERED,
            delivered_at__lte=due,
            delivered_at__gte=due - timedelta(days=30),
        )
        .exclude(application__in=SurveyAnswer.objects.values("application"))
        .select_related("application__call", "application__centre")
    )
    reminded = 0
    for allocation in allocations:
        key = f"survey-reminder:{allocation.application_id}"
        if not OutboxEmail.objects.filter(key=key).exists():
            notify_centre(
                key,
                allocation.application,
                "emails/survey_reminder",
                {"allocation": allocation},
                link=("equipements:survey", allocation.application_id),
            )
            reminded += 1
    return reminded


def notify_centre(key, application, template, context, *, link=None):
    """E-mail the centre of ``application`` through the outbox (once per ``key``)."""
    centre = application.centre
    recipients = centre.memberships.filter(user__is_active=True).values_list(
        "user__email", flat=True
    )
    name, pk = link or ("equipements:follow_up", application.pk)
    url = settings.SITE_URL + reverse(name, args=[pk])
    queue_email(
        key,
        list(recipients),
        template,
        {**context, "application": application, "centre": centre, "url": url},
    )


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
    # The same identity as on the agreement and the shipment sheet (appels.operator).
    seller = operator_identity(allocation.application.call)
    if not seller.siret:
        raise DomainError(
            _(
                "L’appel n’a pas d’opérateur identifié par son SIRET pour émettre les "
                "factures : renseignez-le sur la fiche partenaire de l’opérateur."
            )
        )
    centre = allocation.application.centre
    rate, mention = _vat()
    lines = list(allocation.lines.select_related("pack_type"))
    check_resale_ceilings(lines, rate, issued_on)
    invoice_lines = [(str(line.pack_type), line.quantity, line.unit_price) for line in lines]
    invoice_lines += _write_off_lines(lines)
    total_excl = sum((quantity * price for _d, quantity, price in invoice_lines), Decimal(0))
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
        seller_legal_form=seller.legal_form,
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
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            total_excl_tax=quantity * unit_price,
        )
        for index, (description, quantity, unit_price) in enumerate(invoice_lines, start=1)
    )
    for line in lines:
        if line.written_off_devices != line.credited_devices:
            line.credited_devices = line.written_off_devices
            line.save(update_fields=["credited_devices"])
    # The PDF (Factur-X) is made by a worker once this transaction commits.
    request_document(invoice, DocumentKind.INVOICE)
    return invoice


def _device_price(line):
    return (line.unit_price / line.units_per_pack).quantize(CENTS, rounding=ROUND_HALF_UP)


def _write_off_lines(lines):
    """``(description, -devices, price per device)`` for devices written off and not yet
    deducted: missing at reception, settled by reducing the allocation."""
    return [
        (
            _("%(pack)s : appareils non livrés, déduits") % {"pack": line.pack_type},
            -(line.written_off_devices - line.credited_devices),
            _device_price(line),
        )
        for line in lines
        if line.written_off_devices > line.credited_devices
    ]


def _credit_written_off(invoice, *, now=None):
    """An invoice issued before devices were written off gets a credit note for them."""
    lines = list(
        AllocationLine.objects.select_for_update()
        .select_related("pack_type")
        .filter(allocation_id=invoice.allocation_id)
    )
    deductions = _write_off_lines(lines)
    if not deductions:
        return None
    note = _issue_credit_note(
        invoice,
        reason=_("Appareils non livrés, déduits de l’attribution après incident."),
        lines=[(description, -quantity, price) for description, quantity, price in deductions],
        now=now,
    )
    for line in lines:
        if line.written_off_devices != line.credited_devices:
            line.credited_devices = line.written_off_devices
            line.save(update_fields=["credited_devices"])
    return note


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
    lines = [
        (line.description, line.quantity, line.unit_price)
        for line in invoice.lines.order_by("position")
    ]
    return _issue_credit_note(invoice, reason=reason, lines=lines, now=now)


def _issue_credit_note(invoice, *, reason, lines, now=None):
    """A credit note on ``invoice`` refunding ``lines`` (``(description, quantity, price)``,
    quantities as invoiced: positive); seller, buyer and VAT copied from the invoice."""
    issued_on = timezone.localdate(now or timezone.now())
    series = settings.CREDIT_NOTE_SERIES
    sequence = next_invoice_number(series, issued_on.year)
    total_excl = -sum((quantity * price for _d, quantity, price in lines), Decimal(0))
    total_vat = (total_excl * invoice.vat_rate / 100).quantize(CENTS, rounding=ROUND_HALF_UP)
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
        seller_legal_form=invoice.seller_legal_form,
        buyer_name=invoice.buyer_name,
        buyer_address=invoice.buyer_address,
        buyer_siret=invoice.buyer_siret,
        vat_rate=invoice.vat_rate,
        vat_mention=invoice.vat_mention,
        total_excl_tax=total_excl,
        total_vat=total_vat,
        total_incl_tax=total_excl + total_vat,
        payment_terms=invoice.payment_terms,
        reason=reason.strip(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            position=position,
            description=description,
            quantity=-quantity,
            unit_price=price,
            total_excl_tax=-quantity * price,
        )
        for position, (description, quantity, price) in enumerate(lines, start=1)
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
