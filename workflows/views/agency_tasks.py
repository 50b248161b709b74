"""One page for each task of an agency's branch (scoping answer, report, sign-off, acceptance)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from viewflow.workflow.models import Task

from workflows.flows import AGENCY_TASKS, ReviewFlow
from workflows.forms_agency import BUTTONS, FORMS
from workflows.models import ReviewAgency
from workflows.services.agency_reports import (
    ALREADY_DONE,
    REPORT_DOCUMENTS,
    agency_task_complete,
)
from workflows.services.lifecycle import TransitionRefused
from workflows.services.tasks import OPEN, may_do
from workflows.task_selectors import review_for_doer
from workflows.views.task_uploads import documents_of, upload_form_for, upload_from_task


def agency_task(request, reference: str, task_id: int):
    """Show an agency task to the person whose role it needs, or to whoever covers for them while
    they are away; 404 for anyone else."""
    review = review_for_doer(request.user, reference)
    task = Task.objects.filter(
        pk=task_id, process__flow_class=ReviewFlow, process__artifact_object_id=review.pk
    ).first()
    if (
        task is None
        or task.flow_task.name not in AGENCY_TASKS
        or not may_do(task, review, request.user)
    ):
        raise Http404("No task found")
    review_agency = ReviewAgency.objects.select_related("agency").get(pk=task.data["review_agency"])
    upload_form, uploading = upload_form_for(request, list(REPORT_DOCUMENTS))
    can_upload = task.flow_task.name == "agency_report" and task.status in OPEN
    if (
        uploading
        and can_upload
        and upload_from_task(request, review, upload_form, agency=review_agency.agency)
    ):
        return redirect(request.path)
    form_class = FORMS[task.flow_task.name]
    answering = request.method == "POST" and not uploading
    if answering and task.status not in OPEN:
        return _already_done(request)
    form = form_class(request.POST if answering else None)
    if answering and form.is_valid():
        try:
            agency_task_complete(
                task=task,
                review=review,
                by=request.user,
                on=form.cleaned_data["on"],
                answer=form.answer(),
                comments=form.comments(),
            )
        except TransitionRefused as refused:
            if task.status not in OPEN:  # done by someone else while this answer waited
                return _already_done(request)
            for message in refused.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"{task.title}: done.")
            return redirect("tasks:list")
    context = {
        "review": review,
        "task": task,
        "review_agency": review_agency,
        "form": form,
        "button": BUTTONS[task.flow_task.name],
        "is_open": task.status in OPEN,
        "documents_needed": list(REPORT_DOCUMENTS.values()),
        "upload_form": upload_form,
        "uploaded": documents_of(review, list(REPORT_DOCUMENTS), review_agency.agency),
    }
    return render(request, "tasks/agency_task.html", context)


def _already_done(request):
    """Someone did the task after this person opened it: say their answer was not recorded, and
    show the task again (now done) instead of a form they can no longer send."""
    messages.error(request, ALREADY_DONE)
    return redirect(request.path)
