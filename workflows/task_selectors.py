"""Reads for the task list: whose work is open, on which review, due when."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows import selectors
from workflows.flows import ReviewFlow
from workflows.models import Deadline, Review, ReviewAgency
from workflows.services.tasks import OPEN, may_do

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


def open_task_rows(user) -> tuple[list[TaskRow], list[TaskRow]]:
    """The user's own open tasks and the unclaimed tasks of roles they hold, each sorted by due
    date. Only reviews the user may see are considered (need to know, in one place)."""
    reviews = {
        review.pk: review
        for review in selectors.reviews_visible_to(user).select_related("partnership")
    }
    tasks = Task.objects.filter(
        process__flow_class=ReviewFlow,
        flow_task_type="HUMAN",
        status__in=OPEN,
        process__artifact_object_id__in=list(reviews),
    ).select_related("process", "owner")
    deadlines = _deadlines_by_review(reviews)
    agencies = dict(
        ReviewAgency.objects.filter(review_id__in=list(reviews)).values_list("pk", "agency__name")
    )
    today = timezone.localdate()
    mine, queue = [], []
    for task in tasks:
        review = reviews[task.process.artifact_object_id]
        due_on = deadlines.get((review.pk, task.data.get("deadline")))
        agency_name = agencies.get(task.data.get("review_agency"), "")
        row = TaskRow(task, review, due_on, task_status(review, due_on, today), agency_name)
        if task.owner_id == user.pk:
            mine.append(row)
        elif task.status == STATUS.NEW and may_do(task, review, user):
            queue.append(row)
    return sorted(mine, key=lambda r: r.sort_key), sorted(queue, key=lambda r: r.sort_key)


def _deadlines_by_review(reviews: dict) -> dict:
    rows = Deadline.objects.filter(review_id__in=list(reviews)).values_list(
        "review_id", "rule", "due_on"
    )
    return {(review_id, rule): due_on for review_id, rule, due_on in rows}
