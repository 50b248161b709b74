"""``make bench``: build or reuse the bench data set, measure, write ``var/bench/results.json``.

    python -m bench.run [--scale 1.0] [--rebuild] [--requests 25]

Every figure is compared with a baseline measured in the same run on the same data; the table
says "MISSED" where a target is not met. The run exits 0 either way: a benchmark reports, it does
not gate (nothing timed runs in ``make test``).
"""

import argparse
import logging
import sys
import time
from datetime import datetime
from datetime import time as clock
from pathlib import Path

from bench.database import BASE_DIR, bench_database, database_create, database_use

RESULTS = BASE_DIR / "var" / "bench" / "results.json"
QUIET_LOGGERS = ("axes", "workflows", "notifications", "celery", "django.request")


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    database = bench_database()
    _announce(database)
    if database_create(database):
        print(f"Created the database {database.name}.")
    # Before Django is set up, so that this process and every child it starts use it.
    database_use(database)

    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import ensure_dataset

    _quiet()
    call_command("migrate", interactive=False, verbosity=0)
    marker = ensure_dataset(options.scale, rebuild=options.rebuild)
    results = measure_all(marker, requests=options.requests, outbox=not options.no_outbox)
    _report(results, Path(options.output))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0: ten times a national year (the default)"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data set afresh")
    parser.add_argument("--requests", type=int, default=25, help="timed requests per page")
    parser.add_argument("--no-outbox", action="store_true", help="skip the outbox delivery figure")
    parser.add_argument("--output", default=str(RESULTS), help="where to write the results")
    return parser


def _announce(database) -> None:
    print(f"Bench database: {database.name} ({database.vendor}; chosen from {database.source}).")
    if not database.is_postgresql:
        banner = "!" * 78
        print(
            f"{banner}\n  NO DATABASE_URL: THE BENCH RUNS ON SQLITE ({database.name}).\n"
            "  SQLite figures say little about the hosted service, which runs on PostgreSQL.\n"
            "  Set DATABASE_URL=postgres://... for figures that mean something.\n"
            f"{banner}"
        )


def _quiet() -> None:
    # Signing in and thousands of steps each log a line; they would drown the figures.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def measure_all(marker: dict, *, requests: int, outbox: bool = True) -> list:
    """Every figure: the data set, the pages, the sweep, then outbox delivery if present."""
    import time_machine
    from django.utils import timezone

    from bench import pages, sweep
    from bench.data import TODAY
    from bench.results import Result

    facts = marker["facts"]
    results = [_dataset_row(marker)]
    results += _counts()
    _vacuum()
    # Pages and sweep are measured as of the data set's day, so that what is due or overdue is
    # the same on every run. (The clock used for timing, perf_counter, is not moved.)
    moment = datetime.combine(TODAY, clock(9), tzinfo=timezone.get_default_timezone())
    with time_machine.travel(moment, tick=True):
        print("Pages:")
        results += pages.measure(facts, requests=requests)
        print("Reminder sweep:")
        results += sweep.measure()
    if outbox:
        # On the real clock: the worker in another process is not time-travelling.
        results += _outbox(Result)
    return results


# The tables the sweep's figure writes to and rolls back (``bench.sweep``): each run leaves a few
# thousand dead rows in them, and an index that still points at them.
ROLLED_BACK_TABLES = (
    "workflows_deadline",
    "workflows_changecount",
    "notifications_email",
    "notifications_reminderstep",
    "notifications_reminderstep_emails",
)


def _vacuum() -> None:
    """Clear what earlier runs on this data set left behind, so that every run measures the same
    tables. PostgreSQL's autovacuum would in time, but it may be off or behind (it is off on
    some development machines): the deadlines table read by the dashboard was found with three
    dead rows for each live one after a dozen runs, and its query 100 times slower."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ROLLED_BACK_TABLES:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def _dataset_row(marker: dict):
    from bench.results import Result

    facts = marker["facts"]
    if marker.get("reused"):
        name = f"Data set (scale {marker['scale']:g}) reused, built {marker['built_at']} in"
    else:
        name = f"Data set (scale {marker['scale']:g}) built in"
    return Result(name, facts["seconds"], "s")


def _counts() -> list:
    from viewflow.workflow.models import Process, Task

    from bench.results import Result
    from notifications.models import Email
    from workflows.models import Deadline, Partnership, Review
    from workflows.monitoring.dashboard import NOT_LIVE

    counted = [
        ("Partnerships", Partnership.objects.count()),
        ("Reviews", Review.objects.count()),
        ("Live reviews", Review.objects.exclude(stage__in=NOT_LIVE).count()),
        ("Viewflow processes", Process.objects.count()),
        ("Viewflow tasks", Task.objects.count()),
        ("Deadlines", Deadline.objects.count()),
        ("Outbox rows", Email.objects.count()),
    ]
    return [Result(f"Data set: {name.lower()}", count, "rows") for name, count in counted]


def _outbox(result_class) -> list:
    """``bench.outbox.measure()``, written by another piece of work: carry on without it."""
    print("Outbox delivery:")
    try:
        from bench import outbox
    except ImportError as missing:
        print(f"  bench/outbox.py is missing ({missing}): outbox delivery is NOT measured.")
        return []
    try:
        return [result_class.from_row(row) for row in outbox.measure()]
    except Exception as error:  # noqa: BLE001 - report it and keep the other figures
        print(f"  Outbox delivery could not be measured: {type(error).__name__}: {error}")
        return []


def _report(results: list, output: Path) -> None:
    from bench.results import results_table, results_write

    results_write(results, output)
    print()
    print(results_table(results))
    missed = [result.name for result in results if result.ok is False]
    print()
    print(f"Results written to {output}.")
    if missed:
        print(f"MISSED {len(missed)} target(s):")
        for name in missed:
            print(f"  MISSED: {name}")
    else:
        print("Every target met.")


if __name__ == "__main__":
    began = time.monotonic()
    status = main()
    print(f"make bench took {time.monotonic() - began:.0f} s.")
    sys.exit(status)
