"""axe-core finds no WCAG 2.2 AA problems on the Home Office quality assurance pages: the review
page's summary, the checklist of areas for final development, ticking one off, and the outcome
step while it waits for the feedback letter."""

import pytest

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Review
from workflows.models.publication import DevelopmentArea
from workflows.stages import Stage

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    load_demo(PASSWORD)
    return DevelopmentArea.objects.filter(review__partnership__slug="demoshire").first().review


def test_the_review_page_and_the_checklist(page, live_server, demo):
    sign_in(page, live_server, "independent.chair@demo.example", PASSWORD)
    page.goto(f"{live_server.url}/reviews/{demo.reference}/")
    assert "0 of 2 areas for final development done" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="View the areas for final development").click()
    assert_accessible(page)
    page.get_by_role("link", name="Mark as done").first.click()
    assert_accessible(page)
    page.get_by_label("What was done (optional)").fill("Section 4 rewritten.")
    page.locator("main button[type=submit]").click()
    assert "1 of 2 areas for final development done" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_outcome_step_waiting_for_the_letter(page, live_server, demo):
    waiting = Review.objects.filter(
        partnership__slug="demoshire", stage=Stage.HOME_OFFICE_QA
    ).first()
    sign_in(page, live_server, "coordinator@demo.example", PASSWORD)
    page.goto(f"{live_server.url}/reviews/{waiting.reference}/steps/qa-outcome/")
    assert "Upload the Home Office's feedback letter first." in page.locator("main").inner_text()
    assert_accessible(page)
