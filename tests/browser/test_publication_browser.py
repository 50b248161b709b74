"""axe-core finds no WCAG 2.2 AA problems on the publication pages: the gate with its reasons,
the publication details form (with errors), the restricted names, the publish step refused by
the gate, a published review's page and the archive page refusing too early."""

import pytest

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Publication, Review
from workflows.stages import Stage

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    load_demo(PASSWORD)
    waiting = Review.objects.get(partnership__slug="demoshire", stage=Stage.PUBLICATION)
    published = Publication.objects.filter(
        review__partnership__slug="demoshire", review__stage=Stage.ACTION_PLAN
    ).first()
    return waiting, published.review


def test_preparing_publication(page, live_server, demo):
    waiting, _ = demo
    sign_in(page, live_server, "coordinator@demo.example", PASSWORD)
    page.goto(f"{live_server.url}/reviews/{waiting.reference}/")
    assert_accessible(page)
    page.get_by_role("link", name="Prepare publication").first.click()
    main = page.locator("main").inner_text()
    assert "Not passed" in main
    assert "Whether there were criminal proceedings is not recorded." in main
    assert_accessible(page)
    page.get_by_label("Criminal proceedings have concluded").check()
    page.locator("main button[type=submit]").click()
    assert "Enter the date criminal proceedings concluded" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Real names the name check looks for").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Imelda Madeupmother")
    page.get_by_label("How are they related to the person who died?").fill("Mother")
    page.get_by_role("button", name="Add name").click()
    assert "Imelda Madeupmother" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Remove the name of the mother").click()
    assert_accessible(page)
    page.goto(f"{live_server.url}/reviews/{waiting.reference}/steps/publish/")
    assert "see Prepare publication" in page.locator("main").inner_text()
    assert_accessible(page)


def test_a_published_review(page, live_server, demo):
    _, published = demo
    sign_in(page, live_server, "coordinator@demo.example", PASSWORD)
    page.goto(f"{live_server.url}/reviews/{published.reference}/")
    assert "Stays up until at least" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="See the publication").click()
    main = page.locator("main").inner_text()
    assert "Copy to the Domestic Abuse Commissioner" in main
    assert_accessible(page)
    page.get_by_role("link", name="Archive the published page").click()
    page.locator("main button[type=submit]").click()
    assert "Published reviews must stay up until" in page.locator("main").inner_text()
    assert_accessible(page)
