"""Writes to the action plan: adding and changing recommendations, recording progress and
completion with evidence, and the coordinator's sign-off or sending back.

Each service checks who is acting, locks the recommendation's row (the review's, when adding)
so that two people acting at once get one winner and a clear message for the other, and keeps
the recommendation's deadline row in step for the reminder ladder. Bad input changes nothing.
"""

import logging
import os
import uuid
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from workflows.action_plan import access
from workflows.action_plan.reminders import recommendation_deadline_sync
from workflows.models import Agency, Membership, Recommendation, RecommendationStatus, Review, User
from workflows.templatetags.govuk import govuk_date
from workflows.uploads import check_upload, safe_original_name

logger = logging.getLogger(__name__)

TEXT_MAX_CHARS = 5000
NOTE_MAX_CHARS = 5000


class RecommendationRefused(Exception):
    """What a person is told when the action plan refuses a change; ``field`` names the form
    field the message belongs to (None for the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def recommendation_add(
    *,
    review: Review,
    text: str,
    owner_agency: Agency | None,
    owner: User,
    due_on: date,
    by,
) -> Recommendation:
    """Add a recommendation to the review's action plan with the next number, and start
    chasing its owner before its due date."""
    with transaction.atomic():
        # Lock the review so that two recommendations added at once take numbers 1 and 2.
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if not access.can_add(locked, by):
            raise PermissionDenied("Only the coordinator can add recommendations, from sign-off.")
        text = _checked_details(locked, text, owner_agency, owner, due_on, due_changed=True)
        number = (locked.recommendations.aggregate(Max("number"))["number__max"] or 0) + 1
        recommendation = Recommendation.objects.create(
            review=locked,
            number=number,
            text=text,
            owner_agency=owner_agency,
            owner=owner,
            due_on=due_on,
        )
        recommendation_deadline_sync(recommendation=recommendation)
    logger.info("review %s: recommendation %s added by user %s", locked.reference, number, by.pk)
    return recommendation


def recommendation_update(
    *,
    recommendation: Recommendation,
    text: str,
    owner_agency: Agency | None,
    owner: User,
    due_on: date,
    by,
) -> Recommendation:
    """Change a recommendation's wording, owner or due date (not once it is signed off)."""
    with transaction.atomic():
        locked = _locked(recommendation)
        if locked.status == RecommendationStatus.SIGNED_OFF:
            raise RecommendationRefused(_signed_off_message(locked))
        if not access.can_change(locked, by):
            raise PermissionDenied("Only the coordinator can change recommendations.")
        locked.text = _checked_details(
            locked.review,
            text,
            owner_agency,
            owner,
            due_on,
            due_changed=due_on != locked.due_on,
        )
        locked.owner_agency, locked.owner, locked.due_on = owner_agency, owner, due_on
        locked.save()
        recommendation_deadline_sync(recommendation=locked)
    return locked


def recommendation_progress(*, recommendation: Recommendation, status: str, by) -> Recommendation:
    """Record whether work on a recommendation has started: the owner, or the coordinator."""
    if status not in access.OPEN_STATUSES:
        raise RecommendationRefused("Select whether work has started", field="status")
    with transaction.atomic():
        locked = _locked(recommendation)
        _check_open(locked, by)
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    return locked


def recommendation_complete(
    *, recommendation: Recommendation, note: str, uploaded_file=None, by
) -> Recommendation:
    """Mark a recommendation completed with its evidence: a note, a file, or both.

    The file is checked before anything is stored (``UploadRefused`` says why it was refused)
    and kept under a random name. The reminders stop; the coordinator then signs it off or
    sends it back.
    """
    note = (note or "").strip()
    if not note and uploaded_file is None:
        raise RecommendationRefused(
            "Give the evidence that the recommendation is completed: a note, a file or both",
            field="evidence_note",
        )
    if len(note) > NOTE_MAX_CHARS:
        raise RecommendationRefused(
            f"The note must be {NOTE_MAX_CHARS} characters or fewer", field="evidence_note"
        )
    sha256 = check_upload(uploaded_file)[1] if uploaded_file is not None else ""
    stored_name = None
    try:
        with transaction.atomic():
            locked = _locked(recommendation)
            _check_open(locked, by)
            old_name = locked.evidence_file.name
            if uploaded_file is not None:
                stored_name = _store_evidence(locked, uploaded_file, sha256)
            locked.evidence_note = note
            locked.status = RecommendationStatus.COMPLETED
            locked.completed_on = timezone.localdate()
            locked.completed_by = by
            locked.save()
            recommendation_deadline_sync(recommendation=locked)
            if stored_name and old_name:
                # The earlier file goes only once the new one is safely recorded.
                storage = locked.evidence_file.storage
                transaction.on_commit(lambda: storage.delete(old_name))
    except BaseException:
        if stored_name:
            recommendation.evidence_file.storage.delete(stored_name)
        raise
    return locked


def _store_evidence(recommendation: Recommendation, uploaded_file, sha256: str) -> str:
    # A random name: the uploaded name may hold a real name; it is kept only for the record.
    extension = os.path.splitext(uploaded_file.name)[1].lower()
    name = f"{recommendation.review_id}/{uuid.uuid4().hex}{extension}"
    uploaded_file.seek(0)
    recommendation.evidence_file.save(name, File(uploaded_file.file), save=False)
    recommendation.evidence_name = safe_original_name(uploaded_file.name)
    recommendation.evidence_sha256 = sha256
    return recommendation.evidence_file.name


def recommendation_sign_off(*, recommendation: Recommendation, by) -> Recommendation:
    """The coordinator accepts the evidence: the recommendation is done."""
    with transaction.atomic():
        locked = _locked(recommendation)
        _check_completed(locked, by)
        locked.status = RecommendationStatus.SIGNED_OFF
        locked.signed_off_on = timezone.localdate()
        locked.signed_off_by = by
        locked.save()
        recommendation_deadline_sync(recommendation=locked)
    return locked


def recommendation_reopen(*, recommendation: Recommendation, reason: str, by) -> Recommendation:
    """The coordinator sends a completed recommendation back to its owner with the reason.

    The reason is added to the evidence note, where the owner reads it when they complete the
    recommendation again; the deadline reopens and the reminders resume.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RecommendationRefused("Enter why the recommendation is sent back", field="reason")
    with transaction.atomic():
        locked = _locked(recommendation)
        _check_completed(locked, by)
        returned = f"Sent back on {govuk_date(timezone.localdate())}: {reason}"
        locked.evidence_note = "\n\n".join(filter(None, [locked.evidence_note, returned]))
        locked.status = RecommendationStatus.IN_PROGRESS
        locked.completed_on = None
        locked.completed_by = None
        locked.save()
        recommendation_deadline_sync(recommendation=locked)
    return locked


def _locked(recommendation: Recommendation) -> Recommendation:
    # Who completed or signed off is read after the lock, not joined into the locking query:
    # PostgreSQL re-reads a row it waited for, but not the rows joined to it.
    return (
        Recommendation.objects.select_for_update(of=("self",))
        .select_related("review__partnership")
        .get(pk=recommendation.pk)
    )


def _check_open(recommendation: Recommendation, by) -> None:
    if recommendation.status not in access.OPEN_STATUSES:
        raise RecommendationRefused(_not_open_message(recommendation))
    if not access.can_progress(recommendation, by):
        raise PermissionDenied("Only the recommendation's owner or the coordinator can do this.")


def _check_completed(recommendation: Recommendation, by) -> None:
    if recommendation.status == RecommendationStatus.SIGNED_OFF:
        raise RecommendationRefused(_signed_off_message(recommendation))
    if recommendation.status != RecommendationStatus.COMPLETED:
        raise RecommendationRefused(
            f"Recommendation {recommendation.number} is not completed: its owner must mark it "
            "completed with evidence first."
        )
    if not access.can_decide_completion(recommendation, by):
        raise PermissionDenied("Only the coordinator can sign off or send back a recommendation.")


def _not_open_message(recommendation: Recommendation) -> str:
    if recommendation.status == RecommendationStatus.SIGNED_OFF:
        return _signed_off_message(recommendation)
    who = recommendation.completed_by or "someone else"
    return (
        f"Recommendation {recommendation.number} was marked completed by {who} on "
        f"{govuk_date(recommendation.completed_on)}. The coordinator will sign it off or send "
        "it back."
    )


def _signed_off_message(recommendation: Recommendation) -> str:
    who = recommendation.signed_off_by or "someone else"
    return (
        f"Recommendation {recommendation.number} was already signed off by {who} on "
        f"{govuk_date(recommendation.signed_off_on)}."
    )


def _checked_details(review, text, owner_agency, owner, due_on, *, due_changed: bool) -> str:
    """The wording, stripped, once every detail is valid; refuses with the first problem."""
    text = (text or "").strip()
    if not text:
        raise RecommendationRefused("Enter the recommendation", field="text")
    if len(text) > TEXT_MAX_CHARS:
        raise RecommendationRefused(
            f"The recommendation must be {TEXT_MAX_CHARS} characters or fewer", field="text"
        )
    if owner_agency is not None and owner_agency.partnership_id != review.partnership_id:
        raise RecommendationRefused("Select an agency of the partnership", field="owner_agency")
    if owner is None or not owner_choices(review).filter(pk=owner.pk).exists():
        raise RecommendationRefused(
            "Select the person who owns the recommendation from the list", field="owner"
        )
    if not owner_choices(review, owner_agency).filter(pk=owner.pk).exists():
        raise RecommendationRefused(
            f"{owner} works for another agency: select someone from {owner_agency} or from "
            "the partnership itself",
            field="owner",
        )
    if due_on is None:
        raise RecommendationRefused("Enter the due date", field="due_on")
    if due_changed and due_on < timezone.localdate():
        raise RecommendationRefused("The due date must be today or in the future", field="due_on")
    return text


def owner_choices(review: Review, owner_agency: Agency | None = None):
    """The people who may own a recommendation: active members of the review's partnership
    (of the owning agency, or in a partnership-wide role, when an agency is named)."""
    members = Membership.objects.filter(partnership_id=review.partnership_id)
    if owner_agency is not None:
        members = members.filter(agency__isnull=True) | members.filter(agency=owner_agency)
    return User.objects.filter(is_active=True, pk__in=members.values("user_id")).order_by(
        "full_name", "email"
    )
