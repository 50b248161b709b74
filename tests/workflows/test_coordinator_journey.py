"""A coordinator drives a review from notification to closed through the pages alone.

No agency is in scope here, so the agency reports stage has only the chair's task (agencies'
branches are tested in test_agency_reports.py)."""

from datetime import date

from workflows.models import Review
from workflows.qa.samples import qa_letter_upload, submission_documents_upload
from workflows.stages import Stage


def dated(name: str, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def take_step(client, review: Review, slug: str, day: date, **answers) -> Review:
    url = f"/reviews/{review.reference}/steps/{slug}/"
    assert client.get(url).status_code == 200, slug
    response = client.post(url, {"stage": review.stage, **dated("on", day), **answers})
    assert response.status_code == 302, response.content.decode()[:3000]
    review.refresh_from_db()
    return review


JOURNEY = [
    ("start-scoping", date(2027, 1, 11), {}, Stage.SCOPING),
    ("decide", date(2027, 2, 1), {"commissioned": "yes", "reason": "Criteria met."}, Stage.SETUP),
    ("pause", date(2027, 2, 5), {"pause_reason": "inquest"}, Stage.PAUSED),
    ("resume", date(2027, 2, 15), {}, Stage.SETUP),
    ("complete-setup", date(2027, 2, 20), {}, Stage.TERMS_OF_REFERENCE),
    ("agree-terms-of-reference", date(2027, 3, 1), {}, Stage.AGENCY_REPORTS),
    ("complete-agency-reports", date(2027, 4, 1), {}, Stage.DRAFTING),
    (
        "complete-draft",
        date(2027, 4, 20),
        {"documents": ["overview_report", "executive_summary", "action_plan"]},
        Stage.LOCAL_SIGN_OFF,
    ),
    ("sign-off", date(2027, 4, 25), {}, Stage.LOCAL_SIGN_OFF),
    ("submit-to-home-office", date(2027, 4, 26), {}, Stage.HOME_OFFICE_QA),
    ("qa-outcome", date(2027, 5, 10), {"outcome": "resubmit"}, Stage.DRAFTING),
    (
        "complete-draft",
        date(2027, 5, 12),
        {"documents": ["overview_report", "executive_summary", "action_plan"]},
        Stage.LOCAL_SIGN_OFF,
    ),
    ("sign-off", date(2027, 5, 13), {}, Stage.LOCAL_SIGN_OFF),
    ("submit-to-home-office", date(2027, 5, 14), {}, Stage.HOME_OFFICE_QA),
    ("qa-outcome", date(2027, 5, 20), {"outcome": "approved"}, Stage.PUBLICATION),
    ("publish", date(2027, 5, 25), {}, Stage.ACTION_PLAN),
    ("close", date(2027, 5, 31), {"reason": "Every action is complete."}, Stage.CLOSED),
]


def test_coordinator_drives_a_review_from_notification_to_closed(
    client, coordinator, independent_chair, partnership, police, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(coordinator)
    response = client.post(
        "/reviews/start/",
        {
            "partnership": partnership.pk,
            "referred_by": "Testshire Police",
            **dated("date_of_death", date(2027, 1, 5)),
            **dated("notified_on", date(2027, 1, 10)),
            "victim_real_name": "Zelda Inventedname",
            "review_type": "dhr",
            "guidance_version": "2016",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert response["Location"] == f"/reviews/{review.reference}/"
    for slug, day, answers, stage in JOURNEY[:4]:
        assert take_step(client, review, slug, day, **answers).stage == stage, slug
    review = take_step(
        client,
        review,
        "appoint-chair",
        date(2027, 2, 16),
        chair=independent_chair.pk,
        victim_pseudonym="Robin",
    )
    assert review.independent_chair == independent_chair
    for slug, day, answers, stage in JOURNEY[4:]:
        # What the Home Office steps' guards ask for (tests/workflows/test_qa.py).
        if slug == "complete-draft" and not review.documents.exists():
            submission_documents_upload(review=review, by=coordinator)
        if slug == "qa-outcome":
            qa_letter_upload(review=review, by=coordinator)
        if slug == "publish":
            # What the publication gate asks for, on the Prepare publication page.
            prepared = client.post(
                f"/reviews/{review.reference}/publication/",
                {
                    "criminal_proceedings": "none",
                    **dated("planned_on", date(2027, 5, 25)),
                    **dated("family_told_on", date(2027, 5, 21)),
                },
            )
            assert prepared.status_code == 302
        assert take_step(client, review, slug, day, **answers).stage == stage, slug

    page = client.get(f"/reviews/{review.reference}/").content.decode()
    assert "Closed" in page
    assert review.home_office_submissions == 2
    assert review.history.count() == len(JOURNEY) + 2  # plus the notification and appointment
    completion = review.deadlines.get(rule="completion")
    # Six months from 1 February 2027 plus the 10 days paused for the inquest; met on 13 May.
    assert (completion.due_on, completion.met_on) == (date(2027, 8, 11), date(2027, 5, 13))


def test_documents_are_uploaded_on_the_step_that_asks_for_them(
    client, coordinator, review_at, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    review = review_at(Stage.DRAFTING)
    url = f"/reviews/{review.reference}/steps/complete-draft/"
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and "Overview report" in page
    pdf = b"%PDF-1.4\n%%EOF\n"
    for _version in (1, 2):
        upload = SimpleUploadedFile("draft.pdf", pdf, "application/pdf")
        response = client.post(url, {"upload": "1", "kind": "overview_report", "file": upload})
        assert response.status_code == 302
    document = review.documents.get(kind="overview_report")
    assert document.versions.count() == 2
    assert "Overview report: version 2" in client.get(url).content.decode()
    wrong = SimpleUploadedFile("letter.pdf", pdf, "application/pdf")
    response = client.post(url, {"upload": "1", "kind": "qa_letter", "file": wrong})
    assert "Select a valid choice" in response.content.decode()
    assert Review.objects.get(pk=review.pk).stage == Stage.DRAFTING
