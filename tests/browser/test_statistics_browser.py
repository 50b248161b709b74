"""The statistics pages in Chromium, filled with the invented demo data: the charts show, the
year filter works, a regional lead sees only aggregates, and axe finds no WCAG 2.2 AA problem."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Review

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo(PASSWORD)


def expect_charts(page, count: int = 3) -> None:
    """Each chart is drawn, has an accessible name and is followed by its table."""
    charts = page.locator("main svg.app-chart")
    expect(charts).to_have_count(count)
    for index in range(count):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        assert chart.bounding_box()["height"] > 100
        expect(chart).to_have_attribute("role", "img")
        expect(chart.locator("xpath=following-sibling::table[1]")).to_be_visible()
    expect(page.get_by_role("img", name="Reviews by stage")).to_be_visible()


def test_the_partnership_page_for_its_coordinator(page, live_server, demo, screenshot_dir):
    sign_in(page, live_server, "coordinator@demo.example", PASSWORD)
    page.goto(f"{live_server.url}/statistics/")
    page.get_by_role("link", name="Demoshire Community Safety Partnership").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    expect_charts(page)
    stages = page.get_by_role("table", name="Reviews at each stage now")
    expect(stages.get_by_role("row", name="All stages 14")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("not shown")
    page.screenshot(path=str(screenshot_dir / "statistics-partnership.png"), full_page=True)
    assert_accessible(page)

    year = Review.objects.filter(partnership=demo).latest("notified_on").notified_on.year
    page.get_by_label("Year of notification").select_option(str(year))
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Statistics for reviews notified in {year}"
    )
    expect_charts(page)
    assert_accessible(page)


def test_the_regional_page_for_a_regional_lead(page, live_server, demo, screenshot_dir):
    sign_in(page, live_server, "regional.lead@demo.example", PASSWORD)
    page.goto(f"{live_server.url}/statistics/")
    assert_accessible(page)
    page.get_by_role("link", name="Demoland Region").click()

    expect(page.locator(".govuk-caption-l")).to_have_text("Demoland Region")
    expect_charts(page)
    main = page.locator("main")
    expect(main).to_contain_text("not shown")
    expect(main).to_contain_text("Lily - Demoshire - ")  # a published review's library title
    partnerships = page.get_by_role("table", name="Reviews of each partnership")
    expect(partnerships.locator("tbody tr")).to_have_count(2)
    text = main.inner_text()
    for review in Review.objects.all():
        assert review.reference not in text
        assert review.victim_real_name not in text
    page.screenshot(path=str(screenshot_dir / "statistics-region.png"), full_page=True)
    assert_accessible(page)


def test_a_refusal_is_accessible(page, live_server, demo):
    sign_in(page, live_server, "police.author@demo.example", PASSWORD)
    response = page.goto(f"{live_server.url}/statistics/demoshire/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have permission to see these statistics"
    )
    assert_accessible(page)
