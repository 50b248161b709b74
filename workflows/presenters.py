"""What the review page shows, worked out from the review (no writes)."""

from dataclasses import dataclass

from django.utils import timezone

from workflows import permissions, selectors
from workflows.models import DeadlineStatus, Review
from workflows.monitoring.forecast import forecast_for
from workflows.monitoring.timeline import review_timeline
from workflows.services.tasks import open_stage_task
from workflows.stages import MAIN_PATH, Stage

STATUS_TAGS = {
    "met": "govuk-tag--green",
    "met_late": "govuk-tag--orange",
    "paused": "govuk-tag--grey",
    "overdue": "govuk-tag--red",
    "due_soon": "govuk-tag--yellow",
    "on_track": "govuk-tag--blue",
}

ACTION_TITLES = {
    "notify": "Notification received",
    "start_scoping": "Scoping started",
    "decide_to_commission": "Decided to hold a review",
    "decide_not_to_commission": "Decided not to hold a review",
    "record_home_office_challenge": "Home Office challenged the decision",
    "record_challenge_withdrawn": "Home Office accepted the decision",
    "record_direction": "Directed to hold a review",
    "appoint_independent_chair": "Independent chair appointed",
    "complete_setup": "Set-up completed",
    "agree_terms_of_reference": "Terms of reference agreed",
    "complete_agency_reports": "Agency reports received",
    "complete_draft": "Report final for sign-off",
    "sign_off": "Signed off locally",
    "return_to_drafting": "Returned for changes",
    "submit_to_home_office": "Submitted to the Home Office",
    "record_qa_approved": "Home Office approved the report",
    "record_qa_approved_subject_to_changes": "Home Office approved subject to changes",
    "record_qa_resubmit": "Home Office asked for resubmission",
    "publish": "Published",
    "close": "Closed",
    "pause": "Paused",
    "resume": "Resumed",
}


@dataclass
class StageRow:
    label: str
    status: str
    tag_class: str


def stage_rows(review: Review) -> list[StageRow]:
    """The task list: each stage of the main path with its status for this review."""
    current = review.working_stage
    if current in (Stage.NOT_COMMISSIONED, Stage.HOME_OFFICE_CHALLENGE) or (
        current == Stage.CLOSED and review.commissioned is False
    ):
        return _not_commissioned_rows(review)
    position = MAIN_PATH.index(current)
    rows = []
    for index, stage in enumerate(MAIN_PATH[:-1]):
        if stage == Stage.SCOPING and review.scoping_started_on is None and index < position:
            rows.append(StageRow(stage.label, "Not needed", ""))
        elif index < position or current == Stage.CLOSED:
            rows.append(StageRow(stage.label, "Completed", ""))
        elif index == position:
            status = "Paused" if review.is_paused else "In progress"
            rows.append(StageRow(stage.label, status, "govuk-tag--light-blue"))
        else:
            rows.append(StageRow(stage.label, "Not yet started", "govuk-tag--grey"))
    return rows


def _not_commissioned_rows(review: Review) -> list[StageRow]:
    rows = [StageRow(Stage.NOTIFIED.label, "Completed", ""), StageRow("Decision", "Completed", "")]
    label = {
        Stage.NOT_COMMISSIONED: "Not commissioned",
        Stage.HOME_OFFICE_CHALLENGE: "Challenged by the Home Office",
        Stage.CLOSED: "Closed",
    }[review.working_stage]
    rows.append(StageRow("Outcome", label, "govuk-tag--grey"))
    return rows


def deadline_status(deadline, today) -> dict:
    """A deadline's status as the page shows it: a label and the GOV.UK tag colour."""
    status = deadline.status(today)
    return {"code": status, "label": DeadlineStatus(status).label, "tag_class": STATUS_TAGS[status]}


def deadline_rows(review: Review) -> list[dict]:
    today = timezone.localdate()
    return [
        {"deadline": deadline, **deadline_status(deadline, today)}
        for deadline in review.deadlines.order_by("starts_on", "pk")
    ]


def next_deadline(review: Review):
    """The open deadline due first (a stopped clock sorts last), from prefetched rows."""
    open_deadlines = [d for d in review.deadlines.all() if d.met_on is None]
    return min(open_deadlines, key=lambda d: (d.due_on is None, d.due_on), default=None)


def history_rows(review: Review) -> list[dict]:
    return [
        {"entry": entry, "title": ACTION_TITLES.get(entry.action, entry.action)}
        for entry in review.history.select_related("by")
    ]


ROLE_LABELS = {
    "coordinator": "the community safety coordinator",
    "csp_chair": "the Community Safety Partnership chair",
    "independent_chair": "the independent chair",
}


def next_action(review: Review) -> dict | None:
    """The open task of the review's flow: what must be done next, and by whom."""
    task = open_stage_task(review)
    if task is None:
        return None
    holder = str(task.owner) if task.owner else ROLE_LABELS.get(task.data.get("role"), "")
    return {"title": task.title, "holder": holder}


def agency_rows(review: Review, user) -> list[dict]:
    """Agencies in scope; how far each has got is for those who run or chair the review."""
    show_progress = permissions.can_see_real_names(review, user)
    return [
        {"name": ra.agency.name, "progress": ra.progress if show_progress else ""}
        for ra in review.review_agencies.select_related("agency").order_by("agency__name")
    ]


def review_page_context(review: Review, user) -> dict:
    """Everything the review page needs, in one dictionary."""
    steps = selectors.steps_for(review, user)
    today = timezone.localdate()
    forecast = forecast_for(review, today=today)
    return {
        "review": review,
        # Forecast and timeline show stages, dates and the reference only: no real names.
        "forecast": forecast,
        "timeline": review_timeline(review, today=today, forecast=forecast),
        "stage_rows": stage_rows(review),
        "deadline_rows": deadline_rows(review),
        "history_rows": history_rows(review),
        "open_pause": review.pauses.filter(resumed_on__isnull=True).first(),
        "available_steps": [step for step, reasons in steps if not reasons],
        "blocked_steps": [(step, reasons) for step, reasons in steps if reasons],
        "agencies": agency_rows(review, user),
        "can_add_agency": permissions.is_coordinator(review, user)
        and review.stage not in (Stage.CLOSED, Stage.NOT_COMMISSIONED),
        "next_action": next_action(review),
        # The panel's comments are for those who lead the review, not for every participant.
        "panel_comments": list(review.panel_comments.select_related("author"))
        if permissions.can_see_real_names(review, user)
        else [],
    }
