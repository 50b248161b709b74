"""Home Office quality assurance: the submission pack, its link, the outcome with its letter, and
the checklist of areas for final development."""

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import TODAY
from workflows.models import DocumentAccess, DocumentKind, Review
from workflows.models.publication import DevelopmentArea, QaSubmission
from workflows.qa.samples import qa_letter_upload, sample_pdf, submission_documents_upload
from workflows.qa.services import development_area_complete
from workflows.qa.summary import summary
from workflows.services.documents import document_upload
from workflows.services.lifecycle import TransitionRefused, review_transition
from workflows.stages import QaOutcome, Stage

REAL_NAMES = ("Zelda", "Inventedname", "Quentin", "Madeupname")  # tests.factories.ReviewFactory
ALL_MEMBERS = [
    "00-cover-sheet.pdf",
    "01-overview-report-v1.pdf",
    "02-executive-summary-v1.pdf",
    "03-action-plan-v1.pdf",
    "04-terms-of-reference-v1.pdf",
    "05-combined-chronology-v1.pdf",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://reviews.example"


def move(review, action, by, **kwargs) -> Review:
    return review_transition(review=review, action=action, by=by, on=TODAY, **kwargs)


def upload(review, kind, by, name="report.pdf", text="Robin") -> object:
    content = SimpleUploadedFile(name, sample_pdf([text]), "application/pdf")
    return document_upload(review=review, kind=kind, uploaded_file=content, by=by)


@pytest.fixture
def drafted(review_at, coordinator):
    """A review at local sign-off (not yet signed off) with the documents uploaded."""
    review = review_at(Stage.DRAFTING)
    submission_documents_upload(review=review, by=coordinator)
    return move(review, "complete_draft", coordinator)


@pytest.fixture
def signed_off(drafted, coordinator):
    return move(drafted, "sign_off", coordinator)


@pytest.fixture
def submitted(signed_off, coordinator, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return move(signed_off, "submit_to_home_office", coordinator)


def opened(submission) -> zipfile.ZipFile:
    with submission.pack.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def cover_text(archive) -> str:
    reader = PdfReader(io.BytesIO(archive.read("00-cover-sheet.pdf")))
    return "\n".join(page.extract_text() for page in reader.pages)


# The pack.


def test_submitting_packs_each_signed_off_document_with_its_checksum(submitted):
    submission = QaSubmission.objects.get(review=submitted)
    archive = opened(submission)
    assert archive.namelist() == ALL_MEMBERS
    for row in submission.contents:
        version = submitted.documents.get(kind=row["kind"]).versions.get(number=row["version"])
        assert hashlib.sha256(archive.read(row["name"])).hexdigest() == version.sha256
        assert row["sha256"] == version.sha256
    with submission.pack.open("rb") as handle:
        data = handle.read()
    assert (submission.pack_sha256, submission.pack_size) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert (submission.number, submission.submitted_on) == (1, TODAY)


def test_the_cover_sheet_lists_versions_and_checksums_and_no_real_name(submitted):
    archive = opened(QaSubmission.objects.get(review=submitted))
    text = cover_text(archive)
    assert submitted.reference in text and "Robin" in text
    for version in [d.versions.get() for d in submitted.documents.all()]:
        assert version.sha256 in text.replace("\n", "")
    assert "Overview report" in text and "Combined chronology" in text
    assert not [name for name in REAL_NAMES if name.lower() in text.lower()]


def test_a_version_uploaded_after_sign_off_is_not_packed(signed_off, coordinator):
    late = upload(signed_off, DocumentKind.OVERVIEW_REPORT, coordinator, text="Late change")
    assert late.number == 2
    review = move(signed_off, "submit_to_home_office", coordinator)
    submission = review.qa_submissions.get()
    assert "01-overview-report-v1.pdf" in opened(submission).namelist()
    assert [r["version"] for r in submission.contents if r["kind"] == "overview_report"] == [1]


def test_a_new_sign_off_takes_the_latest_version_under_a_neutral_name(
    drafted, coordinator, csp_chair
):
    upload(drafted, DocumentKind.OVERVIEW_REPORT, coordinator, name="Zelda Inventedname.pdf")
    review = move(drafted, "sign_off", csp_chair)
    review = move(review, "submit_to_home_office", coordinator)
    archive = opened(review.qa_submissions.get())
    assert "01-overview-report-v2.pdf" in archive.namelist()
    names = " ".join(archive.namelist()) + cover_text(archive)
    assert "Zelda" not in names and "Inventedname" not in names


def test_missing_optional_documents_are_listed_as_not_uploaded(review_at, coordinator):
    review = review_at(Stage.DRAFTING)
    for kind in ("overview_report", "executive_summary", "action_plan"):
        upload(review, kind, coordinator)
    review = move(move(review, "complete_draft", coordinator), "sign_off", coordinator)
    review = move(review, "submit_to_home_office", coordinator)
    archive = opened(review.qa_submissions.get())
    assert archive.namelist() == ALL_MEMBERS[:4]
    text = cover_text(archive)
    assert "Terms of reference: not uploaded" in text
    assert "Combined chronology: not uploaded" in text


# Guards.


def test_submitting_without_the_report_uploaded_before_sign_off_is_refused(review_at, coordinator):
    review = move(
        move(review_at(Stage.DRAFTING), "complete_draft", coordinator), "sign_off", coordinator
    )
    upload(review, DocumentKind.OVERVIEW_REPORT, coordinator)
    upload(review, DocumentKind.EXECUTIVE_SUMMARY, coordinator)
    upload(review, DocumentKind.ACTION_PLAN, coordinator)  # all after sign-off
    with pytest.raises(TransitionRefused) as refused:
        move(review, "submit_to_home_office", coordinator)
    assert refused.value.messages == [
        "Upload the overview report, executive summary and action plan before sign-off, "
        "then submit."
    ]
    review.refresh_from_db()
    assert (review.stage, review.home_office_submissions) == (Stage.LOCAL_SIGN_OFF, 0)
    assert not QaSubmission.objects.exists()


def test_a_stored_file_that_no_longer_matches_its_checksum_is_not_sent(signed_off, coordinator):
    version = signed_off.documents.get(kind="executive_summary").versions.get()
    with open(version.file.path, "ab") as stored:
        stored.write(b"tampered")
    with pytest.raises(TransitionRefused, match="executive summary .version 1. does not match"):
        move(signed_off, "submit_to_home_office", coordinator)
    signed_off.refresh_from_db()
    assert (signed_off.stage, signed_off.home_office_submissions) == (Stage.LOCAL_SIGN_OFF, 0)
    assert not QaSubmission.objects.exists()


def test_an_outcome_needs_the_letter_uploaded_after_the_submission(signed_off, coordinator):
    qa_letter_upload(review=signed_off, by=coordinator)  # before the submission: does not count
    review = move(signed_off, "submit_to_home_office", coordinator)
    for action in ("record_qa_approved", "record_qa_resubmit"):
        with pytest.raises(TransitionRefused) as refused:
            move(review, action, coordinator)
        assert refused.value.messages == ["Upload the Home Office's feedback letter first."]
    assert Review.objects.get(pk=review.pk).stage == Stage.HOME_OFFICE_QA


# The Home Office's email and link.


def test_the_home_office_gets_a_link_and_no_attachment(submitted):
    submission = submitted.qa_submissions.get()
    [email] = [m for m in mail.outbox if m.to == ["dhrenquiries@homeoffice.example"]]
    link = f"https://reviews.example/home-office/packs/{submission.token}/"
    assert link in email.body
    assert link in email.alternatives[0][0]
    assert email.attachments == []
    assert "30 August 2027" in email.body  # 90 days after 1 June 2027
    assert not [name for name in REAL_NAMES if name in email.body]


def test_the_link_downloads_the_pack_without_signing_in(client, submitted):
    submission = submitted.qa_submissions.get()
    response = client.get(f"/home-office/packs/{submission.token}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="{submitted.reference}-submission-1.zip"'
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == submission.pack_sha256


def test_a_wrong_or_expired_link_is_not_found(client, submitted, settings):
    submission = submitted.qa_submissions.get()
    assert client.get("/home-office/packs/not-a-real-token/").status_code == 404
    settings.QA_PACK_LINK_DAYS = 30
    QaSubmission.objects.update(submitted_at=timezone.now() - timedelta(days=29))
    assert client.get(f"/home-office/packs/{submission.token}/").status_code == 200
    QaSubmission.objects.update(submitted_at=timezone.now() - timedelta(days=31))
    assert client.get(f"/home-office/packs/{submission.token}/").status_code == 404


def test_signed_in_downloads_are_for_those_who_see_the_documents(
    client, submitted, coordinator, police_author, police
):
    from tests.factories import ParticipantFactory

    ParticipantFactory(
        review=submitted,
        user=police_author,
        role="agency_author",
        agency=police,
        added_by=coordinator,
    )
    url = f"/reviews/{submitted.reference}/home-office/submissions/1/pack/"
    client.force_login(police_author)
    assert client.get(url).status_code == 404
    client.force_login(coordinator)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    logged = DocumentAccess.objects.filter(user=coordinator, action="download")
    assert logged.count() == 5
    assert (
        client.get(f"/reviews/{submitted.reference}/home-office/submissions/2/pack/").status_code
        == 404
    )


# Outcomes.


def test_resubmit_sends_the_review_back_and_the_next_submission_is_number_two(
    client, submitted, coordinator, csp_chair
):
    letter = qa_letter_upload(review=submitted, by=coordinator)
    review = move(submitted, "record_qa_resubmit", coordinator, reason="Say more about housing.")
    assert review.stage == Stage.DRAFTING
    first = review.qa_submissions.get()
    assert (first.outcome, first.outcome_on, first.feedback_letter) == (
        QaOutcome.RESUBMIT,
        TODAY,
        letter,
    )
    assert (first.feedback_summary, first.outcome_recorded_by) == (
        "Say more about housing.",
        coordinator,
    )
    upload(review, DocumentKind.OVERVIEW_REPORT, coordinator, text="Robin, revised")
    review = move(review, "complete_draft", coordinator)
    review = move(review, "sign_off", csp_chair)
    with pytest.raises(TransitionRefused):
        # The first round's letter does not count for the second.
        move(move(review, "submit_to_home_office", coordinator), "record_qa_approved", coordinator)
    review.refresh_from_db()
    assert review.home_office_submissions == 2
    second = review.qa_submissions.get(number=2)
    assert "01-overview-report-v2.pdf" in opened(second).namelist()
    # The older pack stays downloadable until its link expires.
    assert client.get(f"/home-office/packs/{first.token}/").status_code == 200


def test_approved_records_the_outcome_without_areas(submitted, coordinator):
    qa_letter_upload(review=submitted, by=coordinator)
    review = move(submitted, "record_qa_approved", coordinator, effects={})
    assert review.stage == Stage.PUBLICATION
    assert review.qa_submissions.get().outcome == QaOutcome.APPROVED
    assert not DevelopmentArea.objects.exists()


def qa_outcome_page(client, review, **answers):
    data = {
        "stage": review.stage,
        "on_0": "1",
        "on_1": "6",
        "on_2": "2027",
        "reason": "",
        **answers,
    }
    return client.post(f"/reviews/{review.reference}/steps/qa-outcome/", data)


def test_approved_subject_to_changes_needs_its_areas(client, submitted, coordinator):
    qa_letter_upload(review=submitted, by=coordinator)
    client.force_login(coordinator)
    response = qa_outcome_page(client, submitted, outcome="approved_subject_to_changes")
    assert response.status_code == 200
    assert "Enter the areas for final development" in response.content.decode()
    assert Review.objects.get(pk=submitted.pk).stage == Stage.HOME_OFFICE_QA
    with pytest.raises(TransitionRefused, match="areas for final development"):
        move(submitted, "record_qa_approved_subject_to_changes", coordinator)
    response = qa_outcome_page(
        client,
        submitted,
        outcome="approved_subject_to_changes",
        areas="Explain the GP's referral.\n\n  Add the housing timeline.  \n",
    )
    assert response.status_code == 302
    submission = submitted.qa_submissions.get()
    assert submission.outcome == QaOutcome.APPROVED_SUBJECT_TO_CHANGES
    assert list(DevelopmentArea.objects.values_list("text", "submission")) == [
        ("Explain the GP's referral.", submission.pk),
        ("Add the housing timeline.", submission.pk),
    ]


def test_areas_are_ignored_for_other_outcomes(client, submitted, coordinator):
    qa_letter_upload(review=submitted, by=coordinator)
    client.force_login(coordinator)
    response = qa_outcome_page(client, submitted, outcome="approved", areas="Ignored.")
    assert response.status_code == 302
    assert not DevelopmentArea.objects.exists()


def test_the_letter_can_be_uploaded_on_the_blocked_outcome_step(client, submitted, coordinator):
    client.force_login(coordinator)
    url = f"/reviews/{submitted.reference}/steps/qa-outcome/"
    page = client.get(url).content.decode()
    assert "Upload the Home Office&#x27;s feedback letter first." in page
    letter = SimpleUploadedFile("letter.pdf", sample_pdf(["Robin"]), "application/pdf")
    response = client.post(url, {"upload": "1", "kind": "qa_letter", "file": letter})
    assert response.status_code == 302
    assert submitted.documents.get(kind="qa_letter").versions.count() == 1
    assert "You cannot do this yet" not in client.get(url).content.decode()


# The checklist of areas for final development.


@pytest.fixture
def approved_with_changes(submitted, coordinator):
    qa_letter_upload(review=submitted, by=coordinator)
    areas = ["Explain the GP's referral.", "Add the housing timeline."]
    return move(
        submitted,
        "record_qa_approved_subject_to_changes",
        coordinator,
        effects={"areas": areas},
    )


def test_the_chair_ticks_an_area_and_a_second_tick_changes_nothing(
    client, approved_with_changes, independent_chair
):
    area = DevelopmentArea.objects.first()
    url = reverse("reviews:qa_area_done", args=[approved_with_changes.reference, area.pk])
    client.force_login(independent_chair)
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "Section 4 rewritten."}, follow=True)
    area.refresh_from_db()
    assert (area.done_on, area.done_by, area.note) == (
        TODAY,
        independent_chair,
        "Section 4 rewritten.",
    )
    assert "1 of 2 areas for final development done" in response.content.decode()
    response = client.post(url, {"note": "Again."}, follow=True)
    assert "already marked as done" in response.content.decode()
    area.refresh_from_db()
    assert area.note == "Section 4 rewritten."


def test_only_the_coordinator_unticks_an_area(
    client, approved_with_changes, coordinator, independent_chair
):
    area = DevelopmentArea.objects.first()
    development_area_complete(area=area, by=independent_chair, on=TODAY, note="")
    url = reverse("reviews:qa_area_reopen", args=[approved_with_changes.reference, area.pk])
    client.force_login(independent_chair)
    assert client.post(url).status_code == 403
    client.force_login(coordinator)
    assert client.post(url).status_code == 302
    area.refresh_from_db()
    assert (area.done_on, area.done_by) == (None, None)


def test_who_may_see_and_tick_the_checklist(
    client, approved_with_changes, coordinator, police_author, police, outsider
):
    from tests.factories import ParticipantFactory

    ParticipantFactory(
        review=approved_with_changes,
        user=police_author,
        role="agency_author",
        agency=police,
        added_by=coordinator,
    )
    area = DevelopmentArea.objects.first()
    areas_url = f"/reviews/{approved_with_changes.reference}/home-office/areas/"
    done_url = reverse("reviews:qa_area_done", args=[approved_with_changes.reference, area.pk])
    client.force_login(police_author)
    page = client.get(areas_url).content.decode()
    assert "Explain the GP" in page and "Mark as done" not in page
    assert client.post(done_url, {"note": ""}).status_code == 403
    client.force_login(outsider)
    assert client.get(areas_url).status_code == 404
    assert client.post(done_url, {"note": ""}).status_code == 404
    area.refresh_from_db()
    assert area.done_on is None


def test_the_review_page_summarises_submissions_and_the_checklist(
    client, approved_with_changes, coordinator, independent_chair, django_assert_max_num_queries
):
    area = DevelopmentArea.objects.first()
    development_area_complete(area=area, by=independent_chair, on=TODAY, note="")
    client.force_login(coordinator)
    page = client.get(f"/reviews/{approved_with_changes.reference}/").content.decode()
    assert "Home Office quality assurance" in page
    assert "1 submission to the Home Office" in page
    assert "Approved subject to changes" in page
    assert "1 of 2 areas for final development done" in page
    assert f"/reviews/{approved_with_changes.reference}/home-office/submissions/1/pack/" in page
    assert "Feedback letter" in page
    with django_assert_max_num_queries(3):  # submissions, checklist counts, the viewer's roles
        summary(approved_with_changes, coordinator)
