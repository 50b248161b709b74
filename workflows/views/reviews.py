"""Pages that list, start and show reviews."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone

from notifications.selectors import email_counts, undelivered_emails
from workflows import permissions, selectors
from workflows.action_plan.summary import summary as action_plan_summary
from workflows.forms import StartReviewForm
from workflows.presenters import deadline_status, next_deadline, review_page_context
from workflows.publication.summary import summary as publication_summary
from workflows.qa.summary import summary as qa_summary
from workflows.services.lifecycle import TransitionRefused
from workflows.services.reviews import review_start


def review_list(request):
    """The reviews this person may see, most recent notification first."""
    reviews = (
        selectors.reviews_visible_to(request.user)
        .select_related("partnership")
        .prefetch_related("deadlines")
        .order_by("-notified_on", "reference")
    )
    today = timezone.localdate()
    rows = []
    for review in reviews:
        deadline = next_deadline(review)
        status = deadline_status(deadline, today) if deadline else None
        rows.append({"review": review, "deadline": deadline, "status": status})
    coordinated = list(selectors.partnerships_coordinated_by(request.user))
    context = {"rows": rows, "can_start": bool(coordinated), "coordinated": coordinated}
    return render(request, "reviews/list.html", context)


def review_start_view(request):
    """Record a notification of a death and start its review."""
    partnerships = selectors.partnerships_coordinated_by(request.user)
    if not partnerships.exists():
        raise PermissionDenied("Only a community safety coordinator can start a review.")
    form = StartReviewForm(
        request.POST if request.method == "POST" else None, partnerships=partnerships
    )
    if request.method == "POST" and form.is_valid():
        try:
            review = review_start(by=request.user, **form.cleaned_data)
        except TransitionRefused as refused:
            for message in refused.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Review {review.reference} started.")
            return redirect("reviews:detail", reference=review.reference)
    return render(request, "reviews/start.html", {"form": form})


def review_detail(request, reference: str):
    """One review: its stages, deadlines, facts, history and the steps this person may take."""
    review = selectors.review_for(request.user, reference)
    context = review_page_context(review, request.user)
    context["show_real_names"] = permissions.can_see_real_names(review, request.user)
    for summary in (qa_summary, publication_summary, action_plan_summary):
        context.update(summary(review, request.user))
    if permissions.is_coordinator(review, request.user):
        # The coordinator sees how the review's emails went, and any that did not arrive.
        context["email_counts"] = email_counts(review)
        context["undelivered_emails"] = undelivered_emails(review)
    return render(request, "reviews/detail.html", context)
