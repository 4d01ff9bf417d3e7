"""Retention of personal data in applications that led nowhere (RGPD, storage limitation).

A rejected or withdrawn application keeps its personal data ``PERSONAL_DATA_RETENTION_DAYS``
after the decision (or the withdrawal); then its free texts, its link to the person who
created it, its attachments (rows and files) and the reviewers' and committee's comments
are erased, in the history tables too. The receiving sites such an application named lose
their contact (name, phone, e-mail of a person) when nothing else uses them: no other
application, no shipment. What the figures need stays: status, dates, centre and
department, requested and granted quantities, scores.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from centres.models import Site

from .models import Application, ApplicationStatus, Attachment, Decision, Review

log = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "summary", "audience", "activities", "partners_description", "aim")
REVIEW_TEXT_FIELDS = ("comment", "conflict_reason")


@dataclass
class PurgeReport:
    applications: int = 0
    attachments: int = 0
    reviews: int = 0
    decisions: int = 0
    sites: int = 0
    files: list = field(default_factory=list)


def retention_cutoff(now=None):
    return (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def _past_retention(now=None):
    cutoff = retention_cutoff(now)
    return Q(status=ApplicationStatus.REJECTED, decided_at__lt=cutoff) | Q(
        status=ApplicationStatus.WITHDRAWN, withdrawn_at__lt=cutoff
    )


def sites_to_purge(now=None):
    """Receiving sites with a contact, named only by applications past retention and by no
    shipment: their contact goes with those applications' personal data."""
    past = _past_retention(now)
    named = Application.objects.filter(past, site__isnull=False).values("site_id")
    in_use = Application.objects.exclude(past).filter(site__isnull=False).values("site_id")
    return (
        Site.objects.filter(pk__in=named)
        .exclude(pk__in=in_use)
        .filter(shipments__isnull=True)
        .exclude(contact_name="", contact_phone="", contact_email="")
    )


def applications_to_purge(now=None):
    """Rejected or withdrawn applications past the retention period that still hold
    personal data (so a second run finds nothing: the purge is idempotent)."""
    past = _past_retention(now)
    holding = Q(created_by__isnull=False) | Q(attachments__isnull=False)
    for name in TEXT_FIELDS:
        holding |= ~Q(**{name: ""})
    for name in REVIEW_TEXT_FIELDS:
        holding |= Q(**{f"reviews__{name}__gt": ""})
    holding |= Q(decision__comment__gt="")
    ids = Application.objects.filter(past).filter(holding).values("pk")
    return Application.objects.filter(pk__in=ids)


def purge_personal_data(*, now=None, dry_run=False):
    """Anonymise the applications past retention; return what was (or would be) erased.

    One transaction; the files are deleted from storage once it has committed.
    """
    report = PurgeReport()
    with transaction.atomic():
        applications = applications_to_purge(now).select_for_update(of=("self",))
        ids = list(applications.order_by("pk").values_list("pk", flat=True))
        attachments = Attachment.objects.filter(application_id__in=ids)
        reviews = Review.objects.filter(application_id__in=ids).exclude(
            comment="", conflict_reason=""
        )
        decisions = Decision.objects.filter(application_id__in=ids).exclude(comment="")
        report.applications = len(ids)
        report.files = [name for name in attachments.values_list("file", flat=True) if name]
        report.attachments = attachments.count()
        report.reviews = reviews.count()
        report.decisions = decisions.count()
        sites = list(
            sites_to_purge(now)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        report.sites = len(sites)
        if dry_run:
            return report
        blank_contact = {"contact_name": "", "contact_phone": "", "contact_email": ""}
        Site.objects.filter(pk__in=sites).update(**blank_contact)
        if not ids:
            return report
        blank_texts = dict.fromkeys(TEXT_FIELDS, "")
        Application.objects.filter(pk__in=ids).update(created_by=None, **blank_texts)
        Application.history.filter(id__in=ids).update(created_by=None, **blank_texts)
        attachments.delete()
        blank_reviews = dict.fromkeys(REVIEW_TEXT_FIELDS, "")
        Review.objects.filter(application_id__in=ids).update(**blank_reviews)
        Review.history.filter(application_id__in=ids).update(**blank_reviews)
        Decision.objects.filter(application_id__in=ids).update(comment="")
        Decision.history.filter(application_id__in=ids).update(comment="")
        storage = Attachment._meta.get_field("file").storage
        files = list(report.files)
        transaction.on_commit(lambda: _delete_files(storage, files))
    return report


def _delete_files(storage, names):
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            log.exception("Could not delete the attachment file %s", name)
