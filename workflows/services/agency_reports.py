"""Each agency's part of the agency reports stage: scoping answer, report, sign-off, acceptance."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from workflows import permissions
from workflows.flow_nodes import split_branch_add
from workflows.flows import ReviewFlow
from workflows.models import Review, ReviewAgency, ReviewHistory
from workflows.models.documents import Document, DocumentKind
from workflows.models.reviews import Involvement
from workflows.services.lifecycle import TransitionRefused
from workflows.services.tasks import OPEN, acting_for, may_do, process_for, task_finish
from workflows.stages import Stage

logger = logging.getLogger(__name__)
# What an agency must upload before its report goes for sign-off.
REPORT_DOCUMENTS = {
    DocumentKind.CHRONOLOGY: "chronology",
    DocumentKind.AGENCY_REPORT: "report (IMR)",
}
# Everyone in the agency's role sees its task: another may have done it since this one opened it.
ALREADY_DONE = "This task has already been done, so your answer was not recorded."


def agency_task_complete(
    *, task, review: Review, by, on: date, answer: str = "", comments: str = ""
) -> ReviewAgency:
    """Do one task of an agency's branch as ``by``, atomically; the flow then moves the branch on.

    ``answer`` is "involved" or "not_involved" for the scoping question and "accept" or
    "send_back" for the chair's acceptance (``comments`` are then required).
    """
    if not may_do(task, review, by):
        raise TransitionRefused(["This task is for someone else."])
    if on > timezone.localdate():
        raise TransitionRefused(["The date cannot be in the future."])
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.stage != Stage.AGENCY_REPORTS:
            raise TransitionRefused([_not_collecting(locked)])
        review_agency = ReviewAgency.objects.select_for_update().get(
            pk=task.data["review_agency"], review=locked
        )
        task.refresh_from_db()
        if task.status not in OPEN:
            raise TransitionRefused([ALREADY_DONE])
        summary = RECORDERS[task.flow_task.name](review_agency, on, answer, comments)
        review_agency.save()
        away = acting_for(task, locked, by)
        task_finish(task, by, on_behalf_of=away)
        if away is not None:
            summary += f" (for {away} while they are away)"
        ReviewHistory.objects.create(
            review=locked,
            action=task.flow_task.name,
            from_stage=locked.stage,
            to_stage=locked.stage,
            by=by,
            effective_on=on,
            reason=f"{review_agency.agency.name}: {summary}",
        )
    logger.info(
        "review %s: %s for agency %s",
        review.reference,
        task.flow_task.name,
        review_agency.agency_id,
    )
    return review_agency


def _not_collecting(review: Review) -> str:
    if review.is_paused:
        return "The review is paused: agency work resumes when it does."
    return "The review is not collecting agency reports now."


def _record_scoping(review_agency, on, answer, comments) -> str:
    if answer not in (Involvement.INVOLVED, Involvement.NOT_INVOLVED):
        raise TransitionRefused(["Select whether your agency knew the people involved."])
    review_agency.involvement = answer
    review_agency.scoping_answered_on = on
    return review_agency.get_involvement_display()


def _record_report(review_agency, on, answer, comments) -> str:
    missing = [
        name
        for kind, name in REPORT_DOCUMENTS.items()
        if not Document.objects.filter(
            review=review_agency.review,
            agency=review_agency.agency,
            kind=kind,
            versions__isnull=False,
        ).exists()
    ]
    if missing:
        raise TransitionRefused([f"Upload the {' and the '.join(missing)} first."])
    review_agency.report_submitted_on = on
    return "report sent for sign-off"


def _record_sign_off(review_agency, on, answer, comments) -> str:
    review_agency.signed_off_on = on
    return "report signed off by the senior manager"


def _record_acceptance(review_agency, on, answer, comments) -> str:
    if answer == "accept":
        review_agency.accepted_on = on
        return "report accepted by the chair"
    if answer != "send_back":
        raise TransitionRefused(["Select whether you accept the report or send it back."])
    if not comments.strip():
        raise TransitionRefused(["Enter what the agency needs to change."])
    review_agency.times_sent_back += 1
    review_agency.chair_comments = comments.strip()
    review_agency.report_submitted_on = None
    review_agency.signed_off_on = None
    return f"report sent back: {comments.strip()}"


RECORDERS = {
    "agency_scoping": _record_scoping,
    "agency_report": _record_report,
    "agency_sign_off": _record_sign_off,
    "agency_acceptance": _record_acceptance,
}


def review_agency_add(*, review: Review, agency, by, on: date | None = None) -> ReviewAgency:
    """Bring an agency into the review's scope. During the agency reports stage it gets its own
    branch at once, and the stage cannot move on until that agency has reported too."""
    if not permissions.is_coordinator(review, by):
        raise TransitionRefused(["Only the coordinator can add an agency to a review."])
    if agency.partnership_id != review.partnership_id:
        raise TransitionRefused(["Choose an agency of this review's partnership."])
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.review_agencies.filter(agency=agency).exists():
            raise TransitionRefused([f"{agency.name} is already in the scope of this review."])
        review_agency = ReviewAgency.objects.create(
            review=locked, agency=agency, added_on=on or timezone.localdate()
        )
        if locked.working_stage == Stage.AGENCY_REPORTS:
            process = process_for(locked)
            with ReviewFlow.lock(process.pk):
                split_branch_add(
                    process,
                    ReviewFlow.split_agencies,
                    ReviewFlow.agency_scoping,
                    ReviewFlow.join_agency_reports,
                    {"review_agency": review_agency.pk},
                )
        ReviewHistory.objects.create(
            review=locked,
            action="add_agency",
            from_stage=locked.stage,
            to_stage=locked.stage,
            by=by,
            effective_on=review_agency.added_on,
            reason=f"{agency.name} added to the scope of the review.",
        )
    return review_agency
