"""The dashboard's exports hold exactly the rows and columns the page shows, for the same query
string: read back with ``csv`` and ``openpyxl`` and compared with the page's table."""

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from tests.factories import MembershipFactory
from tests.workflows import test_dashboard
from tests.workflows.test_dashboard import PERPETRATOR, VICTIM, page_table
from workflows.models import Role
from workflows.templatetags.govuk import govuk_date

# The dashboard tests' reviews and signed-in coordinator.
world = test_dashboard.world
coordinator_client = test_dashboard.coordinator_client

QUERIES = [
    "",
    "status=overdue",
    "sort=days_in_stage&order=desc",
    "stage=notified&sort=reference&order=desc",
    "chair=none",
    "stage=drafting",  # no review matches: the headings alone
]


def page(client, query: str) -> tuple[list[str], list[list[str]]]:
    """The page's table; when nothing matches the page shows no table, and the exports hold
    the headings alone (those of the page without filters)."""
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 200
    headings, rows = page_table(response.content.decode())
    if not headings:
        assert "No live review matches these filters." in response.content.decode()
        headings = page_table(client.get("/dashboard/").content.decode())[0]
    return headings, rows


def csv_rows(client, query: str) -> list[list[str]]:
    response = client.get(f"/dashboard/export.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="reviews-dashboard-2027-06-01.csv"'
    )
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(client, query: str) -> list[list]:
    response = client.get(f"/dashboard/export.xlsx?{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="reviews-dashboard-2027-06-01.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Live reviews"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_page_text(value, heading: str) -> str:
    """A spreadsheet cell as the page writes it: dates in words, no value as the page's text."""
    if isinstance(value, datetime | date):
        return govuk_date(value)
    if value is None:
        return "Clock stopped" if heading == "Due" else ""
    return str(value)


@pytest.mark.parametrize("query", QUERIES)
def test_the_csv_holds_the_pages_rows_and_columns(coordinator_client, world, query):
    headings, rows = page(coordinator_client, query)
    assert csv_rows(coordinator_client, query) == [headings, *rows]


@pytest.mark.parametrize("query", QUERIES)
def test_the_xlsx_holds_the_pages_rows_and_columns(coordinator_client, world, query):
    headings, rows = page(coordinator_client, query)
    sheet = xlsx_rows(coordinator_client, query)
    assert sheet[0] == headings
    written = [
        [as_page_text(value, heading) for value, heading in zip(row, headings, strict=True)]
        for row in sheet[1:]
    ]
    assert written == rows


def test_the_xlsx_holds_dates_and_numbers_a_spreadsheet_can_sort(coordinator_client, world):
    sheet = xlsx_rows(coordinator_client, "sort=reference")
    headings = sheet[0]
    reports = next(row for row in sheet[1:] if row[0] == world.reports.reference)
    assert reports[headings.index("Due")] == datetime(2027, 5, 1)
    assert reports[headings.index("Days in stage")] == (date(2027, 6, 1) - date(2027, 3, 1)).days
    assert isinstance(reports[headings.index("Forecast completion")], datetime)


def test_a_partnership_column_when_more_than_one_is_managed(coordinator_client, coordinator, world):
    MembershipFactory(user=coordinator, partnership=world.other.partnership, role=Role.CSP_CHAIR)
    headings, rows = page(coordinator_client, "")
    assert "Partnership" in headings
    assert csv_rows(coordinator_client, "") == [headings, *rows]
    assert any(world.other.reference == row[0] for row in rows)


def test_no_real_name_leaves_in_an_export(coordinator_client, world):
    for url in ("/dashboard/export.csv", "/dashboard/export.xlsx"):
        body = coordinator_client.get(url).content
        text = body.decode("utf-8-sig") if url.endswith("csv") else str(xlsx_rows_of(body))
        for name in (VICTIM, PERPETRATOR, *VICTIM.split(), *PERPETRATOR.split()):
            assert name not in text


def xlsx_rows_of(body: bytes) -> list:
    sheet = load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_a_pseudonym_a_spreadsheet_would_run_is_written_as_text(coordinator_client, world):
    type(world.reports).objects.filter(pk=world.reports.pk).update(
        victim_pseudonym='=HYPERLINK("https://evil.example","Robin")'
    )
    rows = csv_rows(coordinator_client, "status=overdue")
    assert rows[1][1] == '\'=HYPERLINK("https://evil.example","Robin")'
    sheet = load_workbook(
        io.BytesIO(coordinator_client.get("/dashboard/export.xlsx?status=overdue").content)
    ).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s"
    assert cell.value.startswith("'=")
