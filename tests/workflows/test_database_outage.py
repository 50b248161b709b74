"""The database goes away in the middle of a transition: nothing is half-done, and the person
is told plainly that their change was not saved.

The outage is real: a second connection ends the session that is running the transition
(``pg_terminate_backend``), part-way through, after the review row has been saved.
"""

from datetime import date

import pytest
from django.core import mail
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.test import Client

from notifications.models import Email
from workflows.models import Pause, ReviewHistory
from workflows.services import lifecycle
from workflows.services.deadlines import deadlines_recompute
from workflows.services.lifecycle import review_transition
from workflows.stages import Stage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PAUSE = {
    "action": "pause",
    "on": date(2027, 5, 1),
    "expected_stage": Stage.AGENCY_REPORTS,
    "reason": "Inquest opened and adjourned.",
    "pause_reason": "inquest",
}


def database_outage() -> None:
    """End this thread's database session from another connection, and wait until it is gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
            # pg_terminate_backend only signals the backend: wait until it has really gone.
            for _ in range(500):
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    return
                cursor.execute("SELECT pg_sleep(0.01)")
            raise AssertionError(f"backend {pid} was not terminated")
    finally:
        other.close()


def outage_before(monkeypatch, name: str) -> None:
    """Make the database go away just before ``review_transition`` calls ``name``, then carry on."""
    original = getattr(lifecycle, name)

    def cut_off(*args, **kwargs):
        database_outage()
        return original(*args, **kwargs)

    monkeypatch.setattr(lifecycle, name, cut_off)


def outage_at_commit(monkeypatch) -> None:
    """Write the emails as usual, then lose the database before the transaction commits."""
    original = lifecycle.email_queue

    def queue_then_cut_off(*args, **kwargs):
        emails = original(*args, **kwargs)
        assert emails, "the pause writes emails in the transaction before the outage"
        database_outage()
        return emails

    monkeypatch.setattr(lifecycle, "email_queue", queue_then_cut_off)


def snapshot(review) -> dict:
    """What the review looks like in the database, read on a fresh connection."""
    connection.close()
    review.refresh_from_db()
    return {
        "stage": review.stage,
        "history": ReviewHistory.objects.filter(review=review).count(),
        "pauses": Pause.objects.filter(review=review).count(),
        "emails": Email.objects.filter(review=review).count(),
        "deadlines": sorted(review.deadlines.values_list("rule", "due_on", "next_action_on")),
    }


@pytest.fixture
def working(review_at):
    """A review at the agency reports stage whose deadlines have been worked out."""
    built = review_at(Stage.AGENCY_REPORTS)
    deadlines_recompute(review=built)
    assert built.deadlines.get(rule="completion").due_on is not None
    return built


def test_without_an_outage_the_pause_changes_everything_the_outage_tests_check(
    working, coordinator
):
    before = snapshot(working)

    review_transition(review=working, by=coordinator, **PAUSE)

    after = snapshot(working)
    assert after["stage"] == Stage.PAUSED
    assert after["history"] == before["history"] + 1
    assert after["pauses"] == before["pauses"] + 1
    assert after["emails"] > before["emails"]
    assert after["deadlines"] != before["deadlines"]
    assert mail.outbox


@pytest.mark.parametrize(
    "cut_off",
    [
        pytest.param(lambda mp: outage_before(mp, "deadlines_recompute"), id="before-deadlines"),
        pytest.param(lambda mp: outage_before(mp, "tasks_follow_stage"), id="after-deadlines"),
        pytest.param(outage_at_commit, id="at-commit-after-emails"),
    ],
)
def test_an_outage_during_a_transition_changes_nothing(working, coordinator, monkeypatch, cut_off):
    before = snapshot(working)
    cut_off(monkeypatch)

    with pytest.raises((OperationalError, InterfaceError)):
        review_transition(review=working, by=coordinator, **PAUSE)

    assert snapshot(working) == before
    assert before["stage"] == Stage.AGENCY_REPORTS
    assert not mail.outbox, "emails are sent only after a commit"
    # The service works again once the database is back: the same step now goes through.
    monkeypatch.undo()
    review_transition(review=working, by=coordinator, **PAUSE)
    assert snapshot(working)["stage"] == Stage.PAUSED


@pytest.mark.parametrize("point", ["deadlines_recompute", "email_queue"])
def test_an_outage_while_saving_a_step_tells_the_person_their_change_was_not_saved(
    working, coordinator, monkeypatch, settings, point
):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)
    before = snapshot(working)
    outage_before(monkeypatch, point)

    response = client.post(
        f"/reviews/{working.reference}/steps/pause/",
        {
            "pause_reason": "inquest",
            "reason": "Inquest opened and adjourned.",
            "on_0": "1",
            "on_1": "5",
            "on_2": "2027",
            "stage": Stage.AGENCY_REPORTS,
        },
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Your change was not saved" in html
    assert "nothing was changed" in html
    assert "try again" in html
    assert "Traceback" not in html and "pg_terminate_backend" not in html
    assert snapshot(working) == before
    assert not mail.outbox


def test_a_database_error_is_still_a_database_error_not_an_outage_page(
    working, coordinator, monkeypatch, settings
):
    """Only a lost or refused connection gets the outage page; other errors stay real 500s."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)

    def broken(**kwargs):
        raise DatabaseError("a bug, not an outage")

    monkeypatch.setattr(lifecycle, "deadlines_recompute", broken)
    response = client.post(
        f"/reviews/{working.reference}/steps/pause/",
        {
            "pause_reason": "inquest",
            "reason": "Inquest opened and adjourned.",
            "on_0": "1",
            "on_1": "5",
            "on_2": "2027",
            "stage": Stage.AGENCY_REPORTS,
        },
    )

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
    working.refresh_from_db()
    assert working.stage == Stage.AGENCY_REPORTS
