"""One page per lifecycle step: a form, then the transition, then back to the review."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from workflows import selectors
from workflows.services.lifecycle import (
    ReviewChanged,
    TransitionRefused,
    changed_message,
    review_transition,
)
from workflows.steps import STEPS_BY_SLUG
from workflows.views.task_uploads import documents_of, upload_form_for, upload_from_task


def review_step(request, reference: str, slug: str):
    """Show a step's form; on a valid post take the step, or say clearly why it was refused."""
    review = selectors.review_for(request.user, reference)
    if request.method == "POST" and request.POST.get("stage", review.stage) != review.stage:
        # The form was for an earlier stage: someone else moved the review meanwhile.
        messages.error(request, changed_message(review))
        return redirect("reviews:detail", reference=review.reference)
    step = STEPS_BY_SLUG.get(slug)
    offered = dict(selectors.steps_for(review, request.user)) if step else {}
    if step not in offered:
        raise Http404("That step is not available on this review.")
    upload_form, uploading = upload_form_for(request, step.documents)
    # Uploading stays open on a blocked step: the missing document may be what blocks it (the
    # Home Office's letter before its outcome); document_upload checks who may upload what.
    may_upload = uploading and step.documents
    if may_upload and upload_from_task(request, review, upload_form):
        return redirect(request.path)
    form = step.form_class(
        request.POST if request.method == "POST" and not uploading else None,
        step=step,
        review=review,
        initial={"stage": review.stage},
    )
    if request.method == "POST" and not uploading and form.is_valid():
        try:
            review_transition(
                review=review,
                action=form.transition(),
                by=request.user,
                on=form.cleaned_data["on"],
                expected_stage=form.cleaned_data["stage"],
                reason=form.cleaned_data.get("reason", ""),
                effects=form.effects(),
                **form.details(),
            )
        except ReviewChanged as changed:
            messages.error(request, " ".join(changed.messages))
            return redirect("reviews:detail", reference=review.reference)
        except TransitionRefused as refused:
            for message in refused.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"{step.title}: done.")
            return redirect("reviews:detail", reference=review.reference)
    context = {
        "review": review,
        "step": step,
        "form": form,
        "blocked": offered[step],
        "upload_form": upload_form,
        "uploaded": documents_of(review, step.documents),
    }
    return render(request, "reviews/step.html", context)
