"""The action plan board report: a PDF of every recommendation's progress, for one review or
for all of a partnership's reviews with an action plan.

Reviews are named by reference and by their title in the national library (pseudonym, area,
year): never a real name. A recommendation's wording passes through ``redacted`` in case a
restricted name slipped into it.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.template.loader import render_to_string
from weasyprint import HTML

from notifications.events import redacted
from workflows.action_plan.progress import Progress, days_overdue, is_overdue
from workflows.library import library_entries
from workflows.models import Recommendation, RecommendationStatus, Review
from workflows.stages import Stage


@dataclass
class ReportLine:
    number: int
    text: str
    agency: str
    due_on: date
    status: str
    days_overdue: int


@dataclass
class ReportReview:
    reference: str
    title: str
    stage: str
    lines: list[ReportLine]
    progress: Progress


def report_reviews(reviews: QuerySet[Review], today: date) -> list[ReportReview]:
    """Each review (that has recommendations) with its lines and totals, in three queries."""
    reviews = list(reviews.select_related("partnership").order_by("reference"))
    titles = {
        entry.review_id: entry.title
        for entry in library_entries({review.partnership_id for review in reviews})
    }
    recommendations = Recommendation.objects.filter(review__in=reviews).select_related(
        "owner_agency"
    )
    by_review: dict[int, list[Recommendation]] = {}
    for recommendation in recommendations.order_by("review_id", "number"):
        by_review.setdefault(recommendation.review_id, []).append(recommendation)
    found = []
    for review in reviews:
        own = by_review.get(review.pk, [])
        if own:
            found.append(_report_review(review, own, titles.get(review.pk, ""), today))
    return found


def _report_review(review: Review, own: list, title: str, today: date) -> ReportReview:
    lines = [
        ReportLine(
            number=recommendation.number,
            text=redacted(recommendation.text, review),
            agency=str(recommendation.owner_agency or review.partnership.name),
            due_on=recommendation.due_on,
            status=RecommendationStatus(recommendation.status).label,
            days_overdue=days_overdue(recommendation, today),
        )
        for recommendation in own
    ]
    progress = Progress(
        total=len(own),
        signed_off=sum(r.status == RecommendationStatus.SIGNED_OFF for r in own),
        awaiting_sign_off=sum(r.status == RecommendationStatus.COMPLETED for r in own),
        overdue=sum(is_overdue(r, today) for r in own),
    )
    return ReportReview(review.reference, title, Stage(review.stage).label, lines, progress)


def board_report_pdf(
    *, heading: str, partnership: str, reviews: list[ReportReview], today: date
) -> bytes:
    """The report as PDF bytes."""
    context = {
        "heading": heading,
        "partnership": partnership,
        "reviews": reviews,
        "today": today,
        "totals": sum((review.progress for review in reviews), Progress()),
    }
    html = render_to_string("action_plan/board_report.html", context)
    return HTML(string=html).write_pdf()
