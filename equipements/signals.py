"""Receivers of the calls' signals: the decision → allocation hand-off."""

from django.dispatch import receiver

from appels.signals import applications_selected

from . import services


@receiver(applications_selected)
def propose_allocations(sender, applications, **kwargs):
    """Each application selected for good gets its proposed allocation (granted lines,
    prices snapshotted), in the same transaction as the publication or the promotion."""
    services.propose_allocations(applications)
