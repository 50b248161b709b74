"""The flow beside each review: one open task for the stage, for the right person, moving on
only when the lifecycle does."""

from datetime import date

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from workflows.publication.samples import publication_ready
from workflows.qa.samples import qa_letter_upload, submission_documents_upload
from workflows.services.lifecycle import TransitionRefused, review_transition
from workflows.services.reviews import review_start
from workflows.services.tasks import (
    TaskRefused,
    open_stage_task,
    process_for,
    task_claim,
    task_release,
)


@pytest.fixture
def started(partnership, coordinator):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )


def step(review, action, by, on, **details):
    return review_transition(review=review, action=action, by=by, on=on, **details)


def test_a_new_review_starts_its_flow_with_the_coordinators_task(started):
    task = open_stage_task(started)
    assert task.flow_task.name == "record_scoping"
    assert task.status == STATUS.NEW
    assert task.data == {"role": "coordinator", "step": "start-scoping", "deadline": "decision"}


def test_each_stage_has_one_open_task_until_the_review_closes(
    started, coordinator, csp_chair, independent_chair, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    review = started
    journey = [
        ("start_scoping", coordinator, {}, "decide"),
        ("decide_to_commission", csp_chair, {}, "set_up"),
        (
            "appoint_independent_chair",
            coordinator,
            {"chair": independent_chair, "victim_pseudonym": "Robin"},
            "set_up",
        ),
        ("complete_setup", coordinator, {}, "agree_terms_of_reference"),
        ("agree_terms_of_reference", independent_chair, {}, "agency_reports"),
        ("complete_agency_reports", independent_chair, {}, "draft_report"),
        ("complete_draft", independent_chair, {}, "sign_off"),
        ("sign_off", csp_chair, {}, "sign_off"),
        ("submit_to_home_office", coordinator, {}, "record_qa_outcome"),
        ("record_qa_resubmit", coordinator, {}, "draft_report"),
        ("complete_draft", independent_chair, {}, "sign_off"),
        ("sign_off", csp_chair, {}, "sign_off"),
        ("submit_to_home_office", coordinator, {}, "record_qa_outcome"),
        ("record_qa_approved", coordinator, {}, "publish"),
        ("publish", coordinator, {}, "monitor_action_plan"),
    ]
    for action, person, details, next_task in journey:
        # What the Home Office steps' guards ask for (tests/workflows/test_qa.py).
        if action == "complete_draft" and not review.documents.exists():
            submission_documents_upload(review=review, by=coordinator)
        if action.startswith("record_qa_"):
            qa_letter_upload(review=review, by=coordinator)
        if action == "publish":
            publication_ready(review=review, by=coordinator)  # the publication gate
        review = step(review, action, person, date(2027, 5, 1), **details)
        open_tasks = Task.objects.filter(
            process=process_for(review), flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"]
        )
        assert [task.flow_task.name for task in open_tasks] == [next_task], action
    step(review, "close", coordinator, date(2027, 5, 1), reason="All actions done.")
    process = process_for(review)
    assert process.status == PROCESS.DONE
    assert not process.task_set.filter(status__in=["NEW", "ASSIGNED"]).exists()


def test_the_chairs_tasks_go_to_the_reviews_chair(started, coordinator, independent_chair):
    review = step(started, "decide_to_commission", coordinator, date(2027, 2, 1))
    review = step(
        review,
        "appoint_independent_chair",
        coordinator,
        date(2027, 2, 2),
        chair=independent_chair,
        victim_pseudonym="Robin",
    )
    review = step(review, "complete_setup", coordinator, date(2027, 2, 3))
    task = open_stage_task(review)
    assert (task.flow_task.name, task.status, task.owner) == (
        "agree_terms_of_reference",
        STATUS.ASSIGNED,
        independent_chair,
    )


def test_a_task_is_completed_by_whoever_took_the_step(started, coordinator, csp_chair):
    review = step(started, "start_scoping", coordinator, date(2027, 1, 11))
    decide = open_stage_task(review)
    step(review, "decide_not_to_commission", coordinator, date(2027, 2, 1), reason="No.")
    decide.refresh_from_db()
    assert (decide.status, decide.owner) == (STATUS.DONE, coordinator)


def test_a_pause_keeps_the_task_open_and_resuming_keeps_it(started, coordinator, csp_chair):
    review = step(started, "start_scoping", coordinator, date(2027, 1, 11))
    task = open_stage_task(review)
    review = step(review, "pause", csp_chair, date(2027, 1, 20), pause_reason="inquest")
    assert open_stage_task(review) == task
    review = step(review, "resume", csp_chair, date(2027, 2, 1))
    assert open_stage_task(review) == task
    assert review.deadlines.get(rule="decision").due_on == date(2027, 2, 22)


def test_a_refused_step_leaves_the_task_as_it_was(started, coordinator):
    review = step(started, "decide_to_commission", coordinator, date(2027, 2, 1))
    task = open_stage_task(review)
    with pytest.raises(TransitionRefused):
        step(review, "complete_setup", coordinator, date(2027, 2, 2))  # no chair yet
    task.refresh_from_db()
    assert task.status == STATUS.NEW
    assert open_stage_task(review) == task


def test_claim_and_release(started, coordinator, csp_chair):
    task = open_stage_task(started)
    with pytest.raises(TaskRefused, match="role"):
        task_claim(task=task, review=started, user=csp_chair)
    task_claim(task=task, review=started, user=coordinator)
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.ASSIGNED, coordinator)
    with pytest.raises(TaskRefused, match="already claimed"):
        task_claim(task=task, review=started, user=coordinator)
    with pytest.raises(TaskRefused, match="only release"):
        task_release(task=task, user=csp_chair)
    task_release(task=task, user=coordinator)
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.NEW, None)


def test_drafting_goes_to_the_report_author_who_may_finish_it(
    started, coordinator, independent_chair
):
    from tests.factories import UserFactory
    from workflows.models import Participant

    author = UserFactory(email="author@test.example")
    review = step(started, "decide_to_commission", coordinator, date(2027, 2, 1))
    Participant.objects.create(
        review=review, user=author, role="report_author", added_by=coordinator
    )
    review = step(
        review,
        "appoint_independent_chair",
        coordinator,
        date(2027, 2, 2),
        chair=independent_chair,
        victim_pseudonym="Robin",
    )
    for action in ("complete_setup", "agree_terms_of_reference", "complete_agency_reports"):
        review = step(review, action, coordinator, date(2027, 3, 1))
    task = open_stage_task(review)
    assert (task.flow_task.name, task.owner) == ("draft_report", author)
    review = step(review, "complete_draft", author, date(2027, 4, 1))
    assert review.stage == "local_sign_off"
