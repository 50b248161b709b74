"""A partnership's public page of published reviews in Chromium: no axe violations, a document
downloads under its neutral name, and "Was this page helpful?" is answered.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.workflows.test_public_pages import publish
from workflows.models import Review
from workflows.models.publication import PageFeedback
from workflows.stages import Stage

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/public_page.png"
OVERVIEW_NAME = "Robin - Testshire - 2027-a - DHR - Overview report.pdf"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Let the test read what a download saved (the page's Content Security Policy applies)."""
    return {**browser_context_args, "accept_downloads": True}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def published(review_at, coordinator):
    """A review published a few (real) days ago: live-server tests run on real time."""
    review = review_at(Stage.ACTION_PLAN)
    Review.objects.filter(pk=review.pk).update(perpetrator_pseudonym="Alder")
    review.refresh_from_db()
    publish(review, coordinator, published_on=date.today() - timedelta(days=3))
    return review


def test_the_public_page_is_accessible_and_its_documents_download(page, live_server, published):
    page.goto(f"{live_server.url}/published/testshire/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Domestic Homicide Reviews")
    expect(page).to_have_title(re.compile("^Domestic Homicide Reviews: Testshire"))
    expect(page.get_by_role("heading", name="Robin - Testshire - 2027/a - DHR")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert_accessible(page)

    overview = published.publication.documents.get(title="Overview report")
    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile("^Overview report")).click()
    download = started.value
    assert download.suggested_filename == OVERVIEW_NAME
    with open(download.path(), "rb") as received, overview.version.file.open("rb") as stored:
        assert received.read() == stored.read()


def test_answering_was_this_page_helpful(page, live_server, published):
    page.goto(f"{live_server.url}/published/testshire/")
    page.get_by_role("button", name="Send feedback").click()

    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select yes if this page was helpful"
    )
    expect(page).to_have_title(re.compile("^Error: Was this page helpful"))
    assert_accessible(page)
    assert not PageFeedback.objects.exists()

    page.get_by_role("group", name="Was this page helpful?").get_by_label("No").check()
    page.get_by_label("Tell us more").fill("I could not find the action plan.")
    page.get_by_role("button", name="Send feedback").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    assert_accessible(page)
    answer = PageFeedback.objects.get()
    assert (answer.helpful, answer.comment) == (False, "I could not find the action plan.")


def test_coordinators_read_the_answers(page, live_server, published, coordinator):
    PageFeedback.objects.create(
        partnership=published.partnership,
        helpful=False,
        comment="<b>Bold</b> claims",
        sender_digest="a" * 64,
    )
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server.url}/partnerships/testshire/page-feedback/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on the public page")
    expect(page.locator("main tbody")).to_contain_text("<b>Bold</b> claims")
    assert_accessible(page)
