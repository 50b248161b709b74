"""Reminders and escalations: the periodic sweep that chases every open deadline.

Each deadline row carries ``next_action_on``, the date of its next rung, under a partial index on
open rows: the sweep is one indexed range query however much history there is. Firing a rung
writes a ``ReminderStep`` row (unique on deadline, step and due date) and its outbox rows in the
transaction that holds the deadline's row locked, so a rung fires once even if two sweeps run at
the same time.
"""

import functools
import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from notifications.ladder import LadderSettings, Step, ladder_steps, next_step_on, steps_due
from notifications.models import ReminderLadder, ReminderStep, StepKind
from project.bulk_insert import values_insert

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
    return LadderSettings() if ladder is None else _settings_of(ladder)


def _settings_of(ladder: ReminderLadder) -> LadderSettings:
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


# Deadlines fired in one transaction. A batch holds its deadlines' rows locked until it commits,
# so it is kept to what takes well under a second to write.
BATCH_SIZE = 250


def reminders_sweep(*, today: date | None = None) -> SweepResult:
    """Fire every rung that has fallen due by ``today``; safe to run at any time, and twice.

    The due deadlines are fired a batch at a time, each batch in one transaction with a fixed
    number of queries however many deadlines it holds: the deadlines locked, the rungs already
    fired, the ladders and the people to tell each read once, then the new rungs, their emails
    and the next dates written in bulk. Emails leave their bodies for the sender to render
    (``notifications.outbox.emails_write``)."""
    today = today or timezone.localdate()
    result = SweepResult()
    ladders: dict[int, LadderSettings] = {}  # each partnership's ladder, read once a sweep
    due = _due_deadline_ids(today)
    for start in range(0, len(due), BATCH_SIZE):
        with transaction.atomic():
            _fire_batch(due[start : start + BATCH_SIZE], today, result, ladders)
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


def _fire_batch(ids: list[int], today: date, result: SweepResult, ladders: dict) -> None:
    """Fire the due rungs of these deadlines, in the caller's transaction."""
    from workflows.models import Deadline, Review

    # Another sweep working on a deadline holds its row: leave it to that sweep. One that has
    # just finished with it has moved its next rung on, so the date check leaves it out.
    deadlines = list(
        Deadline.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ids, met_on__isnull=True, next_action_on__lte=today)
        .order_by("next_action_on", "pk")
    )
    if not deadlines:
        return
    # Each review read once, not once for each of its deadlines: a review due several rungs
    # comes up several times in a batch, and each one made costs (its state machine too).
    reviews = Review.objects.select_related("partnership", "independent_chair").in_bulk(
        {deadline.review_id for deadline in deadlines}
    )
    for deadline in deadlines:
        deadline.review = reviews[deadline.review_id]
    _read_ladders({deadline.review.partnership_id for deadline in deadlines}, ladders)
    done = _steps_done(deadlines)
    firing = []  # (deadline, steps, step, passed over)
    for deadline in deadlines:
        result.deadlines += 1
        steps = deadline_steps(deadline, ladders[deadline.review.partnership_id])
        fired = done[deadline.pk]
        if not deadline.review.is_paused:
            for step, passed_over in steps_due(steps, fired, today):
                fired.add(step.step)
                firing.append((deadline, steps, step, passed_over))
        deadline.next_action_on = next_step_on(steps, fired)
    keys = _record_steps(firing)
    _write_emails(firing, keys, today, result)
    _date_next_rungs(deadlines)


def _date_next_rungs(deadlines) -> None:
    """Write each deadline's next rung date: on PostgreSQL one statement over two arrays (ids and
    dates), elsewhere one statement per row. (``bulk_update`` builds one CASE over the whole
    batch, which took longer to compile than to run.)"""
    from workflows.models import Deadline

    table = connection.ops.quote_name(Deadline._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET next_action_on = due.next_action_on "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::date[]) AS due(id, next_action_on) "
                f"WHERE {table}.id = due.id",
                [
                    [deadline.pk for deadline in deadlines],
                    [deadline.next_action_on for deadline in deadlines],
                ],
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET next_action_on = %s WHERE id = %s",  # noqa: S608
            [
                (connection.ops.adapt_datefield_value(deadline.next_action_on), deadline.pk)
                for deadline in deadlines
            ],
        )


def _read_ladders(partnership_ids: set[int], ladders: dict) -> None:
    """Add the ladders of partnerships not yet read to ``ladders`` (the defaults where a
    partnership has not set its own)."""
    missing = partnership_ids - set(ladders)
    for ladder in ReminderLadder.objects.filter(partnership_id__in=missing):
        ladders[ladder.partnership_id] = _settings_of(ladder)
    for partnership_id in missing - set(ladders):
        ladders[partnership_id] = LadderSettings()


def _steps_done(deadlines) -> dict[int, set[str]]:
    """The rungs already fired (or passed over) for each deadline's current due date."""
    due_on = {deadline.pk: deadline.due_on for deadline in deadlines}
    done = {pk: set() for pk in due_on}
    # Asking for the due dates too lets PostgreSQL use the unique index on (deadline, step, due
    # date); by deadline alone it chose to read the whole table. A rung fired for another
    # deadline's due date is still left out below.
    fired = (
        ReminderStep.objects.filter(deadline_id__in=list(due_on), due_on__in=set(due_on.values()))
        .order_by()
        .values_list("deadline_id", "due_on", "step")
    )
    for deadline_id, on, step in fired:
        if on == due_on[deadline_id]:
            done[deadline_id].add(step)
    return done


def _record_steps(firing) -> list[int]:
    """Write the rungs' rows; returns their keys, in order. The deadlines are locked and their
    fired rungs read under the lock, so none of these exists yet; the unique constraint still
    stands behind that."""
    return values_insert(
        ReminderStep,
        ["deadline_id", "step", "kind", "due_on", "fires_on", "skipped"],
        [
            (deadline.pk, step.step, step.kind, deadline.due_on, step.fires_on, passed_over)
            for deadline, _steps, step, passed_over in firing
        ],
        keys=True,
    )


def _write_emails(firing, keys: list[int], today: date, result: SweepResult) -> None:
    """Write the emails of the rungs sent (not passed over), and link each rung to its emails."""
    from notifications.events import deadline_step
    from notifications.outbox import emails_write
    from workflows.holders import HolderBook

    for deadline, _steps, step, passed_over in firing:
        result.steps.append(f"{deadline.review.reference}:{deadline.rule}:{step.step}")
        if passed_over:
            result.skipped += 1
        elif step.kind == StepKind.REMINDER:
            result.reminders += 1
        else:
            result.escalations += 1
    sent = [(key, *fired) for key, fired in zip(keys, firing, strict=True) if not fired[3]]
    if not sent:
        return
    # Who to tell, read for every review in the batch at once.
    reviews = {deadline.review_id: deadline.review for _key, deadline, *_ in sent}
    rules = {deadline.rule for _key, deadline, *_ in sent}
    book = HolderBook(list(reviews.values()), deadline_rules=rules)
    events = [
        (
            deadline.review,
            deadline_step(deadline=deadline, step=step, today=today, steps=steps, book=book),
        )
        for _key, deadline, steps, step, _passed_over in sent
    ]
    written = emails_write(events, bodies_by_sender=True)
    values_insert(
        ReminderStep.emails.through,
        ["reminderstep_id", "email_id"],
        [
            (key, email.pk)
            for (key, *_fired), emails in zip(sent, written, strict=True)
            for email in emails
        ],
    )
    result.emails += sum(len(emails) for emails in written)
