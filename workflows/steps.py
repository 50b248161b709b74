"""The steps a person takes on a review page, each backed by one or more transitions."""

from dataclasses import dataclass

from workflows import forms


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    transitions: tuple[str, ...]
    date_label: str
    form_class: type = forms.StepForm
    reason_label: str = ""
    reason_hint: str = ""
    reason_required: bool = False
    button: str = "Continue"
    # Documents this step asks for, uploaded on its page (see workflows.views.task_uploads).
    documents: tuple[str, ...] = ()


STEPS = [
    Step(
        "start-scoping",
        "Start scoping",
        ("start_scoping",),
        "Date scoping started",
        reason_label="Notes (optional)",
    ),
    Step(
        "decide",
        "Record the decision",
        ("decide_to_commission", "decide_not_to_commission"),
        "Date of the decision",
        form_class=forms.DecisionForm,
        reason_label="Reasons",
        reason_hint="Required when not holding a review.",
        button="Record the decision",
    ),
    Step(
        "home-office-challenge",
        "Record a Home Office challenge",
        ("record_home_office_challenge",),
        "Date of the Home Office's letter",
        reason_label="What the Home Office said",
        reason_required=True,
    ),
    Step(
        "challenge-withdrawn",
        "Record that the Home Office accepts the decision",
        ("record_challenge_withdrawn",),
        "Date of the Home Office's letter",
        reason_label="Notes (optional)",
    ),
    Step(
        "direction",
        "Record a direction to hold a review",
        ("record_direction",),
        "Date of the direction",
        reason_label="Notes (optional)",
    ),
    Step(
        "appoint-chair",
        "Appoint the independent chair",
        ("appoint_independent_chair",),
        "Date of appointment",
        form_class=forms.AppointChairForm,
    ),
    Step(
        "complete-setup",
        "Complete set-up",
        ("complete_setup",),
        "Date set-up was completed",
        reason_label="Notes (optional)",
    ),
    Step(
        "agree-terms-of-reference",
        "Record the terms of reference as agreed",
        ("agree_terms_of_reference",),
        "Date the panel agreed them",
        reason_label="Notes (optional)",
        documents=("terms_of_reference",),
    ),
    Step(
        "complete-agency-reports",
        "Record every agency report as received",
        ("complete_agency_reports",),
        "Date the last report was signed off",
        reason_label="Notes (optional)",
        documents=("combined_chronology",),
    ),
    Step(
        "complete-draft",
        "Mark the report final for sign-off",
        ("complete_draft",),
        "Date the documents became final",
        form_class=forms.CompleteDraftForm,
        documents=("overview_report", "executive_summary", "action_plan"),
    ),
    Step(
        "sign-off",
        "Record local sign-off",
        ("sign_off",),
        "Date of sign-off",
        reason_label="Notes (optional)",
    ),
    Step(
        "return-to-drafting",
        "Return the report for changes",
        ("return_to_drafting",),
        "Date",
        reason_label="What needs to change",
        reason_required=True,
    ),
    Step(
        "submit-to-home-office",
        "Record submission to the Home Office",
        ("submit_to_home_office",),
        "Date submitted",
        reason_label="Notes (optional)",
    ),
    Step(
        "qa-outcome",
        "Record the Home Office quality assurance outcome",
        ("record_qa_approved", "record_qa_approved_subject_to_changes", "record_qa_resubmit"),
        "Date of the Home Office's letter",
        form_class=forms.QaOutcomeForm,
        reason_label="Summary of the feedback (optional)",
        documents=("qa_letter",),
    ),
    Step(
        "publish",
        "Record publication",
        ("publish",),
        "Date published",
        reason_label="Notes (optional)",
    ),
    Step(
        "close",
        "Close the review",
        ("close",),
        "Date closed",
        reason_label="Reasons",
        reason_required=True,
    ),
    Step(
        "pause",
        "Pause the review",
        ("pause",),
        "Date paused",
        form_class=forms.PauseForm,
        reason_label="Details",
        reason_hint='Required when the reason is "Other".',
        button="Pause the review",
    ),
    Step(
        "resume",
        "Resume the review",
        ("resume",),
        "Date resumed",
        reason_label="Notes (optional)",
        button="Resume the review",
    ),
]
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
