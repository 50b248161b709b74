"""Writes for Home Office quality assurance: the submission with its pack, the outcome with its
letter, and ticking off the areas for final development."""

import logging
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction

from workflows.models.publication import DevelopmentArea, QaSubmission
from workflows.qa import permissions as may
from workflows.qa.pack import PackRefused, pack_build
from workflows.qa.selectors import feedback_letters, latest_submission
from workflows.services.errors import TransitionRefused
from workflows.stages import QaOutcome

logger = logging.getLogger(__name__)

AREAS_REQUIRED = (
    "Enter the areas for final development from the Home Office's letter, one on each line"
)


class AreaRefused(Exception):
    """A change to an area for final development that cannot be made, with its message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def qa_submission_create(*, review, by, on: date, number: int) -> QaSubmission:
    """Build the pack from the latest signed-off versions and record submission ``number``.

    Runs inside the submitting step's transaction; a pack that cannot be built refuses the
    step. If the transaction is later rolled back the stored ZIP is left unreferenced.
    """
    try:
        pack = pack_build(review=review, number=number, submitted_on=on)
    except PackRefused as refused:
        raise TransitionRefused([refused.message]) from refused
    submission = QaSubmission(
        review=review,
        number=number,
        submitted_on=on,
        submitted_by=by,
        pack_sha256=pack.sha256,
        pack_size=pack.size,
        contents=pack.contents,
    )
    try:
        submission.pack.save("pack.zip", File(pack.file), save=False)
        submission.save()
    except BaseException:
        if submission.pack.name:
            submission.pack.storage.delete(submission.pack.name)
        raise
    finally:
        pack.file.close()
    logger.info("review %s: submission %s pack built", review.reference, number)
    return submission


def submission_effect(*, review, by, on: date, reason: str = "") -> None:
    """The ``submit_to_home_office`` step's effect: the transition has counted the submission."""
    qa_submission_create(review=review, by=by, on=on, number=review.home_office_submissions)


def qa_outcome_record(*, review, by, on: date, reason: str = "", areas=()) -> QaSubmission:
    """Record the outcome the transition set on the latest submission, with the Home Office's
    letter; "approved subject to changes" turns each area for final development into an item
    to tick off before publication."""
    areas = [line.strip() for line in areas if line.strip()]
    if review.qa_outcome == QaOutcome.APPROVED_SUBJECT_TO_CHANGES and not areas:
        raise TransitionRefused([AREAS_REQUIRED])
    submission = latest_submission(review)
    letter = feedback_letters(review).order_by("-uploaded_at", "-pk").first()
    if submission is None or letter is None:
        raise TransitionRefused(["Upload the Home Office's feedback letter first."])
    submission.outcome = review.qa_outcome
    submission.outcome_on = on
    submission.feedback_letter = letter
    submission.feedback_summary = reason
    submission.outcome_recorded_by = by
    submission.save()
    if review.qa_outcome == QaOutcome.APPROVED_SUBJECT_TO_CHANGES:
        DevelopmentArea.objects.bulk_create(
            DevelopmentArea(review=review, submission=submission, text=text) for text in areas
        )
    return submission


def development_area_complete(
    *, area: DevelopmentArea, by, on: date, note: str = ""
) -> DevelopmentArea:
    """Tick an area for final development as done. Raises ``AreaRefused``, changing nothing,
    when it is already done (someone else may have ticked it meanwhile)."""
    if not may.can_tick(area.review, by):
        raise PermissionDenied("Only the coordinator or the independent chair can tick this off.")
    with transaction.atomic():
        locked = DevelopmentArea.objects.select_for_update().get(pk=area.pk)
        if locked.done_on is not None:
            raise AreaRefused("This area for final development is already marked as done.")
        locked.done_on, locked.done_by, locked.note = on, by, note.strip()
        locked.save(update_fields=["done_on", "done_by", "note"])
    area.refresh_from_db()
    return area


def development_area_reopen(*, area: DevelopmentArea, by) -> DevelopmentArea:
    """Untick an area (the coordinator's call); ``AreaRefused`` when it is not done."""
    if not may.can_reopen(area.review, by):
        raise PermissionDenied("Only the coordinator can mark this as not done.")
    with transaction.atomic():
        locked = DevelopmentArea.objects.select_for_update().get(pk=area.pk)
        if locked.done_on is None:
            raise AreaRefused("This area for final development is not marked as done.")
        locked.done_on, locked.done_by, locked.note = None, None, ""
        locked.save(update_fields=["done_on", "done_by", "note"])
    area.refresh_from_db()
    return area
