"""Reminders and escalations: the periodic sweep that chases every open deadline.

Each deadline row carries ``next_action_on``, the date of its next rung, under a partial index on
open rows: the sweep is one indexed range query however much history there is. Firing a rung
writes a ``ReminderStep`` row (unique on deadline, step and due date) and its outbox rows in one
transaction, so a rung fires once even if two sweeps run at the same time.
"""

import functools
import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from notifications.ladder import LadderSettings, Step, ladder_steps, next_step_on, steps_due
from notifications.models import ReminderLadder, ReminderStep

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    deadlines: int = 0
    reminders: int = 0
    escalations: int = 0
    skipped: int = 0
    emails: int = 0
    steps: list[str] = field(default_factory=list)


def ladder_for(partnership_id: int) -> LadderSettings:
    """The partnership's own ladder, or the defaults."""
    ladder = ReminderLadder.objects.filter(partnership_id=partnership_id).first()
    if ladder is None:
        return LadderSettings()
    return LadderSettings(
        reminder_days=tuple(ladder.reminder_days),
        escalate_after_days=ladder.escalate_after_days,
        chair_escalate_after_days=ladder.chair_escalate_after_days,
    )


def deadline_steps(deadline, settings: LadderSettings | None = None) -> list[Step]:
    if deadline.due_on is None or deadline.met_on is not None:
        return []
    settings = settings or ladder_for(deadline.review.partnership_id)
    return ladder_steps(settings, starts_on=deadline.starts_on, due_on=deadline.due_on)


def steps_done(deadline) -> set[str]:
    """The rungs already fired (or passed over) for the deadline's current due date."""
    if deadline.pk is None or deadline.due_on is None:
        return set()
    return set(
        ReminderStep.objects.filter(deadline=deadline, due_on=deadline.due_on).values_list(
            "step", flat=True
        )
    )


def next_action_on(deadline, settings: LadderSettings | None = None) -> date | None:
    """When the deadline's next reminder or escalation falls; None while paused or once met."""
    return next_step_on(deadline_steps(deadline, settings), steps_done(deadline))


def ladder_changed(*, partnership_id: int) -> int:
    """Re-date the next rung of every open deadline of a partnership after its ladder changed."""
    from workflows.models import Deadline

    settings = ladder_for(partnership_id)
    open_deadlines = Deadline.objects.filter(
        review__partnership_id=partnership_id, met_on__isnull=True
    ).select_related("review")
    for deadline in open_deadlines:
        deadline.next_action_on = next_action_on(deadline, settings)
        deadline.save(update_fields=["next_action_on"])
    return len(open_deadlines)


def reminders_sweep(*, today: date | None = None) -> SweepResult:
    """Fire every rung that has fallen due by ``today``; safe to run at any time, and twice."""
    from workflows.models import Deadline

    today = today or timezone.localdate()
    result = SweepResult()
    ladders: dict[int, LadderSettings] = {}  # each partnership's ladder, read once a sweep
    for pk in _due_deadline_ids(today):
        with transaction.atomic():
            # Another sweep working on this deadline holds its row: leave it to that sweep.
            deadline = (
                Deadline.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, met_on__isnull=True, next_action_on__lte=today)
                .select_related("review__partnership")
                .first()
            )
            if deadline is not None:
                partnership_id = deadline.review.partnership_id
                if partnership_id not in ladders:
                    ladders[partnership_id] = ladder_for(partnership_id)
                _fire_due_steps(deadline, today, result, ladders[partnership_id])
    if result.steps:
        logger.info(
            "reminder sweep: %s reminders, %s escalations, %s passed over, %s emails",
            result.reminders,
            result.escalations,
            result.skipped,
            result.emails,
        )
    return result


def _due_deadline_ids(today: date) -> list[int]:
    """The open deadlines with a rung due by ``today``, earliest first: one query on the partial
    index ``open_deadline_next_action``.

    Most sweeps find nothing due, and then this query is all the sweep costs. Compiling it with
    the ORM costs several times what PostgreSQL takes to answer it, so its SQL is compiled once
    per process (``_due_sql``) and only the date changes."""
    with connection.cursor() as cursor:
        cursor.execute(_due_sql(connection.vendor), [connection.ops.adapt_datefield_value(today)])
        return [pk for (pk,) in cursor.fetchall()]


@functools.cache
def _due_sql(vendor: str) -> str:
    """The SQL of the sweep's predicate with the date as its only parameter (quoting differs by
    database, hence the vendor in the cache key)."""
    from workflows.models import Deadline

    due = Deadline.objects.filter(met_on__isnull=True, next_action_on__lte=date.min)
    sql, params = (
        due.order_by("next_action_on", "pk").values_list("pk", flat=True).query.sql_with_params()
    )
    if len(params) != 1:  # the date must stay a parameter, or the cached SQL would be wrong
        raise RuntimeError(f"The sweep's predicate has parameters {params!r}, not one date.")
    return sql


def _fire_due_steps(deadline, today: date, result: SweepResult, ladder: LadderSettings) -> None:
    from notifications.outbox import email_queue

    result.deadlines += 1
    steps = deadline_steps(deadline, ladder)
    done = steps_done(deadline)
    if not deadline.review.is_paused:
        for step, passed_over in steps_due(steps, done, today):
            fired = _record_step(deadline, step, passed_over)
            if fired is None:
                continue  # fired by another sweep a moment ago
            done.add(step.step)
            result.steps.append(f"{deadline.review.reference}:{deadline.rule}:{step.step}")
            if passed_over:
                result.skipped += 1
                continue
            emails = email_queue(
                "deadline_step", deadline=deadline, step=step, today=today, steps=steps
            )
            fired.emails.set(emails)
            result.emails += len(emails)
            if step.kind == "reminder":
                result.reminders += 1
            else:
                result.escalations += 1
    deadline.next_action_on = next_step_on(steps, done)
    deadline.save(update_fields=["next_action_on"])


def _record_step(deadline, step: Step, passed_over: bool) -> ReminderStep | None:
    """Write the rung's row; None when it already exists (the unique constraint decides)."""
    try:
        with transaction.atomic():
            return ReminderStep.objects.create(
                deadline=deadline,
                step=step.step,
                kind=step.kind,
                due_on=deadline.due_on,
                fires_on=step.fires_on,
                skipped=passed_over,
            )
    except IntegrityError:
        return None
