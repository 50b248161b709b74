"""The fault drill at a small scale: a worker killed mid-send and Redis crashed lose no email.

``make chaos`` runs it with 2,000 emails; here 150, with one SIGKILL of the worker and one Redis
crash, on a database of the test's own. Not timed: the drill's figures are asserted, not its
speed.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.celery, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def drill_database():
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    url = f"{server}/dhr_chaos_test_{uuid.uuid4().hex[:8]}"
    yield url
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_no_email_is_lost_when_the_worker_is_killed_and_redis_restarts(tmp_path, drill_database):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ENV"}
    env.update(CHAOS_DATABASE_URL=drill_database, VAR_DIR=str(tmp_path / "var"))
    results_path = tmp_path / "results.json"
    drill = [sys.executable, "-m", "chaos.run", "--emails", "150", "--kills", "1"]
    drill += ["--broker-restarts", "1", "--stuck-after", "5", "--sweep-every", "2"]
    drill += ["--timeout", "120", "--results", str(results_path)]
    output = tmp_path / "drill.log"
    with output.open("w") as log:
        process = subprocess.Popen(drill, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            returncode = process.wait(timeout=240)
        finally:
            # SIGTERM, not SIGKILL: the drill then stops the worker and Redis it started.
            process.terminate()
            process.wait(timeout=60)
    context = output.read_text(errors="replace")[-3000:]
    worker_log = tmp_path / "var" / "chaos" / "worker.log"
    if worker_log.exists():
        context += worker_log.read_text(errors="replace")[-3000:]
    assert returncode in (0, 1), context
    results = json.loads(results_path.read_text())
    assert results["emails"] == 150
    assert (results["kills"], results["broker_restarts"]) == (1, 1)
    assert results["lost"] == 0, results
    assert results["duplicates"] <= results["kills"], results
    assert results["statuses"] == {"sent": 150}, results
    assert returncode == 0, context
    # Every fault happened while emails were still on their way.
    assert all(0 < fault["delivered_before"] < 150 for fault in results["faults"]), results
