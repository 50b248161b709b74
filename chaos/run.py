"""``make chaos``: no email lost when the worker is killed mid-send and the broker restarts.

The drill queues emails through the product's outbox (``email_queue``, one password-reset email
per invented officer, dispatched when each batch commits) while a real Celery worker sends them
over Redis to a local SMTP sink. Mid-flight it kills the worker's whole process group with
SIGKILL (as when a machine is lost) and crashes Redis (SIGKILL, no persistence: every task it
held is gone), restarting each. The product's stuck-email sweep runs every few seconds with
``EMAIL_STUCK_AFTER_SECONDS`` set low, as beat runs it in production every two minutes. When
the outbox has drained, the sink's record says which rows arrived and how often. A worker that
ends by itself (Celery 5.7 with kombu 5.7 exits with "Unrecoverable error" when Redis goes away
while it holds unacknowledged tasks) is restarted, as its process supervisor would, and counted
in ``worker_exits``.

Target: ``lost`` is 0 and ``duplicates`` no more than ``kills`` (a worker killed after the SMTP
server accepted a message but before the row was marked sent sends it again: the one
duplicate at-least-once delivery allows). Writes ``var/chaos/results.json``; exits 1 when the
target is missed, 2 when the drill could not run.

It runs on a database of its own (``CHAOS_DATABASE_URL``, else ``DATABASE_URL``'s name with
``_chaos`` appended; created and migrated when missing), its own redis-server on a spare port
and its own SMTP sink, and stops everything it started, even on Ctrl-C.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from chaos import processes
from chaos.sink import received

DOMAIN = "chaos-drill.example"


class DrillCannotRun(Exception):
    """The drill's parts are missing (PostgreSQL, redis-server): a message for the operator."""


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    # Ctrl-C and a terminating CI job both unwind through ``Drill.stop``: the processes the
    # drill started live in sessions of their own and would otherwise outlive it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        database_url = chaos_database_url()
        database_create(database_url)
    except DrillCannotRun as problem:
        print(f"make chaos: {problem}", file=sys.stderr)
        return 2
    drill = Drill(options, database_url)
    try:
        results = drill.run()
    except KeyboardInterrupt:
        print("make chaos: interrupted; the processes it started are stopped.", file=sys.stderr)
        return 130
    except (DrillCannotRun, RuntimeError, TimeoutError) as problem:
        print(f"make chaos: {problem}", file=sys.stderr)
        return 2
    finally:
        drill.stop()
    _report(results, options.results)
    return 0 if results["target_met"] else 1


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m chaos.run", description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=2000, help="emails to queue (2000)")
    parser.add_argument("--kills", type=int, default=2, help="worker SIGKILLs mid-flight (2)")
    parser.add_argument("--broker-restarts", type=int, default=1, help="Redis crashes (1)")
    parser.add_argument(
        "--stuck-after", type=int, default=15, help="EMAIL_STUCK_AFTER_SECONDS for the drill (15)"
    )
    parser.add_argument("--sweep-every", type=float, default=5, help="seconds between sweeps (5)")
    parser.add_argument("--timeout", type=float, default=600, help="longest wait to drain (600)")
    parser.add_argument("--results", type=Path, help="where to write results.json")
    return parser.parse_args(argv)


def chaos_database_url() -> str:
    """``CHAOS_DATABASE_URL``, else ``DATABASE_URL`` with ``_chaos`` after the database's name."""
    url = os.environ.get("CHAOS_DATABASE_URL", "").strip()
    if not url:
        base = os.environ.get("DATABASE_URL", "").strip()
        if base:
            parsed = urlparse(base)
            url = urlunparse(parsed._replace(path=parsed.path.rstrip("/") + "_chaos"))
    if not urlparse(url).scheme.startswith("postgres"):
        raise DrillCannotRun(
            "the fault drill needs PostgreSQL. Set DATABASE_URL (or CHAOS_DATABASE_URL) to "
            "postgres://user@host:5432/name; it runs on a database of its own, "
            "DATABASE_URL's name with _chaos appended."
        )
    return url


def database_create(url: str) -> None:
    """Create the drill's database when the server does not have it yet."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    server = urlunparse(parsed._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        where = f"{parsed.hostname}:{parsed.port or 5432}"
        raise DrillCannotRun(f"PostgreSQL at {where} refused: {type(error).__name__}") from None


class Drill:
    """The processes, the schedule of faults, and the record of what arrived."""

    def __init__(self, options, database_url: str):
        self.options = options
        self.database_url = database_url
        self.started: list[processes.Process] = []
        self.worker = self.redis = None
        self.queued: list[int] = []
        self.queueing_done = threading.Event()
        self.queueing_error: BaseException | None = None
        self.stop_queueing = threading.Event()
        self.swept: set[int] = set()
        self.sweeps = 0
        self.events: list[dict] = []

    # Set-up -------------------------------------------------------------------------------------

    def run(self) -> dict:
        self._configure()
        self._start_services()
        self._start_worker()
        processes.worker_ready(self.app, timeout=90)
        officers = self._officers()
        began = time.monotonic()
        threading.Thread(target=self._queue_all, args=(officers,), daemon=True).start()
        self._drive(began)
        seconds = time.monotonic() - began
        self.worker.stop()
        return self._results(seconds)

    def _configure(self) -> None:
        """Point this process (and, through the environment, every child) at the drill's parts."""
        self.redis_port = processes.free_port()
        self.smtp_port = processes.free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_STUCK_AFTER_SECONDS": str(self.options.stuck_after),
            # Rows the broker never took wait this long before the sweep sends them.
            "EMAIL_READY_GRACE_SECONDS": "5",
        }
        os.environ.update(self.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from project.celery import app

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise DrillCannotRun("the fault drill needs PostgreSQL.")
        call_command("migrate", "--noinput", verbosity=0)
        self.app = app
        self.folder = Path(settings.VAR_DIR) / "chaos"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.record = self.folder / "received.txt"
        self.record.unlink(missing_ok=True)
        self.worker_log = self.folder / "worker.log"
        self.worker_log.unlink(missing_ok=True)

    def _start_services(self) -> None:
        self.sink = self._started(
            processes.smtp_sink(self.smtp_port, record=self.record, log=self.folder / "sink.log")
        )
        self._start_redis()

    def _start_redis(self) -> None:
        self.redis = self._started(
            processes.redis_server(
                self.redis_port, data_dir=self.folder / "redis", log=self.folder / "redis.log"
            )
        )

    def _start_worker(self) -> None:
        self.worker = self._started(processes.celery_worker(self.env, log=self.worker_log))

    def _started(self, process: processes.Process) -> processes.Process:
        self.started.append(process)
        return process

    def stop(self) -> None:
        """Stop every process the drill started, the newest first."""
        self.stop_queueing.set()
        for process in reversed(self.started):
            try:
                process.stop(timeout=10)
            except Exception as error:  # keep stopping the others
                print(f"make chaos: could not stop {process.name}: {error}", file=sys.stderr)

    def _officers(self) -> list:
        """The invented people the emails go to; earlier drills' emails are cleared first."""
        from django.contrib.auth.hashers import make_password

        from notifications.models import Email
        from workflows.models import User

        Email.objects.filter(to_address__endswith=f"@{DOMAIN}").delete()
        wanted = [f"officer-{n:05d}@{DOMAIN}" for n in range(self.options.emails)]
        have = set(User.objects.filter(email__in=wanted).values_list("email", flat=True))
        User.objects.bulk_create(
            User(email=address, full_name=f"Drill Officer {n}", password=make_password(None))
            for n, address in enumerate(wanted)
            if address not in have
        )
        return list(User.objects.filter(email__in=wanted).order_by("email"))

    # The drill ----------------------------------------------------------------------------------

    def _queue_all(self, officers: list) -> None:
        """Queue one email per officer through the outbox, 25 to a transaction."""
        from django.db import connection, transaction

        from notifications.outbox import email_queue

        try:
            for start in range(0, len(officers), 25):
                if self.stop_queueing.is_set():
                    return
                with transaction.atomic():
                    for officer in officers[start : start + 25]:
                        rows = email_queue("password_reset", user=officer)
                        self.queued.extend(row.pk for row in rows)
        except BaseException as error:  # shown by the main thread
            self.queueing_error = error
        finally:
            connection.close()
            self.queueing_done.set()

    def _drive(self, began: float) -> None:
        """Run the faults at their points of progress and the sweep, until the outbox drains."""
        faults = fault_schedule(self.options.kills, self.options.broker_restarts)
        total = self.options.emails
        deadline = began + self.options.timeout
        next_sweep = began + self.options.sweep_every
        while True:
            if self.queueing_error is not None:
                raise self.queueing_error
            delivered = len(set(received(self.record)))
            if not self.worker.running:
                self._worker_exited(delivered, began)
            if faults and delivered >= faults[0][0] * total:
                self._fault(faults.pop(0)[1], delivered, began)
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self.options.sweep_every
            if not faults and self.queueing_done.is_set() and self._drained():
                time.sleep(1)  # a send in progress when the last row was marked is recorded
                return
            if time.monotonic() > deadline:
                return  # the results say what never arrived
            time.sleep(0.2)

    def _fault(self, kind: str, delivered: int, began: float) -> None:
        at = round(time.monotonic() - began, 1)
        waiting = self._unfinished().count()
        if kind == "kill":
            self.worker.kill()
            self.started.remove(self.worker)
            time.sleep(1)
            self._start_worker()
        else:
            self.redis.kill()
            self.started.remove(self.redis)
            time.sleep(1)
            self._start_redis()
        self.events.append(
            {
                "fault": kind,
                "at_seconds": at,
                "delivered_before": delivered,
                # Queued and not yet sent: their tasks were in Redis or in the worker's hands.
                "waiting_at_fault": waiting,
            }
        )
        print(
            f"  {at:6.1f} s  {kind:<15} after {delivered} emails arrived, {waiting} waiting",
            flush=True,
        )

    def _worker_exited(self, delivered: int, began: float) -> None:
        """A worker that ended by itself is restarted, as its process supervisor would."""
        at = round(time.monotonic() - began, 1)
        self.started.remove(self.worker)
        code = self.worker.popen.returncode
        critical = [line for line in self._worker_log_lines() if "CRITICAL" in line]
        reason = critical[-1].split("] ", 1)[-1][:200] if critical else f"exit code {code}"
        self._start_worker()
        self.events.append(
            {
                "fault": "worker_exited",
                "at_seconds": at,
                "delivered_before": delivered,
                "exit_code": code,
                "reason": reason,
            }
        )
        print(f"  {at:6.1f} s  worker exited by itself ({reason}); restarted", flush=True)

    def _worker_log_lines(self) -> list[str]:
        with self.worker_log.open(errors="replace") as log:
            return log.read().splitlines()

    def _sweep(self) -> None:
        """The product's sweep, as ``notifications.tasks.send_stuck_emails`` runs it.

        Its two steps are called here rather than the task, to know which rows it took.
        """
        from notifications.outbox import emails_dispatch
        from notifications.sending import emails_requeue_stuck

        due = emails_requeue_stuck()
        emails_dispatch(due)
        self.sweeps += 1
        self.swept.update(due)

    def _unfinished(self):
        from notifications.models import Email, EmailStatus

        return Email.objects.filter(
            pk__in=list(self.queued), status__in=[EmailStatus.READY, EmailStatus.SENDING]
        )

    def _drained(self) -> bool:
        return not self._unfinished().exists()

    # Results ------------------------------------------------------------------------------------

    def _results(self, seconds: float) -> dict:
        from notifications.models import Email

        queued = set(self.queued)
        arrivals = Counter(pk for pk in received(self.record) if pk in queued)
        statuses = Counter(
            Email.objects.filter(pk__in=queued).values_list("status", flat=True).iterator()
        )
        kills = sum(event["fault"] == "kill" for event in self.events)
        delivered = len(arrivals)
        lost = len(queued) - delivered
        duplicates = sum(count - 1 for count in arrivals.values())
        swept = self.swept & queued
        # Sent on a second or later claim: a dead worker left them in "sending" and the sweep
        # put them back.
        rescued = Email.objects.filter(pk__in=queued, status="sent", attempts__gt=1).count()
        return {
            "emails": len(queued),
            "delivered": delivered,
            "lost": lost,
            "duplicates": duplicates,
            "kills": kills,
            "broker_restarts": sum(event["fault"] == "broker_restart" for event in self.events),
            "worker_exits": sum(event["fault"] == "worker_exited" for event in self.events),
            "seconds": round(seconds, 1),
            "sweeps": self.sweeps,
            "swept": len(swept),
            "stuck_in_sending_then_sent": rescued,
            "duplicate_ids": sorted(pk for pk, count in arrivals.items() if count > 1),
            "statuses": dict(statuses),
            "stuck_after_seconds": self.options.stuck_after,
            "faults": self.events,
            "target": "lost is 0 and duplicates are no more than kills",
            "target_met": lost == 0 and duplicates <= kills,
        }


def fault_schedule(kills: int, restarts: int) -> list[tuple[float, str]]:
    """When each fault happens, as the share of emails delivered: kills and broker restarts
    alternate, spread between 15 % and 75 % so each lands mid-flight."""
    kinds, left = [], {"kill": kills, "broker_restart": restarts}
    while any(left.values()):
        for kind in ("kill", "broker_restart"):
            if left[kind]:
                kinds.append(kind)
                left[kind] -= 1
    if len(kinds) == 1:
        return [(0.4, kinds[0])]
    step = 0.6 / (len(kinds) - 1)
    return [(0.15 + step * n, kind) for n, kind in enumerate(kinds)]


def _report(results: dict, path: Path | None) -> None:
    from django.conf import settings

    path = path or Path(settings.VAR_DIR) / "chaos" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    verdict = "met" if results["target_met"] else "MISSED"
    print(
        f"Target {verdict}: {results['delivered']} of {results['emails']} emails arrived, "
        f"{results['lost']} lost, {results['duplicates']} duplicates after {results['kills']} "
        f"worker kills and {results['broker_restarts']} Redis restarts ({results['seconds']} s). "
        f"Written to {path}."
    )


if __name__ == "__main__":
    sys.exit(main())
