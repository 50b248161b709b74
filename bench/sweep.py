"""The reminder sweep (``notifications.reminders.reminders_sweep``) on the bench data, against raw
SQL of the same predicate.

Two cases. With nothing due (the data set's state: every open deadline's next rung is after its
"today"), the sweep is its selection and nothing else: it is timed against the raw query of the
same predicate. With 1,000 steps due (1,000 open deadlines moved so that a reminder falls today),
the sweep selects, locks, fires each rung, writes its ``ReminderStep`` and outbox rows and dates
the next rung; the baseline is the least SQL that leaves the same rows: the same predicate's
locking SELECT, then the very rows the sweep wrote, inserted and updated in bulk.

Everything runs inside one transaction that is rolled back, so the data set is left as it was
and no email is ever handed to Celery (the outbox asks for sending only once a transaction
commits). Inside it, the sweep's per-batch transactions are savepoints, for the raw SQL and
the sweep alike. The 1,000-step case runs ``DUE_ROUNDS`` times, each undone before the next.
"""

import statistics
import time

from django.db import connection, transaction
from django.urls import reverse

from bench.data import TODAY
from bench.results import Result

STEPS_DUE = 1_000
IDLE_RUNS = 20
# The 1,000-step case is timed this many times, sweep and raw SQL in turn.
DUE_ROUNDS = 3
# The sweep may take at most this many times the raw SQL.
SWEEP_TARGET = 3.0
PREDICATE = (
    'SELECT "id" FROM "workflows_deadline" WHERE "met_on" IS NULL AND "next_action_on" <= %s '
    'ORDER BY "next_action_on", "id"'
)


class _RollBack(Exception):
    """Leave the transaction without keeping anything."""


def measure(*, steps: int = STEPS_DUE, log=print) -> list[Result]:
    """The sweep's figures as result rows (see ``bench.results``)."""
    from notifications.reminders import reminders_sweep

    # The worker that runs the sweep has long since loaded the URLconf the emails' links are
    # reversed from; loading it (a second, once per process) is not the sweep's cost.
    reverse("tasks:list")
    figures = {}
    try:
        with transaction.atomic():
            figures["idle_sweep"] = _median_ms(lambda: reminders_sweep(today=TODAY))
            figures["idle_raw"] = _median_ms(lambda: _raw_select(TODAY))
            due = _make_due(steps)
            log(f"  {due:,} open deadlines moved so that a reminder falls on {TODAY}")
            figures["due"] = due
            figures.update(_due_case(reminders_sweep))
            raise _RollBack
    except _RollBack:
        pass
    log(
        f"  nothing due: sweep {figures['idle_sweep']:.2f} ms, raw {figures['idle_raw']:.2f} ms; "
        f"{figures['fired']:,} steps due: sweep {figures['sweep']:.0f} ms "
        f"({figures['emails']:,} emails), raw SQL {figures['raw']:.0f} ms"
    )
    return sweep_results(figures)


def sweep_results(f: dict) -> list[Result]:
    due = f"{f['fired']:,} steps due"
    return [
        Result.against(
            "Reminder sweep, nothing due (vs the raw query of its predicate)",
            f["idle_sweep"], "ms", f["idle_raw"], f"<= {SWEEP_TARGET:g} x raw SQL", SWEEP_TARGET,
        ),
        Result.against(
            f"Reminder sweep, {due}, {f['emails']:,} outbox rows (vs raw SQL, same rows)",
            f["sweep"], "ms", f["raw"], f"<= {SWEEP_TARGET:g} x raw SQL", SWEEP_TARGET,
        ),
        Result(f"Reminder sweep, {due}: the predicate's SELECT alone", f["select"], "ms"),
        Result(f"Reminder sweep, {due}: per step fired", f["sweep"] / max(f["fired"], 1), "ms"),
    ]  # fmt: skip


def _median_ms(work, runs: int = IDLE_RUNS) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _raw_select(today, lock: bool = False) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(PREDICATE + (" FOR UPDATE SKIP LOCKED" if lock else ""), [today])
        return [row[0] for row in cursor.fetchall()]


def _make_due(steps: int) -> int:
    """Move ``steps`` open deadlines of live, unpaused reviews so that their 7-day reminder falls
    today and no earlier rung is outstanding (a reminder on or before the start is left out)."""
    from datetime import timedelta

    from workflows.models import Deadline
    from workflows.monitoring.dashboard import NOT_LIVE

    chosen = list(
        Deadline.objects.filter(met_on__isnull=True, due_on__isnull=False)
        .exclude(review__stage__in=[*NOT_LIVE, "paused"])
        .order_by("pk")
        .values_list("pk", flat=True)[:steps]
    )
    Deadline.objects.filter(pk__in=chosen).update(
        starts_on=TODAY - timedelta(days=1),
        due_on=TODAY + timedelta(days=7),
        next_action_on=TODAY,
    )
    return len(chosen)


def _due_case(reminders_sweep, rounds: int = DUE_ROUNDS) -> dict:
    """Time the sweep, keep what it wrote, undo it, then time raw SQL writing the same rows;
    ``rounds`` times, in turn, so that both meet the same moment's load; the medians."""
    from notifications.models import Email, ReminderStep

    due_ids = _raw_select(TODAY)
    sweeps, raws = [], []
    for _ in range(rounds):
        last_step = ReminderStep.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        last_email = Email.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        before = transaction.savepoint()
        began = time.perf_counter()
        result = reminders_sweep(today=TODAY)
        sweeps.append((time.perf_counter() - began) * 1000)
        written = _written(last_step, last_email, due_ids)
        transaction.savepoint_rollback(before)
        before = transaction.savepoint()
        began = time.perf_counter()
        _raw_sweep(written)
        raws.append((time.perf_counter() - began) * 1000)
        transaction.savepoint_rollback(before)
    began = time.perf_counter()
    _raw_select(TODAY)
    select = (time.perf_counter() - began) * 1000
    fired = result.reminders + result.escalations
    return {
        "sweep": statistics.median(sweeps),
        "raw": statistics.median(raws),
        "select": select,
        "fired": fired,
        "emails": result.emails,
    }


def _written(last_step: int, last_email: int, due_ids: list[int]) -> dict:
    """Every row the sweep wrote or changed, column by column, to write again in raw SQL."""
    from notifications.models import Email, ReminderStep
    from workflows.models import Deadline

    def columns(model):
        return [field.column for field in model._meta.concrete_fields]

    links = ReminderStep.emails.through
    step_columns, email_columns = columns(ReminderStep), columns(Email)
    return {
        "steps": (step_columns, _rows(ReminderStep, step_columns, pk__gt=last_step)),
        "emails": (email_columns, _rows(Email, email_columns, pk__gt=last_email)),
        "links": (
            ["reminderstep_id", "email_id"],
            list(
                links.objects.filter(reminderstep_id__gt=last_step).values_list(
                    "reminderstep_id", "email_id"
                )
            ),
        ),
        "deadlines": list(
            Deadline.objects.filter(pk__in=due_ids).values_list("next_action_on", "pk")
        ),
    }


def _rows(model, columns: list[str], **lookup) -> list[tuple]:
    from psycopg.types.json import Jsonb

    names = [model._meta.get_field(field.name).attname for field in model._meta.concrete_fields]
    rows = model.objects.filter(**lookup).order_by("pk").values_list(*names)
    # A JSON column (an email's context) reads back as a dict; written back, it is JSON again.
    return [tuple(Jsonb(v) if isinstance(v, dict) else v for v in row) for row in rows]


def _raw_sweep(written: dict) -> None:
    """The same predicate, locking its rows, and the sweep's rows written in bulk."""
    from notifications.models import Email, ReminderStep

    _raw_select(TODAY, lock=True)
    with connection.cursor() as cursor:
        for model, key in (
            (ReminderStep, "steps"),
            (Email, "emails"),
            (ReminderStep.emails.through, "links"),
        ):
            names, rows = written[key]
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f'INSERT INTO "{model._meta.db_table}" ({", ".join(names)}) VALUES ({marks})',  # noqa: S608
                rows,
            )
        cursor.executemany(
            'UPDATE "workflows_deadline" SET "next_action_on" = %s WHERE "id" = %s',
            written["deadlines"],
        )
