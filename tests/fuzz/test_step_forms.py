"""Fuzzing every lifecycle step's page (/reviews/<ref>/steps/<slug>/): its answers, and the
documents uploaded on the steps that ask for them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.authorization_cases import pdf
from tests.conftest import TODAY
from tests.fuzz.harness import FormCase, fuzz_form
from tests.fuzz.world import review_at, uploaded
from workflows.services.lifecycle import review_transition
from workflows.stages import Stage
from workflows.steps import STEPS

pytestmark = pytest.mark.postgres

TODAY_PARTS = ["1", "6", "2027"]

# The stage each step is fuzzed at: one it leaves, with the facts that let it through.
STEP_STAGES = {
    "start-scoping": Stage.NOTIFIED,
    "decide": Stage.NOTIFIED,
    "home-office-challenge": Stage.NOT_COMMISSIONED,
    "challenge-withdrawn": Stage.HOME_OFFICE_CHALLENGE,
    "direction": Stage.HOME_OFFICE_CHALLENGE,
    "appoint-chair": Stage.SETUP,
    "complete-setup": Stage.SETUP,
    "agree-terms-of-reference": Stage.TERMS_OF_REFERENCE,
    "complete-agency-reports": Stage.AGENCY_REPORTS,
    "complete-draft": Stage.DRAFTING,
    "sign-off": Stage.LOCAL_SIGN_OFF,
    "return-to-drafting": Stage.LOCAL_SIGN_OFF,
    "submit-to-home-office": Stage.LOCAL_SIGN_OFF,
    "qa-outcome": Stage.LOCAL_SIGN_OFF,  # submitted in PREPARE
    "publish": Stage.PUBLICATION,
    "close": Stage.ACTION_PLAN,
    "pause": Stage.AGENCY_REPORTS,
    "resume": Stage.PAUSED,
}
# Answers each form class needs beyond the date, the stage and the reasons.
FORM_ANSWERS = {
    "DecisionForm": lambda world: {"commissioned": "yes"},
    "AppointChairForm": lambda world: {
        "chair": str(world.users["chair"].pk),
        "victim_pseudonym": "Wren",
        "perpetrator_pseudonym": "",
    },
    "CompleteDraftForm": lambda world: {
        "documents": ["overview_report", "executive_summary", "action_plan"]
    },
    "QaOutcomeForm": lambda world: {"outcome": "approved", "areas": ""},
    "PauseForm": lambda world: {"pause_reason": "inquest"},
}
# Steps whose valid answers cannot go through in the fuzzing's world, and why.
BLOCKED = {
    # The publication gate needs the final documents name-checked and the family told.
    "publish": "the publication gate's checks",
}
SIGNED_OFF_DOCUMENTS = ("overview_report", "executive_summary", "action_plan")


def _signed_off_documents(world, review):
    for kind in SIGNED_OFF_DOCUMENTS:
        uploaded(world, review, kind)
    return review


def _submitted_with_letter(world, review):
    """Submitted to the Home Office for real (its pack built), then the letter uploaded."""
    _signed_off_documents(world, review)
    review = review_transition(
        review=review, action="submit_to_home_office", by=world.users["coordinator"], on=TODAY
    )
    uploaded(world, review, "qa_letter")
    return review


# What a step's guard wants done before it goes through, from the stage in STEP_STAGES.
PREPARE = {
    "submit-to-home-office": _signed_off_documents,
    "qa-outcome": _submitted_with_letter,
}
# Writing a submission pack (a PDF cover sheet and a ZIP) takes a while: fewer examples.
SLOW = {"submit-to-home-office": 10}


def test_every_step_is_fuzzed():
    assert set(STEP_STAGES) == {step.slug for step in STEPS}


def step_url(review, slug):
    return reverse("reviews:step", kwargs={"reference": review.reference, "slug": slug})


@pytest.mark.parametrize("step", STEPS, ids=[step.slug for step in STEPS])
def test_step_answers(world, db, django_capture_on_commit_callbacks, step):
    review = review_at(world, STEP_STAGES[step.slug])
    review = PREPARE.get(step.slug, lambda world, review: review)(world, review)
    answers = FORM_ANSWERS.get(step.form_class.__name__, lambda world: {})(world)
    case = FormCase(
        name=f"step {step.slug}",
        url=step_url(review, step.slug),
        user=world.users["coordinator"],
        valid={
            "stage": review.stage,
            "on": TODAY_PARTS,
            "reason": "Agreed at the panel",
            **answers,
        },
        pages=(
            reverse("reviews:detail", args=[review.reference]),
            reverse("reviews:qa_areas", args=[review.reference]),
        ),
        readers=(world.users["chair"], world.users["police_author"]),
        max_examples=SLOW.get(step.slug, 25),
        expect_accepted=step.slug not in BLOCKED,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


@pytest.mark.parametrize(
    "step", [step for step in STEPS if step.documents], ids=lambda step: step.slug
)
def test_step_uploads(world, db, django_capture_on_commit_callbacks, step):
    review = review_at(world, STEP_STAGES[step.slug])
    if step.slug == "qa-outcome":
        review = _submitted_with_letter(world, review)
    url = step_url(review, step.slug)
    case = FormCase(
        name=f"step {step.slug} upload",
        url=url,
        user=world.users["coordinator"],
        valid={
            "kind": step.documents[0],
            "file": lambda: SimpleUploadedFile("document.pdf", pdf("step"), "application/pdf"),
        },
        form_key="upload_form",
        extra={"upload": "Upload"},
        pages=(url, reverse("reviews:documents", args=[review.reference])),
        max_examples=30,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)
