"""``/tasks/``: each person's work across every review, and the queues of their roles."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from workflows import permissions, selectors
from workflows.cover_selectors import coordinated_partnerships
from workflows.flows import WORK_FLOWS
from workflows.services.tasks import TaskRefused, task_claim, task_release
from workflows.task_selectors import open_task_rows


def task_list(request):
    """My tasks (sorted by due date), the unclaimed tasks I could take and those of people I
    cover for."""
    mine, queue, covering = open_task_rows(request.user)
    reassignable = {
        row.review.pk
        for row in [*mine, *queue, *covering]
        if permissions.is_coordinator(row.review, request.user)
    }
    context = {
        "mine": mine,
        "queue": queue,
        "covering": covering,
        "reassignable": reassignable,
        "can_bulk_reassign": coordinated_partnerships(request.user).exists(),
    }
    return render(request, "tasks/list.html", context)


def _task_and_review(request, task_id: int):
    task = Task.objects.filter(pk=task_id, process__flow_class__in=WORK_FLOWS).first()
    if task is None:
        raise Http404("No task found")
    visible = selectors.reviews_visible_to(request.user)
    review = visible.filter(pk=task.process.artifact_object_id).first()
    if review is None:
        raise Http404("No task found")
    return task, review


@require_POST
def task_claim_view(request, task_id: int):
    task, review = _task_and_review(request, task_id)
    try:
        task_claim(task=task, review=review, user=request.user)
    except TaskRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"You have claimed: {task.title}.")
    return redirect("tasks:list")


@require_POST
def task_release_view(request, task_id: int):
    task, _review = _task_and_review(request, task_id)
    try:
        task_release(task=task, user=request.user)
    except TaskRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Released to the queue: {task.title}.")
    return redirect("tasks:list")
