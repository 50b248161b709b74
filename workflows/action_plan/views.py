"""Pages of a review's action plan under /reviews/<reference>/action-plan/, and the
partnership's board report. Views load, check, call one service and redirect."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from workflows import selectors
from workflows.action_plan import access, services
from workflows.action_plan.board_report import board_report_pdf, report_reviews
from workflows.action_plan.forms import (
    CompleteForm,
    ProgressForm,
    RecommendationForm,
    SendBackForm,
)
from workflows.action_plan.progress import days_overdue, review_progress
from workflows.models import Partnership, Recommendation, RecommendationStatus, Review
from workflows.stages import Stage
from workflows.uploads import UploadRefused

STATUS_TAGS = {
    RecommendationStatus.NOT_STARTED: "govuk-tag--grey",
    RecommendationStatus.IN_PROGRESS: "govuk-tag--light-blue",
    RecommendationStatus.COMPLETED: "govuk-tag--yellow",
    RecommendationStatus.SIGNED_OFF: "govuk-tag--green",
}


@dataclass
class Row:
    recommendation: Recommendation
    tag: str
    days_overdue: int
    can_change: bool
    can_progress: bool
    can_decide: bool


@require_safe
def action_plan(request, reference: str):
    """The review's recommendations with their owner, due date, status and actions."""
    review = access.action_plan_review_for(request.user, reference)
    today = timezone.localdate()
    rows = [
        Row(
            recommendation=recommendation,
            tag=STATUS_TAGS[recommendation.status],
            days_overdue=days_overdue(recommendation, today),
            can_change=access.can_change(recommendation, request.user),
            can_progress=access.can_progress(recommendation, request.user),
            can_decide=access.can_decide_completion(recommendation, request.user),
        )
        for recommendation in access.recommendations_visible_to(request.user, review)
    ]
    context = {
        "review": review,
        "rows": rows,
        "whole_plan": access.sees_whole_plan(review, request.user),
        "progress": review_progress(review, today),
        "can_add": access.can_add(review, request.user),
        "can_read_board_report": access.can_read_board_report(review, request.user),
        "closed": review.stage == Stage.CLOSED,
    }
    return render(request, "action_plan/list.html", context)


def recommendation_add_view(request, reference: str):
    review = access.action_plan_review_for(request.user, reference)
    if not access.can_add(review, request.user):
        raise PermissionDenied("Only the coordinator can add recommendations, from sign-off.")
    form = RecommendationForm(_posted(request), review=review)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.recommendation_add(review=review, by=request.user, **form.cleaned_data)
        except services.RecommendationRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            messages.success(request, f"Recommendation {added.number} added.")
            return _to_plan(review)
    context = {"review": review, "form": form, "heading": "Add a recommendation"}
    return render(request, "action_plan/recommendation_form.html", context)


def recommendation_edit_view(request, reference: str, number: int):
    review, recommendation = _load(request, reference, number)
    if not access.can_change(recommendation, request.user):
        return _refuse(request, review, recommendation)
    initial = {
        "text": recommendation.text,
        "owner_agency": recommendation.owner_agency_id,
        "owner": recommendation.owner_id,
        "due_on": recommendation.due_on,
    }
    form = RecommendationForm(_posted(request), initial=initial, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_update(
                recommendation=recommendation, by=request.user, **form.cleaned_data
            )
        except services.RecommendationRefused as refused:
            if refused.field is None:
                return _stale(request, review, refused)
            form.add_error(refused.field, refused.message)
        else:
            messages.success(request, f"Recommendation {recommendation.number} changed.")
            return _to_plan(review)
    context = {
        "review": review,
        "form": form,
        "recommendation": recommendation,
        "heading": f"Change recommendation {recommendation.number}",
    }
    return render(request, "action_plan/recommendation_form.html", context)


def recommendation_progress_view(request, reference: str, number: int):
    review, recommendation = _load(request, reference, number)
    if not access.can_progress(recommendation, request.user):
        return _refuse(request, review, recommendation)
    form = ProgressForm(_posted(request), initial={"status": recommendation.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_progress(
                recommendation=recommendation, status=form.cleaned_data["status"], by=request.user
            )
        except services.RecommendationRefused as refused:
            return _stale(request, review, refused)
        messages.success(request, f"Recommendation {recommendation.number} updated.")
        return _to_plan(review)
    context = {"review": review, "form": form, "recommendation": recommendation}
    return render(request, "action_plan/progress.html", context)


def recommendation_complete_view(request, reference: str, number: int):
    review, recommendation = _load(request, reference, number)
    if not access.can_progress(recommendation, request.user):
        return _refuse(request, review, recommendation)
    form = CompleteForm(
        _posted(request),
        request.FILES if request.method == "POST" else None,
        initial={"evidence_note": recommendation.evidence_note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_complete(
                recommendation=recommendation,
                note=form.cleaned_data["evidence_note"],
                uploaded_file=form.cleaned_data["evidence_file"],
                by=request.user,
            )
        except UploadRefused as refused:
            form.add_error("evidence_file", refused.message)
        except services.RecommendationRefused as refused:
            if refused.field is None:
                return _stale(request, review, refused)
            form.add_error(refused.field, refused.message)
        else:
            messages.success(
                request,
                f"Recommendation {recommendation.number} marked completed. "
                "The coordinator will check the evidence and sign it off.",
            )
            return _to_plan(review)
    context = {"review": review, "form": form, "recommendation": recommendation}
    return render(request, "action_plan/complete.html", context)


def recommendation_sign_off_view(request, reference: str, number: int):
    """The evidence, with the choice to sign the recommendation off or send it back."""
    review, recommendation = _load(request, reference, number)
    if not access.can_decide_completion(recommendation, request.user):
        return _refuse(request, review, recommendation)
    if request.method == "POST":
        try:
            services.recommendation_sign_off(recommendation=recommendation, by=request.user)
        except services.RecommendationRefused as refused:
            return _stale(request, review, refused)
        messages.success(request, f"Recommendation {recommendation.number} signed off.")
        return _to_plan(review)
    context = {"review": review, "recommendation": recommendation}
    return render(request, "action_plan/sign_off.html", context)


def recommendation_send_back_view(request, reference: str, number: int):
    review, recommendation = _load(request, reference, number)
    if not access.can_decide_completion(recommendation, request.user):
        return _refuse(request, review, recommendation)
    form = SendBackForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_reopen(
                recommendation=recommendation, reason=form.cleaned_data["reason"], by=request.user
            )
        except services.RecommendationRefused as refused:
            if refused.field is None:
                return _stale(request, review, refused)
            form.add_error(refused.field, refused.message)
        else:
            messages.success(
                request, f"Recommendation {recommendation.number} sent back to its owner."
            )
            return _to_plan(review)
    context = {"review": review, "form": form, "recommendation": recommendation}
    return render(request, "action_plan/send_back.html", context)


@require_safe
def recommendation_evidence(request, reference: str, number: int):
    """The evidence file, for people who may see the recommendation, under a neutral name."""
    review, recommendation = _load(request, reference, number)
    if not recommendation.evidence_file:
        raise Http404("No evidence file")
    handle = recommendation.evidence_file.storage.open(recommendation.evidence_file.name, "rb")
    extension = recommendation.evidence_file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{review.reference}-recommendation-{recommendation.number}-evidence.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def review_board_report(request, reference: str):
    """The review's action plan as a PDF for the board: the partnership's managers only."""
    review = selectors.review_for(request.user, reference)
    if not access.can_read_board_report(review, request.user):
        raise PermissionDenied("Only the partnership's coordinators and CSP chairs can see this.")
    today = timezone.localdate()
    reviews = report_reviews(Review.objects.filter(pk=review.pk), today)
    pdf = board_report_pdf(
        heading=f"Action plan: {review.reference}",
        partnership=review.partnership.name,
        reviews=reviews,
        today=today,
    )
    return _pdf(pdf, f"{review.reference}-action-plan-{today:%Y-%m-%d}.pdf")


@require_safe
def partnership_board_report(request, slug: str):
    """Every open action plan of a partnership as a PDF: its coordinators and CSP chairs."""
    partnership = get_object_or_404(Partnership, slug=slug)
    if not selectors.partnerships_managed_by(request.user).filter(pk=partnership.pk).exists():
        raise PermissionDenied("Only the partnership's coordinators and CSP chairs can see this.")
    today = timezone.localdate()
    followed = Review.objects.filter(partnership=partnership).exclude(stage=Stage.CLOSED)
    pdf = board_report_pdf(
        heading="Action plans",
        partnership=partnership.name,
        reviews=report_reviews(followed, today),
        today=today,
    )
    return _pdf(pdf, f"{partnership.slug}-action-plans-{today:%Y-%m-%d}.pdf")


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _load(request, reference: str, number: int) -> tuple[Review, Recommendation]:
    review = access.action_plan_review_for(request.user, reference)
    visible = access.recommendations_visible_to(request.user, review)
    recommendation = get_object_or_404(visible, number=number)
    recommendation.review = review
    return review, recommendation


def _refuse(request, review: Review, recommendation: Recommendation):
    """Someone who may act on the recommendation but not in its state now is told why; anyone
    else is refused."""
    holds = recommendation.owner_id == request.user.pk or access.can_manage(review, request.user)
    if not holds:
        raise PermissionDenied("You cannot change this recommendation.")
    status = RecommendationStatus(recommendation.status).label.lower()
    closed = " The review is closed." if review.stage == Stage.CLOSED else ""
    messages.error(
        request,
        f"Recommendation {recommendation.number} is {status}: that cannot be done now.{closed}",
    )
    return _to_plan(review)


def _stale(request, review: Review, refused):
    messages.error(request, refused.message)
    return _to_plan(review)


def _to_plan(review: Review):
    return redirect(reverse("reviews:action_plan", kwargs={"reference": review.reference}))


def _posted(request):
    return request.POST if request.method == "POST" else None
