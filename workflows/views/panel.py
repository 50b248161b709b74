"""A panel member's comments on the terms of reference or the draft report."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from viewflow.workflow.models import Task

from workflows import selectors
from workflows.flows import PanelCommentFlow
from workflows.services.errors import TransitionRefused
from workflows.services.panel import panel_comment_record
from workflows.services.tasks import OPEN, holds_role


class PanelCommentForm(forms.Form):
    text = forms.CharField(
        label="Your comments",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="The independent chair and the coordinator read these. Use the pseudonyms.",
        error_messages={"required": "Enter your comments"},
    )


def panel_comment(request, reference: str, task_id: int):
    """Show the request for comments to the panel member asked; 404 for anyone else."""
    review = selectors.review_for(request.user, reference)
    task = Task.objects.filter(
        pk=task_id, process__flow_class=PanelCommentFlow, process__artifact_object_id=review.pk
    ).first()
    if task is None or not holds_role(task, review, request.user):
        raise Http404("No task found")
    form = PanelCommentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and task.status in OPEN and form.is_valid():
        try:
            panel_comment_record(
                task=task, review=review, by=request.user, text=form.cleaned_data["text"]
            )
        except TransitionRefused as refused:
            for message in refused.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Your comments have been sent to the chair.")
            return redirect("tasks:list")
    context = {"review": review, "task": task, "form": form, "is_open": task.status in OPEN}
    return render(request, "tasks/panel_comment.html", context)
