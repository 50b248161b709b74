"""The statutory clock for Domestic Homicide Reviews.

Pure date arithmetic: no Django imports and no database, so models, forms, Celery tasks and
tests can all use it, and a due date can always be recomputed from its inputs.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache

import holidays
from govuk_bank_holidays.bank_holidays import BankHolidays

Pause = tuple[date, date | None]

# The periods themselves are data, per guidance version, in workflows/rules.py.
REGIONS: tuple[str, ...] = ("england-and-wales", "scotland", "northern-ireland")

# The holidays package has no combined England-and-Wales subdivision; GOV.UK publishes one list
# for both and England's matches it.
_HOLIDAYS_SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}

_PERIOD_PATTERN = re.compile(r"([0-9]+) (month|working day|day|week)s?")
_PERIOD_EXAMPLES = "'1 month', '6 months', '5 working days', '1 working day', '28 days', '2 weeks'"

# Spelt out rather than strftime("%B") so the wording never depends on the server's locale.
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def add_months(start: date, months: int) -> date:
    """Return the date `months` calendar months after `start` (before it if negative).

    A day the target month lacks becomes that month's last day: 31 January + 1 month is
    28 February (29 in a leap year).
    """
    year, month_index = divmod(start.year * 12 + start.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(start.day, last_day))


def bank_holidays(region: str, year: int) -> frozenset[date]:
    """Return the bank holidays (including substitute days) of `region` in `year`."""
    _check_region(region)
    return _bank_holidays(region, year)


@lru_cache(maxsize=1)
def _govuk() -> BankHolidays:
    """Load GOV.UK's list once, from the copy shipped with the package (no network)."""
    return BankHolidays(use_cached_holidays=True)


# Bounded: a few hundred region-years covers every review, and the cache cannot grow unchecked.
@lru_cache(maxsize=512)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    """Cached lookup behind `bank_holidays`; `region` is already validated."""
    # GOV.UK's list is the official one and the holidays package can disagree with it (it adds
    # a 15 June 2026 Scottish holiday GOV.UK lacks), so GOV.UK wins for every year it covers.
    official = _govuk().get_holidays(division=region)
    if official and official[0]["date"].year <= year <= official[-1]["date"].year:
        return frozenset(entry["date"] for entry in official if entry["date"].year == year)
    predicted = holidays.country_holidays("GB", subdiv=_HOLIDAYS_SUBDIVISIONS[region], years=year)
    return frozenset(predicted)


def add_working_days(
    start: date,
    days: int,
    region: str = "england-and-wales",
    *,
    extra_holidays: Iterable[date] = (),
    removed_holidays: Iterable[date] = (),
) -> date:
    """Return the `days`-th working day after `start`; `start` itself never counts.

    Working days exclude Saturdays, Sundays and the region's bank holidays. A partnership may
    add closure days (`extra_holidays`) or work through a bank holiday (`removed_holidays`);
    a date given in both is treated as a holiday.
    """
    _check_region(region)
    if days < 0:
        raise ValueError(f"days must be zero or more, not {days}.")
    extra, removed = frozenset(extra_holidays), frozenset(removed_holidays)
    current = start
    while days > 0:
        current += timedelta(days=1)
        official = current in _bank_holidays(region, current.year) and current not in removed
        if current.weekday() < 5 and not official and current not in extra:
            days -= 1
    return current


def parse_period(period: str) -> tuple[int, str]:
    """Parse "6 months", "5 working days", "2 weeks"... into (count, unit).

    The unit is one of "months", "working days" or "days"; weeks become days.
    """
    count, unit = _parse(period)
    if unit == "week":
        return count * 7, "days"
    return count, f"{unit}s"


def due_date(
    start: date,
    period: str,
    pauses: Iterable[Pause] = (),
    *,
    region: str = "england-and-wales",
    extra_holidays: Iterable[date] = (),
    removed_holidays: Iterable[date] = (),
) -> date | None:
    """Return when `period` from `start` falls due, allowing for `pauses`, or None if stopped.

    `pauses` are (paused_on, resumed_on) pairs; resumed_on is None while a pause is open.
    """
    checked = _checked_pauses(pauses)
    plain = _plain_due_date(start, period, region, extra_holidays, removed_holidays)
    return _apply_pauses(plain, checked)[0]


def explain_due_date(
    start: date,
    period: str,
    pauses: Iterable[Pause] = (),
    *,
    start_label: str,
    pause_reasons: Sequence[str | None] | None = None,
    region: str = "england-and-wales",
    extra_holidays: Iterable[date] = (),
    removed_holidays: Iterable[date] = (),
) -> str:
    """Describe how the due date was reached, for showing beside it on screen.

    e.g. "1 month from notification on 10 January 2027, plus 45 days paused for criminal
    proceedings". `pause_reasons` runs parallel to `pauses`.
    """
    count, unit = _parse(period)
    checked = _checked_pauses(pauses)
    reasons = _checked_reasons(pause_reasons, len(checked))
    plain = _plain_due_date(start, period, region, extra_holidays, removed_holidays)
    _, moves, stopped = _apply_pauses(plain, checked)
    text = f"{_counted(count, unit)} from {start_label} on {_format_date(start)}"
    if moves:
        parts = [f"{_counted(days, 'day')} paused{_for(reasons[i])}" for i, days in moves]
        text += f", plus {_join(parts)}"
    if stopped is not None:
        since = _format_date(checked[stopped][0])
        text += f"; the clock is stopped while paused{_for(reasons[stopped])} since {since}"
    return text


def _check_region(region: str) -> None:
    """Raise ValueError naming the valid regions if `region` is not one of them."""
    if region not in REGIONS:
        valid = ", ".join(repr(name) for name in REGIONS)
        raise ValueError(f"Unknown region {region!r}: use one of {valid}.")


def _parse(period: str) -> tuple[int, str]:
    """Split `period` into a positive count and a singular unit, or raise ValueError."""
    text = " ".join(period.split()).lower() if isinstance(period, str) else ""
    match = _PERIOD_PATTERN.fullmatch(text)
    if match is None or int(match[1]) < 1:
        raise ValueError(
            f"Unrecognised period {period!r}: give a positive whole number and a unit "
            f"(months, working days, days or weeks), e.g. {_PERIOD_EXAMPLES}."
        )
    return int(match[1]), match[2]


def _plain_due_date(
    start: date,
    period: str,
    region: str,
    extra_holidays: Iterable[date],
    removed_holidays: Iterable[date],
) -> date:
    """Return the due date ignoring pauses."""
    count, unit = parse_period(period)
    if unit == "months":
        return add_months(start, count)
    if unit == "working days":
        return add_working_days(
            start, count, region, extra_holidays=extra_holidays, removed_holidays=removed_holidays
        )
    return start + timedelta(days=count)


def _checked_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Return `pauses` as a list, rejecting any that resume before they began."""
    checked = [(paused_on, resumed_on) for paused_on, resumed_on in pauses]
    for paused_on, resumed_on in checked:
        if resumed_on is not None and resumed_on < paused_on:
            raise ValueError(
                f"A pause cannot resume ({resumed_on.isoformat()}) "
                f"before it began ({paused_on.isoformat()})."
            )
    return checked


def _apply_pauses(
    due: date, pauses: list[Pause]
) -> tuple[date | None, list[tuple[int, int]], int | None]:
    """Move `due` for each pause that began by then, in date order.

    Returns the moved date (None if an open pause stopped the clock), the (index, days) of each
    pause that moved it, and the index of the stopping pause, if any.
    """
    moves: list[tuple[int, int]] = []
    for index, (paused_on, resumed_on) in sorted(enumerate(pauses), key=lambda item: item[1][0]):
        if paused_on > due:
            continue
        if resumed_on is None:
            return None, moves, index
        length = (resumed_on - paused_on).days
        due += timedelta(days=length)
        if length:
            moves.append((index, length))
    return due, moves, None


def _checked_reasons(reasons: Sequence[str | None] | None, count: int) -> list[str | None]:
    """Return one reason per pause (None where not given), checking the lengths agree."""
    if reasons is None:
        return [None] * count
    if len(reasons) != count:
        raise ValueError(f"Got {len(reasons)} pause reasons for {count} pauses.")
    return list(reasons)


def _counted(count: int, unit: str) -> str:
    """Return e.g. "1 month", "6 months", "1 working day", "45 days"."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _for(reason: str | None) -> str:
    """Return " for <reason>", or nothing when no reason was recorded."""
    return f" for {reason}" if reason else ""


def _join(parts: list[str]) -> str:
    """Join phrases as English: "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _format_date(day: date) -> str:
    """Format as "3 March 2027": no leading zero, month in full."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"
