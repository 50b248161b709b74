"""``HolderBook`` reads who holds the work on many reviews at once; it must name the same people
as the rules asking the database one review at a time (the reminder sweep relies on it)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows import holders
from workflows.models import Deadline


@pytest.fixture
def simulated(db):
    """A few months of a dozen reviews through the real engine: open tasks in every role, some
    claimed, queued agency and author tasks, recommendations with owners and without."""
    out = StringIO()
    call_command("simulate", reviews=12, partnerships=4, days=120, seed=5, stdout=out)
    return json.loads(out.getvalue())


def test_the_book_names_the_same_holders_as_the_database(simulated):
    deadlines = list(
        Deadline.objects.filter(met_on__isnull=True).select_related(
            "review__partnership", "review__independent_chair"
        )
    )
    assert len(deadlines) > 10
    reviews = list({deadline.review_id: deadline.review for deadline in deadlines}.values())
    everything = holders.HolderBook(reviews)
    narrowed = holders.HolderBook(reviews, deadline_rules={d.rule for d in deadlines[::2]})
    kinds = set()
    for deadline in deadlines:
        expected = [user.pk for user in holders.deadline_holders(deadline)]
        for book in (everything, narrowed):
            tasks = holders.deadline_tasks(deadline, book)
            assert [task.pk for task in tasks] == [t.pk for t in holders.deadline_tasks(deadline)]
            found = holders.deadline_holders(deadline, tasks=tasks, book=book)
            assert [user.pk for user in found] == expected, deadline.rule
        for task in holders.deadline_tasks(deadline):
            kinds.add((task.data.get("role"), task.owner_id is None))
        for ask in (holders.coordinators, holders.csp_chairs):
            assert ask(deadline.review, everything) == ask(deadline.review)
    # The comparison covered queued tasks in the roles the book reads in bulk.
    assert {("agency_author", True), ("coordinator", True)} <= kinds, kinds


def test_the_book_asks_a_fixed_number_of_queries(simulated):
    deadlines = list(
        Deadline.objects.filter(met_on__isnull=True).select_related(
            "review__partnership", "review__independent_chair"
        )
    )
    reviews = list({deadline.review_id: deadline.review for deadline in deadlines}.values())
    with CaptureQueriesContext(connection) as reading:
        book = holders.HolderBook(reviews)
    with CaptureQueriesContext(connection) as asking:
        for deadline in deadlines:
            holders.deadline_holders(deadline, book=book)
    assert len(reading) <= 6
    assert len(asking) == 0
