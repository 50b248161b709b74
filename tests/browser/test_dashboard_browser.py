"""The managers' dashboard in Chromium, on the demo partnership: filters kept over a reload,
sorting, both exports downloaded and read back, chasing a task, and no axe violations."""

import csv
import io
import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.templatetags.govuk import govuk_date

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "correct-horse-battery-staple"
COORDINATOR = "coordinator@demo.example"
# The text of each cell of the reviews table, the sort arrows (aria-hidden) left out.
READ_TABLE = """() => Array.from(document.querySelectorAll('#reviews tr')).map(tr =>
    Array.from(tr.children).map(cell => {
        const copy = cell.cloneNode(true);
        copy.querySelectorAll('[aria-hidden="true"]').forEach(hidden => hidden.remove());
        return copy.textContent.replace(/\\s+/g, ' ').trim();
    }))"""


@pytest.fixture
def dashboard(page, live_server, transactional_db, screenshot_dir):
    load_demo(DEMO_PASSWORD)
    sign_in(page, live_server, COORDINATOR, DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    return page


def table(page) -> list[list[str]]:
    return page.evaluate(READ_TABLE)


def column(page, heading: str) -> list[str]:
    rows = table(page)
    index = rows[0].index(heading)
    return [row[index] for row in rows[1:]]


def test_a_filter_survives_a_reload(dashboard, live_server, screenshot_dir):
    page = dashboard
    everything = len(table(page)) - 1
    page.get_by_label("Deadline status").select_option(label="Overdue")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/dashboard/\?status=overdue$"))
    statuses = column(page, "Status")
    assert statuses and set(statuses) == {"Overdue"}
    assert len(statuses) < everything
    page.reload()
    expect(page.get_by_label("Deadline status")).to_have_value("overdue")
    assert column(page, "Status") == statuses
    expect(page.locator("#shown")).to_have_text(
        f"Showing {len(statuses)} of {everything} live reviews."
    )
    page.screenshot(path=str(screenshot_dir / "dashboard-filtered.png"), full_page=True)
    page.get_by_role("link", name="Clear filters").click()
    assert len(table(page)) - 1 == everything


def test_sorting_by_a_column_heading(dashboard):
    page = dashboard
    header = page.get_by_role("columnheader", name="Days in stage")
    expect(header).to_have_attribute("aria-sort", "none")
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=days_in_stage&order=asc"))
    header = page.get_by_role("columnheader", name="Days in stage")
    expect(header).to_have_attribute("aria-sort", "ascending")
    days = [int(value) for value in column(page, "Days in stage")]
    assert days == sorted(days)
    header.get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="Days in stage")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert [int(value) for value in column(page, "Days in stage")] == sorted(days, reverse=True)
    # A filter keeps the sort.
    page.get_by_label("Independent chair").select_option(label="Indira Chair")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"chair=\d+"))
    query = parse_qs(urlparse(page.url).query)
    assert set(query) == {"chair", "sort", "order"}
    assert (query["sort"], query["order"]) == (["days_in_stage"], ["desc"])


def download(page, name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    path = info.value.path()
    assert re.fullmatch(
        r"reviews-dashboard-\d{4}-\d\d-\d\d\.(csv|xlsx)", info.value.suggested_filename
    )
    with open(path, "rb") as file:
        return file.read()


def as_text(value, heading: str) -> str:
    if isinstance(value, datetime | date):
        return govuk_date(value)
    if value is None:
        return "Clock stopped" if heading == "Due" else ""
    return str(value)


def test_both_exports_download_and_match_the_page(dashboard):
    page = dashboard
    page.get_by_label("Stage").select_option(label="Agency reports")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("columnheader", name="Reference").get_by_role("link").click()
    shown = table(page)
    assert len(shown) > 1
    from_csv = list(
        csv.reader(io.StringIO(download(page, "Download these reviews as CSV").decode("utf-8-sig")))
    )
    assert from_csv == shown
    sheet = load_workbook(
        io.BytesIO(download(page, "Download these reviews as Excel (.xlsx)"))
    ).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    headings = rows[0]
    assert [headings] + [
        [as_text(value, heading) for value, heading in zip(row, headings, strict=True)]
        for row in rows[1:]
    ] == shown


def test_chasing_a_task_says_who_was_emailed(dashboard):
    page = dashboard
    chase = page.get_by_role("button", name=re.compile(r"^Chase ")).first
    expect(chase).to_be_visible()
    chase.click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Email sent to")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_the_dashboard_is_accessible(dashboard, screenshot_dir):
    page = dashboard
    assert_accessible(page)
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
    page.get_by_label("Deadline status").select_option(label="Overdue")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("columnheader", name="Forecast completion").get_by_role("link").click()
    assert_accessible(page)


def test_people_who_manage_no_partnership_have_no_dashboard(page, live_server, transactional_db):
    load_demo(DEMO_PASSWORD)
    sign_in(page, live_server, "police.author@demo.example", DEMO_PASSWORD)
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see the dashboard")
    assert_accessible(page)
