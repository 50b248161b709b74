"""The review flow: who must do what next, at every stage (viewflow).

One process runs beside each review. The lifecycle (``workflows/lifecycle.py``) is the only truth
about the stage; this flow only turns the stage into work. A router (``route``) creates the task
for the review's current stage; when a step moves the review to another stage, the service
``workflows.services.tasks.tasks_follow_stage`` completes the open task and the router creates the
next one. Node names are stored in the database (``viewflow_task.flow_task``): treat them like
column names and never rename one without a data migration.
"""

from dataclasses import dataclass

from viewflow import this
from viewflow.workflow import flow, lock

from workflows.flow_nodes import DataSplit
from workflows.stages import Stage


@dataclass(frozen=True)
class TaskKind:
    """What a flow task asks of whom, and which deadline it runs against."""

    title: str
    role: str
    step: str
    deadline: str


# role: "coordinator", "csp_chair" or "independent_chair" (see workflows.services.tasks).
# step: the page that does the task (workflows/steps.py); empty when the review page offers a
# choice of steps (the Home Office may challenge, direct or accept).
TASK_KINDS = {
    "record_scoping": TaskKind(
        "Record the notification and ask agencies what they knew",
        "coordinator",
        "start-scoping",
        "decision",
    ),
    "decide": TaskKind("Decide whether to hold a review", "csp_chair", "decide", "decision"),
    "respond_to_home_office": TaskKind(
        "Record the Home Office's response to the decision",
        "coordinator",
        "home-office-challenge",
        "",
    ),
    "set_up": TaskKind(
        "Appoint the independent chair and panel, and write to the family",
        "coordinator",
        "appoint-chair",
        "completion",
    ),
    "agree_terms_of_reference": TaskKind(
        "Draft and agree the terms of reference",
        "independent_chair",
        "agree-terms-of-reference",
        "terms_of_reference",
    ),
    "agency_reports": TaskKind(
        "Collect every agency's report",
        "independent_chair",
        "complete-agency-reports",
        "agency_reports",
    ),
    "draft_report": TaskKind(
        "Draft the overview report, executive summary and action plan",
        "report_author",
        "complete-draft",
        "completion",
    ),
    "sign_off": TaskKind(
        "Sign off the report for the partnership", "csp_chair", "sign-off", "completion"
    ),
    "record_qa_outcome": TaskKind(
        "Record the Home Office quality assurance outcome", "coordinator", "qa-outcome", ""
    ),
    "publish": TaskKind("Publish the report", "coordinator", "publish", ""),
    "monitor_action_plan": TaskKind(
        "Follow the action plan to completion", "coordinator", "close", ""
    ),
    # One branch per agency in scope. Their pages are workflows.views.agency_tasks.
    "agency_scoping": TaskKind(
        "Say whether your agency knew the people involved", "agency_author", "", "agency_reports"
    ),
    "agency_report": TaskKind(
        "Write and upload your agency's chronology and report",
        "agency_author",
        "",
        "agency_reports",
    ),
    "agency_sign_off": TaskKind(
        "Sign off your agency's report", "senior_manager", "", "agency_reports"
    ),
    "agency_acceptance": TaskKind(
        "Accept the agency's report or send it back", "independent_chair", "", "agency_reports"
    ),
}
AGENCY_TASKS = ("agency_scoping", "agency_report", "agency_sign_off", "agency_acceptance")

# Which task the router creates for each stage.
STAGE_TASKS = {
    Stage.NOTIFIED: "record_scoping",
    Stage.SCOPING: "decide",
    Stage.NOT_COMMISSIONED: "respond_to_home_office",
    Stage.HOME_OFFICE_CHALLENGE: "respond_to_home_office",
    Stage.SETUP: "set_up",
    Stage.TERMS_OF_REFERENCE: "agree_terms_of_reference",
    Stage.AGENCY_REPORTS: "agency_reports",
    Stage.DRAFTING: "draft_report",
    Stage.LOCAL_SIGN_OFF: "sign_off",
    Stage.HOME_OFFICE_QA: "record_qa_outcome",
    Stage.PUBLICATION: "publish",
    Stage.ACTION_PLAN: "monitor_action_plan",
}


def _stage_needs(node_name: str):
    def condition(activation) -> bool:
        review = activation.process.artifact
        return STAGE_TASKS.get(review.working_stage) == node_name

    return condition


def _human_task(name: str, next_node=this.route):
    kind = TASK_KINDS[name]
    return (
        flow.View(None)
        .Annotation(title=kind.title)
        .Assign(this.assign_chair_task)
        .onCreate(this.describe_task)
        .Next(next_node, task_data=this.carry_branch)
    )


def _agency(field: str):
    def condition(activation) -> bool:
        from workflows.models import ReviewAgency

        review_agency = ReviewAgency.objects.get(pk=activation.task.data["review_agency"])
        return bool(field_check(review_agency, field))

    return condition


def field_check(review_agency, field: str):
    if field == "involved":
        return review_agency.involvement == "involved"
    return getattr(review_agency, field)


def _task_email(activation) -> None:
    # Imported here: the notifications app reads this module's task kinds.
    from notifications.outbox import email_queue

    email_queue("task_created", task=activation.task, review=activation.process.artifact)


class ReviewFlow(flow.Flow):
    """Domestic Homicide Review"""

    # Wait for the process row rather than fail at once: a claim and a step on the same review
    # then run one after the other, and the second sees what the first did.
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_review).Next(this.route)

    route = (
        flow.Switch()
        .Case(this.record_scoping, _stage_needs("record_scoping"))
        .Case(this.decide, _stage_needs("decide"))
        .Case(this.respond_to_home_office, _stage_needs("respond_to_home_office"))
        .Case(this.set_up, _stage_needs("set_up"))
        .Case(this.agree_terms_of_reference, _stage_needs("agree_terms_of_reference"))
        .Case(this.split_agencies, _stage_needs("agency_reports"))
        .Case(this.draft_report, _stage_needs("draft_report"))
        .Case(this.sign_off, _stage_needs("sign_off"))
        .Case(this.record_qa_outcome, _stage_needs("record_qa_outcome"))
        .Case(this.publish, _stage_needs("publish"))
        .Case(this.monitor_action_plan, _stage_needs("monitor_action_plan"))
        .Default(this.end)
    )

    record_scoping = _human_task("record_scoping")
    decide = _human_task("decide")
    respond_to_home_office = _human_task("respond_to_home_office")
    set_up = _human_task("set_up")
    agree_terms_of_reference = _human_task("agree_terms_of_reference")
    # Agency reports: the chair's task beside one branch per agency, joined before drafting.
    split_agencies = (
        DataSplit()
        .Next(this.agency_reports)
        .Next(this.agency_scoping, data_source=this.agencies_in_scope)
    )
    agency_reports = _human_task("agency_reports", this.join_agency_reports)
    agency_scoping = _human_task("agency_scoping", this.if_involved)
    if_involved = (
        flow.If(_agency("involved"))
        .Then(this.agency_report, task_data=this.carry_branch)
        .Else(this.join_agency_reports)
    )
    agency_report = _human_task("agency_report", this.agency_sign_off)
    agency_sign_off = _human_task("agency_sign_off", this.agency_acceptance)
    agency_acceptance = _human_task("agency_acceptance", this.if_accepted)
    if_accepted = (
        flow.If(_agency("accepted_on"))
        .Then(this.join_agency_reports)
        .Else(this.agency_report, task_data=this.carry_branch)
    )
    join_agency_reports = flow.Join().Next(this.route)
    draft_report = _human_task("draft_report")
    sign_off = _human_task("sign_off")
    record_qa_outcome = _human_task("record_qa_outcome")
    publish = _human_task("publish")
    monitor_action_plan = _human_task("monitor_action_plan")

    end = flow.End()

    def start_review(self, activation, review):
        """Attach the new process to its review."""
        activation.process.artifact = review
        activation.process.data = {"reference": review.reference}
        return activation.process

    def assign_chair_task(self, activation):
        """The independent chair's tasks go straight to the review's chair, and drafting to the
        report author (or the chair where there is none); others wait in the queue of everyone
        who holds the role on the review."""
        role = TASK_KINDS[activation.flow_task.name].role
        review = activation.process.artifact
        if role == "report_author":
            author = review.participants.active().filter(role="report_author").first()
            return author.user if author else review.independent_chair
        if role == "independent_chair":
            return review.independent_chair
        return None

    def describe_task(self, activation):
        """Say what the new task asks of whom, and email the people it waits for."""
        kind = TASK_KINDS[activation.flow_task.name]
        activation.task.data = {
            **activation.task.data,
            "role": kind.role,
            "step": kind.step,
            "deadline": kind.deadline,
        }
        activation.task.save(update_fields=["data"])
        _task_email(activation)

    def agencies_in_scope(self, activation) -> list[dict]:
        """One branch per agency in the review's scope, each task knowing its agency."""
        review = activation.process.artifact
        return [
            {"review_agency": review_agency.pk}
            for review_agency in review.review_agencies.order_by("pk")
        ]

    def carry_branch(self, activation) -> dict:
        """Pass the branch's agency on to the next task of the branch."""
        review_agency = activation.task.data.get("review_agency")
        return {"review_agency": review_agency} if review_agency else {}


# The review panel comments on the terms of reference and on the draft. Each request is a small
# process of its own, so that a panel member who does not answer never holds the review up: the
# requests still open are cancelled when the stage moves on.
PANEL_STAGES = {
    Stage.TERMS_OF_REFERENCE: ("Comment on the terms of reference", "terms_of_reference"),
    Stage.DRAFTING: ("Comment on the draft report", "completion"),
}


class PanelCommentFlow(flow.Flow):
    """Panel member's comments"""

    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_request).Next(this.comment)
    comment = (
        flow.View(None)
        .Annotation(title="Comment as a member of the review panel")
        .Assign(this.panel_member)
        .onCreate(this.describe_request)
        .Next(this.end)
    )
    end = flow.End()

    def start_request(self, activation, review, participant, stage):
        activation.process.artifact = review
        activation.process.data = {"participant": participant.pk, "stage": stage}
        return activation.process

    def panel_member(self, activation):
        from workflows.models import Participant

        return Participant.objects.get(pk=activation.process.data["participant"]).user

    def describe_request(self, activation):
        stage = activation.process.data["stage"]
        title, deadline = PANEL_STAGES[stage]
        activation.task.data = {
            "role": "panel_member",
            "participant": activation.process.data["participant"],
            "stage": stage,
            "title": title,
            "step": "",
            "deadline": deadline,
        }
        activation.task.save(update_fields=["data"])
        _task_email(activation)


# Every flow whose tasks appear in people's task lists.
WORK_FLOWS = (ReviewFlow, PanelCommentFlow)
