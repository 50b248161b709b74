"""Tests for the statutory clock. Pure functions: no database, no Django."""

import re
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from workflows.timescales import (
    add_months,
    add_working_days,
    bank_holidays,
    due_date,
    explain_due_date,
    parse_period,
)

REGIONS = ["england-and-wales", "scotland", "northern-ireland"]
NOTIFIED = date(2027, 1, 10)  # "1 month" from here is 10 February 2027


# add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2027, 1, 10), 0, date(2027, 1, 10)),
        (date(2027, 3, 31), -1, date(2027, 2, 28)),
        (date(2027, 1, 15), -1, date(2026, 12, 15)),
        (date(2027, 1, 15), -13, date(2025, 12, 15)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


# bank holidays and working days


def test_christmas_on_a_saturday_gives_two_substitute_days_in_england():
    # 25 December 2027 is a Saturday, so Monday 27th and Tuesday 28th are bank holidays.
    assert date(2027, 12, 24).weekday() == 4
    assert {date(2027, 12, 27), date(2027, 12, 28)} <= bank_holidays("england-and-wales", 2027)
    assert add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)


def test_easter_monday_is_a_holiday_in_england_but_not_scotland():
    maundy_thursday = date(2027, 3, 25)
    assert add_working_days(maundy_thursday, 1, "england-and-wales") == date(2027, 3, 30)
    assert add_working_days(maundy_thursday, 1, "scotland") == date(2027, 3, 29)


def test_second_of_january_is_a_holiday_only_in_scotland():
    new_years_eve = date(2025, 12, 31)
    assert add_working_days(new_years_eve, 1, "scotland") == date(2026, 1, 5)
    assert add_working_days(new_years_eve, 1, "england-and-wales") == date(2026, 1, 2)


def test_st_patricks_day_is_a_holiday_only_in_northern_ireland():
    assert add_working_days(date(2027, 3, 16), 1, "northern-ireland") == date(2027, 3, 18)
    assert add_working_days(date(2027, 3, 16), 1, "england-and-wales") == date(2027, 3, 17)


def test_govuk_list_wins_over_holidays_package_for_scotland_2026():
    world_cup_monday = date(2026, 6, 15)
    assert world_cup_monday in holidays.country_holidays("GB", subdiv="SCT", years=2026)
    assert world_cup_monday not in bank_holidays("scotland", 2026)
    assert add_working_days(date(2026, 6, 12), 1, "scotland") == world_cup_monday


def test_holidays_package_is_the_fallback_outside_govuk_years():
    assert date(2011, 4, 29) in bank_holidays("england-and-wales", 2011)  # royal wedding
    assert date(2029, 4, 2) in bank_holidays("england-and-wales", 2029)  # Easter Monday
    assert date(2029, 4, 2) not in bank_holidays("scotland", 2029)


def test_bank_holidays_are_cached():
    assert bank_holidays("scotland", 2027) is bank_holidays("scotland", 2027)


def test_extra_holidays_are_skipped():
    monday = date(2027, 1, 4)
    assert add_working_days(monday, 1, extra_holidays=[date(2027, 1, 5)]) == date(2027, 1, 6)


def test_removed_holidays_are_worked():
    maundy_thursday = date(2027, 3, 25)
    result = add_working_days(maundy_thursday, 1, removed_holidays=[date(2027, 3, 29)])
    assert result == date(2027, 3, 29)


def test_a_day_both_added_and_removed_is_a_holiday():
    both = [date(2027, 3, 29)]
    result = add_working_days(date(2027, 3, 25), 1, extra_holidays=both, removed_holidays=both)
    assert result == date(2027, 3, 30)


def test_zero_working_days_returns_start_even_at_a_weekend():
    assert add_working_days(date(2027, 1, 9), 0) == date(2027, 1, 9)


def test_negative_working_days_are_rejected():
    with pytest.raises(ValueError, match="-1"):
        add_working_days(date(2027, 1, 4), -1)


@pytest.mark.parametrize("call", [add_working_days, due_date])
def test_unknown_region_lists_the_valid_ones(call):
    arg = 1 if call is add_working_days else "1 working day"
    kwargs = {"region": "wales"}
    with pytest.raises(ValueError, match="'wales'") as error:
        call(date(2027, 1, 4), arg, **kwargs)
    for region in REGIONS:
        assert repr(region) in str(error.value)


def test_bank_holidays_rejects_unknown_region():
    with pytest.raises(ValueError, match="england-and-wales"):
        bank_holidays("england", 2027)


# periods and due dates


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("1 month", date(2027, 2, 10)),
        ("6 months", date(2027, 7, 10)),
        ("28 days", date(2027, 2, 7)),
        ("1 day", date(2027, 1, 11)),
        ("2 weeks", date(2027, 1, 24)),
        ("1 week", date(2027, 1, 17)),
        ("5 working days", date(2027, 1, 15)),  # 10 January 2027 is a Sunday
        ("1 working day", date(2027, 1, 11)),
        ("  6 MONTHS ", date(2027, 7, 10)),
        ("5 Working Days", date(2027, 1, 15)),
        ("1 days", date(2027, 1, 11)),
        ("2 month", date(2027, 3, 10)),
    ],
)
def test_due_date_for_each_kind_of_period(period, expected):
    assert due_date(NOTIFIED, period) == expected


def test_due_date_working_days_follow_the_region_and_partnership_days():
    assert due_date(date(2027, 3, 25), "1 working day", region="scotland") == date(2027, 3, 29)
    extra = [date(2027, 1, 11)]
    assert due_date(NOTIFIED, "1 working day", extra_holidays=extra) == date(2027, 1, 12)
    removed = [date(2027, 3, 26)]
    assert due_date(date(2027, 3, 25), "1 working day", removed_holidays=removed) == date(
        2027, 3, 26
    )


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("1 month", (1, "months")),
        ("6 months", (6, "months")),
        ("1 working day", (1, "working days")),
        ("5 working days", (5, "working days")),
        ("28 days", (28, "days")),
        ("1 week", (7, "days")),
        ("2 weeks", (14, "days")),
    ],
)
def test_parse_period(period, expected):
    assert parse_period(period) == expected


BAD_PERIODS = [
    "",
    "   ",
    "month",
    "0 days",
    "0 months",
    "-1 days",
    "+1 month",
    "1.5 months",
    "six months",
    "1 fortnight",
    "1 year",
    "1 working",
    "working days",
    "5 working-days",
    "5 business days",
    "1 month 2 days",
    "1month",
    "1 monthly",
    "\u0661 month",  # an Arabic-Indic digit one
    None,
    6,
]


@pytest.mark.parametrize("bad", BAD_PERIODS)
def test_bad_periods_raise_with_the_value_quoted(bad):
    for call in (parse_period, lambda period: due_date(NOTIFIED, period)):
        with pytest.raises(ValueError, match=re.escape(repr(bad))) as error:
            call(bad)
        assert "'6 months'" in str(error.value)


# pauses


def test_pause_before_the_due_date_moves_it():
    assert due_date(NOTIFIED, "1 month", [(date(2027, 1, 20), date(2027, 1, 30))]) == date(
        2027, 2, 20
    )


def test_pause_on_the_due_date_moves_it():
    assert due_date(NOTIFIED, "1 month", [(date(2027, 2, 10), date(2027, 2, 15))]) == date(
        2027, 2, 15
    )


def test_pause_after_the_due_date_changes_nothing():
    assert due_date(NOTIFIED, "1 month", [(date(2027, 2, 11), date(2027, 3, 1))]) == date(
        2027, 2, 10
    )


def test_second_pause_counts_only_because_the_first_moved_the_date():
    late = (date(2027, 2, 15), date(2027, 2, 20))
    early = (date(2027, 1, 20), date(2027, 1, 30))
    assert due_date(NOTIFIED, "1 month", [late]) == date(2027, 2, 10)
    # Given out of order on purpose: pauses are taken in the order they began.
    assert due_date(NOTIFIED, "1 month", [late, early]) == date(2027, 2, 25)


def test_zero_length_pause_changes_nothing():
    assert due_date(NOTIFIED, "1 month", [(date(2027, 2, 1), date(2027, 2, 1))]) == date(
        2027, 2, 10
    )


def test_pause_moves_a_working_day_deadline_by_calendar_days():
    assert due_date(NOTIFIED, "5 working days", [(date(2027, 1, 12), date(2027, 1, 14))]) == date(
        2027, 1, 17
    )


@pytest.mark.parametrize("paused_on", [date(2027, 1, 10), date(2027, 2, 1), date(2027, 2, 10)])
def test_open_pause_by_the_due_date_stops_the_clock(paused_on):
    assert due_date(NOTIFIED, "1 month", [(paused_on, None)]) is None


def test_open_pause_after_the_due_date_changes_nothing():
    assert due_date(NOTIFIED, "1 month", [(date(2027, 2, 11), None)]) == date(2027, 2, 10)


def test_open_pause_within_a_moved_due_date_stops_the_clock():
    pauses = [(date(2027, 1, 20), date(2027, 1, 30)), (date(2027, 2, 15), None)]
    assert due_date(NOTIFIED, "1 month", pauses) is None


@pytest.mark.parametrize("paused_on", [date(2027, 1, 20), date(2027, 6, 1)])
def test_pause_resuming_before_it_began_is_rejected(paused_on):
    with pytest.raises(ValueError, match="before it began"):
        due_date(NOTIFIED, "1 month", [(paused_on, paused_on - timedelta(days=1))])


# explanations


def test_explain_a_single_pause():
    text = explain_due_date(
        NOTIFIED,
        "1 month",
        [(date(2027, 1, 15), date(2027, 3, 1))],
        start_label="notification",
        pause_reasons=["criminal proceedings"],
    )
    assert text == (
        "1 month from notification on 10 January 2027, plus 45 days paused for criminal proceedings"
    )


def test_explain_two_pauses_in_the_order_they_began():
    text = explain_due_date(
        NOTIFIED,
        "1 month",
        [(date(2027, 2, 15), date(2027, 2, 20)), (date(2027, 1, 20), date(2027, 1, 30))],
        start_label="notification",
        pause_reasons=["criminal proceedings", "an inquest"],
    )
    assert text == (
        "1 month from notification on 10 January 2027, plus 10 days paused for an inquest"
        " and 5 days paused for criminal proceedings"
    )


def test_explain_leaves_out_pauses_that_did_not_move_the_date():
    text = explain_due_date(
        NOTIFIED,
        "1 month",
        [(date(2027, 1, 20), date(2027, 1, 30)), (date(2027, 4, 1), date(2027, 4, 5))],
        start_label="notification",
        pause_reasons=["an inquest", "a family request"],
    )
    assert (
        text == "1 month from notification on 10 January 2027, plus 10 days paused for an inquest"
    )


def test_explain_an_open_pause():
    text = explain_due_date(
        NOTIFIED,
        "6 months",
        [(date(2027, 1, 20), date(2027, 1, 30)), (date(2027, 3, 3), None)],
        start_label="the decision",
        pause_reasons=["an inquest", "criminal proceedings"],
    )
    assert text == (
        "6 months from the decision on 10 January 2027, plus 10 days paused for an inquest;"
        " the clock is stopped while paused for criminal proceedings since 3 March 2027"
    )


def test_explain_without_reasons_or_pauses():
    pauses = [(date(2027, 1, 20), date(2027, 1, 21))]
    assert (
        explain_due_date(date(2027, 3, 1), "28 days", start_label="referral")
        == "28 days from referral on 1 March 2027"
    )
    assert (
        explain_due_date(NOTIFIED, "1 working day", pauses, start_label="notification")
        == "1 working day from notification on 10 January 2027"
    )
    assert (
        explain_due_date(NOTIFIED, "2 Weeks", pauses, start_label="notification")
        == "2 weeks from notification on 10 January 2027, plus 1 day paused"
    )


def test_explain_rejects_mismatched_reasons_and_bad_periods():
    with pytest.raises(ValueError, match="1 pause reasons for 0 pauses"):
        explain_due_date(NOTIFIED, "1 month", start_label="notification", pause_reasons=["x"])
    with pytest.raises(ValueError, match="'1 fortnight'"):
        explain_due_date(NOTIFIED, "1 fortnight", start_label="notification")


# properties

any_date = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
clock_date = st.dates(min_value=date(2005, 1, 1), max_value=date(2045, 12, 31))
regions = st.sampled_from(REGIONS)
units = st.sampled_from(["month", "working day", "day", "week"])
periods = st.builds(lambda n, unit: f"{n} {unit}{'' if n == 1 else 's'}", st.integers(1, 24), units)
closed_pauses = st.lists(
    st.tuples(st.integers(-30, 800), st.integers(0, 120)).map(
        lambda pair: (pair[0], pair[0] + pair[1])
    ),
    max_size=4,
)


def _pauses(start, offsets):
    return [(start + timedelta(days=a), start + timedelta(days=b)) for a, b in offsets]


def _is_working_day(day, region):
    return day.weekday() < 5 and day not in bank_holidays(region, day.year)


@given(any_date, st.integers(-600, 600))
def test_add_months_lands_in_the_right_month_without_overshooting(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.day == start.day or (result + timedelta(days=1)).day == 1


@given(any_date, st.integers(-300, 300), st.integers(-300, 300))
def test_add_months_composes_when_nothing_is_clamped(start, a, b):
    assume(add_months(start, a).day == start.day)
    assert add_months(start, a + b) == add_months(add_months(start, a), b)


@given(clock_date, st.integers(0, 60), regions)
def test_add_working_days_is_a_later_working_day_and_monotonic(start, days, region):
    result = add_working_days(start, days, region)
    following = add_working_days(start, days + 1, region)
    assert _is_working_day(following, region)
    assert following > result >= start
    if days >= 1:
        assert _is_working_day(result, region)
        assert result > start


@given(clock_date, st.integers(1, 24), units, regions)
def test_due_date_without_pauses_is_the_plain_computation(start, count, unit, region):
    period = f"{count} {unit}s"
    expected = {
        "month": lambda: add_months(start, count),
        "working day": lambda: add_working_days(start, count, region),
        "day": lambda: start + timedelta(days=count),
        "week": lambda: start + timedelta(weeks=count),
    }[unit]()
    assert due_date(start, period, region=region) == expected


@given(clock_date, periods, closed_pauses)
def test_closed_pauses_move_the_date_later_by_at_most_their_total(start, period, offsets):
    pauses = _pauses(start, offsets)
    plain = due_date(start, period)
    paused = due_date(start, period, pauses)
    total = sum((resumed - paused_on).days for paused_on, resumed in pauses)
    assert plain <= paused <= plain + timedelta(days=total)


@given(clock_date, periods, closed_pauses)
def test_pause_order_does_not_matter(start, period, offsets):
    pauses = _pauses(start, offsets)
    assert due_date(start, period, pauses) == due_date(start, period, list(reversed(pauses)))


@given(clock_date, periods, st.integers(1, 400), st.integers(0, 400), st.booleans())
def test_a_pause_after_the_due_date_changes_nothing(start, period, gap, length, is_open):
    plain = due_date(start, period)
    paused_on = plain + timedelta(days=gap)
    resumed = None if is_open else paused_on + timedelta(days=length)
    assert due_date(start, period, [(paused_on, resumed)]) == plain
