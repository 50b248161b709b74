"""``manage.py simulate``: a small simulation through the real engine, and its invariant checks."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import Email, EmailStatus, ReminderStep, StepKind
from tests.factories import PartnershipFactory, ReviewFactory
from workflows.models import Deadline
from workflows.services.deadlines import deadlines_recompute
from workflows.simulation.figures import figures_compute

LATER_STAGES = {
    "drafting",
    "local_sign_off",
    "home_office_qa",
    "publication",
    "action_plan",
    "closed",
}


def simulate(**options) -> dict:
    out = StringIO()
    call_command("simulate", stdout=out, **options)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_a_small_simulation_adds_up_and_keeps_every_invariant():
    figures = simulate(reviews=24, partnerships=8, days=150, seed=3)

    assert figures["reviews"] == 24
    assert sum(figures["by_stage"].values()) == 24
    assert LATER_STAGES & set(figures["by_stage"]), figures["by_stage"]
    assert figures["not_commissioned"] > 0
    assert figures["paused_ever"] > 0
    tasks = figures["tasks"]
    assert tasks["created"] == tasks["completed"] + tasks["open"] + tasks["cancelled"]
    assert tasks["completed"] > 0
    emails = figures["emails"]
    assert emails["total"] == emails["sent"] + emails["failed"] + emails["in_digest"]
    assert emails["sent"] == figures["engine"]["messages_delivered"]
    assert figures["reminders"] > 0
    assert figures["escalations"] > 0
    assert figures["reminders"] == figures["engine"]["sweep_reminders"]
    assert figures["escalations"] == figures["engine"]["sweep_escalations"]
    assert sum(figures["deadlines"].values()) == Deadline.objects.count()
    assert figures["deadlines"]["met"] > 0
    assert figures["invariant_violations"] == {
        "reminder_sent_twice": 0,
        "overdue_never_escalated": 0,
        "email_without_end_state": 0,
    }


@pytest.mark.django_db
def test_the_simulation_refuses_a_database_with_real_reviews():
    ReviewFactory()

    with pytest.raises(CommandError, match="--force"):
        simulate(reviews=1, partnerships=1, days=1)

    assert not Deadline.objects.exists()


@pytest.mark.django_db
def test_the_invariant_checks_find_planted_violations():
    partnership = PartnershipFactory(name="Simulated Partnership 901", slug="sim-901", code="S901")
    review = ReviewFactory(partnership=partnership, notified_on=date(2027, 1, 10))
    # The decision was due on 10 February and the sweep never escalated it.
    decision = next(d for d in deadlines_recompute(review=review) if d.rule == "decision")
    # A reminder that went twice to the same person, and an email never sent.
    twice = [_email(review, EmailStatus.SENT) for _ in range(2)]
    rung = ReminderStep.objects.create(
        deadline=decision,
        step="reminder_7",
        kind=StepKind.REMINDER,
        due_on=decision.due_on,
        fires_on=date(2027, 2, 3),
    )
    rung.emails.set(twice)
    unsent = _email(review, EmailStatus.READY)

    found = figures_compute(end=date(2027, 6, 1))["invariant_violations"]

    assert found == {
        "reminder_sent_twice": 1,
        "overdue_never_escalated": 1,
        "email_without_end_state": 1,
    }
    rung.emails.remove(twice[1])
    ReminderStep.objects.create(
        deadline=decision,
        step="escalation",
        kind=StepKind.ESCALATION,
        due_on=decision.due_on,
        fires_on=decision.due_on,
    )
    Email.objects.filter(pk=unsent.pk).update(status=EmailStatus.SENT)
    assert set(figures_compute(end=date(2027, 6, 1))["invariant_violations"].values()) == {0}


def _email(review, status) -> Email:
    return Email.objects.create(
        review=review,
        to_address="coordinator.sim-901@sim.example",
        kind="reminder",
        subject="A reminder",
        text_body="A reminder.",
        html_body="<p>A reminder.</p>",
        status=status,
    )
