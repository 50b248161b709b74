"""Twenty people press the same button at the same moment, each from a process of their own,
against one real gunicorn server on PostgreSQL: one of them succeeds, the others are told why
nothing happened, nobody sees an error page, and the work is recorded (and emailed) once.

``tests/workflows/test_concurrency.py`` races the services in threads; this races the whole
request (sign-in session, CSRF, form, view, service, redirect and flash message) across
processes, as it happens in production.
"""

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse
from viewflow.workflow.models import Task

from notifications.models import Email
from tests.conftest import TODAY, authenticator
from tests.factories import MembershipFactory, UserFactory
from tests.workflows.contention_client import attempt
from workflows.models import Participant, ParticipantRole, Pause, ReviewHistory, Role
from workflows.services.agency_reports import ALREADY_DONE
from workflows.services.lifecycle import changed_message, review_transition
from workflows.services.reviews import review_start
from workflows.services.tasks import OPEN, process_for
from workflows.stages import Stage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PEOPLE = 20
WORKERS = 4
SERVER_START_SECONDS = 30
ATTEMPTS_SECONDS = 60
ON = date(2027, 5, 28)
ON_FIELDS = {"on_0": str(ON.day), "on_1": str(ON.month), "on_2": str(ON.year)}
# The server shares the suite's today (tests/conftest.py), so the dates the test posts are as
# valid to the server as they are to the test. Only the clock is changed, in every worker.
SERVER_CONFIG = f"""
import datetime
import time_machine

time_machine.travel({TODAY!r}, tick=True).start()
"""


def database_url() -> str:
    """The address of the test database pytest-django created, for the server's processes."""
    db = connection.settings_dict
    who = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{who}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_environment(var_dir: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CELERY_BROKER_URL", "DJANGO_ENV", "CELERY_TASK_ALWAYS_EAGER")
    }
    # Emails stay in the outbox: the broker is a folder of this test's own and no worker reads
    # it, so the test counts the rows the requests wrote and nothing is sent.
    env.update(DATABASE_URL=database_url(), VAR_DIR=str(var_dir), DEBUG="false")
    return env


def wait_for_server(process: subprocess.Popen, log: Path) -> str:
    """The server's address once gunicorn listens, its workers have booted and it answers."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    base_url = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped with {process.returncode}:\n{log.read_text()[-3000:]}")
        output = log.read_text()
        listening = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", output)
        booted = output.count("Booting worker with pid")
        if listening and booted >= WORKERS:
            base_url = listening.group(1)
            try:
                if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                    return base_url
            except requests.ConnectionError:
                pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer at {base_url or '?'}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """One gunicorn with four sync workers (separate processes) on the test database."""
    folder = tmp_path_factory.mktemp("contention")
    config, log = folder / "gunicorn_config.py", folder / "gunicorn.log"
    config.write_text(SERVER_CONFIG)
    command = [
        GUNICORN,
        "project.wsgi",
        "--config",
        str(config),
        "--bind",
        "127.0.0.1:0",
        "--workers",
        str(WORKERS),
        "--threads",
        "1",
        "--preload",
        # Gunicorn's control socket defaults to one path in the home folder: another gunicorn
        # (a CI run, a developer's server) must not meet this one there.
        "--no-control-socket",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--logger-class",
        "project.gunicorn_logging.RedactingLogger",
        "--access-logfile",
        "-",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_environment(folder / "var"),
        # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield {"base_url": wait_for_server(process, log), "log": log}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def signed_in(user) -> str:
    """A session in the database for ``user``, as the sign-in page would have made it; returns
    the value of its cookie."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def post_at_once(server, path: str, people, data: dict) -> list[dict]:
    """Each person, in a process of their own, loads the form at ``path``; once all have, all
    post ``data`` together. Returns what each one got, in the order of ``people``."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(people)), context.Queue()
    processes = [
        context.Process(
            target=attempt,
            kwargs={
                "index": index,
                "base_url": server["base_url"],
                "path": path,
                "session_id": signed_in(person),
                "authenticator_key": authenticator(person).key,
                "data": data,
                "barrier": barrier,
                "results": results,
            },
            daemon=True,
        )
        for index, person in enumerate(people)
    ]
    try:
        for process in processes:
            process.start()
        deadline = time.monotonic() + ATTEMPTS_SECONDS
        outcomes = [results.get(timeout=max(1, deadline - time.monotonic())) for _ in processes]
    finally:
        stop_by = time.monotonic() + 5
        for process in processes:
            process.join(timeout=max(0, stop_by - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    outcomes.sort(key=lambda outcome: outcome["index"])
    # Shown with ``pytest -s``: how many got which answer.
    print(Counter((o.get("status"), o.get("location"), *o.get("banners", [])) for o in outcomes))
    return outcomes


def server_errors(server) -> str:
    """The tracebacks the server logged, for the failure message."""
    output = server["log"].read_text()
    return "\n".join(line for line in output.splitlines() if " 500 " in line or "Error" in line)


def review_at_agency_reports(partnership, coordinator, chair, agency):
    """A review driven through the real lifecycle to the agency reports stage."""
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Invented Person",
        agencies=[agency],
    )
    for action, extra in [
        ("decide_to_commission", {}),
        ("appoint_independent_chair", {"chair": chair, "victim_pseudonym": "Robin"}),
        ("complete_setup", {}),
        ("agree_terms_of_reference", {}),
    ]:
        review = review_transition(
            review=review, action=action, by=coordinator, on=date(2027, 5, 1), **extra
        )
    assert review.stage == Stage.AGENCY_REPORTS
    return review


def agency_tasks(review, name: str) -> list[Task]:
    return [
        task
        for task in Task.objects.filter(process=process_for(review)).order_by("pk")
        if task.flow_task.name == name
    ]


def emails_since(last_pk: int) -> list[tuple[str, str]]:
    return list(
        Email.objects.filter(pk__gt=last_pk).order_by("pk").values_list("kind", "to_address")
    )


def last_email_pk() -> int:
    return Email.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def describe(outcomes: list[dict]) -> str:
    return "\n".join(repr(outcome) for outcome in outcomes)


def test_twenty_people_answering_one_agency_task_record_one_answer(
    server, partnership, police, coordinator, independent_chair
):
    review = review_at_agency_reports(partnership, coordinator, independent_chair, police)
    authors = []
    for number in range(PEOPLE):
        author = UserFactory(email=f"police.author{number}@test.example")
        MembershipFactory(
            user=author, partnership=partnership, role=Role.AGENCY_AUTHOR, agency=police
        )
        Participant.objects.create(
            review=review,
            user=author,
            role=ParticipantRole.AGENCY_AUTHOR,
            agency=police,
            added_by=coordinator,
        )
        authors.append(author)
    [scoping] = agency_tasks(review, "agency_scoping")
    assert scoping.status in OPEN
    before = last_email_pk()

    task_page = reverse("tasks:agency", args=[review.reference, scoping.pk])
    outcomes = post_at_once(server, task_page, authors, {"involvement": "involved", **ON_FIELDS})

    report = describe(outcomes) + "\n" + server_errors(server)
    assert not [outcome for outcome in outcomes if "error" in outcome], report
    assert not [o for o in outcomes if 500 in (o["status"], o["page_status"])], report
    done = f"{scoping.title}: done."
    winners = [o for o in outcomes if o["status"] == 302 and done in o["banners"]]
    losers = [o for o in outcomes if o not in winners]
    assert len(winners) == 1, report
    assert winners[0]["location"] == reverse("tasks:list")
    # Each of the others is shown the task again, now done, and told their answer was not
    # recorded, whether their post arrived after the winner's or waited on it.
    assert all(loser["status"] == 302 for loser in losers), report
    assert all(loser["location"] == task_page for loser in losers), report
    assert all(loser["banners"] == [ALREADY_DONE] for loser in losers), report
    assert all("This task has been done." in loser["paragraphs"] for loser in losers), report

    scoping.refresh_from_db()
    assert scoping.status == "DONE"
    answers = ReviewHistory.objects.filter(review=review, action="agency_scoping")
    assert answers.count() == 1
    assert answers.get().by in authors
    assert scoping.owner == answers.get().by
    # The flow moved the branch on once: one report task, not one per attempt.
    assert len(agency_tasks(review, "agency_report")) == 1
    sent = emails_since(before)
    assert sent, "the new report task is announced to the police authors"
    assert {kind for kind, _address in sent} == {"task_assigned"}
    assert [pair for pair, count in Counter(sent).items() if count > 1] == []


def test_twenty_people_pausing_one_review_pause_it_once(
    server, partnership, police, coordinator, independent_chair
):
    review = review_at_agency_reports(partnership, coordinator, independent_chair, police)
    # Coordinators and CSP chairs may both pause a review: half of each.
    roles = [Role.COORDINATOR, Role.CSP_CHAIR]
    people = []
    for number in range(PEOPLE):
        person = UserFactory(email=f"decider{number}@test.example")
        MembershipFactory(user=person, partnership=partnership, role=roles[number % 2])
        people.append(person)
    before = last_email_pk()

    outcomes = post_at_once(
        server,
        reverse("reviews:step", args=[review.reference, "pause"]),
        people,
        {
            "stage": Stage.AGENCY_REPORTS,
            "pause_reason": "inquest",
            "reason": "The coroner has opened an inquest.",
            **ON_FIELDS,
        },
    )

    report = describe(outcomes) + "\n" + server_errors(server)
    assert not [outcome for outcome in outcomes if "error" in outcome], report
    assert not [o for o in outcomes if 500 in (o["status"], o["page_status"])], report
    # Coordinators and CSP chairs: each typed the code from their authenticator app first.
    assert all(o.get("two_factor") for o in outcomes), report
    detail = reverse("reviews:detail", args=[review.reference])
    assert all(o["status"] == 302 and o["location"] == detail for o in outcomes), report
    winners = [o for o in outcomes if "Pause the review: done." in o["banners"]]
    losers = [o for o in outcomes if o not in winners]
    assert len(winners) == 1, report
    review.refresh_from_db()
    assert review.stage == Stage.PAUSED
    told = changed_message(review)
    assert all(loser["banners"] == [told] for loser in losers), report

    pauses = ReviewHistory.objects.filter(review=review, action="pause")
    assert pauses.count() == 1
    assert Pause.objects.filter(review=review).count() == 1
    assert pauses.get().by in people
    sent = emails_since(before)
    assert sent, "the panel hears that the review is paused"
    assert {kind for kind, _address in sent} == {"review_paused"}
    assert [pair for pair, count in Counter(sent).items() if count > 1] == []
