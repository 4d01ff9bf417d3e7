from .allocations import (
    ALLOCATION_LIFECYCLE,
    AllocatedItem,
    Allocation,
    AllocationLine,
    AllocationStatus,
)
from .chain import ChainStep, SelectedApplication
from .invoices import (
    INVOICE_LIFECYCLE,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from .shipments import SHIPMENT_LIFECYCLE, Settlement, Shipment, ShipmentStatus
from .stock import (
    ITEM_LIFECYCLE,
    Batch,
    DataErasure,
    DeviceModel,
    Grade,
    Item,
    ItemStatus,
    Provenance,
)
from .support import TICKET_LIFECYCLE, Resolution, SupportTicket, TicketStatus

__all__ = [
    "ALLOCATION_LIFECYCLE",
    "INVOICE_LIFECYCLE",
    "ITEM_LIFECYCLE",
    "SHIPMENT_LIFECYCLE",
    "TICKET_LIFECYCLE",
    "AllocatedItem",
    "Allocation",
    "AllocationLine",
    "AllocationStatus",
    "Batch",
    "ChainStep",
    "DataErasure",
    "DeviceModel",
    "Grade",
    "Invoice",
    "InvoiceCounter",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceStatus",
    "Item",
    "ItemStatus",
    "Provenance",
    "Resolution",
    "SelectedApplication",
    "Shipment",
    "Settlement",
    "ShipmentStatus",
    "SupportTicket",
    "TicketStatus",
]
