"""The one write path for moving a review: lock, transition, save, history, deadlines."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from notifications.outbox import email_queue
from workflows.models import Pause, Review, ReviewHistory
from workflows.services.deadlines import deadlines_recompute
from workflows.services.errors import ReviewChanged, TransitionRefused
from workflows.services.panel import panel_comments_follow_stage
from workflows.services.reassignment import tasks_follow_chair
from workflows.services.step_effects import step_effects
from workflows.services.tasks import covered_people, tasks_follow_stage
from workflows.stages import Stage

logger = logging.getLogger(__name__)
__all__ = ["ReviewChanged", "TransitionRefused", "review_transition"]


def transition_method(review: Review, action: str):
    """The bound transition method called ``action``, or refuse if there is none of that name."""
    method = getattr(review, action, None)
    if not hasattr(method, "_django_fsm"):
        raise TransitionRefused([f"There is no step called {action!r}."])
    return method


def holds_role_for(review: Review, action: str, user) -> bool:
    """Whether ``user`` holds the role for ``action`` at the review's stage (guards aside)."""
    meta = transition_method(review, action)._django_fsm
    # django-fsm's has_transition_perm() also checks the guards; this asks about the role only.
    return meta.has_transition(review.stage) and meta.has_transition_perm(
        review, review.stage, user
    )


def step_taken_for(review: Review, action: str, user):
    """The person ``user`` would take this step for while covering for them, or None when
    ``user`` takes it in their own right (or may not take it at all)."""
    if holds_role_for(review, action, user):
        return None
    if not transition_method(review, action)._django_fsm.has_transition(review.stage):
        # Nobody may take it at this stage, whoever they cover for: spare the query (the review
        # page asks this of every step, so it was one query per step).
        return None
    people = covered_people(user, review.partnership_id)
    return next((p for p in people if holds_role_for(review, action, p)), None)


def may_take(review: Review, action: str, user) -> bool:
    """Whether ``user`` may take ``action`` now (guards aside): in their own right, or while
    covering for someone who may."""
    return holds_role_for(review, action, user) or step_taken_for(review, action, user) is not None


def blocking_reasons(review: Review, action: str, user) -> list[str]:
    """Why ``user`` cannot take ``action`` on ``review`` now; an empty list means they can."""
    method = transition_method(review, action)
    meta = method._django_fsm
    if not meta.has_transition(review.stage):
        return [f"This step is not available while the review is at {review.get_stage_display()}."]
    if not may_take(review, action, user):
        return ["You do not have permission to take this step on this review."]
    transition = meta.get_transition(review.stage)
    return [condition.message for condition in transition.conditions if not condition(review)]


def review_transition(
    *,
    review: Review,
    action: str,
    by,
    on: date,
    expected_stage: str | None = None,
    reason: str = "",
    effects: dict | None = None,
    **details,
) -> Review:
    """Take one named lifecycle step, atomically, as ``by``.

    ``expected_stage`` is the stage the user saw: if someone else moved the review meanwhile,
    the step is refused with ``ReviewChanged`` and nothing changes. ``details`` go to the
    transition; ``effects`` are the answers its step effect needs (a submission pack, the areas
    for final development; see ``workflows.services.step_effects``). Returns the saved review.
    """
    try:
        with transaction.atomic():
            locked = Review.objects.select_for_update().get(pk=review.pk)
            _check(locked, action, by, on, expected_stage)
            on_behalf_of = step_taken_for(locked, action, by)
            if on_behalf_of is not None:
                reason = f"{reason} (for {on_behalf_of} while they are away)".strip()
            from_stage = locked.stage
            transition_method(locked, action)(by=by, on=on, reason=reason, **details)
            locked.save()
            _record_pause(locked, action, by, on, reason, details, from_stage)
            _write_history(locked, action, by, on, reason, from_stage)
            step_effects(
                review=locked, action=action, by=by, on=on, reason=reason, **(effects or {})
            )
            deadlines_recompute(review=locked)
            tasks_follow_stage(review=locked, from_stage=from_stage, by=by)
            if action == "appoint_independent_chair":
                tasks_follow_chair(review=locked, by=by)
            if locked.stage != from_stage and action not in ("pause", "resume"):
                panel_comments_follow_stage(review=locked)
            email_queue("review_step", review=locked, action=action)
    except ConcurrentTransition as error:
        raise ReviewChanged([changed_message()]) from error
    except TransitionNotAllowed as error:
        raise TransitionRefused(blocking_reasons(locked, action, by) or [str(error)]) from error
    logger.info("review %s: %s by user %s", locked.reference, action, by.pk)
    return locked


def _check(review: Review, action: str, by, on: date, expected_stage: str | None) -> None:
    if expected_stage is not None and review.stage != expected_stage:
        raise ReviewChanged([changed_message(review)])
    reasons = blocking_reasons(review, action, by)
    if reasons:
        raise TransitionRefused(reasons)
    if on > timezone.localdate():
        raise TransitionRefused(["The date cannot be in the future."])
    earliest = _earliest_allowed(review)
    if on < earliest:
        raise TransitionRefused([f"The date cannot be before {earliest:%-d %B %Y}."])


def _earliest_allowed(review: Review) -> date:
    """A step cannot be dated before the notification, nor a resumption before its pause."""
    if review.stage == Stage.PAUSED:
        return review.pauses.get(resumed_on__isnull=True).paused_on
    return review.notified_on


def changed_message(review: Review | None = None) -> str:
    """What a person is told when someone else moved the review since they loaded it."""
    now = f" It is now at {review.get_stage_display()}." if review else ""
    return (
        f"Someone else changed this review while you were working on it.{now} Check and try again."
    )


def _record_pause(review, action, by, on, reason, details, from_stage) -> None:
    if action == "pause":
        Pause.objects.create(
            review=review,
            reason=details["pause_reason"],
            detail=reason,
            stage=from_stage,
            paused_on=on,
            paused_by=by,
        )
    elif action == "resume":
        review.pauses.filter(resumed_on__isnull=True).update(resumed_on=on, resumed_by=by)


def _write_history(review, action, by, on, reason, from_stage) -> None:
    ReviewHistory.objects.create(
        review=review,
        action=action,
        from_stage=from_stage,
        to_stage=review.stage,
        by=by,
        effective_on=on,
        reason=reason,
    )
