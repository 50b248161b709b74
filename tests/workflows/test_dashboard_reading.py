"""How the dashboard reads its rows: as plain values (``LiveReview``, ``OpenDeadline``,
``OpenTask``, ``AgencyInScope``) rather than model instances, for speed. Each must read what the
models say, and the page must filter, sort and page them as it did from the models.

Uses the world of ``test_dashboard`` (Testshire's reviews, driven through the real services).
"""

from datetime import date

import pytest
from django.db.models import Count, Q

from tests.conftest import TODAY
from tests.workflows.test_dashboard import world  # noqa: F401 (the fixture)
from workflows.models import Deadline, Review, ReviewAgency
from workflows.monitoring import dashboard
from workflows.monitoring.dashboard import (
    COLUMN_KEYS,
    REVIEW_FIELDS,
    dashboard_for,
    live_reviews,
    managed_partnerships,
    open_review_tasks,
    task_title,
)
from workflows.monitoring.forecast import forecasts_for
from workflows.presenters import next_deadline
from workflows.stages import Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def managed(world, coordinator):  # noqa: F811 (the fixture)
    partnerships = managed_partnerships(coordinator)
    return live_reviews(coordinator, partnerships), partnerships


def test_the_reviews_read_as_values_are_the_models(managed):
    live, partnerships = managed
    read = dashboard._read_reviews(live, partnerships)
    models = {review.pk: review for review in live}
    assert list(read) == list(models)  # in order of reference
    for pk, review in read.items():
        model = models[pk]
        for name in REVIEW_FIELDS:
            assert getattr(review, name) == getattr(model, name), name
        assert review.is_paused == model.is_paused
        assert review.working_stage == model.working_stage
        assert review.partnership.name == model.partnership.name
        assert review.partnership.slug == model.partnership.slug
        assert str(review.independent_chair) == str(model.independent_chair)
        if model.independent_chair is not None:
            assert review.independent_chair.is_active == model.independent_chair.is_active


def test_the_deadlines_read_as_values_are_the_prefetched_ones(managed):
    live, _partnerships = managed
    read = dashboard._read_deadlines([review.pk for review in live])
    for review in live:
        prefetched = list(review.deadlines.all())
        assert [d.pk for d in read[review.pk]] == [d.pk for d in prefetched]
        for value, model in zip(read[review.pk], prefetched, strict=True):
            assert (value.rule, value.title, value.due_on, value.met_on) == (
                model.rule,
                model.title,
                model.due_on,
                model.met_on,
            )
            assert value.status(TODAY) == model.status(TODAY)
        expected = next_deadline(review)
        found = dashboard._next_deadline(read[review.pk])
        assert (found.pk if found else None) == (expected.pk if expected else None)


def test_the_tasks_read_as_values_are_viewflows(managed):
    live, _partnerships = managed
    review_ids = [review.pk for review in live]
    tasks = open_review_tasks(review_ids)
    read = dashboard._read_open_tasks(review_ids)
    assert len(tasks) >= 5
    assert [task.pk for task in read] == [task.pk for task in tasks]
    for value, task in zip(read, tasks, strict=True):
        assert value.review_id == task.process.artifact_object_id
        assert value.flow_task == task.flow_task
        assert value.owner_id == task.owner_id
        for key in ("role", "deadline", "title", "review_agency"):
            assert value.data.get(key) == task.data.get(key), key
        assert task_title(value) == task_title(task)
        assert dashboard._holder(value) == dashboard._holder(task)


def test_the_agencies_read_as_values_are_the_models(managed):
    live, _partnerships = managed
    models = ReviewAgency.objects.filter(review__in=list(live)).select_related("agency")
    read = dashboard._read_agencies([review.pk for review in live], [m.pk for m in models])
    assert len(read) == models.count() >= 3
    assert dashboard._agency_choices([review.pk for review in live]) == {
        str(model.agency_id): model.agency.name for model in models
    }
    for model in models:
        value = read[model.pk]
        assert (value.review_id, value.agency_id, value.agency.name) == (
            model.review_id,
            model.agency_id,
            model.agency.name,
        )


@pytest.mark.parametrize("today", [TODAY, date(2027, 8, 2)])
def test_the_counts_are_the_databases(managed, today):
    """The counts are taken from the rows read; they must be what the database counts."""
    live, partnerships = managed
    reviews = dashboard._read_reviews(live, partnerships)
    counts = dashboard._counts(reviews, dashboard._read_deadlines(list(reviews)), today)
    in_database = Review.objects.filter(pk__in=list(reviews)).aggregate(
        live=Count("pk"),
        paused=Count("pk", filter=Q(stage=Stage.PAUSED)),
        past_six_months=Count(
            "pk",
            filter=Q(
                commissioned_on__lte=dashboard._six_months_before(today),
                signed_off_on__isnull=True,
            ),
        ),
    )
    overdue = Deadline.objects.filter(
        review__in=list(reviews), met_on__isnull=True, due_on__lt=today
    ).count()
    assert (counts.live, counts.paused, counts.past_six_months, counts.overdue_deadlines) == (
        in_database["live"],
        in_database["paused"],
        in_database["past_six_months"],
        overdue,
    )
    assert counts.live == 4 and counts.paused == 1


def test_the_forecasts_from_the_completion_deadlines_read_are_those_it_reads_itself(managed):
    live, partnerships = managed
    reviews = dashboard._read_reviews(live, partnerships)
    deadlines = dashboard._read_deadlines(list(reviews))
    completion = {
        pk: deadline
        for pk in reviews
        for deadline in deadlines[pk]
        if deadline.rule == "completion"
    }
    given = forecasts_for(list(reviews.values()), today=TODAY, completion=completion)
    read = forecasts_for(list(Review.objects.filter(pk__in=list(reviews))), today=TODAY)
    assert given == read


def every_state(board) -> list[dict]:
    """Every filter value on offer, alone, and every sort both ways."""
    options = board.options
    states = [{}]
    for name, choices in [
        ("stage", options.stages),
        ("status", options.statuses),
        ("chair", options.chairs),
        ("agency", options.agencies),
    ]:
        states += [{name: code} for code, _label in choices]
    states += [{"sort": key, "order": order} for key in COLUMN_KEYS for order in ("asc", "desc")]
    return states


def test_filters_sorts_and_pages_give_the_rows_the_models_give(managed, coordinator):
    """The rows, their cells and the urgent tasks, as the page built them from model instances
    before: each review's next deadline from its prefetched deadlines, its tasks from viewflow."""
    live, partnerships = managed
    board = dashboard_for(coordinator, partnerships, {}, today=TODAY)
    models = {review.pk: review for review in live}
    tasks = {task.pk: task for task in open_review_tasks(list(models))}
    for state in every_state(board):
        for paged in (False, True):
            shown = dashboard_for(coordinator, partnerships, state, today=TODAY, paged=paged)
            for row in shown.rows:
                model = models[row.review.pk]
                expected = next_deadline(model)
                assert (row.deadline.pk if row.deadline else None) == (
                    expected.pk if expected else None
                ), state
                assert row.status == (expected.status(TODAY) if expected else "none")
            for group in shown.task_groups:
                for task_row in group.rows:
                    task = tasks[task_row.task.pk]
                    assert task_row.title == task_title(task)
                    assert task_row.deadline.rule == task.data["deadline"]
    # Filtering keeps the sort and the references in order within it.
    by_reference = dashboard_for(coordinator, partnerships, {"sort": "reference"}, today=TODAY)
    references = [row.review.reference for row in by_reference.rows]
    assert references == sorted(references) == [review.reference for review in live]
