"""Deadlines a user sees: the right date, the reason for it, and how pauses move it."""

from datetime import date

import pytest

from workflows.models import BankHolidayChange, Deadline
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import ReviewType
from workflows.tasks import recompute_open_deadlines


def start(partnership, coordinator, **kwargs):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
        **kwargs,
    )


def test_decision_is_due_one_calendar_month_after_notification(partnership, coordinator):
    review = start(partnership, coordinator)
    deadline = review.deadlines.get(rule="decision")
    assert deadline.due_on == date(2027, 2, 10)
    assert deadline.statutory
    assert deadline.explanation == "1 month from notification on 10 January 2027"
    assert "December 2016" in deadline.source
    assert deadline.status(date(2027, 2, 4)) == "due_soon"
    assert deadline.status(date(2027, 2, 11)) == "overdue"


def test_a_month_from_the_31st_ends_on_the_last_day_of_a_shorter_month(partnership, coordinator):
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 30),
        notified_on=date(2027, 1, 31),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )
    assert review.deadlines.get(rule="decision").due_on == date(2027, 2, 28)


def test_completion_is_due_six_months_after_the_decision(partnership, coordinator, csp_chair):
    review = start(partnership, coordinator)
    review = review_transition(
        review=review, action="decide_to_commission", by=csp_chair, on=date(2027, 2, 3)
    )
    decision = review.deadlines.get(rule="decision")
    assert (decision.met_on, decision.status(date(2027, 6, 1))) == (date(2027, 2, 3), "met")
    completion = review.deadlines.get(rule="completion")
    assert completion.due_on == date(2027, 8, 3)
    assert completion.explanation == (
        "6 months from the decision to hold a review on 3 February 2027"
    )


def test_a_pause_moves_open_deadlines_by_the_days_paused(partnership, coordinator, csp_chair):
    review = start(partnership, coordinator)
    review = review_transition(
        review=review, action="decide_to_commission", by=csp_chair, on=date(2027, 2, 3)
    )
    review = review_transition(
        review=review,
        action="pause",
        by=csp_chair,
        on=date(2027, 3, 1),
        pause_reason="criminal_proceedings",
    )
    completion = review.deadlines.get(rule="completion")
    assert completion.due_on is None
    assert completion.status(date(2027, 6, 1)) == "paused"
    assert "clock is stopped while paused for criminal proceedings since 1 March 2027" in (
        completion.explanation
    )
    review = review_transition(review=review, action="resume", by=csp_chair, on=date(2027, 4, 15))
    completion = review.deadlines.get(rule="completion")
    assert completion.due_on == date(2027, 9, 17)  # 3 August plus 45 days
    assert completion.explanation == (
        "6 months from the decision to hold a review on 3 February 2027, "
        "plus 45 days paused for criminal proceedings"
    )
    # The decision was already met before the pause: its date does not move.
    assert review.deadlines.get(rule="decision").due_on == date(2027, 2, 10)


def test_a_directed_review_runs_six_months_from_the_direction(partnership, coordinator):
    review = start(partnership, coordinator)
    for action, on in [
        ("decide_not_to_commission", date(2027, 2, 1)),
        ("record_home_office_challenge", date(2027, 3, 1)),
        ("record_direction", date(2027, 4, 1)),
    ]:
        review = review_transition(review=review, action=action, by=coordinator, on=on)
    assert review.deadlines.get(rule="completion").due_on == date(2027, 10, 1)


def test_joint_review_notifies_the_national_panel_within_five_working_days(
    partnership, coordinator
):
    review = start(partnership, coordinator, review_type=ReviewType.JOINT)
    deadline = review.deadlines.get(rule="national_panel_notification")
    # Notified Sunday 10 January 2027: Monday 11th to Friday 15th are the five working days.
    assert deadline.due_on == date(2027, 1, 15)
    assert (
        not start(partnership, coordinator)
        .deadlines.filter(rule="national_panel_notification")
        .exists()
    )


def test_a_partnership_holiday_moves_working_day_deadlines(partnership, coordinator):
    review = start(partnership, coordinator, review_type=ReviewType.JOINT)
    BankHolidayChange.objects.create(
        partnership=partnership, day=date(2027, 1, 12), is_holiday=True
    )
    assert recompute_open_deadlines() >= 1
    assert review.deadlines.get(rule="national_panel_notification").due_on == date(2027, 1, 18)


@pytest.mark.parametrize("guidance", ["2016", "2024-draft"])
def test_every_deadline_cites_its_source(partnership, coordinator, guidance):
    review = start(partnership, coordinator, guidance_version=guidance)
    expected = "December 2016" if guidance == "2016" else "May 2024"
    assert expected in review.deadlines.get(rule="decision").source
    assert Deadline.objects.filter(review=review, source="").count() == 0
