import time

from django.core.management.base import BaseCommand, CommandError

from equipements import scale


class Command(BaseCommand):
    help = (
        "Create a national-scale data set for the benchmarks (bulk inserts, deterministic "
        "with --seed). Refuses to run when scale data is present unless --flush (which deletes "
        "the scale rows only, never the demo data) or --if-empty (then it does nothing)."
    )

    def add_arguments(self, parser):
        defaults = scale.ScaleConfig()
        for name in ("centres", "calls", "applications", "items", "shipments", "invoices", "seed"):
            parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--flush", action="store_true", help="delete the scale data first, then seed again"
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="exit successfully without changing anything when scale data is present",
        )

    def handle(self, *args, **options):
        config = scale.ScaleConfig(
            **{
                name: options[name]
                for name in (
                    "centres",
                    "calls",
                    "applications",
                    "items",
                    "shipments",
                    "invoices",
                    "seed",
                )
            }
        )
        problems = config.check()
        if problems:
            raise CommandError("; ".join(problems))
        if scale.is_seeded():
            if options["if_empty"]:
                self.stdout.write("Scale data already present: nothing changed.")
                return
            if not options["flush"]:
                raise CommandError(
                    "Scale data is already present: pass --flush to delete it and seed again."
                )
            started = time.perf_counter()
            scale.flush()
            self.stdout.write(f"Scale data deleted in {time.perf_counter() - started:.1f} s.")
        started = time.perf_counter()
        try:
            counts = scale.ScaleBuilder(config, stdout=self.stdout).build()
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{value} {name}" for name, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Scale data created in {elapsed:.1f} s: {summary}."))
