"""A real Celery worker with beat runs the service's tasks: on the embedded filesystem broker
with SQLite, and on Redis with PostgreSQL as in production."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = pytest.mark.slow


def manage(env, *args: str, timeout: int = 180) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def count_of_decision_deadlines(env) -> int:
    code = (
        "from workflows.models import Deadline; "
        "print(Deadline.objects.filter(rule='decision').count())"
    )
    return int(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def run_worker_round_trip(env, log_path: Path) -> None:
    """Lose deadline rows, start a worker with beat, queue the recompute: the rows come back."""
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    expected = count_of_decision_deadlines(env)
    manage(
        env,
        "shell",
        "-c",
        "from workflows.models import Deadline; "
        "Deadline.objects.filter(rule='decision', met_on__isnull=True).delete()",
    )
    assert count_of_decision_deadlines(env) < expected
    worker = subprocess.Popen(
        [
            CELERY,
            "-A",
            "project",
            "worker",
            "-B",
            "--scheduler",
            "django",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        # A file, not a pipe: a pipe nobody reads fills up and stalls a busy worker.
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        manage(
            env,
            "shell",
            "-c",
            "from workflows.tasks import recompute_open_deadlines; "
            "recompute_open_deadlines.delay()",
        )
        # The worker first sends the emails the demo queued (a few hundred), then this.
        deadline = time.monotonic() + 240
        while count_of_decision_deadlines(env) < expected and time.monotonic() < deadline:
            time.sleep(1)
        restored = count_of_decision_deadlines(env)
        beat_code = (
            "from django_celery_beat.models import PeriodicTask; "
            "print(PeriodicTask.objects.filter(name='recompute-open-deadlines').count())"
        )
        scheduled = manage(env, "shell", "-c", beat_code).strip()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    output = log_path.read_text()
    assert restored == expected, output[-5000:]
    assert scheduled.endswith("1")
    assert "recomputed deadlines of" in output, output[-3000:]


def base_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(VAR_DIR=str(tmp_path / "var"), DEMO_PASSWORD="demo-password-for-tests")
    env.pop("DJANGO_ENV", None)
    return env


def test_embedded_worker_and_beat_on_the_filesystem_broker(tmp_path):
    env = base_env(tmp_path)
    run_worker_round_trip(env, tmp_path / "worker.log")
    assert (tmp_path / "var" / "db.sqlite3").exists()
    assert (tmp_path / "var" / "celery" / "broker").is_dir()


@pytest.mark.celery
@pytest.mark.postgres
def test_worker_and_beat_on_redis_and_postgresql(tmp_path):
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"dhr_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = base_env(tmp_path)
        env.update(
            DATABASE_URL=f"{server}/{name}", CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"]
        )
        run_worker_round_trip(env, tmp_path / "worker.log")
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
