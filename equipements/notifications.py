"""E-mails sent to centres about their equipment."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Item, Shipment, ShipmentStatus


@transaction.atomic
def send_shipment_notice(shipment_id):
    """Tell the receiving centre its parcels left, with the tracking number; once."""
    shipment = (
        Shipment.objects.select_for_update()
        .select_related("site__centre")
        .filter(pk=shipment_id, notified_at__isnull=True)
        .exclude(status=ShipmentStatus.PREPARING)
        .first()
    )
    if shipment is None:
        return 0
    centre = shipment.site.centre
    recipients = sorted(
        {
            *centre.memberships.filter(user__is_active=True).values_list("user__email", flat=True),
            *([shipment.site.contact_email] if shipment.site.contact_email else []),
        }
    )
    items = list(
        Item.objects.filter(
            allocations__shipment=shipment,
            allocations__released_at__isnull=True,
        )
        .select_related("device_model")
        .order_by("serial_number")
    )
    allocation = shipment.allocations.select_related("application").first()
    follow_up = (
        settings.SITE_URL + reverse("equipements:follow_up", args=[allocation.application_id])
        if allocation
        else ""
    )
    with translation.override(settings.LANGUAGE_CODE):
        context = {"shipment": shipment, "centre": centre, "items": items, "url": follow_up}
        subject = render_to_string("emails/shipment_shipped_subject.txt", context).strip()
        body = render_to_string("emails/shipment_shipped.txt", context)
    sent = send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    )
    shipment.notified_at = timezone.now()
    shipment.save(update_fields=["notified_at"])
    return sent
