"""The documents pages: who sees and downloads which document, the access log, sharing, uploads.

Agencies see their own documents and the terms of reference, never another agency's report, and
the combined chronology only once the chair has shared it.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.test.client import encode_multipart
from django.urls import reverse

from tests.factories import MembershipFactory, ParticipantFactory, UserFactory
from tests.workflows.test_uploads import PDF_BYTES, docx_bytes
from workflows.document_forms import DocumentUploadForm
from workflows.models import (
    Document,
    DocumentAccess,
    DocumentKind,
    DocumentVersion,
    ParticipantRole,
    Role,
)
from workflows.services.documents import document_share, document_upload

TERMS = "Terms of reference"
POLICE_IMR = "Agency report (IMR): Testshire Police"
HEALTH_IMR = "Agency report (IMR): Testshire Health Trust"
COMBINED = "Combined chronology"
EVERY_DOCUMENT = {TERMS, POLICE_IMR, HEALTH_IMR, COMBINED}


def page(response, status: int = 200) -> str:
    assert response.status_code == status, response.content[:500]
    html = response.content.decode()
    assert html.count("<h1") == 1, "a page has exactly one main heading"
    return html


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def police_manager(partnership, police):
    user = UserFactory(email="police.manager@test.example", full_name="Police Manager")
    MembershipFactory(user=user, partnership=partnership, role=Role.SENIOR_MANAGER, agency=police)
    return user


def take_part(review, user, role, agency, by):
    return ParticipantFactory(review=review, user=user, role=role, agency=agency, added_by=by)


@pytest.fixture
def documents(
    review,
    police,
    health,
    coordinator,
    independent_chair,
    police_author,
    health_author,
    police_manager,
):
    """A review with the police and health in scope, its chair, its agencies' people added to
    it, and one document of each sort."""
    review.review_agencies.create(agency=health)
    review.independent_chair = independent_chair
    review.save(update_fields=["independent_chair"])
    author, manager = ParticipantRole.AGENCY_AUTHOR, ParticipantRole.SENIOR_MANAGER
    take_part(review, police_author, author, police, coordinator)
    take_part(review, health_author, author, health, coordinator)
    take_part(review, police_manager, manager, police, coordinator)

    def add(kind, by, agency=None):
        pdf = SimpleUploadedFile("upload.pdf", PDF_BYTES)
        version = document_upload(review=review, kind=kind, agency=agency, uploaded_file=pdf, by=by)
        return version.document

    return {
        TERMS: add(DocumentKind.TERMS_OF_REFERENCE, coordinator),
        POLICE_IMR: add(DocumentKind.AGENCY_REPORT, police_author, police),
        HEALTH_IMR: add(DocumentKind.AGENCY_REPORT, health_author, health),
        COMBINED: add(DocumentKind.COMBINED_CHRONOLOGY, independent_chair),
    }


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def documents_url(review) -> str:
    return f"/reviews/{review.reference}/documents/"


def download_url(document) -> str:
    version = document.versions.get()
    return reverse("reviews:document_download", args=[document.review.reference, version.pk])


def listed_titles(html: str) -> set[str]:
    return set(re.findall(r'<h2 class="govuk-summary-card__title">(.*?)</h2>', html))


SEES = {
    "coordinator": EVERY_DOCUMENT,
    "csp_chair": EVERY_DOCUMENT,
    "independent_chair": EVERY_DOCUMENT,
    "police_author": {TERMS, POLICE_IMR},
    "police_manager": {TERMS, POLICE_IMR},
    "health_author": {TERMS, HEALTH_IMR},
}


@pytest.mark.parametrize("persona", SEES)
def test_each_person_sees_only_their_documents(persona, request, documents, review):
    html = page(as_user(request.getfixturevalue(persona)).get(documents_url(review)))
    assert listed_titles(html) == SEES[persona]


@pytest.mark.parametrize("persona", SEES)
@pytest.mark.parametrize("title", sorted(EVERY_DOCUMENT))
def test_each_person_downloads_only_what_they_may_see(persona, title, request, documents):
    user = request.getfixturevalue(persona)
    response = as_user(user).get(download_url(documents[title]))
    if title in SEES[persona]:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert DocumentAccess.objects.filter(
            user=user, document=documents[title], action="download"
        ).exists()
    else:
        # Guessing the address of another agency's report finds nothing, and leaves no record.
        assert response.status_code == 404
        assert not DocumentAccess.objects.exists()


def test_someone_outside_the_review_finds_nothing(outsider, documents, review):
    client = as_user(outsider)
    assert client.get(documents_url(review)).status_code == 404
    assert client.get(download_url(documents[TERMS])).status_code == 404


def test_an_author_removed_from_the_review_loses_its_documents(
    documents, review, police_author, coordinator
):
    participation = police_author.participations.get(review=review)
    participation.ended_on = participation.added_on
    participation.save(update_fields=["ended_on"])
    client = as_user(police_author)
    assert client.get(documents_url(review)).status_code == 404
    assert client.get(download_url(documents[POLICE_IMR])).status_code == 404


def test_an_agency_role_alone_shows_no_documents(partnership, police, review, coordinator):
    """Holding the police author role in the partnership is not taking part in this review."""
    other_author = UserFactory(email="other.police.author@test.example")
    MembershipFactory(
        user=other_author, partnership=partnership, role=Role.AGENCY_AUTHOR, agency=police
    )
    assert as_user(other_author).get(documents_url(review)).status_code == 404


def test_a_download_is_named_from_the_reference_never_the_uploaded_name(
    documents, review, police_author
):
    response = as_user(police_author).get(download_url(documents[POLICE_IMR]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f'filename="{review.reference}-agency-report-imr-testshire-police-v1.pdf"' in disposition
    assert response["Content-Type"] == "application/pdf"
    assert "upload" not in disposition


def test_a_pdf_can_be_viewed_in_the_browser_and_the_view_is_recorded(
    documents, review, coordinator
):
    version = documents[TERMS].versions.get()
    url = reverse("reviews:document_view", args=[review.reference, version.pk])
    response = as_user(coordinator).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert DocumentAccess.objects.get().action == "view"


def test_an_earlier_version_can_still_be_downloaded(documents, review, coordinator):
    newer = docx_bytes("Terms of reference, agreed")
    document_upload(
        review=review,
        kind=DocumentKind.TERMS_OF_REFERENCE,
        uploaded_file=SimpleUploadedFile("terms.docx", newer),
        by=coordinator,
    )
    client = as_user(coordinator)
    html = page(client.get(documents_url(review)))
    first, second = documents[TERMS].versions.order_by("number")
    for version, content, extension in ((first, PDF_BYTES, "pdf"), (second, newer, "docx")):
        url = reverse("reviews:document_download", args=[review.reference, version.pk])
        assert url in html
        response = client.get(url)
        assert b"".join(response.streaming_content) == content
        assert f"-v{version.number}.{extension}" in response["Content-Disposition"]
    assert first.sha256[:12] in html and second.sha256[:12] in html


# The access log.


def test_the_coordinator_reads_who_downloaded_what(documents, review, coordinator, police_author):
    as_user(police_author).get(download_url(documents[POLICE_IMR]))
    html = page(as_user(coordinator).get(f"{documents_url(review)}access-log/"))
    assert "police.author@test.example" in html
    assert POLICE_IMR in html
    assert "Downloaded" in html


@pytest.mark.parametrize(
    "persona", ["csp_chair", "independent_chair", "police_author", "health_author", "outsider"]
)
def test_nobody_else_finds_the_access_log(persona, request, documents, review):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(f"{documents_url(review)}access-log/").status_code == 404


# Sharing the combined chronology.


def test_agencies_see_the_combined_chronology_only_once_the_chair_shares_it(
    documents, review, independent_chair, police_author
):
    combined = documents[COMBINED]
    author = as_user(police_author)
    assert author.get(download_url(combined)).status_code == 404

    chair = as_user(independent_chair)
    assert "Share with agencies" in page(chair.get(documents_url(review)))
    response = chair.post(reverse("reviews:document_share", args=[review.reference, combined.pk]))
    assert response.status_code == 302

    assert COMBINED in listed_titles(page(author.get(documents_url(review))))
    assert author.get(download_url(combined)).status_code == 200
    assert HEALTH_IMR not in listed_titles(page(author.get(documents_url(review))))


def test_an_agency_author_cannot_share(documents, review, police_author):
    combined = documents[COMBINED]
    document_share(document=combined, by=review.independent_chair)
    police_imr = documents[POLICE_IMR]
    response = as_user(police_author).post(
        reverse("reviews:document_share", args=[review.reference, police_imr.pk])
    )
    assert response.status_code == 403
    police_imr.refresh_from_db()
    assert not police_imr.shared_with_agencies


# Uploading through the page.


def upload_page(review) -> str:
    return f"{documents_url(review)}upload/"


def test_an_agency_author_is_offered_only_their_own_agency_documents(
    documents, review, police_author
):
    html = page(as_user(police_author).get(upload_page(review)))
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<input type="file" name="file" class="govuk-file-upload"', html)
    assert ">Agency report (IMR)</option>" in html and ">Chronology</option>" in html
    assert "Terms of reference</option>" not in html
    assert "Testshire Police</option>" in html
    assert "Testshire Health Trust" not in html


def test_an_agency_author_uploads_a_new_version_of_their_report(documents, review, police_author):
    response = as_user(police_author).post(
        upload_page(review),
        {
            "kind": "agency_report",
            "agency": documents[POLICE_IMR].agency_id,
            "file": SimpleUploadedFile("imr-v2.docx", docx_bytes()),
        },
    )
    assert response.status_code == 302
    assert documents[POLICE_IMR].versions.count() == 2


def test_an_agency_author_cannot_upload_for_another_agency(documents, review, police_author):
    response = as_user(police_author).post(
        upload_page(review),
        {
            "kind": "agency_report",
            "agency": documents[HEALTH_IMR].agency_id,
            "file": SimpleUploadedFile("imr.pdf", PDF_BYTES),
        },
    )
    assert "Select an agency from the list" in page(response)
    assert documents[HEALTH_IMR].versions.count() == 1


def test_people_who_cannot_upload_are_refused(documents, review, csp_chair, police_manager):
    for person in (csp_chair, police_manager):
        assert as_user(person).get(upload_page(review)).status_code == 403


def test_a_refused_file_is_explained_in_the_error_summary(documents, review, coordinator, media):
    before = sorted(path for path in media.rglob("*") if path.is_file())
    response = as_user(coordinator).post(
        upload_page(review),
        {"kind": "overview_report", "file": SimpleUploadedFile("draft.docx", PDF_BYTES)},
    )
    html = page(response)
    message = "The selected file is a PDF but its name ends in .docx"
    assert 'class="govuk-error-summary"' in html
    assert f'<a href="#id_file">{message}' in html
    assert "govuk-file-upload--error" in html
    assert not Document.objects.filter(kind="overview_report").exists()
    assert sorted(path for path in media.rglob("*") if path.is_file()) == before


def test_an_empty_file_is_refused_on_the_page(documents, review, coordinator):
    response = as_user(coordinator).post(
        upload_page(review),
        {"kind": "overview_report", "file": SimpleUploadedFile("draft.pdf", b"")},
    )
    assert "The selected file is empty" in page(response)


def test_a_path_in_the_posted_file_name_is_cut_to_its_last_part(
    documents, review, coordinator, media
):
    boundary = "BoUnDaRy"
    body = encode_multipart(boundary, {"kind": "overview_report"}).replace(
        f"--{boundary}--".encode(),
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="..\\..\\secret\\draft.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF_BYTES
        + f"\r\n--{boundary}--\r\n".encode(),
    )
    response = as_user(coordinator).post(
        upload_page(review), body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    version = DocumentVersion.objects.get(document__kind="overview_report")
    assert version.original_name == "draft.pdf"
    assert re.fullmatch(rf"reviews/{review.pk}/[0-9a-f]{{32}}\.pdf", version.file.name)


# The form and the review page's summary.


def test_the_file_input_renders_as_a_govuk_file_upload(review, coordinator):
    form = DocumentUploadForm(data={}, files={}, review=review, user=coordinator)
    html = str(form)
    assert '<label class="govuk-label govuk-label--s" for="id_file">' in html
    assert 'class="govuk-file-upload govuk-file-upload--error"' in html
    assert 'aria-describedby="id_file-hint id_file-error"' in html
    assert "Select a file" in html


def test_the_review_page_summary_counts_what_the_person_may_see(
    documents, review, police_author, coordinator
):
    for user, count in ((police_author, 2), (coordinator, 4)):
        html = render_to_string("reviews/_documents_summary.html", {"review": review, "user": user})
        assert "Documents</h2>" in html
        assert f"{count} documents you can see" in html
        assert documents_url(review) in html


def test_documents_are_listed_in_the_order_a_review_produces_them(documents, review, coordinator):
    html = page(as_user(coordinator).get(documents_url(review)))
    titles = re.findall(r'<h2 class="govuk-summary-card__title">(.*?)</h2>', html)
    assert titles == [TERMS, COMBINED, HEALTH_IMR, POLICE_IMR]
