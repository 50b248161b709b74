import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

INVARIANT_MESSAGE = "Invariant violations found: {}"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--start must be a date such as 2027-01-04, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Simulate a year of reviews across many invented partnerships through the real services, "
        "reminder sweep and outbox, day by day under a controlled clock, and print the figures "
        "as JSON. Refuses a database that holds real reviews unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reviews", type=int, default=150)
        parser.add_argument("--partnerships", type=int, default=300)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--start", type=_date, default=date(2027, 1, 4))
        parser.add_argument(
            "--force",
            action="store_true",
            help="Simulate even though the database holds reviews that are not simulated.",
        )

    def handle(self, *args, **options):
        try:
            import time_machine  # noqa: F401  (the engine moves the clock with it)
        except ImportError:
            raise CommandError(
                "simulate needs time-machine, a test extra: install the test dependencies "
                "(pip install time-machine)."
            ) from None
        from workflows.simulation.run import SimulationRefused, simulation_run

        for name in ("reviews", "partnerships", "days"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        try:
            figures = simulation_run(
                reviews=options["reviews"],
                partnerships=options["partnerships"],
                days=options["days"],
                seed=options["seed"],
                start=options["start"],
                force=options["force"],
            )
        except SimulationRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(json.dumps(figures, indent=2))
        violations = {k: v for k, v in figures["invariant_violations"].items() if v}
        if violations:
            raise CommandError(INVARIANT_MESSAGE.format(violations))
