"""What the review page shows of this part of the review."""

from django.db.models import Count, Q

from workflows.models.publication import DevelopmentArea, QaSubmission
from workflows.qa import permissions as may


def summary(review, user) -> dict:
    """Context for the review page's partial; empty while there is nothing to show.

    Two queries: the submissions with their letters, and the checklist's counts.
    """
    submissions = list(QaSubmission.objects.filter(review=review).select_related("feedback_letter"))
    if not submissions:
        return {}
    areas = DevelopmentArea.objects.filter(review=review).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done_on__isnull=False))
    )
    return {
        "qa_submissions": submissions,
        "qa_areas_total": areas["total"],
        "qa_areas_done": areas["done"],
        "qa_can_download": may.can_download_pack(review, user),
    }
