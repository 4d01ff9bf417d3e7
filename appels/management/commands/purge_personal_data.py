from django.conf import settings
from django.core.management.base import BaseCommand

from appels.retention import purge_personal_data, retention_cutoff


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of rejected and withdrawn applications decided more than "
        "PERSONAL_DATA_RETENTION_DAYS days ago (free texts, creator, attachments and their "
        "files, reviewers' and committee's comments, the contact of receiving sites used by "
        "nothing else); keeps status, dates and quantities. "
        "Idempotent: run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be erased, change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        report = purge_personal_data(dry_run=dry_run)
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(
            f"Retention {settings.PERSONAL_DATA_RETENTION_DAYS} days (decided before "
            f"{retention_cutoff():%Y-%m-%d}): {report.applications} application(s) {verb}, "
            f"{report.attachments} attachment(s) and {len(report.files)} file(s) deleted, "
            f"{report.reviews} review(s) and {report.decisions} decision(s) comments erased, "
            f"{report.sites} site contact(s) blanked"
            + (" [dry run: nothing changed]" if dry_run else "")
            + "."
        )
