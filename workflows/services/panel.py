"""The review panel's comments: asked for at the terms of reference and drafting stages."""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS

from workflows.flows import PANEL_STAGES, PanelCommentFlow
from workflows.models import PanelComment, Participant, Review, ReviewHistory
from workflows.services.errors import TransitionRefused
from workflows.services.tasks import OPEN, holds_role, task_finish

logger = logging.getLogger(__name__)


def _open_requests(review: Review):
    return Process.objects.filter(
        flow_class=PanelCommentFlow,
        artifact_content_type=ContentType.objects.get_for_model(Review),
        artifact_object_id=review.pk,
        status=PROCESS.NEW,
    )


def panel_comments_follow_stage(*, review: Review) -> None:
    """Cancel the panel's unanswered requests of the stage just left, and ask every active panel
    member for comments when the review reaches the terms of reference or drafting."""
    for process in _open_requests(review):
        if process.data.get("stage") != review.working_stage:
            PanelCommentFlow.instance.cancel(process)
    if review.stage in PANEL_STAGES:
        for participant in review.participants.active().filter(role="panel_member"):
            panel_comment_request(review=review, participant=participant)


def panel_comment_request(*, review: Review, participant: Participant) -> None:
    """Ask one panel member for comments at the review's stage, unless already asked."""
    stage = review.stage
    asked = _open_requests(review).filter(data__participant=participant.pk, data__stage=stage)
    if stage in PANEL_STAGES and not asked.exists():
        PanelCommentFlow.start.run(review=review, participant=participant, stage=stage)


def panel_comment_record(*, task: Task, review: Review, by, text: str) -> PanelComment:
    """Store a panel member's comments and close their request."""
    if not text.strip():
        raise TransitionRefused(["Enter your comments."])
    if not holds_role(task, review, by):
        raise TransitionRefused(["This task is for someone else."])
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        task.refresh_from_db()
        if task.status not in OPEN:
            raise TransitionRefused(["These comments are no longer asked for."])
        comment = PanelComment.objects.create(
            review=locked, author=by, stage=task.data["stage"], text=text.strip()
        )
        task_finish(task, by)
        ReviewHistory.objects.create(
            review=locked,
            action="panel_comment",
            from_stage=locked.stage,
            to_stage=locked.stage,
            by=by,
            effective_on=comment.created_at.date(),
            reason=f"{task.data['title']}: comments received.",
        )
    logger.info("review %s: panel comments from user %s", review.reference, by.pk)
    return comment
