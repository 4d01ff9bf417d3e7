"""What the equipment app holds about a person, for the RGPD export (see centres.privacy)."""

from centres.privacy import register_section

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
