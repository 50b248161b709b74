"""Checking every row of an import file against the rules for a notification entered by hand.

Every problem is reported, not just the first, each as "Row N, Column: what is wrong", where
the column is the header the coordinator typed. Messages never quote a real name: a row is
pointed at by its number.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone

from workflows.imports import columns as c
from workflows.imports.errors import ImportRefused
from workflows.imports.reading import RawRow
from workflows.models import Agency, Partnership, Review
from workflows.stages import GuidanceVersion, ReviewType

NAME_MAX = 200
TEXT_MAX = 5000
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
UK_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
UK_DATE_SHORT_YEAR = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{2}")
EXAMPLE = "27/03/2027"


@dataclass(frozen=True)
class ReviewRow:
    """A checked row: everything ``review_start`` (and the decision, where there is one) needs."""

    number: int
    victim_real_name: str
    perpetrator_real_name: str
    date_of_death: datetime.date
    notified_on: datetime.date
    referred_by: str
    review_type: str
    guidance_version: str
    agencies: tuple[Agency, ...]
    circumstances: str
    commissioned: bool | None
    decided_on: datetime.date | None
    decision_reasons: str

    def start_arguments(self) -> dict:
        """Keyword arguments for ``workflows.services.reviews.review_start``."""
        return {
            "victim_real_name": self.victim_real_name,
            "perpetrator_real_name": self.perpetrator_real_name,
            "date_of_death": self.date_of_death,
            "notified_on": self.notified_on,
            "referred_by": self.referred_by,
            "review_type": self.review_type,
            "guidance_version": self.guidance_version,
            "agencies": list(self.agencies),
            "circumstances": self.circumstances,
        }

    @property
    def decision_label(self) -> str:
        if self.commissioned is None:
            return "Not decided yet"
        return "Hold a review" if self.commissioned else "Do not hold a review"


class DateUnreadable(ValueError):
    pass


def parse_date(text: str) -> datetime.date:
    """A date written as DD/MM/YYYY (or with dots or dashes), as YYYY-MM-DD, or as a date cell
    (which the reader has turned into YYYY-MM-DD). Day first: 03/04/2027 is 3 April."""
    text = text.strip()
    if match := ISO_DATE.fullmatch(text):
        year, month, day = match.group(1), match.group(2), match.group(3)
    elif match := UK_DATE.fullmatch(text):
        day, month, year = match.group(1), match.group(3), match.group(4)
    elif UK_DATE_SHORT_YEAR.fullmatch(text):
        raise DateUnreadable(f"the year must include 4 numbers, like {EXAMPLE}")
    else:
        raise DateUnreadable(
            f"enter a date as DD/MM/YYYY, like {EXAMPLE}, or as YYYY-MM-DD, like 2027-03-27"
        )
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise DateUnreadable(f"must be a real date, like {EXAMPLE}") from None


def uk_date(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def rows_check(raw_rows: list[RawRow], *, partnership: Partnership) -> list[ReviewRow]:
    """Check every row of an import for ``partnership``; return the rows ready to start, or
    refuse with every problem found (``ImportRefused``).

    The rules are those of the start-review and decision forms: dates readable and not in the
    future, death on or before notification, decision on or after notification, the reasons
    when not holding a review. An import adds its own: agencies must be the partnership's, and a
    death must not appear twice, in the file or among the partnership's reviews (so importing
    the same file twice is refused).
    """
    checker = _RowChecker(partnership)
    rows = [checker.check(raw) for raw in raw_rows]
    checker.check_duplicates(rows)
    if checker.problems:
        # Row by row, each row's problems in the order of its columns.
        ordered = sorted(checker.problems, key=lambda problem: problem[0])
        raise ImportRefused([message for _number, message in ordered])
    return rows


class _RowChecker:
    def __init__(self, partnership: Partnership):
        self.partnership = partnership
        self.today = timezone.localdate()
        self.agencies = {
            " ".join(agency.name.split()).casefold(): agency
            for agency in Agency.objects.filter(partnership=partnership)
        }
        self.problems: list[tuple[int, str]] = []

    def problem(self, number: int, key: str, message: str) -> None:
        self.problems.append((number, f"Row {number}, {c.header(key)}: {message}"))

    def check(self, raw: RawRow) -> ReviewRow | None:
        """The row ready to start, or None when it has problems (recorded in column order)."""
        self.number, self.values = raw.number, raw.values
        before = len(self.problems)
        victim = self._text(c.VICTIM, NAME_MAX, "enter the name of the person who died")
        perpetrator = self._text(c.PERPETRATOR, NAME_MAX)
        death, notified = self._date(c.DATE_OF_DEATH), self._date(c.NOTIFIED_ON)
        if death and notified and death > notified:
            self.problem(
                raw.number,
                c.DATE_OF_DEATH,
                f"must be on or before the date notified ({uk_date(notified)})",
            )
        row = ReviewRow(
            number=raw.number,
            victim_real_name=victim,
            perpetrator_real_name=perpetrator,
            date_of_death=death,
            notified_on=notified,
            referred_by=self._text(c.REFERRED_BY, NAME_MAX, "enter who notified the partnership"),
            review_type=self._choice(c.REVIEW_TYPE, c.REVIEW_TYPES, "must be DHR, DARDR or Joint")
            or ReviewType.DHR,
            guidance_version=self._choice(
                c.GUIDANCE, c.GUIDANCE_VERSIONS, "must be 2016 or 2024 draft"
            )
            or GuidanceVersion.DECEMBER_2016,
            agencies=self._agencies(),
            circumstances=self._text(c.CIRCUMSTANCES, TEXT_MAX),
            **self._decision(notified),
        )
        return row if len(self.problems) == before else None

    def _value(self, key: str) -> str:
        value = self.values.get(key, "")
        # Free text keeps its lines; everything else is one line with single spaces.
        if key in (c.CIRCUMSTANCES, c.DECISION_REASONS):
            return value.strip()
        return " ".join(value.split())

    def _text(self, key: str, max_length: int, required: str = "") -> str:
        value = self._value(key)
        if not value and required:
            self.problem(self.number, key, required)
        elif len(value) > max_length:
            self.problem(self.number, key, f"must be {max_length} characters or fewer")
        return value

    def _date(self, key: str) -> datetime.date | None:
        value = self._value(key)
        if not value:
            if c.BY_KEY[key].required:
                self.problem(self.number, key, f"enter the {c.header(key).lower()}")
            return None
        try:
            day = parse_date(value)
        except DateUnreadable as unreadable:
            self.problem(self.number, key, str(unreadable))
            return None
        if day > self.today:
            self.problem(self.number, key, "must be today or in the past")
            return None
        return day

    def _choice(self, key: str, choices: dict, message: str):
        value = self._value(key)
        if not value:
            return None
        choice = choices.get(value.casefold())
        if choice is None:
            self.problem(self.number, key, message)
        return choice

    def _agencies(self) -> tuple[Agency, ...]:
        found = {}
        for name in self._value(c.AGENCIES).split(";"):
            name = " ".join(name.split())
            if not name:
                continue
            agency = self.agencies.get(name.casefold())
            if agency is None:
                self.problem(
                    self.number,
                    c.AGENCIES,
                    f"“{name[:100]}” is not one of the agencies of {self.partnership.name}: "
                    "correct the spelling, or have the agency added to the partnership first",
                )
            else:
                found[agency.pk] = agency
        return tuple(found.values())

    def _decision(self, notified: datetime.date | None) -> dict:
        commissioned = self._choice(c.DECISION, c.DECISIONS, "must be Yes, No or left empty")
        decided = self._value(c.DECISION)
        decided_on = self._date(c.DECISION_DATE)
        reasons = self._text(c.DECISION_REASONS, TEXT_MAX)
        if decided and not self._value(c.DECISION_DATE):
            self.problem(self.number, c.DECISION_DATE, "enter the date of the decision")
        if not decided and self._value(c.DECISION_DATE):
            self.problem(
                self.number, c.DECISION, "enter the decision (Yes or No) made on the decision date"
            )
        if decided_on and notified and decided_on < notified:
            self.problem(
                self.number,
                c.DECISION_DATE,
                f"must be on or after the date notified ({uk_date(notified)})",
            )
        if commissioned is False and not reasons:
            self.problem(
                self.number,
                c.DECISION_REASONS,
                "enter the reasons for not holding a review: the Home Office needs them",
            )
        if reasons and not decided:
            self.problem(self.number, c.DECISION, "enter the decision the reasons are for")
        return {"commissioned": commissioned, "decided_on": decided_on, "decision_reasons": reasons}

    def check_duplicates(self, rows: list[ReviewRow | None]) -> None:
        """A death is the same when the name of the person who died and the date of death are
        (names compared without case or extra spaces)."""
        seen: dict[tuple, int] = {}
        for row in filter(None, rows):
            key = (_same_name(row.victim_real_name), row.date_of_death)
            if key in seen:
                self.problem(
                    row.number,
                    c.VICTIM,
                    f"the same death as row {seen[key]} (same name and date of death)",
                )
            else:
                seen.setdefault(key, row.number)
        recorded = Review.objects.filter(
            partnership=self.partnership, date_of_death__in={key[1] for key in seen}
        ).values_list("victim_real_name", "date_of_death", "reference")
        references = {(_same_name(name), died): ref for name, died, ref in recorded}
        for key, number in seen.items():
            if key in references:
                self.problem(
                    number,
                    c.VICTIM,
                    f"this death already has a review ({references[key]}): a review is "
                    "imported only once",
                )


def _same_name(name: str) -> str:
    return " ".join(name.split()).casefold()
