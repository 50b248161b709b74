"""Reading an import file into rows of text, before any row is checked.

The file is checked like any upload (``workflows.uploads.check_upload``: the type is read from
the content, a ZIP that would expand too far is refused), then read as CSV (UTF-8) or as the
first sheet of an XLSX workbook. Each row keeps its number as the spreadsheet shows it (the
header is row 1), so that every message can point at it.
"""

import csv
import datetime
import io
import os
import zipfile
from dataclasses import dataclass

import openpyxl
from openpyxl.utils import get_column_letter

from workflows.imports.columns import BY_HEADER, COLUMNS
from workflows.imports.errors import ImportRefused
from workflows.uploads import (
    CSV,
    CSV_UNREADABLE,
    XLSX,
    ZIP_READ_ERRORS,
    UploadRefused,
    check_upload,
    too_large_message,
)

# Each review takes about a tenth of a second to start (flow, deadlines, emails), so a full file
# imports well within a web request's 30 seconds; a larger spreadsheet is split.
MAX_REVIEWS = 100
MAX_BYTES = 2 * 1024 * 1024
# openpyxl holds a workbook's shared strings in memory, so the expanded size is kept small.
XLSX_MAX_EXPANDED = 20 * 1024 * 1024
# Spreadsheets often carry formatted but empty rows; past this many rows of any kind, stop.
MAX_LINES = 5000

WRONG_TYPE = "The selected file must be a CSV or XLSX file"
TOO_MANY = (
    f"The file has more than {MAX_REVIEWS} reviews: split it into files of {MAX_REVIEWS} rows "
    "or fewer"
)
NO_ROWS = "The file has no reviews in it: add one row for each review below the header row"
XLSX_UNREADABLE = "The selected XLSX file could not be read: save it again from your spreadsheet"
XLSX_TOO_BIG = "The selected file must not expand to more than 20 MB when opened"


@dataclass(frozen=True)
class RawRow:
    """One row of the file as text: ``values`` maps a column's key to what its cell says."""

    number: int
    values: dict[str, str]

    def as_dict(self) -> dict:
        return {"number": self.number, "values": self.values}


def read_import_file(uploaded_file) -> list[RawRow]:
    """The rows of an uploaded CSV or XLSX file, as text; refuse a file that cannot be imported
    (wrong type, too big, empty, unreadable, a header row that is not the template's, too many
    rows). Cell values are not checked here: see ``validation.rows_check``."""
    extension = os.path.splitext(uploaded_file.name or "")[1].lower()
    if extension not in (".csv", ".xlsx"):
        raise ImportRefused([WRONG_TYPE])
    if (uploaded_file.size or 0) > MAX_BYTES:
        raise ImportRefused([too_large_message(MAX_BYTES)])
    try:
        content_type, _sha256, _size = check_upload(uploaded_file)
    except UploadRefused as refused:
        raise ImportRefused([refused.message]) from None
    uploaded_file.seek(0)
    content = uploaded_file.read()
    if content_type == CSV:
        lines = _csv_lines(content)
    elif content_type == XLSX:
        lines = _xlsx_lines(content)
    else:  # the name says .csv or .xlsx and check_upload made the content agree
        raise ImportRefused([WRONG_TYPE])
    return _rows(lines)


def _csv_lines(content: bytes):
    # check_upload has refused anything that is not UTF-8.
    text = content.decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    # A spreadsheet saved in a European locale separates columns with semicolons.
    delimiter = ";" if "," not in first_line and ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error:
        raise ImportRefused([CSV_UNREADABLE]) from None


def _xlsx_lines(content: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except ZIP_READ_ERRORS:
        raise ImportRefused([XLSX_UNREADABLE]) from None
    if expanded > XLSX_MAX_EXPANDED:
        raise ImportRefused([XLSX_TOO_BIG])
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error for a damaged workbook
        raise ImportRefused([XLSX_UNREADABLE]) from None
    try:
        if not workbook.worksheets:
            raise ImportRefused([XLSX_UNREADABLE])
        for cells in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in cells]
    except ImportRefused:
        raise
    except Exception:
        raise ImportRefused([XLSX_UNREADABLE]) from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """A cell as text: a date cell as an ISO date (which the checks read), whole numbers without
    a decimal point, empty cells as an empty string."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows(lines) -> list[RawRow]:
    lines = iter(lines)
    header = next(lines, None)
    if header is None or not any(cell.strip() for cell in header):
        raise ImportRefused([_missing_header()])
    keys = _header_keys(header)
    rows, problems = [], []
    for number, cells in enumerate(lines, start=2):
        if number > MAX_LINES:
            raise ImportRefused([TOO_MANY])
        if not any(cell.strip() for cell in cells):
            continue  # blank rows between or after the reviews are ignored
        if len(rows) == MAX_REVIEWS:
            raise ImportRefused([TOO_MANY])
        problems += _cells_without_header(number, keys, cells)
        rows.append(_row(number, keys, cells))
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused([NO_ROWS])
    return rows


def _header_keys(header: list[str]) -> list[str | None]:
    """The column key of each header cell (None for a blank one); refuse a header row that is
    not the template's, naming every column at fault."""
    problems, keys, seen = [], [], {}
    for index, cell in enumerate(header, start=1):
        text = " ".join(cell.split())
        column = BY_HEADER.get(text.casefold())
        letter = get_column_letter(index)
        if not text:
            keys.append(None)
        elif column is None:
            problems.append(
                f"Row 1, column {letter}: “{text[:60]}” is not a column of the template. Use "
                "the headers of the template exactly"
            )
            keys.append(None)
        elif column.key in seen:
            problems.append(
                f"Row 1, column {letter}: “{column.header}” is already column {seen[column.key]}"
            )
            keys.append(None)
        else:
            seen[column.key] = letter
            keys.append(column.key)
    for column in COLUMNS:
        if column.required and column.key not in seen:
            problems.append(f"Row 1: add the column “{column.header}” to the header row")
    if problems:
        raise ImportRefused(problems)
    return keys


def _row(number: int, keys: list[str | None], cells: list[str]) -> RawRow:
    values = {key: "" for key in keys if key}
    for key, cell in zip(keys, cells, strict=False):
        if key:
            values[key] = cell.strip()
    return RawRow(number=number, values=values)


def _cells_without_header(number: int, keys: list[str | None], cells: list[str]) -> list[str]:
    """A value in a column with no header (or an unknown one) would be silently lost."""
    return [
        f"Row {number}, column {get_column_letter(index + 1)}: this column has no header. "
        "Delete what is in it or give the column a header from the template"
        for index, cell in enumerate(cells)
        if cell.strip() and (index >= len(keys) or keys[index] is None)
    ]


def _missing_header() -> str:
    return (
        "Row 1: the first row must be the header row of the template, starting "
        f"“{COLUMNS[0].header}”"
    )
