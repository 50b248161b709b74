"""The outbox end to end, as in production: a real Celery worker on Redis, PostgreSQL, and a
local SMTP server receiving the emails a review's notification and decision cause."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.notifications.smtp_sink import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = [pytest.mark.slow, pytest.mark.celery, pytest.mark.postgres, pytest.mark.redis]

# Runs in a separate process against the test's own database: the people, then the steps.
DRIVE_TO_DECISION = """
from datetime import date
from workflows.models import Agency, Membership, Partnership, Role, User
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start

partnership = Partnership.objects.create(name="Smtpshire CSP", slug="smtpshire", code="SMTP")
police = Agency.objects.create(partnership=partnership, name="Smtpshire Police")
def person(email, role):
    user = User.objects.create_user(email, full_name=email.split("@")[0].title())
    Membership.objects.create(user=user, partnership=partnership, role=role)
    return user
coordinator = person("coordinator@smtp.example", Role.COORDINATOR)
chair = person("csp.chair@smtp.example", Role.CSP_CHAIR)
review = review_start(
    partnership=partnership, by=coordinator, date_of_death=date(2026, 11, 1),
    notified_on=date(2026, 11, 2), referred_by="Smtpshire Police",
    victim_real_name="Sentinel Smtpvictim", perpetrator_real_name="Sentinel Smtpperp",
    agencies=[police],
)
review = review_transition(review=review, action="start_scoping", by=coordinator,
                           on=date(2026, 11, 3))
review = review_transition(review=review, action="decide_to_commission", by=chair,
                           on=date(2026, 11, 10),
                           reason="Criteria met; Sentinel Smtpvictim knew several agencies.")
print("REFERENCE", review.reference)
"""

COUNT_UNSENT = (
    "from notifications.models import Email; "
    "print('UNSENT', Email.objects.exclude(status='sent').count())"
)
MESSAGE_IDS = (
    "from notifications.models import Email; "
    "print('IDS', '|'.join(sorted(Email.objects.values_list('provider_message_id', flat=True))))"
)


def manage(env, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def printed(output: str, label: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(label + " "))
    return line.removeprefix(label + " ")


@pytest.fixture
def database():
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"dhr_smtp_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_decision_reaches_everyone_over_smtp(tmp_path, database):
    with SmtpServer() as smtp:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ENV"}
        env.update(
            DATABASE_URL=database,
            VAR_DIR=str(tmp_path / "var"),
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            HOME_OFFICE_EMAIL="dhr.team@homeoffice.example",
        )
        manage(env, "migrate", "--noinput")
        worker = subprocess.Popen(
            [CELERY, "-A", "project", "worker", "--concurrency", "2", "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            reference = printed(manage(env, "shell", "-c", DRIVE_TO_DECISION), "REFERENCE")
            # Notified: coordinator and CSP chair. Tasks: record the notification
            # (coordinator), decide (CSP chair), set up (coordinator). The decision: the Home
            # Office.
            received = smtp.sink.wait_for(6)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if printed(manage(env, "shell", "-c", COUNT_UNSENT), "UNSENT") == "0":
                    break
                time.sleep(1)
            ids = printed(manage(env, "shell", "-c", MESSAGE_IDS), "IDS").split("|")
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            log = (tmp_path / "worker.log").read_text()
    assert len(received) == 6, log[-3000:]
    by_address = {}
    for recipients, message in received:
        assert message["Subject"].startswith(reference)
        by_address.setdefault(recipients[0], []).append(message["Subject"])
    assert sorted(by_address) == [
        "coordinator@smtp.example",
        "csp.chair@smtp.example",
        "dhr.team@homeoffice.example",
    ]
    assert len(by_address["coordinator@smtp.example"]) == 3
    assert len(by_address["csp.chair@smtp.example"]) == 2
    # Each email went once, and the id the SMTP server saw is the one the outbox recorded.
    assert sorted(message["Message-ID"] for _, message in received) == sorted(ids)
    for _, message in received:
        whole = message.as_string()
        assert "Smtpvictim" not in whole and "Smtpperp" not in whole
        assert message.get_body(("plain",)) is not None and message.get_body(("html",))
    assert "Sentinel" not in log
