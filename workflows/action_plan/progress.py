"""How far action plans have got: recommendations signed off, awaiting sign-off and overdue.

Counted in the database with one aggregate query however many reviews there are (the review
page, the managers' dashboard and the board report read the same figures).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from workflows.models import Recommendation, RecommendationStatus, Review
from workflows.stages import Stage


@dataclass(frozen=True)
class Progress:
    total: int = 0
    signed_off: int = 0
    awaiting_sign_off: int = 0
    overdue: int = 0

    def __add__(self, other: "Progress") -> "Progress":
        return Progress(
            self.total + other.total,
            self.signed_off + other.signed_off,
            self.awaiting_sign_off + other.awaiting_sign_off,
            self.overdue + other.overdue,
        )

    @property
    def all_signed_off(self) -> bool:
        return self.signed_off == self.total


def overdue_q(today: date, prefix: str = "") -> Q:
    """Past its due date and not yet completed by its owner (as its deadline row counts it)."""
    return Q(**{f"{prefix}due_on__lt": today, f"{prefix}completed_on__isnull": True})


def is_overdue(recommendation: Recommendation, today: date) -> bool:
    return recommendation.completed_on is None and recommendation.due_on < today


def days_overdue(recommendation: Recommendation, today: date) -> int:
    return (today - recommendation.due_on).days if is_overdue(recommendation, today) else 0


def _counts(prefix: str, today: date) -> dict:
    field = prefix.removesuffix("__") or "pk"
    return {
        "total": Count(field),
        "signed_off": Count(
            field, filter=Q(**{f"{prefix}status": RecommendationStatus.SIGNED_OFF})
        ),
        "awaiting_sign_off": Count(
            field, filter=Q(**{f"{prefix}status": RecommendationStatus.COMPLETED})
        ),
        "overdue": Count(field, filter=overdue_q(today, prefix)),
    }


def review_progress(review: Review, today: date) -> Progress:
    """One review's action plan, in one query."""
    counts = Recommendation.objects.filter(review=review).aggregate(**_counts("", today))
    return Progress(**counts)


def progress_by_review(review_ids: Iterable[int], today: date) -> dict[int, Progress]:
    """Each review's action plan (reviews without recommendations included), in one query."""
    rows = (
        Review.objects.filter(pk__in=list(review_ids))
        .annotate(**_counts("recommendations__", today))
        .values_list("pk", "total", "signed_off", "awaiting_sign_off", "overdue")
    )
    return {pk: Progress(*counts) for pk, *counts in rows}


@dataclass
class ActionPlanRow:
    review: Review
    progress: Progress


@dataclass
class PartnershipTotal:
    name: str
    slug: str
    progress: Progress
    reviews: int


@dataclass
class ActionPlans:
    """The dashboard's "Action plans": each review in action plan monitoring, and totals."""

    rows: list[ActionPlanRow]
    totals: list[PartnershipTotal]


def action_plans_for(
    reviews: dict[int, Review], partnerships: dict[int, str], today: date
) -> ActionPlans:
    """The action plans of the live reviews in action plan monitoring (one query)."""
    monitored = {pk: r for pk, r in reviews.items() if r.stage == Stage.ACTION_PLAN}
    progress = progress_by_review(monitored, today) if monitored else {}
    rows = [
        ActionPlanRow(review, progress.get(pk, Progress()))
        for pk, review in sorted(monitored.items(), key=lambda item: item[1].reference)
    ]
    totals = []
    for partnership_id, name in partnerships.items():
        own = [row for row in rows if row.review.partnership_id == partnership_id]
        if own:
            progress = sum((row.progress for row in own), Progress())
            slug = own[0].review.partnership.slug
            totals.append(PartnershipTotal(name, slug, progress, len(own)))
    return ActionPlans(rows=rows, totals=totals)
