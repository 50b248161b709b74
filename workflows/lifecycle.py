"""The review lifecycle: every change of stage, declared once, top to bottom.

Each transition is a django-fsm-2 method on the review. It checks its guards (conditions), names
who may make it (permission) and sets the review's facts. It does not save, write history or send
anything: the service ``workflows.services.lifecycle.review_transition`` wraps every call in one
transaction that locks the row, saves it, writes the history row and recomputes the deadlines.

``target=None`` marks a step that records something without moving the stage (e.g. local sign-off).
"""

from datetime import date

from django.db import models
from django_fsm import RETURN_VALUE, FSMField, transition

from workflows import permissions
from workflows.stages import PAUSABLE, QaOutcome, Stage


def guard(message: str):
    """Attach the message a user sees when this condition stops a transition."""

    def decorate(condition):
        condition.message = message
        return condition

    return decorate


@guard("Appoint an independent chair first.")
def has_independent_chair(review) -> bool:
    return review.independent_chair_id is not None


@guard("Agree the victim's pseudonym first.")
def has_victim_pseudonym(review) -> bool:
    return bool(review.victim_pseudonym.strip())


@guard("Every agency must have its report accepted or have returned nil first.")
def has_all_agency_reports(review) -> bool:
    return all(review_agency.is_done for review_agency in review.review_agencies.all())


@guard("The overview report, executive summary and action plan must all be final.")
def has_final_documents(review) -> bool:
    return (
        review.overview_report_final
        and review.executive_summary_final
        and (review.action_plan_final)
    )


@guard("The partnership must sign off the report locally first.")
def is_signed_off(review) -> bool:
    return review.signed_off_on is not None


@guard(
    "Upload the overview report, executive summary and action plan before sign-off, then submit."
)
def has_signed_off_documents(review) -> bool:
    # Imported here: the models import this module. One query.
    from workflows.qa.selectors import has_signed_off_documents as uploaded

    return uploaded(review)


@guard("Upload the Home Office's feedback letter first.")
def has_feedback_letter(review) -> bool:
    # A letter uploaded after the latest submission, so an earlier round's letter never counts.
    from workflows.qa.selectors import has_feedback_letter as uploaded

    return uploaded(review)


@guard("The Home Office must approve the report first.")
def has_home_office_approval(review) -> bool:
    return review.qa_outcome in (QaOutcome.APPROVED, QaOutcome.APPROVED_SUBJECT_TO_CHANGES)


# The publication gate (workflows.publication.gate), imported when called: the gate reads
# models that are built on this module.
def _gate_passes(check_name: str, review) -> bool:
    from workflows.publication import gate

    return getattr(gate, check_name)(review).passed


@guard("Every area for final development must be done first: see Prepare publication.")
def has_development_areas_done(review) -> bool:
    return _gate_passes("development_areas_check", review)


@guard(
    "Criminal proceedings must have concluded, or a reason to publish before they conclude be "
    "recorded: see Prepare publication."
)
def has_proceedings_cleared(review) -> bool:
    return _gate_passes("proceedings_check", review)


@guard("The family must be told of the publication date first: see Prepare publication.")
def has_family_told(review) -> bool:
    return _gate_passes("family_check", review)


@guard("Upload the overview report and the executive summary to publish first.")
def has_documents_to_publish(review) -> bool:
    return _gate_passes("documents_check", review)


@guard("The name check found real names in the documents to publish: see Prepare publication.")
def has_no_real_names(review) -> bool:
    return _gate_passes("name_check", review)


PUBLICATION_GATE = [
    has_home_office_approval,
    has_development_areas_done,
    has_proceedings_cleared,
    has_family_told,
    has_documents_to_publish,
    has_no_real_names,
]


@guard("Every recommendation must be signed off before the review is closed.")
def has_all_recommendations_signed_off(review) -> bool:
    # One query. A review without recommendations (or never commissioned) may close. The
    # literal is RecommendationStatus.SIGNED_OFF: its module imports this one.
    return not review.recommendations.exclude(status="signed_off").exists()


SETUP_ONWARDS = [Stage.SETUP, Stage.TERMS_OF_REFERENCE, Stage.AGENCY_REPORTS, Stage.DRAFTING]


class ReviewLifecycle(models.Model):
    """The state machine of a review; ``Review`` adds the facts it records."""

    stage = FSMField(default=Stage.NOTIFIED, choices=Stage.choices, protected=True, db_index=True)
    stage_before_pause = models.CharField(max_length=30, choices=Stage.choices, blank=True)

    class Meta:
        abstract = True

    # Notification and decision (2016 guidance, section 5: decide within one month).

    @transition(stage, source=Stage.NOTIFIED, target=Stage.SCOPING, permission=permissions.can_run)
    def start_scoping(self, *, by, on: date, reason: str = "") -> None:
        """Ask agencies whether they knew the people involved, before the decision."""
        self.scoping_started_on = on

    @transition(
        stage,
        source=[Stage.NOTIFIED, Stage.SCOPING],
        target=Stage.SETUP,
        permission=permissions.can_decide,
    )
    def decide_to_commission(self, *, by, on: date, reason: str = "") -> None:
        """The CSP decides the criteria are met; the Home Office is told in writing."""
        self._record_decision(on=on, commissioned=True, reasons=reason)
        self.commissioned_on = on

    @transition(
        stage,
        source=[Stage.NOTIFIED, Stage.SCOPING],
        target=Stage.NOT_COMMISSIONED,
        permission=permissions.can_decide,
    )
    def decide_not_to_commission(self, *, by, on: date, reason: str = "") -> None:
        """The CSP decides not to hold a review; the Home Office is told, with the reasons."""
        self._record_decision(on=on, commissioned=False, reasons=reason)

    def _record_decision(self, *, on: date, commissioned: bool, reasons: str) -> None:
        self.decided_on = on
        self.commissioned = commissioned
        self.decision_reasons = reasons
        self.home_office_informed_on = on

    @transition(
        stage,
        source=Stage.NOT_COMMISSIONED,
        target=Stage.HOME_OFFICE_CHALLENGE,
        permission=permissions.can_run,
    )
    def record_home_office_challenge(self, *, by, on: date, reason: str = "") -> None:
        """The Home Office QA panel questions a decision not to hold a review."""
        self.home_office_challenged_on = on

    @transition(
        stage,
        source=Stage.HOME_OFFICE_CHALLENGE,
        target=Stage.NOT_COMMISSIONED,
        permission=permissions.can_run,
    )
    def record_challenge_withdrawn(self, *, by, on: date, reason: str = "") -> None:
        """The Home Office accepts the partnership's decision after its challenge."""

    @transition(
        stage,
        source=Stage.HOME_OFFICE_CHALLENGE,
        target=Stage.SETUP,
        permission=permissions.can_run,
    )
    def record_direction(self, *, by, on: date, reason: str = "") -> None:
        """The Secretary of State directs a review (s9(2) Domestic Violence, Crime and Victims Act
        2004); the six months to completion run from the direction."""
        self.directed_on = on
        self.commissioned = True
        self.commissioned_on = on

    # Set-up, terms of reference and agency reports.

    @transition(stage, source=SETUP_ONWARDS, target=None, permission=permissions.can_run)
    def appoint_independent_chair(
        self,
        *,
        by,
        on: date,
        reason: str = "",
        chair,
        victim_pseudonym: str,
        perpetrator_pseudonym: str = "",
    ) -> None:
        """Appoint (or replace) the independent chair and agree the pseudonyms."""
        self.independent_chair = chair
        self.chair_appointed_on = on
        self.victim_pseudonym = victim_pseudonym.strip()
        self.perpetrator_pseudonym = perpetrator_pseudonym.strip()

    @transition(
        stage,
        source=Stage.SETUP,
        target=Stage.TERMS_OF_REFERENCE,
        conditions=[has_independent_chair, has_victim_pseudonym],
        permission=permissions.can_run,
    )
    def complete_setup(self, *, by, on: date, reason: str = "") -> None:
        """Chair appointed, panel formed, pseudonym agreed: the panel can draft its terms."""
        self.setup_completed_on = on

    @transition(
        stage,
        source=Stage.TERMS_OF_REFERENCE,
        target=Stage.AGENCY_REPORTS,
        conditions=[has_independent_chair],
        permission=permissions.can_lead,
    )
    def agree_terms_of_reference(self, *, by, on: date, reason: str = "") -> None:
        """The panel agrees the terms of reference; agencies in scope are asked for reports."""
        self.terms_of_reference_agreed_on = on

    @transition(
        stage,
        source=Stage.AGENCY_REPORTS,
        target=Stage.DRAFTING,
        conditions=[has_independent_chair, has_all_agency_reports],
        permission=permissions.can_lead,
    )
    def complete_agency_reports(self, *, by, on: date, reason: str = "") -> None:
        """Every agency has signed off its report or returned nil: drafting begins."""
        self.agency_reports_completed_on = on

    # Drafting and local sign-off.

    @transition(
        stage,
        source=Stage.DRAFTING,
        target=Stage.LOCAL_SIGN_OFF,
        permission=permissions.can_draft,
    )
    def complete_draft(self, *, by, on: date, reason: str = "") -> None:
        """The overview report, executive summary and action plan are final for sign-off."""
        self.draft_completed_on = on
        self.overview_report_final = True
        self.executive_summary_final = True
        self.action_plan_final = True

    @transition(
        stage,
        source=Stage.LOCAL_SIGN_OFF,
        target=None,
        conditions=[has_final_documents],
        permission=permissions.can_decide,
    )
    def sign_off(self, *, by, on: date, reason: str = "") -> None:
        """The panel and the CSP sign off the report; it is marked OFFICIAL and embargoed."""
        self.signed_off_on = on

    @transition(
        stage,
        source=Stage.LOCAL_SIGN_OFF,
        target=Stage.DRAFTING,
        permission=permissions.can_decide,
    )
    def return_to_drafting(self, *, by, on: date, reason: str = "") -> None:
        """The partnership wants changes before it will sign the report off."""
        self.signed_off_on = None

    @transition(
        stage,
        source=Stage.LOCAL_SIGN_OFF,
        target=Stage.HOME_OFFICE_QA,
        conditions=[has_final_documents, is_signed_off, has_signed_off_documents],
        permission=permissions.can_run,
    )
    def submit_to_home_office(self, *, by, on: date, reason: str = "") -> None:
        """Send the signed-off report to the Home Office Quality Assurance Panel."""
        self.submitted_to_home_office_on = on
        self.home_office_submissions += 1
        self.qa_outcome = ""

    # Home Office quality assurance outcome.

    @transition(
        stage,
        source=Stage.HOME_OFFICE_QA,
        target=Stage.PUBLICATION,
        conditions=[has_feedback_letter],
        permission=permissions.can_run,
    )
    def record_qa_approved(self, *, by, on: date, reason: str = "") -> None:
        """The Home Office approves the report for publication."""
        self._record_qa_outcome(QaOutcome.APPROVED, on)

    @transition(
        stage,
        source=Stage.HOME_OFFICE_QA,
        target=Stage.PUBLICATION,
        conditions=[has_feedback_letter],
        permission=permissions.can_run,
    )
    def record_qa_approved_subject_to_changes(self, *, by, on: date, reason: str = "") -> None:
        """Approved: the partnership makes the "areas for final development" and may publish."""
        self._record_qa_outcome(QaOutcome.APPROVED_SUBJECT_TO_CHANGES, on)

    @transition(
        stage,
        source=Stage.HOME_OFFICE_QA,
        target=Stage.DRAFTING,
        conditions=[has_feedback_letter],
        permission=permissions.can_run,
    )
    def record_qa_resubmit(self, *, by, on: date, reason: str = "") -> None:
        """The Home Office asks for a revised report: back to drafting and a new sign-off."""
        self._record_qa_outcome(QaOutcome.RESUBMIT, on)
        self.signed_off_on = None

    def _record_qa_outcome(self, outcome: str, on: date) -> None:
        self.qa_outcome = outcome
        self.qa_outcome_on = on

    # Publication, action plan and closure.

    @transition(
        stage,
        source=Stage.PUBLICATION,
        target=Stage.ACTION_PLAN,
        conditions=PUBLICATION_GATE,
        permission=permissions.can_run,
    )
    def publish(self, *, by, on: date, reason: str = "") -> None:
        """Publish the anonymised report; its recommendations are then monitored."""
        self.published_on = on

    @transition(
        stage,
        source=[Stage.ACTION_PLAN, Stage.NOT_COMMISSIONED],
        target=Stage.CLOSED,
        conditions=[has_all_recommendations_signed_off],
        permission=permissions.can_decide,
    )
    def close(self, *, by, on: date, reason: str = "") -> None:
        """Close the review: every action done, or a decision not to review stands."""
        self.closed_on = on

    # Pauses for parallel proceedings: the clock stops while paused.

    @transition(stage, source=PAUSABLE, target=Stage.PAUSED, permission=permissions.can_decide)
    def pause(self, *, by, on: date, reason: str = "", pause_reason: str) -> None:
        """Pause for criminal proceedings, an inquest, an IOPC investigation or another review."""
        self.stage_before_pause = self.stage

    @transition(
        stage,
        source=Stage.PAUSED,
        target=RETURN_VALUE(*PAUSABLE),
        permission=permissions.can_decide,
    )
    def resume(self, *, by, on: date, reason: str = "") -> str:
        """Resume where the review was paused; its deadlines move by the days paused."""
        previous, self.stage_before_pause = self.stage_before_pause, ""
        return previous
