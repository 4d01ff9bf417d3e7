"""A criterion's weight or maximum changed: the stored totals of the call's reviews follow
(``services.refresh_review_totals``). A scored criterion cannot be deleted (its scores
protect it), and a new one has no score yet."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from . import services
from .models import Criterion, Review


@receiver(post_save, sender=Criterion)
def criterion_changed(sender, instance, created=False, raw=False, **kwargs):
    if created or raw:  # no score yet; loaddata
        return
    services.refresh_review_totals(
        Review.objects.filter(application__call_id=instance.call_id, scores__isnull=False)
        .distinct()
        .only("pk", "total_hundredths")
    )
