"""Who may see and do what on a review's action plan.

Everyone who may see the review sees its whole action plan. A recommendation's owner may be
someone not on the review (a manager in an agency named in the plan): they see the action plan
of that review, and only their own recommendations in it, so they can record progress.
"""

from django.db.models import QuerySet
from django.http import Http404

from workflows import permissions, selectors
from workflows.models import Recommendation, RecommendationStatus, Review
from workflows.stages import Stage

# The action plan is final from local sign-off: the coordinator may add and change
# recommendations from then on, while the report goes through quality assurance, publication
# and action plan monitoring.
PLANNING_STAGES = (Stage.LOCAL_SIGN_OFF, Stage.HOME_OFFICE_QA, Stage.PUBLICATION, Stage.ACTION_PLAN)
OPEN_STATUSES = (RecommendationStatus.NOT_STARTED, RecommendationStatus.IN_PROGRESS)


def sees_whole_plan(review: Review, user) -> bool:
    return selectors.reviews_visible_to(user).filter(pk=review.pk).exists()


def action_plan_review_for(user, reference: str) -> Review:
    """The review if ``user`` may see it or owns one of its recommendations; 404 otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No review found")
    owned = Review.objects.filter(reference=reference, recommendations__owner=user)
    review = (
        (selectors.reviews_visible_to(user).filter(reference=reference) | owned)
        .select_related("partnership", "independent_chair")
        .distinct()
        .first()
    )
    if review is None:
        raise Http404("No review found")
    return review


def recommendations_visible_to(user, review: Review) -> QuerySet[Recommendation]:
    """The review's recommendations ``user`` may see: all of them, or only their own."""
    found = Recommendation.objects.filter(review=review).select_related(
        "owner", "owner_agency", "completed_by", "signed_off_by"
    )
    if sees_whole_plan(review, user):
        return found
    return found.filter(owner=user) if user.is_authenticated else found.none()


def can_manage(review: Review, user) -> bool:
    """Add, change, sign off and send back recommendations: the coordinator."""
    return permissions.can_run(review, user)


def can_add(review: Review, user) -> bool:
    return can_manage(review, user) and review.working_stage in PLANNING_STAGES


def is_followed(review: Review) -> bool:
    """Recommendations are followed until the review closes."""
    return review.stage != Stage.CLOSED


def can_change(recommendation: Recommendation, user) -> bool:
    review = recommendation.review
    return can_add(review, user) and recommendation.status != RecommendationStatus.SIGNED_OFF


def can_progress(recommendation: Recommendation, user) -> bool:
    """Record progress or completion: the owner, or the coordinator on their behalf."""
    review = recommendation.review
    holds = recommendation.owner_id == user.pk or can_manage(review, user)
    return holds and is_followed(review) and recommendation.status in OPEN_STATUSES


def can_decide_completion(recommendation: Recommendation, user) -> bool:
    """Sign off a completed recommendation or send it back: the coordinator."""
    review = recommendation.review
    completed = recommendation.status == RecommendationStatus.COMPLETED
    return completed and is_followed(review) and can_manage(review, user)


def can_read_board_report(review: Review, user) -> bool:
    """The board report is for the partnership's managers: coordinators and CSP chairs."""
    return permissions.can_decide(review, user)
