"""The reminder ladder: on which days a deadline's reminders and escalations fall.

Pure functions of dates and the partnership's settings, so they can be tested without a database.
Reminders fall a number of days before the due date (by default 14, 7 and 1); the first
escalation falls on the due date to the people holding the work and the coordinator, the second
7 days later to the CSP chair.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from notifications.models import (
    DEFAULT_CHAIR_ESCALATE_AFTER_DAYS,
    DEFAULT_ESCALATE_AFTER_DAYS,
    DEFAULT_REMINDER_DAYS,
    StepKind,
)

ESCALATION = "escalation"
CHAIR_ESCALATION = "chair_escalation"


@dataclass(frozen=True)
class LadderSettings:
    reminder_days: tuple[int, ...] = tuple(DEFAULT_REMINDER_DAYS)
    escalate_after_days: int = DEFAULT_ESCALATE_AFTER_DAYS
    chair_escalate_after_days: int = DEFAULT_CHAIR_ESCALATE_AFTER_DAYS


@dataclass(frozen=True)
class Step:
    """One rung: ``step`` names it (``reminder_14``, ``escalation``, ``chair_escalation``)."""

    step: str
    kind: str
    fires_on: date
    days: int  # days before the due date (reminders) or after it (escalations)


def ladder_steps(settings: LadderSettings, *, starts_on: date, due_on: date) -> list[Step]:
    """Every rung for a deadline due on ``due_on``, earliest first.

    A reminder that would fall on or before the day the obligation started is left out: the
    email that gave the person the work already told them the date.
    """
    steps = [
        Step(f"reminder_{days}", StepKind.REMINDER, due_on - timedelta(days=days), days)
        for days in sorted(set(settings.reminder_days), reverse=True)
        if due_on - timedelta(days=days) > starts_on
    ]
    steps.append(
        Step(
            ESCALATION,
            StepKind.ESCALATION,
            due_on + timedelta(days=settings.escalate_after_days),
            settings.escalate_after_days,
        )
    )
    steps.append(
        Step(
            CHAIR_ESCALATION,
            StepKind.ESCALATION,
            due_on + timedelta(days=settings.chair_escalate_after_days),
            settings.chair_escalate_after_days,
        )
    )
    return sorted(steps, key=lambda step: (step.fires_on, step.step))


def steps_due(steps: list[Step], done: set[str], today: date) -> list[tuple[Step, bool]]:
    """The rungs to fire today, each with whether it is passed over rather than sent.

    When the sweep finds several reminders due at once (a due date moved earlier, or the sweep
    did not run for some days), only the latest is sent: "14 days left" is wrong with 3 left.
    Once an escalation is due, outstanding reminders are passed over too.
    """
    due = [step for step in steps if step.fires_on <= today and step.step not in done]
    reminders = [step for step in due if step.kind == StepKind.REMINDER]
    escalating = any(step.kind == StepKind.ESCALATION for step in due)
    latest = max(reminders, key=lambda step: step.fires_on) if reminders else None
    return [
        (step, step.kind == StepKind.REMINDER and (escalating or step is not latest))
        for step in due
    ]


def next_step_on(steps: list[Step], done: set[str]) -> date | None:
    """The date of the earliest rung not yet fired, or None when the ladder is finished."""
    pending = [step.fires_on for step in steps if step.step not in done]
    return min(pending) if pending else None
