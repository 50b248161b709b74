"""A demo review from local sign-off to its public page, in Chromium, as its people would take it.

The coordinator signs the report off and submits it; the Home Office asks for it again
("resubmit"); the report is made final again, signed off and submitted a second time; the Home
Office approves it subject to changes; the chair ticks off each area for final development; the
coordinator records the publication details and publishes. Then someone who is not signed in
opens the partnership's public page, finds the review and downloads its overview report.
"""

import hashlib
import io
import zipfile

import pytest
from playwright.sync_api import expect

from notifications.models import Email
from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import PublishedDocument, Review
from workflows.stages import QaOutcome, Stage

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"
AREAS = ["Remove the street name from paragraph 4.2.", "Add the housing chronology."]


@pytest.fixture
def demo_review(transactional_db, settings, tmp_path):
    """The demo's review whose report is final and waiting for local sign-off ("Ivy")."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    load_demo(PASSWORD)
    review = Review.objects.get(partnership__slug="demoshire", victim_pseudonym="Ivy")
    assert review.stage == Stage.LOCAL_SIGN_OFF and review.signed_off_on is None
    return review


class Coordinator:
    """The demo coordinator's browser tab, taking steps from the review's step pages."""

    def __init__(self, page, live_server, review):
        self.page, self.base, self.reference = page, live_server.url, review.reference

    def step(self, slug: str, button: str = "Continue") -> None:
        self.page.goto(f"{self.base}/reviews/{self.reference}/steps/{slug}/")
        self.page.locator("main form").last.get_by_role("button", name=button).click()
        self.expect_done()

    def expect_done(self) -> None:
        banner = self.page.locator(".govuk-notification-banner--success")
        banner.wait_for()

    def upload_letter(self, tmp_path, number: int) -> None:
        """Upload the Home Office's feedback letter on the outcome step's own page."""
        path = tmp_path / f"letter-{number}.pdf"
        path.write_bytes(letter_pdf(number))
        self.page.goto(f"{self.base}/reviews/{self.reference}/steps/qa-outcome/")
        self.page.get_by_label("Home Office quality assurance letter").check()
        self.page.locator("input[type=file]").set_input_files(str(path))
        self.page.get_by_role("button", name="Upload", exact=True).click()
        expect(self.page.locator("main")).to_contain_text(
            "Home Office quality assurance letter: version"
        )

    def record_outcome(self, label: str, areas: list[str] = ()) -> None:
        self.page.goto(f"{self.base}/reviews/{self.reference}/steps/qa-outcome/")
        assert_accessible(self.page)
        self.page.get_by_label(label, exact=True).check()
        if areas:
            self.page.get_by_label("Areas for final development").fill("\n".join(areas))
        self.page.locator("main form").last.get_by_role("button", name="Continue").click()
        self.expect_done()

    def main(self) -> str:
        return self.page.locator("main").inner_text()


def letter_pdf(number: int) -> bytes:
    from workflows.qa.samples import sample_pdf

    return sample_pdf([f"Home Office Quality Assurance Panel: letter {number}."])


def test_from_local_sign_off_to_the_public_page(
    page, browser, live_server, demo_review, tmp_path, screenshot_dir
):
    review = demo_review
    sign_in(page, live_server, "coordinator@demo.example", PASSWORD)
    coordinator = Coordinator(page, live_server, review)

    # First submission, sent back by the Home Office.
    coordinator.step("sign-off")
    coordinator.step("submit-to-home-office")
    review.refresh_from_db()
    assert review.stage == Stage.HOME_OFFICE_QA
    first = review.qa_submissions.get(number=1)
    email = Email.objects.get(review=review, kind="home_office_submission")
    assert f"/home-office/packs/{first.token}/" in email.text_body
    coordinator.upload_letter(tmp_path, 1)
    coordinator.record_outcome("Resubmit")
    review.refresh_from_db()
    assert review.stage == Stage.DRAFTING and review.home_office_submissions == 1

    # The report is made final again, signed off and submitted a second time.
    page.goto(f"{live_server.url}/reviews/{review.reference}/steps/complete-draft/")
    for document in ("overview_report", "executive_summary", "action_plan"):
        page.locator(f"input[name='documents'][value='{document}']").check()
    page.locator("main form").last.get_by_role("button", name="Continue").click()
    coordinator.expect_done()
    coordinator.step("sign-off")
    coordinator.step("submit-to-home-office")
    coordinator.upload_letter(tmp_path, 2)
    coordinator.record_outcome("Approved subject to changes", AREAS)
    review.refresh_from_db()
    assert review.stage == Stage.PUBLICATION
    assert review.qa_outcome == QaOutcome.APPROVED_SUBJECT_TO_CHANGES
    assert review.home_office_submissions == 2
    assert [s.outcome for s in review.qa_submissions.order_by("number")] == [
        QaOutcome.RESUBMIT,
        QaOutcome.APPROVED_SUBJECT_TO_CHANGES,
    ]

    # The Home Office's link works without signing in: the pack is a ZIP with its cover sheet.
    second = review.qa_submissions.get(number=2)
    home_office = browser.new_context()
    response = home_office.request.get(f"{live_server.url}/home-office/packs/{second.token}/")
    assert response.status == 200
    with zipfile.ZipFile(io.BytesIO(response.body())) as pack:
        names = pack.namelist()
    assert names[0] == "00-cover-sheet.pdf" and any("overview-report" in n for n in names)
    home_office.close()

    # The gate refuses until the areas are done and the publication details are recorded.
    page.goto(f"{live_server.url}/reviews/{review.reference}/publication/")
    assert "2 areas for final development are not done yet." in coordinator.main()
    page.goto(f"{live_server.url}/reviews/{review.reference}/home-office/areas/")
    for _ in AREAS:
        page.get_by_role("link", name="Mark as done").first.click()
        page.get_by_label("What was done (optional)").fill("Changed in the final version.")
        page.locator("main button[type=submit]").click()
    assert "2 of 2 areas for final development done" in _review_page(page, live_server, review)

    page.goto(f"{live_server.url}/reviews/{review.reference}/publication/")
    page.get_by_label("There were no criminal proceedings").check()
    today = review.notified_on.today()
    for field in ("planned_on", "family_told_on"):
        page.locator(f"input[name='{field}_0']").fill(str(today.day))
        page.locator(f"input[name='{field}_1']").fill(str(today.month))
        page.locator(f"input[name='{field}_2']").fill(str(today.year))
    page.get_by_label("Condolence statement (optional)").fill(
        "The partnership offers its deepest condolences to Ivy's family and friends."
    )
    page.get_by_label("What has changed as a result of the review (optional)").fill(
        "GP surgeries in Demoshire now ask about domestic abuse at every new registration."
    )
    page.get_by_role("button", name="Save").click()
    assert "Not passed" not in coordinator.main()
    assert_accessible(page)
    page.screenshot(path=str(screenshot_dir / "publication-ready.png"), full_page=True)

    coordinator.step("publish")
    review.refresh_from_db()
    assert review.stage == Stage.ACTION_PLAN
    publication = review.publication
    assert publication.published_on and publication.commissioner_copy_sent_at
    assert Email.objects.filter(review=review, kind="commissioner_copy").exists()

    # Anyone, not signed in, finds the review on the partnership's page and downloads it.
    public = browser.new_context(accept_downloads=True)
    visitor = public.new_page()
    visitor.goto(f"{live_server.url}/published/")
    visitor.get_by_role("link", name="Demoshire Community Safety Partnership").click()
    main = visitor.locator("main").inner_text()
    assert "Ivy - Demoshire - " in main
    assert "GP surgeries in Demoshire now ask about domestic abuse" in main
    assert review.victim_real_name not in visitor.content()
    assert_accessible(visitor)
    visitor.screenshot(path=str(screenshot_dir / "public-page.png"), full_page=True)
    section = visitor.locator("section, div").filter(
        has=visitor.get_by_role("heading", name="Ivy - Demoshire - ", exact=False)
    )
    with visitor.expect_download() as download_info:
        section.last.get_by_role("link", name="Overview report").click()
    download = download_info.value
    with open(download.path(), "rb") as file:
        content = file.read()
    assert content.startswith(b"%PDF")
    overview = PublishedDocument.objects.get(publication=publication, title="Overview report")
    assert hashlib.sha256(content).hexdigest() == overview.version.sha256
    assert review.reference not in download.suggested_filename
    public.close()


def _review_page(page, live_server, review) -> str:
    page.goto(f"{live_server.url}/reviews/{review.reference}/")
    return page.locator("main").inner_text()
