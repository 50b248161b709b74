"""Two people acting at once on PostgreSQL: one wins, the others get a clear message."""

import threading
from datetime import date

import pytest
from django.db import connection

from workflows.models import Review, ReviewHistory
from workflows.services.lifecycle import ReviewChanged, review_transition
from workflows.services.reviews import review_start
from workflows.stages import Stage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ATTEMPTS = 10


def run_at_once(work, count: int = ATTEMPTS) -> list:
    """Run ``work(i)`` in ``count`` threads released together; return each result or error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each attempt met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_only_one_of_many_simultaneous_decisions_is_recorded(review, coordinator, csp_chair):
    people = [coordinator, csp_chair]

    def decide(index: int):
        action = "decide_to_commission" if index % 2 else "decide_not_to_commission"
        return review_transition(
            review=review,
            action=action,
            by=people[index % 2],
            on=date(2027, 2, 1),
            expected_stage=Stage.NOTIFIED,
            reason="Decided at the same moment as someone else.",
        )

    results = run_at_once(decide)
    winners = [result for result in results if isinstance(result, Review)]
    losers = [result for result in results if isinstance(result, ReviewChanged)]
    assert len(winners) == 1
    assert len(losers) == ATTEMPTS - 1
    assert all("Someone else changed this review" in str(loser) for loser in losers)
    review.refresh_from_db()
    assert review.stage == winners[0].stage
    decisions = ReviewHistory.objects.filter(review=review, action__startswith="decide")
    assert decisions.count() == 1


def test_simultaneous_notifications_get_different_references(partnership, coordinator):
    def notify(index: int):
        return review_start(
            partnership=partnership,
            by=coordinator,
            date_of_death=date(2027, 3, 1),
            notified_on=date(2027, 3, 2),
            referred_by="Testshire Police",
            victim_real_name=f"Invented Person {index}",
        ).reference

    references = run_at_once(notify)
    assert all(isinstance(reference, str) for reference in references), references
    assert len(set(references)) == ATTEMPTS


def test_simultaneous_claims_of_one_task_leave_one_owner(partnership, coordinator):
    from tests.factories import MembershipFactory
    from workflows.services.tasks import TaskRefused, open_stage_task, task_claim

    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 3, 1),
        notified_on=date(2027, 3, 2),
        referred_by="Testshire Police",
        victim_real_name="Invented Person",
    )
    people = [coordinator] + [
        MembershipFactory(partnership=partnership, role="coordinator").user
        for _ in range(ATTEMPTS - 1)
    ]
    task = open_stage_task(review)
    results = run_at_once(lambda i: task_claim(task=task, review=review, user=people[i]))
    refusals = [result for result in results if isinstance(result, TaskRefused)]
    assert results.count(None) == 1, results
    assert len(refusals) == ATTEMPTS - 1
    task.refresh_from_db()
    assert task.owner in people


def test_simultaneous_steps_complete_the_flow_task_once(partnership, coordinator, csp_chair):
    from viewflow.workflow.models import Task

    from workflows.services.tasks import process_for

    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 3, 1),
        notified_on=date(2027, 3, 2),
        referred_by="Testshire Police",
        victim_real_name="Invented Person",
    )

    def decide(index: int):
        return review_transition(
            review=review,
            action="decide_to_commission",
            by=[coordinator, csp_chair][index % 2],
            on=date(2027, 3, 3),
            expected_stage=Stage.NOTIFIED,
        )

    results = run_at_once(decide)
    assert len([r for r in results if isinstance(r, Review)]) == 1
    tasks = Task.objects.filter(process=process_for(review), flow_task_type="HUMAN")
    assert sorted((t.flow_task.name, t.status) for t in tasks) == [
        ("record_scoping", "DONE"),
        ("set_up", "NEW"),
    ]
