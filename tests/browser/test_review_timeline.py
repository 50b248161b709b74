"""The review page's timeline chart and forecast, in Chromium, on the demo data."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Review
from workflows.stages import Stage

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "correct-horse-battery-staple"
COORDINATOR = "coordinator@demo.example"


@pytest.fixture
def demo_page(page, live_server, transactional_db):
    load_demo(DEMO_PASSWORD)
    sign_in(page, live_server, COORDINATOR, DEMO_PASSWORD)
    return page


def open_review(page, live_server, review: Review) -> None:
    page.goto(f"{live_server.url}/reviews/{review.reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(review.reference)


@pytest.mark.parametrize("stage", [Stage.PAUSED, Stage.HOME_OFFICE_QA, Stage.NOT_COMMISSIONED])
def test_the_timeline_chart_and_its_table(demo_page, live_server, stage):
    page = demo_page
    review = Review.objects.filter(partnership__slug="demoshire", stage=stage).first()
    open_review(page, live_server, review)

    chart = page.get_by_role("img", name=f"Timeline of {review.reference}")
    expect(chart).to_be_visible()
    expect(page.locator("svg .app-timeline__today")).to_have_count(1)
    expect(page.locator("svg .app-timeline__bar").first).to_be_visible()

    page.get_by_text("Show the timeline as a table").click()
    table = page.get_by_role(
        "table", name=f"Planned and actual dates of each stage of {review.reference}"
    )
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader", name="Notified")).to_be_visible()
    # Stages, dates and the reference only: the real name is never in the chart or its table.
    shown = chart.text_content() + table.inner_text()
    assert review.victim_real_name not in shown
    assert_accessible(page)


def test_the_forecast_and_its_warning(demo_page, live_server):
    page = demo_page
    review = Review.objects.get(partnership__slug="demoshire", stage=Stage.DRAFTING)
    open_review(page, live_server, review)

    forecast = page.locator("#forecast")
    expect(forecast).to_contain_text("Forecast completion")
    expect(forecast).to_contain_text("Forecast publication")
    expect(forecast).to_contain_text("Median stage times of")
    # The demo review at drafting was commissioned long enough ago to be past its deadline.
    expect(forecast.locator(".govuk-warning-text")).to_contain_text("statutory deadline")
