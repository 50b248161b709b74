"""manage.py import_reviews: the import page's checks and import, from a terminal."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from workflows.imports.errors import ImportRefused
from workflows.imports.reading import read_import_file
from workflows.imports.services import reviews_count, reviews_import
from workflows.imports.validation import rows_check
from workflows.models import Partnership, Role, User


class Command(BaseCommand):
    help = (
        "Import existing reviews' notifications from a CSV or XLSX file with the template's "
        "header row (see /reviews/import/). All or nothing: any problem refuses the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("partnership", help="The partnership's slug, e.g. testshire")
        parser.add_argument("file", help="The CSV or XLSX file")
        parser.add_argument(
            "--by",
            metavar="EMAIL",
            help="The coordinator recorded as importing (needed when the partnership has more "
            "than one coordinator)",
        )
        parser.add_argument(
            "--check", action="store_true", help="Check the file and report; import nothing"
        )

    def handle(self, *args, **options):
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"There is no partnership with the slug {options['partnership']!r}")
        by = _coordinator(partnership, options["by"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError("There is no file at that path")
        try:
            with path.open("rb") as handle:
                raw_rows = read_import_file(File(handle, name=path.name))
            if options["check"]:
                rows = rows_check(raw_rows, partnership=partnership)
                self.stdout.write(
                    f"Every row is right: {reviews_count(len(rows))} ready to import."
                )
                return
            imported = reviews_import(partnership=partnership, by=by, raw_rows=raw_rows)
        except ImportRefused as refused:
            for message in refused.messages:
                self.stderr.write(message)
            count = len(refused.messages)
            raise CommandError(
                f"Nothing was imported: {count} problem{'s' if count != 1 else ''}"
            ) from None
        self.stdout.write(f"Imported {reviews_count(len(imported))} into {partnership.name}:")
        for done in imported:
            self.stdout.write(f"  Row {done.number}: {done.review.reference}")


def _coordinator(partnership: Partnership, email: str | None) -> User:
    coordinators = User.objects.filter(
        memberships__partnership=partnership, memberships__role=Role.COORDINATOR, is_active=True
    ).distinct()
    if email:
        user = coordinators.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"{email} is not an active coordinator of {partnership.name}")
        return user
    if coordinators.count() != 1:
        raise CommandError(
            f"{partnership.name} has {coordinators.count()} coordinators: say which one is "
            "importing with --by EMAIL"
        )
    return coordinators.get()
