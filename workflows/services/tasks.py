"""The flow's tasks: start a review's process, follow its stage, claim and release work."""

import logging

from django.contrib.contenttypes.models import ContentType
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from workflows import permissions
from workflows.flows import STAGE_TASKS, ReviewFlow
from workflows.models import Cover, Participant, Review, ReviewAgency, TaskAction, TaskEvent

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


def task_finish(task: Task, by, on_behalf_of=None) -> None:
    """Mark a task done by ``by`` and let the flow move on; call inside the work's transaction.
    ``on_behalf_of`` is the person ``by`` covers for (recorded as a task event)."""
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(by)
        elif activation.task.owner_id != by.pk:
            activation.reassign(by)  # recorded as done by whoever did the work
        activation.start(None)
        activation.execute()
    if on_behalf_of is not None:
        task_event_record(
            task=task,
            action=TaskAction.COMPLETED_ON_BEHALF,
            from_user=on_behalf_of,
            to_user=by,
            by=by,
            reason=f"Done by {by} for {on_behalf_of} while they are away.",
        )


def task_event_record(*, task: Task, action: str, by, from_user=None, to_user=None, reason=""):
    """Append one row to the audit of who held a task."""
    return TaskEvent.objects.create(
        task_id=task.pk,
        review_id=task.process.artifact_object_id,
        action=action,
        from_user=from_user,
        to_user=to_user,
        by=by,
        reason=reason,
    )


def may_do(task: Task, review: Review, user) -> bool:
    """Whether ``user`` may do a task: they hold its role, or cover today for someone who does."""
    return holds_role(task, review, user) or acting_for(task, review, user) is not None


def covered_people(user, partnership_id: int) -> list:
    """The people ``user`` covers for today in a partnership's reviews."""
    if not getattr(user, "is_authenticated", False):
        return []
    covers = Cover.objects.active().filter(delegate=user, partnership_id=partnership_id)
    return [cover.person for cover in covers.select_related("person")]


def acting_for(task: Task, review: Review, user):
    """The person ``user`` would do this task for under a cover (the task's owner first), or None
    when ``user`` does it in their own right or may not do it at all."""
    if holds_role(task, review, user):
        return None
    # Cover is one step only: a delegate does not pass on the covers they hold themselves.
    people = sorted(
        covered_people(user, review.partnership_id), key=lambda p: p.pk != task.owner_id
    )
    return next((person for person in people if holds_role(task, review, person)), None)


def holds_role(task: Task, review: Review, user) -> bool:
    """Whether ``user`` holds the role a task asks for, on that task's review (and, for an
    agency's task, in that agency)."""
    role = task.data.get("role")
    if role == "independent_chair":
        return permissions.is_independent_chair(review, user)
    if role == "report_author":
        return permissions.is_independent_chair(review, user) or permissions.is_report_author(
            review, user
        )
    if role == "csp_chair":
        return permissions.is_csp_chair(review, user)
    if role in ("agency_author", "senior_manager"):
        return _agency_role(task, review, user, role)
    if role == "panel_member":
        return (
            Participant.objects.active()
            .filter(pk=task.data.get("participant"), review=review, user=user)
            .exists()
        )
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
        task_event_record(task=task, action=TaskAction.CLAIMED, to_user=user, by=user)


def task_release(*, task: Task, user) -> None:
    """Put a task one has claimed back in the role's queue."""
    with task.activation() as activation:
        if activation.task.status != STATUS.ASSIGNED or activation.task.owner_id != user.pk:
            raise TaskRefused("You can only release a task you have claimed.")
        activation.unassign()
        task_event_record(task=task, action=TaskAction.RELEASED, from_user=user, by=user)
