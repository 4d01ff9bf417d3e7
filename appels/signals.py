"""Signals the calls send to the rest of the platform, and the calls' own receivers.

``applications_selected`` is sent, inside the transaction, when applications become selected
for good: the call's results are published, or a waitlisted application is promoted on a
published call. Equipment allocations are made by ``equipements`` (``equipements/signals.py``),
which the calls must not import: the hand-off has its home there, the import direction holds.

A criterion's weight or maximum changed: the stored totals of the call's reviews follow
(``services.refresh_review_totals``). A scored criterion cannot be deleted (its scores
protect it), and a new one has no score yet.
"""

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from .models import Criterion, Review

# Sent with ``applications``: a list of :class:`~appels.models.Application`, selected.
applications_selected = Signal()


@receiver(post_save, sender=Criterion)
def criterion_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:  # no score yet; loaddata
        return
    from . import services  # noqa: PLC0415 - services send this module's signals

    services.refresh_review_totals(
        Review.objects.filter(application__call_id=instance.call_id, scores__isnull=False)
        .distinct()
        .only("pk", "total_hundredths")
    )
