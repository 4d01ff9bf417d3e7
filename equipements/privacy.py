"""What the equipment app holds about a person, for the RGPD export and erasure (see
centres.privacy)."""

from centres.privacy import ERASED_TEXT, register_eraser, register_section

from .models import SupportTicket


@register_section("tickets_sav")
def support_tickets(user):
    return list(
        SupportTicket.objects.filter(opened_by=user)
        .order_by("opened_at")
        .values(
            "id", "centre__name", "item__serial_number", "subject", "description", "status",
            "opened_at", "resolved_at", "resolution", "resolution_note",
        )
    )  # fmt: skip


@register_eraser("tickets_sav")
def erase_support_tickets(identity):
    """The subject and description the person wrote, in the history too; the ticket, its
    item, status and resolution stay for the after-sales figures."""
    texts = {"subject": ERASED_TEXT, "description": ERASED_TEXT}
    tickets = SupportTicket.objects.filter(opened_by_id=identity.user_id)
    SupportTicket.history.filter(id__in=tickets.values("pk")).update(**texts)
    return tickets.update(**texts)
