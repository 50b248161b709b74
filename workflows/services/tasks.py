"""The flow's tasks: start a review's process, follow its stage, claim and release work."""

import logging

from django.contrib.contenttypes.models import ContentType
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from workflows import permissions
from workflows.flows import STAGE_TASKS, ReviewFlow
from workflows.models import Participant, Review, ReviewAgency

logger = logging.getLogger(__name__)
OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]


class TaskRefused(Exception):
    """The person cannot claim or release this task; the message says why."""


def process_start(*, review: Review) -> Process:
    """Start the flow beside a new review; it creates the first task at once."""
    return ReviewFlow.start.run(review=review)


def process_for(review: Review) -> Process | None:
    return Process.objects.filter(
        flow_class=ReviewFlow,
        artifact_content_type=ContentType.objects.get_for_model(Review),
        artifact_object_id=review.pk,
    ).first()


def open_stage_task(review: Review, stage: str | None = None) -> Task | None:
    """The open task of the review's stage (the stage's own task, not an agency's branch)."""
    process = process_for(review)
    node = STAGE_TASKS.get(stage or review.working_stage)
    if process is None or node is None:
        return None
    return process.task_set.filter(status__in=OPEN, flow_task=getattr(ReviewFlow, node)).first()


def tasks_follow_stage(*, review: Review, from_stage: str, by) -> None:
    """After a step moved ``review`` to another stage, complete the stage's open task as ``by``;
    the flow's router then creates the task for the new stage. Call inside the step's
    transaction, after the review row is locked (lock order: review, then process)."""
    if review.stage == from_stage or review.is_paused or from_stage == "paused":
        return  # a pause keeps the task open: its due date moves with the deadlines
    task = open_stage_task(review, from_stage)
    if task is None:
        logger.warning("review %s has no open flow task to complete", review.reference)
        return
    task_finish(task, by)


def task_finish(task: Task, by) -> None:
    """Mark a task done by ``by`` and let the flow move on; call inside the work's transaction."""
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(by)
        elif activation.task.owner_id != by.pk:
            activation.reassign(by)  # recorded as done by whoever did the work
        activation.start(None)
        activation.execute()


def may_do(task: Task, review: Review, user) -> bool:
    """Whether ``user`` holds the role a task asks for, on that task's review (and, for an
    agency's task, in that agency)."""
    role = task.data.get("role")
    if role == "independent_chair":
        return permissions.is_independent_chair(review, user)
    if role == "csp_chair":
        return permissions.is_csp_chair(review, user)
    if role in ("agency_author", "senior_manager"):
        return _agency_role(task, review, user, role)
    return permissions.is_coordinator(review, user)


def _agency_role(task: Task, review: Review, user, role: str) -> bool:
    agency_id = (
        ReviewAgency.objects.filter(pk=task.data.get("review_agency"), review=review)
        .values_list("agency_id", flat=True)
        .first()
    )
    return (
        Participant.objects.active()
        .filter(review=review, user=user, role=role, agency_id=agency_id)
        .exists()
    )


def task_claim(*, task: Task, review: Review, user) -> None:
    """Take an unclaimed task from the role's queue."""
    if not may_do(task, review, user):
        raise TaskRefused("You do not hold the role this task needs.")
    with task.activation() as activation:
        if activation.task.status != STATUS.NEW:
            raise TaskRefused("Someone else has already claimed this task.")
        activation.assign(user)


def task_release(*, task: Task, user) -> None:
    """Put a task one has claimed back in the role's queue."""
    with task.activation() as activation:
        if activation.task.status != STATUS.ASSIGNED or activation.task.owner_id != user.pk:
            raise TaskRefused("You can only release a task you have claimed.")
        activation.unassign()
