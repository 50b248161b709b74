"""Fuzzing the forms of a review up to the agency reports: starting one, its agencies, its
people, its documents, its tasks and the panel's comments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.authorization_cases import pdf
from tests.fuzz.harness import FormCase, fuzz_form
from tests.fuzz.world import at_terms_of_reference_with_panel, uploaded
from workflows.flows import PanelCommentFlow
from workflows.services.agency_reports import agency_task_complete
from workflows.services.tasks import OPEN, process_for

pytestmark = pytest.mark.postgres


def pdf_file(name="chronology-v2.pdf"):
    return lambda: SimpleUploadedFile(name, pdf("fuzzed upload"), "application/pdf")


def review_pages(world):
    reference = world.review.reference
    return tuple(
        reverse(name, kwargs={"reference": reference})
        for name in ("reviews:detail", "reviews:people", "reviews:documents")
    )


def test_start_a_review(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="start a review",
        url=reverse("reviews:start"),
        user=world.users["coordinator"],
        valid={
            "partnership": str(world.partnerships["testshire"].pk),
            "referred_by": "Testshire Police",
            "date_of_death": ["5", "1", "2027"],
            "notified_on": ["10", "1", "2027"],
            "victim_real_name": "Una Madeupperson",
            "perpetrator_real_name": "",
            "circumstances": "",
            "review_type": "dhr",
            "guidance_version": "2016",
            "agencies": [str(world.agencies["police"].pk)],
        },
        pages=(reverse("reviews:list"), reverse("tasks:list")),
        max_examples=60,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_add_an_agency(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="add an agency",
        url=reverse("reviews:agency_add", kwargs={"reference": world.review.reference}),
        user=world.users["coordinator"],
        valid={"agency": str(world.agencies["housing"].pk)},
        pages=review_pages(world),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_invite_someone(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="invite someone to a review",
        url=reverse("reviews:people", kwargs={"reference": world.review.reference}),
        user=world.users["coordinator"],
        valid={
            "email": "nia.newcomer@test.example",
            "full_name": "Nia Newcomer",
            "role": "panel_member",
            "agency": "",
        },
        pages=review_pages(world),
        max_examples=60,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_remove_someone(world, db, django_capture_on_commit_callbacks):
    url = reverse(
        "reviews:participant_remove",
        kwargs={
            "reference": world.review.reference,
            "participant_id": world.participants["police_author"].pk,
        },
    )
    case = FormCase(
        name="remove someone from a review",
        url=url,
        user=world.users["coordinator"],
        valid={"reason": "Moved to another job"},
        pages=review_pages(world),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_upload_a_document(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="upload a document",
        url=reverse("reviews:document_upload", kwargs={"reference": world.review.reference}),
        user=world.users["coordinator"],
        valid={
            "kind": "chronology",
            "agency": str(world.agencies["police"].pk),
            "title": "",
            "file": pdf_file(),
        },
        pages=review_pages(world),
        max_examples=80,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_reassign_a_task(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="reassign a task",
        url=reverse("tasks:reassign", kwargs={"task_id": world.tasks["health_scoping"].pk}),
        user=world.users["coordinator"],
        valid={"to_user": str(world.users["health_author"].pk), "reason": "Away"},
        pages=(reverse("tasks:list"), reverse("reviews:detail", args=[world.review.reference])),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_move_a_leavers_tasks(world, db, django_capture_on_commit_callbacks):
    """The chair's task needs the review's own chair, so nobody else can take it over: every
    valid answer shows the result (nothing moved), and the fuzzing looks for crashes and leaks."""
    case = FormCase(
        name="move a leaver's tasks",
        url=reverse("tasks:bulk_reassign"),
        user=world.users["coordinator"],
        valid={
            "partnership": str(world.partnerships["testshire"].pk),
            "person": str(world.users["chair"].pk),
            "to_user": str(world.users["coordinator"].pk),
            "reason": "Leaving",
        },
        expect_accepted=False,
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def _agency_task_url(world, key):
    return reverse(
        "tasks:agency", kwargs={"reference": world.review.reference, "task_id": world.tasks[key].pk}
    )


def test_answer_scoping(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="agency scoping answer",
        url=_agency_task_url(world, "health_scoping"),
        user=world.users["health_author"],
        valid={"involvement": "not_involved", "on": ["1", "5", "2027"]},
        pages=(reverse("tasks:list"),),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_sign_off_an_agency_report(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="agency report sign-off",
        url=_agency_task_url(world, "police_sign_off"),
        user=world.users["police_manager"],
        valid={"on": ["1", "5", "2027"]},
        pages=(reverse("tasks:list"),),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def _health_report_task(world):
    """Health answers that it knew the people involved: its report task opens."""
    agency_task_complete(
        task=world.tasks["health_scoping"],
        review=world.review,
        by=world.users["health_author"],
        on=world.review.notified_on,
        answer="involved",
    )
    for task in Task.objects.filter(process=process_for(world.review), status__in=OPEN):
        if task.flow_task.name == "agency_report" and task.data.get("review_agency") in {
            ra.pk for ra in world.review.review_agencies.filter(agency=world.agencies["health"])
        }:
            return task
    raise LookupError("no open health report task")


def test_agency_report_upload_and_answer(world, db, django_capture_on_commit_callbacks):
    task = _health_report_task(world)
    url = reverse("tasks:agency", kwargs={"reference": world.review.reference, "task_id": task.pk})
    author = world.users["health_author"]
    upload = FormCase(
        name="agency report upload",
        url=url,
        user=author,
        valid={"kind": "agency_report", "file": pdf_file("report.pdf")},
        form_key="upload_form",
        extra={"upload": "Upload"},
        pages=(url,),
        max_examples=60,
    )
    fuzz_form(upload, django_capture_on_commit_callbacks)
    # The answer waits for the chronology and the report: uploaded (and kept) before it.
    for kind in ("chronology", "agency_report"):
        uploaded(world, world.review, kind, agency=world.agencies["health"], by=author)
    answer = FormCase(
        name="agency report sent for sign-off",
        url=url,
        user=author,
        valid={"on": ["1", "5", "2027"]},
        pages=(reverse("tasks:list"),),
        max_examples=20,
    )
    fuzz_form(answer, django_capture_on_commit_callbacks)


def test_panel_comments(world, db, django_capture_on_commit_callbacks):
    review = at_terms_of_reference_with_panel(world)
    member = world.users["panel_member"]
    task = Task.objects.get(
        process__flow_class=PanelCommentFlow,
        process__artifact_object_id=review.pk,
        status__in=OPEN,
        owner=member,
    )
    case = FormCase(
        name="panel comments",
        url=reverse("tasks:panel", kwargs={"reference": review.reference, "task_id": task.pk}),
        user=member,
        valid={"text": "The scope should include the housing provider."},
        # The chair and coordinator read the comments on the review's page.
        pages=(reverse("reviews:detail", args=[review.reference]),),
        readers=(world.users["chair"], world.users["coordinator"]),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)
