"""``/tasks/<id>/reassign/``, ``/tasks/bulk-reassign/`` and ``/tasks/cover/``: moving work
between people."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from viewflow.workflow.status import STATUS

from workflows import permissions
from workflows.cover_selectors import (
    coordinated_partnerships,
    covers_visible_to,
    partnership_people,
    partnerships_of,
)
from workflows.models import User
from workflows.reassignment_forms import BulkReassignForm, CoverForm, ReassignForm
from workflows.services.reassignment import (
    cover_end,
    cover_start,
    task_reassign,
    tasks_bulk_reassign,
)
from workflows.services.tasks import TaskRefused, holds_role
from workflows.views.tasks import _task_and_review


def _posted(request):
    return request.POST if request.method == "POST" else None


def task_reassign_view(request, task_id: int):
    """The coordinator gives an open task to someone else holding its role; 404 for others."""
    task, review = _task_and_review(request, task_id)
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED) or not permissions.is_coordinator(
        review, request.user
    ):
        raise Http404("No task found")
    able = [
        person.pk
        for person in partnership_people([review.partnership_id])
        if person.pk != task.owner_id and holds_role(task, review, person)
    ]
    form = ReassignForm(_posted(request), people=User.objects.filter(pk__in=able))
    if form.is_bound and form.is_valid():
        try:
            task_reassign(task=task, review=review, by=request.user, **form.cleaned_data)
        except TaskRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"{task.title} is now with {form.cleaned_data['to_user']}.")
            return redirect("tasks:list")
    context = {"task": task, "review": review, "form": form}
    return render(request, "tasks/reassign.html", context)


def bulk_reassign_view(request):
    """The coordinator moves every task of someone who leaves; 404 for anyone else."""
    partnerships = coordinated_partnerships(request.user)
    if not partnerships.exists():
        raise Http404("No page found")
    people = partnership_people(partnerships.values("pk"))
    form = BulkReassignForm(_posted(request), partnerships=partnerships, people=people)
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = tasks_bulk_reassign(by=request.user, **form.cleaned_data)
        except TaskRefused as refused:
            form.add_error(None, str(refused))
    context = {"form": form, "result": result, "data": form.cleaned_data if result else {}}
    return render(request, "tasks/bulk_reassign.html", context)


def cover_list(request):
    """Covers in the user's partnerships; the coordinator arranges cover for anyone, anyone
    else for themself."""
    partnerships = partnerships_of(request.user)
    coordinated = coordinated_partnerships(request.user)
    person = None if coordinated.exists() else request.user
    offered = coordinated if person is None else partnerships
    form = None
    if offered.exists():
        people = partnership_people(offered.values("pk"))
        form = CoverForm(_posted(request), partnerships=offered, people=people, person=person)
    if form is not None and form.is_bound and form.is_valid():
        data = {"person": person, **form.cleaned_data}
        try:
            cover = cover_start(by=request.user, **data)
        except TaskRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"{cover.delegate} now covers for {cover.person}.")
            return redirect("tasks:cover")
    covers = list(covers_visible_to(request.user))
    coordinated_ids = set(coordinated.values_list("pk", flat=True))
    endable = {
        cover.pk
        for cover in covers
        if cover.person_id == request.user.pk or cover.partnership_id in coordinated_ids
    }
    context = {
        "form": form,
        "covers": covers,
        "endable": endable,
        "partnerships": partnerships,
        "today": timezone.localdate(),
    }
    return render(request, "tasks/cover.html", context)


@require_POST
def cover_end_view(request, cover_id: int):
    cover = get_object_or_404(covers_visible_to(request.user), pk=cover_id)
    try:
        cover_end(cover=cover, by=request.user)
    except TaskRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{cover.delegate} no longer covers for {cover.person}.")
    return redirect("tasks:cover")
