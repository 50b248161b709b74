"""Moving work between people: reassign one task, move everything of someone who leaves, and
cover while someone is away."""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from notifications.outbox import email_queue
from workflows import permissions
from workflows.cover_selectors import partnership_people
from workflows.flows import ReviewFlow
from workflows.models import (
    Cover,
    Membership,
    Participant,
    Partnership,
    Review,
    ReviewHistory,
    Role,
    TaskAction,
)
from workflows.services.tasks import OPEN, TaskRefused, holds_role, task_event_record


@dataclass
class BulkReassignment:
    """What a bulk reassignment did: the tasks moved, and those left with why."""

    moved: list[tuple[Task, Review]] = field(default_factory=list)
    not_moved: list[tuple[Task, Review, str]] = field(default_factory=list)


def task_reassign(*, task: Task, review: Review, to_user, by, reason: str) -> None:
    """Give an open task to someone else who holds its role on the review, with a reason: the
    coordinator's decision, recorded in the task's events and the review's history."""
    if not permissions.is_coordinator(review, by):
        raise TaskRefused("Only the coordinator can reassign a task.")
    if not reason.strip():
        raise TaskRefused("Enter why the task is being reassigned.")
    _move(task=task, review=review, to_user=to_user, by=by, reason=reason.strip())


def tasks_follow_chair(*, review: Review, by) -> None:
    """After the review's independent chair changed, give the chair's open tasks to the new
    chair. Call inside the appointment's transaction."""
    chair = review.independent_chair
    if chair is None:
        return
    for task in _open_tasks(review_ids=[review.pk]).exclude(owner=chair):
        role = task.data.get("role")
        # Drafting stays with a report author; it follows the chair only when the chair held it.
        held_by_chair = role == "report_author" and not (
            task.owner and permissions.is_report_author(review, task.owner)
        )
        if role == "independent_chair" or held_by_chair:
            _move(
                task=task,
                review=review,
                to_user=chair,
                by=by,
                reason="The review's independent chair changed.",
            )


def tasks_bulk_reassign(
    *, person, to_user, partnership: Partnership, by, reason: str
) -> BulkReassignment:
    """Move every open task ``person`` holds on the partnership's reviews to ``to_user``, for
    instance when ``person`` leaves. Tasks whose role ``to_user`` does not hold stay, and are
    reported with why. Each task moves in its own transaction."""
    if Role.COORDINATOR not in permissions.roles_in(by, partnership.pk):
        raise TaskRefused("Only the partnership's coordinator can reassign tasks.")
    if not reason.strip():
        raise TaskRefused("Enter why the tasks are being reassigned.")
    if person == to_user:
        raise TaskRefused("Choose someone else to take over the tasks.")
    reviews = {review.pk: review for review in partnership.reviews.all()}
    result = BulkReassignment()
    for task in _open_tasks(review_ids=list(reviews)).filter(owner=person).order_by("pk"):
        review = reviews[task.process.artifact_object_id]
        try:
            _move(task=task, review=review, to_user=to_user, by=by, reason=reason.strip())
        except TaskRefused as refused:
            result.not_moved.append((task, review, str(refused)))
        else:
            result.moved.append((task, review))
    return result


def _open_tasks(*, review_ids: list[int]):
    return Task.objects.filter(
        process__flow_class=ReviewFlow,
        flow_task_type="HUMAN",
        status__in=OPEN,
        process__artifact_object_id__in=review_ids,
    ).select_related("process", "owner")


def _move(*, task: Task, review: Review, to_user, by, reason: str) -> None:
    if not holds_role(task, review, to_user):
        raise TaskRefused(f"{to_user} does not hold the role this task needs on this review.")
    with transaction.atomic():
        # Lock order (ADR 5): the review row, then the process row (task.activation()).
        locked = Review.objects.select_for_update().get(pk=review.pk)
        with task.activation() as activation:
            from_user = activation.task.owner
            if activation.task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                raise TaskRefused("This task is no longer open.")
            if from_user == to_user:
                raise TaskRefused(f"This task is already with {to_user}.")
            if activation.task.status == STATUS.NEW:
                activation.assign(to_user)
            else:
                activation.reassign(to_user)
        email_queue("task_created", task=activation.task, review=locked)
        task_event_record(
            task=task,
            action=TaskAction.REASSIGNED,
            from_user=from_user,
            to_user=to_user,
            by=by,
            reason=reason,
        )
        ReviewHistory.objects.create(
            review=locked,
            action="reassign_task",
            from_stage=locked.stage,
            to_stage=locked.stage,
            by=by,
            effective_on=timezone.localdate(),
            reason=f"{task.title}: from {from_user or 'the queue'} to {to_user}: {reason}",
        )


def cover_start(
    *, person, delegate, partnership: Partnership, starts_on: date, ends_on: date, reason, by
) -> Cover:
    """Let ``delegate`` act for ``person`` in the partnership's reviews between the dates. The
    coordinator arranges cover for anyone; anyone may arrange it for themself."""
    if by != person and Role.COORDINATOR not in permissions.roles_in(by, partnership.pk):
        raise TaskRefused("Only the coordinator can arrange cover for someone else.")
    if person == delegate:
        raise TaskRefused("Choose someone else to cover.")
    people = partnership_people([partnership.pk])
    if not people.filter(pk=person.pk).exists() or not people.filter(pk=delegate.pk).exists():
        raise TaskRefused("Both people must work on this partnership's reviews.")
    if not _agencies(person, partnership) <= _agencies(delegate, partnership):
        # Need to know: an agency's work is never covered from outside that agency.
        raise TaskRefused("The person covering must work for the same agency.")
    if ends_on < starts_on:
        raise TaskRefused("The cover must end on or after the day it starts.")
    if ends_on < timezone.localdate():
        raise TaskRefused("The cover must not end in the past.")
    return Cover.objects.create(
        person=person,
        delegate=delegate,
        partnership=partnership,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        created_by=by,
    )


def _agencies(user, partnership: Partnership) -> set[int]:
    """The agencies ``user`` works for in this partnership, on any review or partnership-wide."""
    on_reviews = Participant.objects.active().filter(
        user=user, review__partnership=partnership, agency__isnull=False
    )
    memberships = Membership.objects.filter(
        user=user, partnership=partnership, agency__isnull=False
    )
    return set(on_reviews.values_list("agency_id", flat=True)) | set(
        memberships.values_list("agency_id", flat=True)
    )


def cover_end(*, cover: Cover, by) -> Cover:
    """End a cover now: the delegate no longer acts for the person. The row stays as the record
    of who acted for whom."""
    coordinator = Role.COORDINATOR in permissions.roles_in(by, cover.partnership_id)
    if by.pk != cover.person_id and not coordinator:
        raise TaskRefused("Only the coordinator or the person covered can end this cover.")
    with transaction.atomic():
        locked = Cover.objects.select_for_update().get(pk=cover.pk)
        if locked.ended_at is not None or locked.ends_on < timezone.localdate():
            raise TaskRefused("This cover has already ended.")
        locked.ended_at = timezone.now()
        locked.ended_by = by
        locked.save(update_fields=["ended_at", "ended_by"])
    return locked
