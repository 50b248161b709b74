"""Reads for the task list: whose work is open, on which review, due when."""

from dataclasses import dataclass
from datetime import date

from django.http import Http404
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows import selectors
from workflows.flows import WORK_FLOWS
from workflows.models import Cover, Deadline, Review, ReviewAgency, User
from workflows.services.tasks import OPEN, holds_role

DUE_SOON_DAYS = 7
STATUS_TAGS = {
    "overdue": ("Overdue", "govuk-tag--red"),
    "due_soon": ("Due soon", "govuk-tag--yellow"),
    "on_time": ("On time", "govuk-tag--green"),
    "paused": ("Paused", "govuk-tag--grey"),
    "no_date": ("No deadline", "govuk-tag--grey"),
}


@dataclass
class TaskRow:
    task: Task
    review: Review
    due_on: date | None
    status: str
    agency_name: str = ""
    covering_for: User | None = None

    @property
    def status_label(self) -> str:
        return STATUS_TAGS[self.status][0]

    @property
    def tag_class(self) -> str:
        return STATUS_TAGS[self.status][1]

    @property
    def sort_key(self):
        return (self.due_on is None, self.due_on or date.max, self.review.reference)


def task_status(review: Review, due_on: date | None, today: date) -> str:
    if review.is_paused:
        return "paused"
    if due_on is None:
        return "no_date"
    if due_on < today:
        return "overdue"
    return "due_soon" if (due_on - today).days <= DUE_SOON_DAYS else "on_time"


def open_task_rows(user) -> tuple[list[TaskRow], list[TaskRow], list[TaskRow]]:
    """The user's own open tasks, the unclaimed tasks of roles they hold, and the tasks of people
    they cover for today, each sorted by due date. Only reviews the user (or, for cover, the
    person covered) may see are considered (need to know, in one place)."""
    reviews = _visible_reviews(user)
    mine, queue = [], []
    for row in _rows(reviews):
        if row.task.owner_id == user.pk:
            mine.append(row)
        elif row.task.status == STATUS.NEW and holds_role(row.task, row.review, user):
            queue.append(row)
    return _sorted(mine), _sorted(queue), _sorted(_covering_rows(user))


def _covering_rows(user) -> list[TaskRow]:
    """The tasks a person away has claimed, or is waiting for in their role, that ``user`` now
    does for them; tasks ``user`` has or could take in their own right are listed there."""
    rows = []
    for cover in Cover.objects.active().filter(delegate=user).select_related("person"):
        person = cover.person
        reviews = _visible_reviews(person, partnership_id=cover.partnership_id)
        for row in _rows(reviews):
            task = row.task
            theirs = task.owner_id == person.pk or (
                task.status == STATUS.NEW
                and holds_role(task, row.review, person)
                and not holds_role(task, row.review, user)
            )
            if theirs and task.owner_id != user.pk:
                row.covering_for = person
                rows.append(row)
    return rows


def _visible_reviews(user, partnership_id: int | None = None) -> dict:
    visible = selectors.reviews_visible_to(user).select_related("partnership")
    if partnership_id is not None:
        visible = visible.filter(partnership_id=partnership_id)
    return {review.pk: review for review in visible}


def _rows(reviews: dict) -> list[TaskRow]:
    tasks = Task.objects.filter(
        process__flow_class__in=WORK_FLOWS,
        flow_task_type="HUMAN",
        status__in=OPEN,
        process__artifact_object_id__in=list(reviews),
    ).select_related("process", "owner")
    deadlines = _deadlines_by_review(reviews)
    agencies = dict(
        ReviewAgency.objects.filter(review_id__in=list(reviews)).values_list("pk", "agency__name")
    )
    today = timezone.localdate()
    rows = []
    for task in tasks:
        review = reviews[task.process.artifact_object_id]
        due_on = deadlines.get((review.pk, task.data.get("deadline")))
        agency_name = agencies.get(task.data.get("review_agency"), "")
        rows.append(TaskRow(task, review, due_on, task_status(review, due_on, today), agency_name))
    return rows


def _sorted(rows: list[TaskRow]) -> list[TaskRow]:
    return sorted(rows, key=lambda row: row.sort_key)


def review_for_doer(user, reference: str) -> Review:
    """The review ``user`` may see or, failing that, one they may work on today because they
    cover for someone who may see it; 404 otherwise."""
    try:
        return selectors.review_for(user, reference)
    except Http404:
        for cover in Cover.objects.active().filter(delegate=user).select_related("person"):
            review = (
                selectors.reviews_visible_to(cover.person)
                .filter(reference=reference, partnership_id=cover.partnership_id)
                .select_related("partnership", "independent_chair")
                .first()
            )
            if review is not None:
                return review
        raise


def _deadlines_by_review(reviews: dict) -> dict:
    rows = Deadline.objects.filter(review_id__in=list(reviews)).values_list(
        "review_id", "rule", "due_on"
    )
    return {(review_id, rule): due_on for review_id, rule, due_on in rows}
