"""The title a review has in the Home Office's national library of published reviews.

The library names each review ``<Pseudonym> - <Partnership> - <YYYY>/<letter> - DHR``: the
victim's pseudonym, the area, the year of death, and a letter for the partnership's first,
second, third... review of that year (a, b, c...), ordered by date of death then reference.
A Domestic Abuse Related Death Review ends "- DARDR" instead (Victims and Prisoners Act 2024,
s19). The title is public: it holds nothing a published report does not.

Only reviews that went ahead take a letter (a decision not to hold a review is never in the
library), and a review is titled once its pseudonym is agreed. A review still in set-up keeps
its letter's place, so the letters of its partnership's other reviews do not move when the
pseudonym is agreed.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from workflows.models import Review
from workflows.stages import ReviewType

# The library names the area, not the body: "Demoshire", not "Demoshire Community Safety
# Partnership".
PARTNERSHIP_SUFFIXES = (" Community Safety Partnership", " CSP")
ROW_FIELDS = (
    "pk",
    "partnership_id",
    "partnership__name",
    "date_of_death",
    "reference",
    "victim_pseudonym",
    "review_type",
    "notified_on",
    "published_on",
)


@dataclass(frozen=True)
class LibraryEntry:
    review_id: int
    partnership_id: int
    title: str
    notified_on: date
    published_on: date | None


def library_area(partnership_name: str) -> str:
    """The area as the library names it: the partnership's name without "Community Safety
    Partnership"."""
    for suffix in PARTNERSHIP_SUFFIXES:
        if partnership_name.endswith(suffix):
            return partnership_name.removesuffix(suffix)
    return partnership_name


def review_letter(position: int) -> str:
    """The letter of a partnership's ``position``-th review of a year (1: a, 26: z, 27: aa)."""
    if position < 1:
        raise ValueError(f"position must be 1 or more, not {position}.")
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters


def library_title(review: Review) -> str:
    """The library title of one review, or "" while it has none (one query)."""
    for entry in library_entries([review.partnership_id]):
        if entry.review_id == review.pk:
            return entry.title
    return ""


def library_entries(partnership_ids: Iterable[int] | QuerySet) -> list[LibraryEntry]:
    """Every titled review of these partnerships (ids, or a queryset of them), in one query."""
    rows = (
        Review.objects.filter(partnership_id__in=partnership_ids, commissioned=True)
        .order_by("partnership_id", "date_of_death", "reference")
        .values_list(*ROW_FIELDS, named=True)
    )
    positions: dict[tuple[int, int], int] = defaultdict(int)
    entries = []
    for row in rows:
        key = (row.partnership_id, row.date_of_death.year)
        positions[key] += 1
        if not row.victim_pseudonym.strip():
            continue
        title = _title(row, review_letter(positions[key]))
        entries.append(
            LibraryEntry(row.pk, row.partnership_id, title, row.notified_on, row.published_on)
        )
    return entries


def _title(row, letter: str) -> str:
    kind = "DARDR" if row.review_type == ReviewType.DARDR else "DHR"
    area = library_area(row.partnership__name)
    year = row.date_of_death.year
    return f"{row.victim_pseudonym.strip()} - {area} - {year}/{letter} - {kind}"
