"""``make load``: fifty people signing in and browsing at once, against gunicorn on the bench data.

1. Make sure the bench data set exists (``bench.data.ensure_dataset``).
2. Start the product as it runs in service: gunicorn, 4 sync workers, on 127.0.0.1 (a free port),
   DEBUG off, against the bench database and on its clock (9 a.m. on the data set's day); wait
   for ``/healthz``.
3. Run locust headless in a process of its own (it patches the standard library with gevent, so
   it never shares a process with Django): each locust user signs in as a different bench user
   (password, then the authenticator code for coordinators and chairs), waits for everyone to
   be in, then browses for ``--seconds``: the dashboard (coordinators and CSP chairs), "My tasks"
   and the review pages that person may see, pausing 2 to 8 seconds between pages.
4. Stop gunicorn (always), write ``var/bench/load.json`` and print a table. The exit status is 1
   when any request failed (a 4xx or 5xx, or being sent to sign-in); a p95 over its target is
   reported as MISSED (``"ok": false``), as ``make bench`` reports its targets.

The target (no errors; p95 under 500 ms on a 2-core machine) is for browsing. Signing in is
reported on its own line: its password hash is slow on purpose, and 50 people signing in within
seconds of each other is a queue no service sees at 9 a.m.
"""

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench"
TARGET_P95_MS = 500


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve(argv[1:])
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    database_url, people = prepare(args)
    plan = {
        "clock_offset_seconds": args.clock_offset,
        "seconds": args.seconds,
        "think_seconds": [args.think_min, args.think_max],
        "sign_in_timeout_seconds": args.sign_in_timeout,
        "people": people,
    }
    load_before = os.getloadavg()
    samples = run_load(args, database_url, plan)
    report = summarise(args, samples, database_url=database_url, load_before=load_before)
    path = OUT_DIR / "load.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"Written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    # Errors are a failure of the service; a missed p95 is reported (MISSED), as `make bench`
    # reports its targets, since on a shared machine it may say more about the machine.
    return 1 if report["errors"]["count"] or not report["overall"]["requests"] else 0


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=50, help="people signing in (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="browsing window (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--scale", type=float, default=1.0, help="bench data set scale")
    # A person reads a review page for minutes; 2 to 8 seconds a page is far busier than real
    # case work, and still leaves the server time between one person's pages.
    parser.add_argument(
        "--think-min", type=float, default=2.0, help="shortest pause between pages (s)"
    )
    parser.add_argument("--think-max", type=float, default=8.0, help="longest pause (s)")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="users started a second")
    parser.add_argument(
        "--sign-in-timeout",
        type=int,
        default=120,
        help="seconds to wait for everyone to sign in before browsing starts without them",
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds < 1 or not 0 <= args.think_min <= args.think_max:
        parser.error("--users and --seconds must be positive, and --think-min <= --think-max")
    return args


def prepare(args) -> tuple[str, list[dict]]:
    """Build or reuse the bench data set; return its database URL and one plan per person."""
    from bench.database import bench_database, database_create, database_use

    database = bench_database()
    database_create(database)
    database_use(database)  # this process, and so gunicorn, on the bench database
    if not database.is_postgresql:
        print(f"No PostgreSQL ({database.source}): the load runs on SQLite, {database.name}.")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from bench import data

    data.ensure_dataset(scale=args.scale)
    # The page addresses are reversed here, by Django against the bench database, so that they
    # follow the URLconf (opaque ids included) with the SECRET_KEY gunicorn will run with.
    people = [person_plan(user) for user in data.load_users(limit=args.users)]
    if len(people) < args.users:
        raise SystemExit(
            f"The bench data set has {len(people)} people to sign in as; --users asked for "
            f"{args.users}."
        )
    args.clock_offset = bench_clock_offset(data.TODAY)
    sign_in_state_reset([person["email"] for person in people])
    return database.url, people


def bench_clock_offset(today) -> float:
    """Seconds from now to 9 a.m. on the data set's day: the server runs (and the load generator
    types its authenticator codes) that far ahead, as ``make bench`` measures pages under a clock
    set to that day, so that deadlines, pauses and sessions are as the data set has them."""
    from datetime import datetime
    from datetime import time as clock

    from django.utils import timezone

    moment = datetime.combine(today, clock(9), tzinfo=timezone.get_default_timezone())
    return moment.timestamp() - time.time()


def sign_in_state_reset(emails: list[str]) -> None:
    """Let the bench's people sign in again at the same bench moment as the last run.

    Every run starts at 9 a.m. on the data set's day, so the codes it types are the ones the
    last run typed: django-otp refuses a code as used (``last_t``) and slows down a device after
    a wrong one. Their authenticator apps and django-axes's record of failed sign-ins are reset,
    in the bench database only, as if this were their first sign-in that day."""
    from axes.models import AccessAttempt
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user__email__in=emails).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    AccessAttempt.objects.filter(username__in=emails).delete()


def serve(gunicorn_args: list[str]) -> int:
    """gunicorn under the bench clock (``BENCH_CLOCK_OFFSET`` seconds ahead, ticking): the
    master's clock is moved before it forks, so every worker inherits it. gunicorn's own worker
    timeouts use the monotonic clock, which is left alone."""
    import time_machine
    from gunicorn.app.wsgiapp import run

    offset = float(os.environ.get("BENCH_CLOCK_OFFSET", "0"))
    time_machine.travel(time.time() + offset, tick=True).start()
    sys.argv = ["gunicorn", *gunicorn_args]
    return run()


def person_plan(person: dict) -> dict:
    """Who signs in, and the pages they browse: "My tasks", the dashboard if they manage a
    partnership (as the product decides it), and the live reviews they may see."""
    from django.urls import reverse

    from workflows import selectors
    from workflows.models import User

    user = User.objects.get(email=person["email"])
    pages = [{"type": "my tasks", "path": reverse("tasks:list")}]
    if selectors.partnerships_managed_by(user).exists():
        pages.append({"type": "dashboard", "path": reverse("dashboard:index")})
    pages += [
        {"type": "review", "path": reverse("reviews:detail", kwargs={"reference": reference})}
        for reference in person["reviews"]
    ]
    return {
        "email": person["email"],
        "password": person["password"],
        "role": person["role"],
        "totp_key": person["totp_key"],
        "pages": pages,
    }


def run_load(args, database_url: str, plan: dict) -> list[dict]:
    """gunicorn up, locust for the window, gunicorn down (whatever happened); the samples."""
    plan_file = OUT_DIR / "load-plan.json"
    samples_file = OUT_DIR / "load-samples.jsonl"
    samples_file.unlink(missing_ok=True)
    # The plan holds the bench password and TOTP keys: readable by this account only, and gone
    # when the run ends.
    plan_file.unlink(missing_ok=True)
    plan_file.touch(mode=0o600)
    plan_file.write_text(json.dumps(plan))
    (OUT_DIR / "load-access.log").unlink(missing_ok=True)
    port = free_port()
    server = start_gunicorn(args, database_url, port)
    try:
        wait_for_health(server, port)
        args.server_cpu = run_locust(args, port, plan_file, samples_file, ServerCpu(server.pid))
    finally:
        stop(server)
        plan_file.unlink(missing_ok=True)
    if not samples_file.exists():
        log = OUT_DIR / "load-locust.log"
        raise SystemExit(f"locust wrote no samples; see {log}:\n{tail(log)}")
    lines = samples_file.read_text().splitlines()
    window = json.loads(lines[0])
    args.window = window
    return [json.loads(line) for line in lines[1:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(args, database_url: str, port: int) -> subprocess.Popen:
    """The Procfile's web process, with the workers asked for, against the bench database, on
    the bench clock (see ``serve``)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false"}
    env["BENCH_CLOCK_OFFSET"] = str(args.clock_offset)
    command = [sys.executable, "-m", "bench.load", "serve", "project.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(args.workers), "--worker-class", "sync"]
    command += ["--access-logfile", str(OUT_DIR / "load-access.log")]
    command += ["--logger-class", "project.gunicorn_logging.RedactingLogger"]
    return spawn(command, env=env, log=OUT_DIR / "load-gunicorn.log")


def spawn(command: list[str], *, env: dict, log: Path) -> subprocess.Popen:
    # A file, not a pipe: a pipe nobody reads fills up and stalls a busy process. A session of
    # its own, so that stopping it reaches its workers too.
    with log.open("w") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_health(server: subprocess.Popen, port: int, timeout: float = 120) -> None:
    """Until ``/healthz`` answers 200 (every worker has imported Django by then, near enough)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{tail(gunicorn_log())}")
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"/healthz did not answer 200 within {timeout:.0f} s:\n{tail(gunicorn_log())}")


def gunicorn_log() -> Path:
    return OUT_DIR / "load-gunicorn.log"


def run_locust(args, port: int, plan_file: Path, samples_file: Path, cpu: "ServerCpu"):
    """Run locust to the end; the server's CPU seconds used while everyone browsed."""
    # The window opens when everyone has signed in; --run-time is only a backstop.
    backstop = args.sign_in_timeout + args.seconds + 60
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"]
    command += ["--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
    command += ["--run-time", f"{backstop}s", "--stop-timeout", "10", "--only-summary"]
    command += ["--host", f"http://127.0.0.1:{port}"]
    env = {**os.environ, "BENCH_LOAD_PLAN": str(plan_file), "BENCH_LOAD_SAMPLES": str(samples_file)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    window_marker = Path(f"{samples_file}.window")
    window_marker.unlink(missing_ok=True)
    locust = spawn(command, env=env, log=OUT_DIR / "load-locust.log")
    deadline = time.monotonic() + backstop + 60
    try:
        while locust.poll() is None:
            if window_marker.exists():
                cpu.read()
            if time.monotonic() > deadline:
                log = tail(OUT_DIR / "load-locust.log")
                raise SystemExit(f"locust ran past its backstop:\n{log}")
            time.sleep(0.5)
        cpu.read()
    finally:
        stop(locust)  # already gone unless this run was interrupted
        window_marker.unlink(missing_ok=True)
    return cpu.used()


class ServerCpu:
    """CPU seconds used by gunicorn's workers and by the PostgreSQL backends serving the bench
    database (when PostgreSQL runs on this machine), from /proc: unlike response times, the CPU
    a request costs hardly changes when other programs compete for the cores.

    ``read()`` is called every half second from the window's opening: the first reading is the
    starting point, and a backend that ends during the window (Django reconnects after
    CONN_MAX_AGE) keeps the last value read for it."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master_pid: int):
        self.master_pid = master_pid
        self.first: dict[tuple[str, int], float] | None = None
        self.last: dict[tuple[str, int], float] = {}

    def read(self) -> None:
        keys = [("gunicorn", pid) for pid in self._children()]
        keys += [("postgresql", pid) for pid in self._backends()]
        seconds = {key: self._cpu_seconds(key[1]) for key in keys}
        reading = {key: value for key, value in seconds.items() if value is not None}
        if self.first is None:
            self.first = reading
        self.last.update(reading)

    def used(self) -> dict[str, float] | None:
        if not self.first or not Path("/proc/self/stat").exists():
            return None
        used = Counter()
        for key, seconds in self.last.items():
            used[key[0]] += seconds - self.first.get(key, 0.0)
        return {"gunicorn": round(used["gunicorn"], 2), "postgresql": round(used["postgresql"], 2)}

    def _children(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            fields = self._fields(stat)
            if fields and int(fields[1]) == self.master_pid:
                children.append(int(stat.parent.name))
        return children

    @staticmethod
    def _backends() -> list[int]:
        from django.db import connection

        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [row[0] for row in cursor.fetchall()]

    def _cpu_seconds(self, pid: int) -> float | None:
        fields = self._fields(Path(f"/proc/{pid}/stat"))
        # utime and stime: the 14th and 15th fields of proc(5), counted after the command name.
        return (int(fields[11]) + int(fields[12])) / self.TICK if fields else None

    @staticmethod
    def _fields(stat: Path) -> list[str] | None:
        try:
            return stat.read_text().rpartition(")")[2].split()
        except OSError:
            return None


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group (gunicorn stops its workers gracefully); SIGKILL if it hangs."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def figures(samples: list[dict], seconds: float) -> dict:
    """Requests, their rate over ``seconds``, median/p95/p99 in ms, and the errors."""
    times = sorted(sample["ms"] for sample in samples)
    errors = [sample for sample in samples if sample["error"]]
    if len(times) >= 2:
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        p95, p99 = cuts[94], cuts[98]
    else:
        p95 = p99 = times[0] if times else None
    return {
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1) if seconds else None,
        "median_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(p95, 1) if p95 is not None else None,
        "p99_ms": round(p99, 1) if p99 is not None else None,
        "max_ms": round(times[-1], 1) if times else None,
        "errors": len(errors),
    }


def summarise(args, samples: list[dict], *, database_url: str, load_before) -> dict:
    browsing = [sample for sample in samples if sample["browsing"]]
    signing_in = [sample for sample in samples if not sample["browsing"]]
    opened = args.window["window"]
    window = (args.window["closed"] - opened) if opened else 0.0
    if browsing:
        window = max(sample["at"] for sample in browsing) - opened
    by_page = defaultdict(list)
    for sample in browsing:
        by_page[sample["page"]].append(sample)
    overall = figures(browsing, window)
    errors = [sample for sample in samples if sample["error"]]
    examples = Counter(f"{sample['page']}: {sample['error']}" for sample in errors)
    p95_ok = overall["p95_ms"] is not None and overall["p95_ms"] < TARGET_P95_MS
    return {
        "name": "load",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": database_kind(database_url),
        "server": {"program": "gunicorn", "workers": args.workers, "worker_class": "sync"},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(value, 2) for value in load_before],
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        },
        "users": args.users,
        "seconds": args.seconds,
        "think_seconds": [args.think_min, args.think_max],
        "browsing_window_seconds": round(window, 1),
        "overall": overall,
        "pages": {page: figures(by_page[page], window) for page in sorted(by_page)},
        "server_cpu": server_cpu(args.server_cpu, len(browsing)),
        "sign_in": figures(signing_in, 0) | {"requests_per_second": None},
        "errors": {
            "count": len(errors),
            "examples": [
                {"error": text, "count": count} for text, count in examples.most_common(10)
            ],
        },
        "target": {
            "errors": 0,
            "p95_ms_under": TARGET_P95_MS,
            "machine": "2 cores",
            "applies_to": "browsing requests (sign-in is reported on its own)",
        },
        "ok": not errors and bool(browsing) and p95_ok,
    }


def server_cpu(used: dict | None, requests: int) -> dict | None:
    """CPU per browsing request (gunicorn plus PostgreSQL), and the rate two idle cores could
    serve at that cost: a figure that holds when the machine is busy with other work."""
    if not used or not requests:
        return None
    per_request = (used["gunicorn"] + used["postgresql"]) * 1000 / requests
    return {
        "gunicorn_seconds": used["gunicorn"],
        "postgresql_seconds": used["postgresql"],
        "ms_per_request": round(per_request, 1),
        "requests_per_second_two_cores_could_serve": round(2000 / per_request, 1)
        if per_request
        else None,
    }


def database_kind(url: str) -> str:
    """The engine and database name, never a password."""
    from bench.database import bench_database

    database = bench_database({"BENCH_DATABASE_URL": url})
    return f"{database.vendor} {database.name}"


def table(report: dict) -> str:
    rows = [("page", "requests", "req/s", "median ms", "p95 ms", "p99 ms", "errors")]
    named = [*report["pages"].items(), ("all browsing", report["overall"])]
    named.append(("sign-in (not in target)", report["sign_in"]))
    for name, row in named:
        rows.append(
            (
                name,
                row["requests"],
                "" if row["requests_per_second"] is None else row["requests_per_second"],
                row["median_ms"],
                row["p95_ms"],
                row["p99_ms"],
                row["errors"],
            )
        )
    widths = [max(len(str(row[column])) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    verdict = "ok" if report["ok"] else "MISSED"
    lines.append(
        f"{report['users']} users, {report['browsing_window_seconds']} s of browsing, "
        f"{report['server']['workers']} gunicorn workers, {report['database']}. Target: no errors "
        f"and p95 under {TARGET_P95_MS} ms: {verdict} ({report['errors']['count']} errors)."
    )
    if report["server_cpu"]:
        cpu = report["server_cpu"]
        lines.append(
            f"Server CPU per browsing request: {cpu['ms_per_request']} ms (gunicorn "
            f"{cpu['gunicorn_seconds']} s, PostgreSQL {cpu['postgresql_seconds']} s), so two idle "
            f"cores serve about {cpu['requests_per_second_two_cores_could_serve']} requests/s."
        )
    load = report["machine"]["load_average_before"][0]
    lines.append(f"Load average before the run: {load} on {report['machine']['cpus']} cores.")
    for example in report["errors"]["examples"][:5]:
        lines.append(f"  {example['count']} x {example['error']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
