"""Fuzzing the forms after the report: Home Office areas for final development, publication,
restricted names, archiving, the action plan, and the public page's feedback."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.authorization_cases import pdf
from tests.fuzz.harness import FormCase, fuzz_form
from tests.fuzz.world import published, review_at, with_recommendation
from workflows.stages import Stage

pytestmark = pytest.mark.postgres


def test_area_for_final_development_done(world, db, django_capture_on_commit_callbacks):
    reference = world.review.reference
    area = world.publishing["area"]
    case = FormCase(
        name="area for final development done",
        url=reverse("reviews:qa_area_done", kwargs={"reference": reference, "area_id": area.pk}),
        user=world.users["coordinator"],
        valid={"note": "Done in version 3."},
        pages=(reverse("reviews:qa_areas", args=[reference]),),
        readers=(world.users["police_author"],),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_restricted_names(world, db, django_capture_on_commit_callbacks):
    url = reverse("reviews:publication_names", args=[world.review.reference])
    case = FormCase(
        name="restricted name",
        url=url,
        user=world.users["coordinator"],
        valid={"name": "Walter Brothername", "relationship": "Brother"},
        pages=(url,),
        readers=(world.users["chair"],),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_prepare_publication(world, db, django_capture_on_commit_callbacks):
    review = review_at(world, Stage.PUBLICATION)
    url = reverse("reviews:publication_prepare", args=[review.reference])
    case = FormCase(
        name="publication details",
        url=url,
        user=world.users["coordinator"],
        valid={
            "criminal_proceedings": "concluded",
            "proceedings_concluded_on": ["1", "4", "2027"],
            "proceedings_override_reason": "",
            "planned_on": ["15", "7", "2027"],
            "family_told_on": ["20", "5", "2027"],
            "condolence_statement": "Our thoughts are with Robin's family.",
            "partnership_response": "Call handlers are now trained.",
        },
        pages=(url, reverse("reviews:detail", args=[review.reference])),
        readers=(world.users["csp_chair"], world.users["chair"]),
        max_examples=60,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_archive_the_published_page(world, db, django_capture_on_commit_callbacks):
    review = review_at(world, Stage.ACTION_PLAN)
    published(world, review)
    case = FormCase(
        name="archive the published page",
        url=reverse("reviews:publication_archive", args=[review.reference]),
        user=world.users["coordinator"],
        valid={"on": ["1", "6", "2027"]},
        pages=(reverse("public:index"),),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_public_page_feedback(world, db, django_capture_on_commit_callbacks):
    """Anyone may answer; the partnership's coordinator reads the comments."""
    review = review_at(world, Stage.ACTION_PLAN)
    published(world, review)
    case = FormCase(
        name="public page feedback",
        url=reverse("public:feedback", kwargs={"slug": "testshire"}),
        user=None,
        valid={"helpful": "no", "comment": "The summary was hard to find."},
        pages=(reverse("page_feedback", kwargs={"slug": "testshire"}),),
        readers=(world.users["coordinator"],),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def _plan_url(name, review, number=None):
    kwargs = {"reference": review.reference}
    if number is not None:
        kwargs["number"] = number
    return reverse(f"reviews:{name}", kwargs=kwargs)


def _recommendation_answers(world):
    return {
        "text": "Share risk assessments with housing.",
        "owner_agency": str(world.agencies["police"].pk),
        "owner": str(world.users["police_author"].pk),
        "due_on": ["1", "9", "2027"],
    }


@pytest.mark.parametrize("change", ["add", "edit"])
def test_recommendation(world, db, django_capture_on_commit_callbacks, change):
    review = review_at(world, Stage.ACTION_PLAN)
    with_recommendation(world, review)
    url = _plan_url(f"action_plan_{change}", review, 1 if change == "edit" else None)
    case = FormCase(
        name=f"recommendation {change}",
        url=url,
        user=world.users["coordinator"],
        valid=_recommendation_answers(world),
        pages=(
            _plan_url("action_plan", review),
            reverse("reviews:detail", args=[review.reference]),
        ),
        readers=(world.users["police_author"],),
        max_examples=50,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_recommendation_progress(world, db, django_capture_on_commit_callbacks):
    review = review_at(world, Stage.ACTION_PLAN)
    with_recommendation(world, review)
    case = FormCase(
        name="recommendation progress",
        url=_plan_url("action_plan_progress", review, 1),
        user=world.users["police_author"],
        valid={"status": "in_progress"},
        pages=(_plan_url("action_plan", review),),
        max_examples=20,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_recommendation_completed_with_evidence(world, db, django_capture_on_commit_callbacks):
    review = review_at(world, Stage.ACTION_PLAN)
    with_recommendation(world, review, status="in_progress")
    case = FormCase(
        name="recommendation completed",
        url=_plan_url("action_plan_complete", review, 1),
        user=world.users["police_author"],
        valid={
            "evidence_note": "Training given to every call handler.",
            "evidence_file": lambda: SimpleUploadedFile(
                "evidence.pdf", pdf("evidence"), "application/pdf"
            ),
        },
        pages=(_plan_url("action_plan", review), _plan_url("action_plan_sign_off", review, 1)),
        readers=(world.users["coordinator"],),
        max_examples=60,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_recommendation_sent_back(world, db, django_capture_on_commit_callbacks):
    review = review_at(world, Stage.ACTION_PLAN)
    with_recommendation(world, review, status="completed")
    case = FormCase(
        name="recommendation sent back",
        url=_plan_url("action_plan_send_back", review, 1),
        user=world.users["coordinator"],
        valid={"reason": "The evidence does not show the training took place."},
        pages=(_plan_url("action_plan", review),),
        readers=(world.users["police_author"],),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)
