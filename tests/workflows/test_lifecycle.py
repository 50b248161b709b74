"""Every transition from every stage: allowed ones move and leave history; the rest refuse."""

from datetime import date

import pytest
from django.db import IntegrityError

from tests.conftest import TODAY
from workflows.models import Pause, Review, ReviewHistory
from workflows.publication.samples import publication_ready
from workflows.qa.samples import qa_letter_upload, submission_documents_upload
from workflows.qa.services import qa_submission_create
from workflows.services.lifecycle import ReviewChanged, TransitionRefused, review_transition
from workflows.stages import PAUSABLE, QaOutcome, Stage

S = Stage
# The lifecycle as the statutory process describes it: transition -> {source: target}.
# Written out by hand (not read from the code) so that a change to the machine fails here.
EXPECTED = {
    "start_scoping": {S.NOTIFIED: S.SCOPING},
    "decide_to_commission": {S.NOTIFIED: S.SETUP, S.SCOPING: S.SETUP},
    "decide_not_to_commission": {S.NOTIFIED: S.NOT_COMMISSIONED, S.SCOPING: S.NOT_COMMISSIONED},
    "record_home_office_challenge": {S.NOT_COMMISSIONED: S.HOME_OFFICE_CHALLENGE},
    "record_challenge_withdrawn": {S.HOME_OFFICE_CHALLENGE: S.NOT_COMMISSIONED},
    "record_direction": {S.HOME_OFFICE_CHALLENGE: S.SETUP},
    "appoint_independent_chair": {
        S.SETUP: S.SETUP,
        S.TERMS_OF_REFERENCE: S.TERMS_OF_REFERENCE,
        S.AGENCY_REPORTS: S.AGENCY_REPORTS,
        S.DRAFTING: S.DRAFTING,
    },
    "complete_setup": {S.SETUP: S.TERMS_OF_REFERENCE},
    "agree_terms_of_reference": {S.TERMS_OF_REFERENCE: S.AGENCY_REPORTS},
    "complete_agency_reports": {S.AGENCY_REPORTS: S.DRAFTING},
    "complete_draft": {S.DRAFTING: S.LOCAL_SIGN_OFF},
    "sign_off": {S.LOCAL_SIGN_OFF: S.LOCAL_SIGN_OFF},
    "return_to_drafting": {S.LOCAL_SIGN_OFF: S.DRAFTING},
    "submit_to_home_office": {S.LOCAL_SIGN_OFF: S.HOME_OFFICE_QA},
    "record_qa_approved": {S.HOME_OFFICE_QA: S.PUBLICATION},
    "record_qa_approved_subject_to_changes": {S.HOME_OFFICE_QA: S.PUBLICATION},
    "record_qa_resubmit": {S.HOME_OFFICE_QA: S.DRAFTING},
    "publish": {S.PUBLICATION: S.ACTION_PLAN},
    "close": {S.ACTION_PLAN: S.CLOSED, S.NOT_COMMISSIONED: S.CLOSED},
    "pause": dict.fromkeys(PAUSABLE, S.PAUSED),
    # A paused review returns to the stage it was paused at (the builder pauses agency reports).
    "resume": {S.PAUSED: S.AGENCY_REPORTS},
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the Home Office steps store documents and packs


def ready_for(review, action: str, by) -> dict:
    """Upload what the Home Office steps' guards ask for (tests/workflows/test_qa.py tests
    them); returns the step's effects."""
    if action == "submit_to_home_office" or action.startswith("record_qa_"):
        submission_documents_upload(review=review, by=by)
    if action.startswith("record_qa_") and review.stage == Stage.HOME_OFFICE_QA:
        qa_submission_create(review=review, by=by, on=TODAY, number=1)
        qa_letter_upload(review=review, by=by)
    if action == "publish":
        # What the publication gate asks for (tests/workflows/test_publication_gate.py).
        publication_ready(review=review, by=by)
    if action == "record_qa_approved_subject_to_changes":
        return {"areas": ["Explain the housing referral."]}
    return {}


def details_for(action: str, chair) -> dict:
    if action == "appoint_independent_chair":
        return {"chair": chair, "victim_pseudonym": "Robin", "perpetrator_pseudonym": "Mr B"}
    if action == "pause":
        return {"pause_reason": "criminal_proceedings"}
    return {}


CASES = [(action, stage) for action in EXPECTED for stage in Stage.values]


@pytest.mark.parametrize(("action", "source"), CASES)
def test_transition_from_every_stage(action, source, review_at, coordinator, independent_chair):
    review = review_at(source)
    history_before = ReviewHistory.objects.filter(review=review).count()
    target = EXPECTED[action].get(source)
    if target is None:
        with pytest.raises(TransitionRefused):
            review_transition(
                review=review,
                action=action,
                by=coordinator,
                on=TODAY,
                reason="Testing",
                **details_for(action, independent_chair),
            )
        review.refresh_from_db()
        assert review.stage == source
        assert ReviewHistory.objects.filter(review=review).count() == history_before
        return
    effects = ready_for(review, action, coordinator)
    moved = review_transition(
        review=review,
        action=action,
        by=coordinator,
        on=TODAY,
        reason="Testing",
        effects=effects,
        **details_for(action, independent_chair),
    )
    assert moved.stage == target
    assert Review.objects.get(pk=review.pk).stage == target
    entry = ReviewHistory.objects.filter(review=review).latest("at", "pk")
    assert (entry.action, entry.from_stage, entry.to_stage) == (action, source, target)
    assert (entry.by, entry.effective_on, entry.reason) == (coordinator, TODAY, "Testing")


def test_stage_cannot_be_set_directly(review):
    with pytest.raises(AttributeError):
        review.stage = Stage.CLOSED


def test_history_rows_cannot_be_changed(review, coordinator):
    review_transition(review=review, action="start_scoping", by=coordinator, on=TODAY)
    entry = review.history.get()
    entry.reason = "Rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        entry.save()


GUARDS = [
    (Stage.SETUP, "complete_setup", {"independent_chair": None}, "Appoint an independent chair"),
    (Stage.SETUP, "complete_setup", {"victim_pseudonym": ""}, "Agree the victim's pseudonym"),
    (
        Stage.TERMS_OF_REFERENCE,
        "agree_terms_of_reference",
        {"independent_chair": None},
        "Appoint an independent chair",
    ),
    (
        Stage.LOCAL_SIGN_OFF,
        "sign_off",
        {"executive_summary_final": False},
        "overview report, executive summary and action plan",
    ),
    (
        Stage.LOCAL_SIGN_OFF,
        "submit_to_home_office",
        {"signed_off_on": None},
        "sign off the report locally",
    ),
    (
        Stage.LOCAL_SIGN_OFF,
        "submit_to_home_office",
        {"action_plan_final": False},
        "overview report, executive summary and action plan",
    ),
    (Stage.PUBLICATION, "publish", {"qa_outcome": ""}, "Home Office must approve"),
    (Stage.PUBLICATION, "publish", {"qa_outcome": QaOutcome.RESUBMIT}, "Home Office must approve"),
]


@pytest.mark.parametrize(("stage", "action", "facts", "message"), GUARDS)
def test_guards_refuse_with_a_reason(review_at, coordinator, stage, action, facts, message):
    review = review_at(stage)
    Review.objects.filter(pk=review.pk).update(**facts)
    with pytest.raises(TransitionRefused) as refused:
        review_transition(review=review, action=action, by=coordinator, on=TODAY)
    assert any(message in text for text in refused.value.messages), refused.value.messages
    assert Review.objects.get(pk=review.pk).stage == stage
    assert not ReviewHistory.objects.filter(review=review, action=action).exists()


# Who may take each step (at a stage where it is available): coordinator records everything.
PERMISSIONS = [
    ("start_scoping", Stage.NOTIFIED, {"coordinator"}),
    ("decide_to_commission", Stage.SCOPING, {"coordinator", "csp_chair"}),
    ("decide_not_to_commission", Stage.SCOPING, {"coordinator", "csp_chair"}),
    ("record_direction", Stage.HOME_OFFICE_CHALLENGE, {"coordinator"}),
    ("complete_setup", Stage.SETUP, {"coordinator"}),
    ("agree_terms_of_reference", Stage.TERMS_OF_REFERENCE, {"coordinator", "independent_chair"}),
    ("complete_draft", Stage.DRAFTING, {"coordinator", "independent_chair"}),
    ("sign_off", Stage.LOCAL_SIGN_OFF, {"coordinator", "csp_chair"}),
    ("submit_to_home_office", Stage.LOCAL_SIGN_OFF, {"coordinator"}),
    ("record_qa_approved", Stage.HOME_OFFICE_QA, {"coordinator"}),
    ("publish", Stage.PUBLICATION, {"coordinator"}),
    ("close", Stage.ACTION_PLAN, {"coordinator", "csp_chair"}),
    ("pause", Stage.DRAFTING, {"coordinator", "csp_chair"}),
    ("resume", Stage.PAUSED, {"coordinator", "csp_chair"}),
]
PERSONAS = ["coordinator", "csp_chair", "independent_chair", "police_author", "outsider"]


@pytest.mark.parametrize(("action", "stage", "allowed"), PERMISSIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_by_role(request, review_at, action, stage, allowed, persona):
    review = review_at(stage)
    user = request.getfixturevalue(persona)
    details = details_for(action, request.getfixturevalue("independent_chair"))
    if persona in allowed:
        effects = ready_for(review, action, request.getfixturevalue("coordinator"))
        review_transition(
            review=review, action=action, by=user, on=TODAY, effects=effects, **details
        )
        assert ReviewHistory.objects.filter(review=review, action=action, by=user).exists()
        return
    with pytest.raises(TransitionRefused, match="permission"):
        review_transition(review=review, action=action, by=user, on=TODAY, **details)
    assert Review.objects.get(pk=review.pk).stage == stage


def test_an_independent_chair_of_another_review_cannot_lead_this_one(review_at, partnership):
    from tests.factories import MembershipFactory

    other_chair = MembershipFactory(partnership=partnership, role="independent_chair").user
    review = review_at(Stage.TERMS_OF_REFERENCE)
    with pytest.raises(TransitionRefused, match="permission"):
        review_transition(
            review=review, action="agree_terms_of_reference", by=other_chair, on=TODAY
        )


def test_a_step_cannot_be_dated_in_the_future(review, coordinator):
    with pytest.raises(TransitionRefused, match="future"):
        review_transition(
            review=review, action="start_scoping", by=coordinator, on=date(2027, 6, 2)
        )
    assert Review.objects.get(pk=review.pk).stage == Stage.NOTIFIED


def test_a_step_cannot_be_dated_before_the_notification(review, coordinator):
    with pytest.raises(TransitionRefused, match="10 January 2027"):
        review_transition(
            review=review, action="start_scoping", by=coordinator, on=date(2027, 1, 9)
        )


def test_a_review_cannot_resume_before_it_was_paused(review_at, coordinator):
    review = review_at(Stage.PAUSED)
    with pytest.raises(TransitionRefused, match="1 April 2027"):
        review_transition(review=review, action="resume", by=coordinator, on=date(2027, 3, 31))


def test_someone_else_moved_the_review_first(review, coordinator, csp_chair):
    review_transition(
        review=review,
        action="decide_to_commission",
        by=csp_chair,
        on=TODAY,
        expected_stage=Stage.NOTIFIED,
    )
    with pytest.raises(ReviewChanged, match="Someone else changed this review"):
        review_transition(
            review=review,
            action="start_scoping",
            by=coordinator,
            on=TODAY,
            expected_stage=Stage.NOTIFIED,
        )
    assert Review.objects.get(pk=review.pk).stage == Stage.SETUP
    assert not ReviewHistory.objects.filter(review=review, action="start_scoping").exists()


def test_a_failure_inside_a_transition_leaves_nothing_behind(review_at, coordinator, monkeypatch):
    review = review_at(Stage.DRAFTING)

    def broken(**kwargs):
        raise IntegrityError("simulated failure after the history row was written")

    monkeypatch.setattr("workflows.services.lifecycle.deadlines_recompute", broken)
    with pytest.raises(IntegrityError):
        review_transition(
            review=review, action="pause", by=coordinator, on=TODAY, pause_reason="inquest"
        )
    assert Review.objects.get(pk=review.pk).stage == Stage.DRAFTING
    assert not Pause.objects.filter(
        review=review, resumed_on__isnull=True, stage="drafting"
    ).exists()
    assert not ReviewHistory.objects.filter(review=review, action="pause").exists()


def test_decision_records_the_home_office_being_told(review, csp_chair):
    review = review_transition(
        review=review,
        action="decide_not_to_commission",
        by=csp_chair,
        on=date(2027, 2, 1),
        reason="Criteria not met: death by natural causes.",
    )
    assert review.commissioned is False
    assert review.home_office_informed_on == date(2027, 2, 1)
    assert review.decision_reasons == "Criteria not met: death by natural causes."


def test_resubmission_loops_back_and_counts(review_at, coordinator):
    review = review_at(Stage.LOCAL_SIGN_OFF)
    ready_for(review, "submit_to_home_office", coordinator)
    review = review_transition(
        review=review, action="submit_to_home_office", by=coordinator, on=TODAY
    )
    qa_letter_upload(review=review, by=coordinator)
    review = review_transition(review=review, action="record_qa_resubmit", by=coordinator, on=TODAY)
    assert (review.stage, review.signed_off_on) == (Stage.DRAFTING, None)
    review = review_transition(review=review, action="complete_draft", by=coordinator, on=TODAY)
    review = review_transition(review=review, action="sign_off", by=coordinator, on=TODAY)
    review = review_transition(
        review=review, action="submit_to_home_office", by=coordinator, on=TODAY
    )
    assert review.home_office_submissions == 2


def test_pause_and_resume_return_to_the_same_stage(review_at, csp_chair, time_machine):
    review = review_at(Stage.DRAFTING)
    time_machine.move_to(date(2027, 5, 1))
    review = review_transition(
        review=review,
        action="pause",
        by=csp_chair,
        on=date(2027, 5, 1),
        pause_reason="criminal_proceedings",
        reason="Trial listed.",
    )
    assert (review.stage, review.stage_before_pause) == (Stage.PAUSED, Stage.DRAFTING)
    time_machine.move_to(TODAY)
    review = review_transition(review=review, action="resume", by=csp_chair, on=TODAY)
    assert (review.stage, review.stage_before_pause) == (Stage.DRAFTING, "")
    pause = review.pauses.get()
    assert (pause.paused_on, pause.resumed_on, pause.resumed_by) == (
        date(2027, 5, 1),
        TODAY,
        csp_chair,
    )
    assert (pause.reason, pause.detail, pause.stage) == (
        "criminal_proceedings",
        "Trial listed.",
        "drafting",
    )
