"""The dashboard as a spreadsheet: CSV and Excel (.xlsx), the rows exactly as filtered and sorted.

Only the dashboard's columns leave the service: the reference and pseudonym, never a real name.
A cell a spreadsheet would read as a formula (a pseudonym typed as "=...") is written as text.
"""

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from workflows.monitoring.dashboard import Dashboard

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "d mmmm yyyy"  # 10 January 2027, as the page writes it


def file_name(dashboard: Dashboard, extension: str) -> str:
    return f"reviews-dashboard-{dashboard.today.isoformat()}.{extension}"


def dashboard_csv(dashboard: Dashboard) -> bytes:
    """The table as CSV, each cell as the page writes it; UTF-8 with a byte order mark so that
    Excel reads the accents of a pseudonym correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.heading for column in dashboard.columns])
    for row in dashboard.rows:
        writer.writerow([_defused(row.text(column.key)) for column in dashboard.columns])
    return buffer.getvalue().encode("utf-8-sig")


def dashboard_xlsx(dashboard: Dashboard) -> bytes:
    """The table as an Excel workbook: dates as dates and days as numbers, so they sort."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Live reviews"
    sheet.append([column.heading for column in dashboard.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in dashboard.table():
        sheet.append([_defused(value) if isinstance(value, str) else value for value in values])
    for index, column in enumerate(dashboard.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 14 if column.numeric else 24
        for cell in sheet[letter][1:]:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _defused(text: str) -> str:
    """Text a spreadsheet will not run: a leading formula character is quoted."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
