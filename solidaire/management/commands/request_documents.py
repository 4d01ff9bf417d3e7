"""Request the documents that existing objects lack (agreements, invoices…).

For data older than the documents pipeline, or imported: each missing document is created
pending and sent to the workers (rendered in process with eager Celery). Running it again
requests nothing already requested.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from solidaire.documents import request_document
from solidaire.documents.registry import renderers
from solidaire.models import Document


class Command(BaseCommand):
    help = "Request the missing documents of existing agreements and invoices."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", action="append", dest="kinds", help="only this kind (repeatable)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count the missing documents only"
        )

    def handle(self, *args, kinds=None, dry_run=False, **options):
        candidates = [r for r in renderers() if r.backfill is not None]
        known = {r.kind for r in candidates}
        if kinds and set(kinds) - known:
            raise CommandError(
                f"Unknown kinds {sorted(set(kinds) - known)}; known: {sorted(known)}"
            )
        total = 0
        for renderer in candidates:
            if kinds and renderer.kind not in kinds:
                continue
            model = renderer.model
            existing = Document.objects.filter(
                kind=renderer.kind, content_type=ContentType.objects.get_for_model(model)
            ).values("object_id")
            missing = renderer.backfill(model._default_manager.all()).exclude(pk__in=existing)
            count = 0
            for obj in missing.order_by("pk").iterator(chunk_size=200):
                count += 1
                if not dry_run:
                    with transaction.atomic():
                        request_document(obj, renderer.kind)
            total += count
            self.stdout.write(
                f"{renderer.kind}: {count} document(s) {'missing' if dry_run else 'requested'}"
            )
        self.stdout.write(self.style.SUCCESS(f"{total} in all"))
