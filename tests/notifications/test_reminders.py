"""Reminders and escalations over a year of controlled time: each rung once, none while paused,
and the moved dates used after a resume."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from notifications.digest import digests_send
from notifications.ladder import LadderSettings, ladder_steps, steps_due
from notifications.models import Email, EmailPreference, EmailStatus, ReminderLadder, ReminderStep
from notifications.reminders import reminders_sweep
from workflows.models import Deadline
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start

REMINDER_KINDS = ("reminder", "escalation", "chair_escalation")


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def days(first: date, last: date):
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


@pytest.fixture
def walk(_fixed_today, coordinator, csp_chair, partnership, police):
    """Start a review on 4 January 2027 and return a function that walks the clock forward,
    sweeping once (and on some days twice) each day, and taking the steps given for a day."""
    _fixed_today.move_to(at_noon(date(2027, 1, 4)))
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 1),
        notified_on=date(2027, 1, 4),
        referred_by="Testshire Police",
        victim_real_name="Invented Person",
        agencies=[police],
    )
    state = {"review": review, "sweeps": []}

    def go(until: date, steps: dict | None = None) -> None:
        start = state.get("day", date(2027, 1, 4))
        for today in days(start, until):
            _fixed_today.move_to(at_noon(today))
            for action, by, extra in (steps or {}).get(today, []):
                state["review"] = review_transition(
                    review=state["review"], action=action, by=by, on=today, **extra
                )
            state["sweeps"].append((today, reminders_sweep(today=today)))
            if today.day in (1, 15):
                # A re-run, as if beat fired twice or someone ran it by hand: sends nothing new.
                assert reminders_sweep(today=today).steps == []
            state["day"] = today + timedelta(days=1)

    state["go"] = go
    return state


def fired(review) -> list[ReminderStep]:
    return list(ReminderStep.objects.filter(deadline__review=review).select_related("deadline"))


def test_a_year_of_reminders_each_rung_once_none_while_paused(walk, csp_chair, coordinator):
    review = walk["review"]
    paused_on, resumed_on = date(2027, 7, 26), date(2027, 9, 9)
    walk["go"](
        date(2027, 12, 31),
        {
            date(2027, 1, 5): [("start_scoping", coordinator, {})],
            # Late: after the decision's escalations, so the whole ladder of that date fires.
            date(2027, 2, 15): [("decide_to_commission", csp_chair, {})],
            paused_on: [("pause", csp_chair, {"pause_reason": "criminal_proceedings"})],
            resumed_on: [("resume", csp_chair, {})],
        },
    )
    steps = fired(review)
    decision = [(s.step, s.fires_on, s.skipped) for s in steps if s.deadline.rule == "decision"]
    assert decision == [
        ("reminder_14", date(2027, 1, 21), False),
        ("reminder_7", date(2027, 1, 28), False),
        ("reminder_1", date(2027, 2, 3), False),
        ("escalation", date(2027, 2, 4), False),
        ("chair_escalation", date(2027, 2, 11), False),
    ]

    # Completion: 6 months from the decision on 15 February, paused 26 July to 9 September.
    completion = Deadline.objects.get(review=review, rule="completion")
    assert completion.due_on > date(2027, 8, 15) + timedelta(days=40)
    completion_steps = [s for s in steps if s.deadline.rule == "completion"]
    # Nothing for the old date (15 August): every rung of it fell inside the pause.
    assert {s.due_on for s in completion_steps} == {completion.due_on}
    expected = ladder_steps(
        LadderSettings(), starts_on=completion.starts_on, due_on=completion.due_on
    )
    assert [(s.step, s.fires_on) for s in completion_steps] == [
        (step.step, step.fires_on) for step in expected
    ]
    assert not any(paused_on <= s.fires_on < resumed_on for s in steps)
    assert not any(paused_on <= (s.fired_at.date()) < resumed_on for s in steps), (
        "a rung fired while the review was paused"
    )

    # Each rung once: the unique constraint holds, and no rung has two sets of emails.
    assert len({(s.deadline_id, s.step, s.due_on) for s in steps}) == len(steps)
    emails = Email.objects.filter(review=review, kind__in=REMINDER_KINDS)
    assert not emails.filter(
        created_at__date__gte=paused_on, created_at__date__lt=resumed_on
    ).exists()
    per_rung = Counter((step.pk, email.to_address) for step in steps for email in step.emails.all())
    assert per_rung and all(count == 1 for count in per_rung.values()), per_rung
    # Every rung that was not passed over emailed someone.
    assert {pk for pk, _ in per_rung} == {s.pk for s in steps if not s.skipped}


def test_reminders_go_to_whoever_holds_the_work(walk, csp_chair, coordinator):
    walk["go"](date(2027, 2, 12), {date(2027, 1, 5): [("start_scoping", coordinator, {})]})
    review = walk["review"]
    by_kind = {
        kind: sorted(
            Email.objects.filter(review=review, kind=kind).values_list("to_address", flat=True)
        )
        for kind in REMINDER_KINDS
    }
    # The CSP chair holds the decision: three reminders, then the escalation copies the
    # coordinator, and a week later the CSP chair is told again as chair.
    assert by_kind == {
        "reminder": [csp_chair.email] * 3,
        "escalation": sorted([csp_chair.email, coordinator.email]),
        "chair_escalation": [csp_chair.email],
    }
    reminder = Email.objects.filter(review=review, kind="reminder").order_by("created_at").first()
    assert review.reference in reminder.subject
    text, html = reminder.bodies()
    assert "4 February 2027" in text
    # Nor in the strings the sender will render the bodies from, which wait in the row.
    assert "Invented Person" not in text + html + reminder.subject + str(reminder.context)


def test_a_decision_on_time_stops_the_ladder(walk, csp_chair, coordinator):
    walk["go"](
        date(2027, 3, 31),
        {
            date(2027, 1, 5): [("start_scoping", coordinator, {})],
            date(2027, 1, 25): [("decide_to_commission", csp_chair, {})],
        },
    )
    decision_steps = [s.step for s in fired(walk["review"]) if s.deadline.rule == "decision"]
    assert decision_steps == ["reminder_14"]


def test_a_partnership_sets_its_own_ladder(walk, partnership, coordinator):
    ReminderLadder.objects.create(
        partnership=partnership,
        reminder_days=[10, 3],
        escalate_after_days=1,
        chair_escalate_after_days=14,
    )
    from notifications.reminders import ladder_changed

    ladder_changed(partnership_id=partnership.pk)
    walk["go"](date(2027, 3, 1))
    decision = [
        (s.step, s.fires_on) for s in fired(walk["review"]) if s.deadline.rule == "decision"
    ]
    assert decision == [
        ("reminder_10", date(2027, 1, 25)),
        ("reminder_3", date(2027, 2, 1)),
        ("escalation", date(2027, 2, 5)),
        ("chair_escalation", date(2027, 2, 18)),
    ]


def test_a_late_sweep_sends_only_the_latest_reminder(walk, coordinator):
    """If the sweep did not run for weeks, "14 days left" is not sent with 2 days left."""
    review = walk["review"]
    result = reminders_sweep(today=date(2027, 2, 2))
    decision = {s.step: s.skipped for s in fired(review) if s.deadline.rule == "decision"}
    assert decision == {"reminder_14": True, "reminder_7": False}
    assert result.reminders == 1 and result.skipped == 1


def test_digest_readers_get_one_email_a_day(walk, csp_chair, coordinator):
    EmailPreference.objects.create(user=csp_chair, daily_digest=True)
    walk["go"](date(2027, 2, 4), {date(2027, 1, 5): [("start_scoping", coordinator, {})]})
    held = Email.objects.filter(recipient=csp_chair, kind__in=REMINDER_KINDS)
    assert set(held.values_list("status", flat=True)) == {EmailStatus.HELD}
    assert held.count() == 4  # three reminders and the escalation
    # The coordinator takes reminders one by one: their copy of the escalation is not held.
    assert Email.objects.get(recipient=coordinator, kind="escalation").status == "ready"
    digests = digests_send()
    assert [digest.to_address for digest in digests] == [csp_chair.email]
    digest = digests[0]
    assert digest.kind == "daily_digest" and digest.status == EmailStatus.READY
    assert walk["review"].reference in digest.text_body
    assert set(held.values_list("status", flat=True)) == {EmailStatus.IN_DIGEST}
    assert digests_send() == []  # nothing held any more


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 1, 20), []),
        (date(2027, 1, 21), [("reminder_14", False)]),
        (date(2027, 2, 3), [("reminder_14", True), ("reminder_7", True), ("reminder_1", False)]),
        (
            date(2027, 2, 4),
            [
                ("reminder_14", True),
                ("reminder_7", True),
                ("reminder_1", True),
                ("escalation", False),
            ],
        ),
    ],
)
def test_steps_due_passes_over_stale_reminders(today, expected):
    steps = ladder_steps(LadderSettings(), starts_on=date(2027, 1, 4), due_on=date(2027, 2, 4))
    assert [(step.step, skipped) for step, skipped in steps_due(steps, set(), today)] == expected


def test_no_reminder_before_the_work_started():
    steps = ladder_steps(LadderSettings(), starts_on=date(2027, 1, 25), due_on=date(2027, 2, 4))
    assert [step.step for step in steps] == [
        "reminder_7",
        "reminder_1",
        "escalation",
        "chair_escalation",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_fire_each_rung_once(review, coordinator, csp_chair):
    """Beat fired twice, or someone ran the sweep by hand while beat ran it: four sweeps race
    on PostgreSQL and each rung is still written, and emailed, once."""
    import threading

    from django.db import connection

    from workflows.services.deadlines import deadlines_recompute

    deadlines_recompute(review=review)
    decision = Deadline.objects.get(review=review, rule="decision")
    today = decision.due_on  # the last reminder passed over, the escalation due
    barrier = threading.Barrier(4)
    results = []

    def sweep():
        barrier.wait()
        try:
            results.append(reminders_sweep(today=today))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    steps = ReminderStep.objects.filter(deadline=decision)
    assert sorted(steps.values_list("step", "skipped")) == [
        ("escalation", False),
        ("reminder_1", True),
        ("reminder_14", True),
        ("reminder_7", True),
    ]
    assert sum(result.escalations for result in results) == 1
    escalations = Email.objects.filter(review=review, kind="escalation")
    assert sorted(escalations.values_list("to_address", flat=True)) == [coordinator.email]
