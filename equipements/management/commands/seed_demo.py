from django.conf import settings
from django.core.management.base import BaseCommand

from equipements.demo import DemoBuilder, demo_logins


class Command(BaseCommand):
    help = (
        "Create the demo data (partners, centres, the three historical editions and an open "
        "call) unless present, and print the demo logins. Running it twice changes nothing."
    )

    def handle(self, *args, **options):
        created = DemoBuilder(stdout=self.stdout).build()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Demo data already present: nothing changed.")
        for role, email in demo_logins():
            self.stdout.write(f"demo login: {role} {email} {settings.DEMO_PASSWORD}")
