"""What the review page shows of this part of the review: the action plan's progress."""

from django.utils import timezone

from workflows.action_plan import access
from workflows.action_plan.progress import review_progress
from workflows.stages import Stage


def summary(review, user) -> dict:
    """Context for the review page's partial; empty while there is nothing to show."""
    progress = review_progress(review, timezone.localdate())
    if not progress.total and review.working_stage not in access.PLANNING_STAGES:
        return {}
    return {
        "action_plan": {
            "progress": progress,
            "can_add": access.can_add(review, user),
            "blocks_closing": review.stage == Stage.ACTION_PLAN and not progress.all_signed_off,
        }
    }
