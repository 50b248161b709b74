import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.demo import PEOPLE, load_demo


class Command(BaseCommand):
    help = "Load the invented demo partnership, people and reviews (safe to run again)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("load_demo refuses to run with production settings.")
        if not settings.DEMO_PASSWORD:
            raise CommandError("Set DEMO_PASSWORD to the password the demo accounts should have.")
        # Each demo step would otherwise log a line; the summary below is what matters here.
        logging.getLogger("workflows").setLevel(logging.WARNING)
        partnership = load_demo(settings.DEMO_PASSWORD)
        self.stdout.write(f"Demo data ready for {partnership.name}. Sign in with:")
        for email, name, *_ in PEOPLE:
            self.stdout.write(f"  {email:34} {name}")
        self.stdout.write(f"  password: {settings.DEMO_PASSWORD}")
        self.stdout.write(
            "Coordinators and chairs also set up two-factor sign-in (an authenticator app) the "
            "first time they sign in."
        )
