"""A coordinator imports reviews from a spreadsheet in Chromium: the template, a file refused for
its bad dates (the GOV.UK error summary, nothing stored), then a good file checked and imported.
axe-core finds no WCAG 2.2 AA problem on any of the pages."""

import csv
import io
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, days_ago, sign_in
from workflows.imports.columns import COLUMNS
from workflows.models import Review, ReviewHistory

pytestmark = pytest.mark.browser

HEADERS = [column.header for column in COLUMNS]


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def spreadsheet(rows: list[dict]) -> dict:
    """A CSV file as Playwright hands it to the file input."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for cells in rows:
        writer.writerow(cells.get(header, "") for header in HEADERS)
    return {"name": "reviews.csv", "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}


def notification(victim: str, died: date, notified: date, **cells) -> dict:
    return {
        "Name of the person who died": victim,
        "Date of death": uk(died),
        "Date notified": uk(notified),
        "Notified by": "Testshire Police",
        "Agencies to ask": "Testshire Police",
        **cells,
    }


def test_a_coordinator_imports_reviews_from_a_spreadsheet(
    page, live_server, coordinator, police, screenshot_dir
):
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server.url}/reviews/start/")
    page.get_by_role("link", name="Import reviews from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import reviews from a spreadsheet")
    assert_accessible(page)

    with page.expect_download() as started:
        page.get_by_role("link", name="Download the template (CSV)").click()
    template = started.value
    assert template.suggested_filename == "review-import-template.csv"
    with open(template.path(), encoding="utf-8-sig") as downloaded:
        assert next(csv.reader(downloaded)) == HEADERS

    # Bad dates: refused, each problem naming its row and column, nothing stored.
    notified = days_ago(10)
    bad = [
        notification("Yara Inventedname", days_ago(8), notified),
        notification(
            "Xena Madeupname",
            days_ago(20),
            notified,
            Decision="Yes",
            **{"Decision date": uk(days_ago(12))},
        ),
    ]
    page.get_by_label("Upload a file").set_input_files(spreadsheet(bad))
    page.get_by_role("button", name="Upload and check").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        f"Row 2, Date of death: must be on or before the date notified ({uk(notified)})"
    )
    expect(summary).to_contain_text(
        f"Row 3, Decision date: must be on or after the date notified ({uk(notified)})"
    )
    expect(page.locator(".govuk-error-message")).to_contain_text("The file has 2 problems")
    assert page.title().startswith("Error: ")
    assert not Review.objects.exists()
    assert_accessible(page)
    page.screenshot(path=str(screenshot_dir / "review-import-refused.png"), full_page=True)

    # A good file: checked, then imported through the real service.
    good = [
        notification("Yara Inventedname", days_ago(12), notified),
        notification(
            "Xena Madeupname",
            days_ago(20),
            days_ago(15),
            Decision="Yes",
            **{"Decision date": uk(days_ago(5))},
        ),
    ]
    page.get_by_label("Upload a file").set_input_files(spreadsheet(good))
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the reviews you are importing")
    expect(page.locator("main")).to_contain_text("2 reviews will be started")
    expect(page.get_by_role("table")).to_contain_text("Xena Madeupname")
    assert not Review.objects.exists()
    assert_accessible(page)
    page.screenshot(path=str(screenshot_dir / "review-import-check.png"), full_page=True)

    page.get_by_role("button", name="Import 2 reviews").click()

    expect(page).to_have_url(f"{live_server.url}/reviews/")
    year = days_ago(15).year
    expect(page.get_by_role("alert")).to_contain_text("2 reviews imported")
    assert Review.objects.count() == 2
    decided = Review.objects.get(victim_real_name="Xena Madeupname")
    assert decided.decided_on == days_ago(5)
    assert ReviewHistory.objects.filter(review=decided, action="decide_to_commission").exists()
    expect(page.locator("main")).to_contain_text(decided.reference)
    assert decided.reference.startswith(f"TEST-{year}-")
    assert_accessible(page)
