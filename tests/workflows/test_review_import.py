"""Importing existing reviews from a spreadsheet: the checks, the import, the command and the page.

Every refusal is checked to name the row and the column at fault, and to have stored nothing: no
review, no history, no email, no pending import. Tests run on 1 June 2027 (``tests/conftest.py``).
"""

import csv
import io
import os
import subprocess
import sys
import threading
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from viewflow.workflow.models import Process

from notifications.models import Email
from tests.factories import AgencyFactory, MembershipFactory, PartnershipFactory, UserFactory
from workflows.imports.columns import COLUMNS, template_csv
from workflows.imports.errors import ImportRefused
from workflows.imports.reading import MAX_REVIEWS, RawRow, read_import_file
from workflows.imports.services import reviews_import
from workflows.imports.validation import parse_date, rows_check
from workflows.models import Deadline, Partnership, Review, ReviewHistory, Role
from workflows.services.reviews import review_start
from workflows.stages import ReviewType, Stage

HEADERS = [column.header for column in COLUMNS]
VICTIMS = ("Wilhelmina Fakename", "Ulrich Notreal", "Thea Inventedperson")
IMPORT_URL = "/reviews/import/"
CHECK_URL = "/reviews/import/check/"
ROOT = Path(__file__).resolve().parents[2]


def row(**cells) -> dict:
    """One review's cells by header; a good row unless told otherwise."""
    values = {
        "Name of the person who died": VICTIMS[0],
        "Name of the alleged perpetrator": "Vernon Madeup",
        "Date of death": "10/03/2027",
        "Date notified": "12/03/2027",
        "Notified by": "Testshire Police",
        "Agencies to ask": "Testshire Police",
    }
    values.update(cells)
    return values


def good_rows() -> list[dict]:
    return [
        row(),
        row(
            **{
                "Name of the person who died": VICTIMS[1],
                "Date of death": "2027-01-02",
                "Date notified": "2027-01-05",
                "Review type": "DARDR",
                "Agencies to ask": "testshire police; Testshire Health Trust",
                "Decision": "Yes",
                "Decision date": "01/02/2027",
            }
        ),
        row(
            **{
                "Name of the person who died": VICTIMS[2],
                "Date of death": "20/04/2026",
                "Date notified": "01/05/2026",
                "Agencies to ask": "",
                "Decision": "No",
                "Decision date": "20/05/2026",
                "Decision reasons": "Not an intimate or family relationship.",
            }
        ),
    ]


def csv_bytes(rows: list[dict], headers: list[str] = HEADERS, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for cells in rows:
        writer.writerow(cells.get(header, "") for header in headers)
    return buffer.getvalue().encode()


def csv_file(rows: list[dict], name: str = "reviews.csv", **options) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows, **options), content_type="text/csv")


def xlsx_bytes(rows: list[list]) -> bytes:
    """A workbook whose first sheet holds ``rows`` as given: dates stay date cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refusal(uploaded, partnership) -> list[str]:
    """The messages an import of ``uploaded`` is refused with (it must be refused)."""
    with pytest.raises(ImportRefused) as refused:
        rows_check(read_import_file(uploaded), partnership=partnership)
    return refused.value.messages


def nothing_stored() -> None:
    assert not Review.objects.exists()
    assert not ReviewHistory.objects.exists()
    assert not Email.objects.exists()


@pytest.fixture
def agencies(police, health):
    return police, health


# Bad dates: refused with the row and the field named, nothing stored.
def test_a_death_after_its_notification_is_refused_naming_the_row_and_the_field(
    partnership, coordinator, agencies
):
    uploaded = csv_file([row(), row(**{"Date of death": "14/03/2027"})])

    with pytest.raises(ImportRefused) as refused:
        reviews_import(partnership=partnership, by=coordinator, raw_rows=read_import_file(uploaded))

    assert refused.value.messages == [
        "Row 3, Date of death: must be on or before the date notified (12/03/2027)"
    ]
    nothing_stored()


def test_a_decision_before_its_notification_is_refused_naming_the_row_and_the_field(
    partnership, coordinator, agencies
):
    rows = good_rows()
    rows.append(
        row(
            **{
                "Name of the person who died": "Sybil Nobody",
                "Decision": "Yes",
                "Decision date": "11/03/2027",
            }
        )
    )
    with pytest.raises(ImportRefused) as refused:
        reviews_import(
            partnership=partnership, by=coordinator, raw_rows=read_import_file(csv_file(rows))
        )

    assert refused.value.messages == [
        "Row 5, Decision date: must be on or after the date notified (12/03/2027)"
    ]
    nothing_stored()


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        pytest.param(
            {"Date of death": "02/06/2027", "Date notified": "03/06/2027"},
            [
                "Row 2, Date of death: must be today or in the past",
                "Row 2, Date notified: must be today or in the past",
            ],
            id="future-dates",
        ),
        pytest.param(
            {"Decision": "Yes", "Decision date": "2027-06-02"},
            ["Row 2, Decision date: must be today or in the past"],
            id="future-decision",
        ),
        pytest.param(
            {"Date of death": "March 10th"},
            [
                "Row 2, Date of death: enter a date as DD/MM/YYYY, like 27/03/2027, or as "
                "YYYY-MM-DD, like 2027-03-27"
            ],
            id="unreadable-date",
        ),
        pytest.param(
            {"Date notified": "31/02/2027"},
            ["Row 2, Date notified: must be a real date, like 27/03/2027"],
            id="impossible-date",
        ),
        pytest.param(
            {"Date of death": "10/03/27"},
            ["Row 2, Date of death: the year must include 4 numbers, like 27/03/2027"],
            id="two-digit-year",
        ),
        pytest.param(
            {"Date of death": "46100"},
            [
                "Row 2, Date of death: enter a date as DD/MM/YYYY, like 27/03/2027, or as "
                "YYYY-MM-DD, like 2027-03-27"
            ],
            id="a-number-not-a-date",
        ),
        pytest.param(
            {"Date of death": "", "Date notified": " "},
            [
                "Row 2, Date of death: enter the date of death",
                "Row 2, Date notified: enter the date notified",
            ],
            id="missing-dates",
        ),
        pytest.param(
            {"Name of the person who died": "", "Notified by": ""},
            [
                "Row 2, Name of the person who died: enter the name of the person who died",
                "Row 2, Notified by: enter who notified the partnership",
            ],
            id="missing-text",
        ),
        pytest.param(
            {"Agencies to ask": "Testshire Police; Testshire Fire Service"},
            [
                "Row 2, Agencies to ask: “Testshire Fire Service” is not one of the agencies of "
                "Testshire Community Safety Partnership: correct the spelling, or have the "
                "agency added to the partnership first"
            ],
            id="unknown-agency",
        ),
        pytest.param(
            {"Review type": "Inquest"},
            ["Row 2, Review type: must be DHR, DARDR or Joint"],
            id="unknown-review-type",
        ),
        pytest.param(
            {"Decision": "Yes"},
            ["Row 2, Decision date: enter the date of the decision"],
            id="decision-without-date",
        ),
        pytest.param(
            {"Decision date": "01/04/2027"},
            ["Row 2, Decision: enter the decision (Yes or No) made on the decision date"],
            id="date-without-decision",
        ),
        pytest.param(
            {"Decision": "No", "Decision date": "01/04/2027"},
            [
                "Row 2, Decision reasons: enter the reasons for not holding a review: the Home "
                "Office needs them"
            ],
            id="no-without-reasons",
        ),
        pytest.param(
            {"Decision": "Perhaps", "Decision date": "01/04/2027"},
            ["Row 2, Decision: must be Yes, No or left empty"],
            id="unknown-decision",
        ),
        pytest.param(
            {"Notified by": "x" * 201},
            ["Row 2, Notified by: must be 200 characters or fewer"],
            id="too-long",
        ),
    ],
)
def test_bad_cells_are_refused_with_the_row_and_the_column(
    partnership, coordinator, agencies, cells, message
):
    with pytest.raises(ImportRefused) as refused:
        reviews_import(
            partnership=partnership,
            by=coordinator,
            raw_rows=read_import_file(csv_file([row(**cells)])),
        )

    assert refused.value.messages == message
    nothing_stored()


def test_every_problem_of_every_row_is_listed_and_no_real_name_is_quoted(partnership, agencies):
    rows = [
        row(**{"Date of death": "14/03/2027"}),
        row(**{"Name of the person who died": VICTIMS[1], "Date notified": "tomorrow"}),
        row(**{"Name of the person who died": VICTIMS[2], "Decision": "No"}),
    ]

    messages = refusal(csv_file(rows), partnership)

    assert [message.split(":")[0] for message in messages] == [
        "Row 2, Date of death",
        "Row 3, Date notified",
        "Row 4, Decision date",
        "Row 4, Decision reasons",
    ]
    assert not any(name in message for message in messages for name in VICTIMS)


def test_one_bad_row_refuses_the_whole_file(partnership, coordinator, agencies):
    rows = good_rows() + [
        row(**{"Name of the person who died": "Sybil Nobody", "Date of death": ""})
    ]

    with pytest.raises(ImportRefused):
        reviews_import(
            partnership=partnership, by=coordinator, raw_rows=read_import_file(csv_file(rows))
        )

    nothing_stored()


# A good file.
def test_a_good_file_starts_each_review_as_if_entered_by_hand(
    partnership, coordinator, csp_chair, agencies, django_capture_on_commit_callbacks
):
    police, health = agencies
    with django_capture_on_commit_callbacks(execute=True):
        imported = reviews_import(
            partnership=partnership,
            by=coordinator,
            raw_rows=read_import_file(csv_file(good_rows())),
        )

    by_row = {done.number: Review.objects.get(pk=done.review.pk) for done in imported}
    # References follow the order of notification within each year.
    assert {number: review.reference for number, review in by_row.items()} == {
        2: "TEST-2027-02",
        3: "TEST-2027-01",
        4: "TEST-2026-01",
    }
    first, second, third = by_row[2], by_row[3], by_row[4]
    assert (first.victim_real_name, first.perpetrator_real_name) == (VICTIMS[0], "Vernon Madeup")
    assert (first.date_of_death, first.notified_on) == (date(2027, 3, 10), date(2027, 3, 12))
    assert first.stage == Stage.NOTIFIED
    assert list(first.agencies.all()) == [police]
    assert second.review_type == ReviewType.DARDR
    assert set(second.agencies.all()) == {police, health}
    assert (second.stage, second.decided_on, second.commissioned) == (
        Stage.SETUP,
        date(2027, 2, 1),
        True,
    )
    assert (third.stage, third.commissioned) == (Stage.NOT_COMMISSIONED, False)
    assert third.decision_reasons == "Not an intimate or family relationship."
    # History, deadlines, the flow and the emails, as for a notification entered by hand.
    assert list(first.history.values_list("action", "by", "effective_on")) == [
        ("notify", coordinator.pk, date(2027, 3, 12))
    ]
    assert list(second.history.order_by("at", "pk").values_list("action", flat=True)) == [
        "notify",
        "decide_to_commission",
    ]
    assert Deadline.objects.filter(review=first, rule="decision", due_on=date(2027, 4, 12)).exists()
    assert Process.objects.count() == 3
    notified = Email.objects.filter(kind="review_notified")
    assert {(email.review_id, email.to_address) for email in notified} == {
        (review.pk, person.email)
        for review in by_row.values()
        for person in (coordinator, csp_chair)
    }
    assert not Email.objects.filter(status="ready").exists()  # all sent once committed
    for email in Email.objects.all():
        assert not any(name in email.subject + email.text_body for name in VICTIMS)


def test_an_xlsx_file_with_date_cells_imports(partnership, coordinator, agencies):
    workbook = xlsx_bytes(
        [
            HEADERS,
            [VICTIMS[0], "", datetime(2027, 3, 10), date(2027, 3, 12), "Testshire Police"],
            [],  # a blank row in between is ignored
            [VICTIMS[1], None, "02/01/2027", "2027-01-05", "Police", "dhr", "2024 draft"],
        ]
    )
    uploaded = SimpleUploadedFile("reviews.xlsx", workbook)

    imported = reviews_import(
        partnership=partnership, by=coordinator, raw_rows=read_import_file(uploaded)
    )

    assert [(done.number, done.review.date_of_death) for done in imported] == [
        (2, date(2027, 3, 10)),
        (4, date(2027, 1, 2)),
    ]
    assert imported[1].review.guidance_version == "2024-draft"


def test_an_xlsx_number_in_a_date_column_is_refused(partnership, agencies):
    workbook = xlsx_bytes([HEADERS, [VICTIMS[0], "", 46091, date(2027, 3, 12), "Police"]])

    assert refusal(SimpleUploadedFile("reviews.xlsx", workbook), partnership) == [
        "Row 2, Date of death: enter a date as DD/MM/YYYY, like 27/03/2027, or as YYYY-MM-DD, "
        "like 2027-03-27"
    ]


def test_a_csv_saved_with_semicolons_and_a_byte_order_mark_imports(partnership, agencies):
    content = "\ufeff".encode() + csv_bytes([row()], delimiter=";")

    rows = rows_check(
        read_import_file(SimpleUploadedFile("reviews.csv", content)), partnership=partnership
    )

    assert [(r.number, r.victim_real_name, r.notified_on) for r in rows] == [
        (2, VICTIMS[0], date(2027, 3, 12))
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27/03/2027", date(2027, 3, 27)),
        ("3/4/2027", date(2027, 4, 3)),
        ("03.04.2027", date(2027, 4, 3)),
        ("2027-04-03", date(2027, 4, 3)),
        ("2027-04-03 00:00:00", date(2027, 4, 3)),
    ],
)
def test_dates_are_read_day_first_or_iso(text, expected):
    assert parse_date(text) == expected


# Duplicates: in the file, and importing the same file twice (refused).
def test_the_same_death_twice_in_a_file_is_refused(partnership, agencies):
    rows = [row(), row(**{"Name of the person who died": "  wilhelmina   FAKENAME "})]

    assert refusal(csv_file(rows), partnership) == [
        "Row 3, Name of the person who died: the same death as row 2 (same name and date of death)"
    ]


def test_importing_the_same_file_twice_is_refused_and_adds_nothing(
    partnership, coordinator, agencies
):
    reviews_import(
        partnership=partnership, by=coordinator, raw_rows=read_import_file(csv_file(good_rows()))
    )
    counts = (Review.objects.count(), ReviewHistory.objects.count(), Email.objects.count())

    with pytest.raises(ImportRefused) as refused:
        reviews_import(
            partnership=partnership,
            by=coordinator,
            raw_rows=read_import_file(csv_file(good_rows())),
        )

    assert refused.value.messages == [
        "Row 2, Name of the person who died: this death already has a review (TEST-2027-02): "
        "a review is imported only once",
        "Row 3, Name of the person who died: this death already has a review (TEST-2027-01): "
        "a review is imported only once",
        "Row 4, Name of the person who died: this death already has a review (TEST-2026-01): "
        "a review is imported only once",
    ]
    assert (Review.objects.count(), ReviewHistory.objects.count(), Email.objects.count()) == counts


def test_a_death_entered_by_hand_is_not_imported_again(partnership, coordinator, agencies):
    review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 3, 10),
        notified_on=date(2027, 3, 12),
        referred_by="Testshire Police",
        victim_real_name=VICTIMS[0].upper(),
    )

    rows = [row(), row(**{"Name of the person who died": VICTIMS[1], "Date notified": "1/1/2027"})]

    # Listed row by row, though the duplicate is found after every row's cells are checked.
    assert refusal(csv_file(rows), partnership) == [
        "Row 2, Name of the person who died: this death already has a review (TEST-2027-01): "
        "a review is imported only once",
        "Row 3, Date of death: must be on or before the date notified (01/01/2027)",
    ]


def test_the_same_death_in_another_partnership_does_not_count(partnership, coordinator, agencies):
    elsewhere = PartnershipFactory(name="Otherton CSP", slug="otherton", code="OTH")
    MembershipFactory(user=coordinator, partnership=elsewhere, role=Role.COORDINATOR)
    reviews_import(
        partnership=elsewhere,
        by=coordinator,
        raw_rows=read_import_file(csv_file([row(**{"Agencies to ask": ""})])),
    )

    assert len(rows_check(read_import_file(csv_file([row()])), partnership=partnership)) == 1


# The file itself.
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "reviews.txt", b"a,b\n", "The selected file must be a CSV or XLSX file", id="txt"
        ),
        pytest.param(
            "reviews.csv",
            b"%PDF-1.4\n%%EOF\n",
            "The selected file is a PDF but its name ends in .csv: rename it or choose another "
            "file",
            id="pdf-named-csv",
        ),
        pytest.param(
            "reviews.xlsx",
            b"Name of the person who died,Date of death\n",
            "The selected file must be a PDF, DOCX, ODT, XLSX or CSV",
            id="csv-named-xlsx",
        ),
        pytest.param("reviews.csv", b"", "The selected file is empty", id="empty"),
        pytest.param(
            "reviews.csv",
            "Name of the person who died\nZoë\n".encode("latin-1"),
            "The selected CSV file must be saved as UTF-8",
            id="not-utf8",
        ),
        pytest.param(
            "reviews.csv",
            csv_bytes([]),
            "The file has no reviews in it: add one row for each review below the header row",
            id="header-only",
        ),
        pytest.param(
            "reviews.csv",
            b"\n\n",
            "Row 1: the first row must be the header row of the template, starting “Name of the "
            "person who died”",
            id="no-header",
        ),
    ],
)
def test_files_that_cannot_be_imported_are_refused(partnership, name, content, message):
    assert refusal(SimpleUploadedFile(name, content), partnership) == [message]


def test_a_header_row_that_is_not_the_templates_is_refused_column_by_column(partnership):
    headers = ["Name of the person who died", "Date of deth", "date notified", "Date notified"]

    assert refusal(csv_file([], headers=headers), partnership) == [
        "Row 1, column B: “Date of deth” is not a column of the template. Use the headers of "
        "the template exactly",
        "Row 1, column D: “Date notified” is already column C",
        "Row 1: add the column “Date of death” to the header row",
        "Row 1: add the column “Notified by” to the header row",
    ]


def test_a_value_in_a_column_without_a_header_is_refused(partnership, agencies):
    content = csv_bytes([row()]).decode().splitlines()
    content[1] += ",,,lost value"
    uploaded = SimpleUploadedFile("reviews.csv", "\n".join(content).encode())

    assert refusal(uploaded, partnership) == [
        "Row 2, column O: this column has no header. Delete what is in it or give the column a "
        "header from the template"
    ]


def test_more_reviews_than_the_cap_are_refused(partnership, agencies):
    rows = [row(**{"Name of the person who died": f"Person {n}"}) for n in range(MAX_REVIEWS + 1)]

    assert len(rows_check(read_import_file(csv_file(rows[:-1])), partnership=partnership)) == 100
    assert refusal(csv_file(rows), partnership) == [
        "The file has more than 100 reviews: split it into files of 100 rows or fewer"
    ]


def test_a_file_too_big_is_refused_before_it_is_read(partnership):
    content = csv_bytes([row()]) + b"," * (2 * 1024 * 1024)

    assert refusal(SimpleUploadedFile("reviews.csv", content), partnership) == [
        "The selected file must be smaller than 2 MB"
    ]


def test_an_xlsx_that_expands_too_far_is_refused(partnership):
    # Within the upload checks' limits (under 2 MB, no part expanding more than 100 times) yet
    # 22 MB once opened: more than openpyxl should hold in memory for an import.
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADERS])), "r") as workbook,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as padded,
    ):
        for member in workbook.infolist():
            padded.writestr(member, workbook.read(member))
        for number in range(22):
            part = os.urandom(20_000) + bytes(980_000)
            padded.writestr(f"xl/media/image{number}.bin", part)
    assert len(buffer.getvalue()) < 2 * 1024 * 1024

    assert refusal(SimpleUploadedFile("reviews.xlsx", buffer.getvalue()), partnership) == [
        "The selected file must not expand to more than 20 MB when opened"
    ]


def test_only_a_coordinator_of_the_partnership_may_import(partnership, csp_chair, agencies):
    with pytest.raises(ImportRefused) as refused:
        reviews_import(
            partnership=partnership, by=csp_chair, raw_rows=read_import_file(csv_file([row()]))
        )

    assert refused.value.messages == [
        "Only a coordinator of Testshire Community Safety Partnership can import its reviews"
    ]
    nothing_stored()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_import_it_once(partnership, coordinator, agencies):
    raw_rows = read_import_file(csv_file(good_rows()))
    outcomes, start = [], threading.Barrier(2, timeout=30)

    def attempt():
        try:
            start.wait()
            reviews_import(partnership=partnership, by=coordinator, raw_rows=raw_rows)
            outcomes.append("imported")
        except ImportRefused as refused:
            outcomes.append(refused.messages[0].split(":")[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["Row 2, Name of the person who died", "imported"]
    assert Review.objects.count() == 3


# The command.
def write(tmp_path, rows, name="reviews.csv") -> str:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return str(path)


def test_the_command_imports_a_good_file(partnership, coordinator, agencies, tmp_path):
    out = io.StringIO()

    call_command("import_reviews", "testshire", write(tmp_path, good_rows()), stdout=out)

    assert out.getvalue().splitlines() == [
        "Imported 3 reviews into Testshire Community Safety Partnership:",
        "  Row 2: TEST-2027-02",
        "  Row 3: TEST-2027-01",
        "  Row 4: TEST-2026-01",
    ]
    assert Review.objects.count() == 3
    assert not any(name in out.getvalue() for name in VICTIMS)


def test_the_command_prints_the_same_messages_and_stores_nothing(
    partnership, coordinator, agencies, tmp_path
):
    rows = [row(**{"Date of death": "14/03/2027"}), row(**{"Decision date": "01/03/2027"})]
    err = io.StringIO()

    with pytest.raises(CommandError, match="Nothing was imported: 3 problems"):
        call_command("import_reviews", "testshire", write(tmp_path, rows), stderr=err)

    assert err.getvalue().splitlines() == [
        "Row 2, Date of death: must be on or before the date notified (12/03/2027)",
        "Row 3, Decision: enter the decision (Yes or No) made on the decision date",
        "Row 3, Decision date: must be on or after the date notified (12/03/2027)",
    ]
    nothing_stored()


def test_the_command_checks_without_importing(partnership, coordinator, agencies, tmp_path):
    out = io.StringIO()

    call_command("import_reviews", "testshire", write(tmp_path, good_rows()), "--check", stdout=out)

    assert out.getvalue().strip() == "Every row is right: 3 reviews ready to import."
    nothing_stored()


def test_the_command_needs_a_coordinator_of_the_partnership(
    partnership, coordinator, csp_chair, agencies, tmp_path
):
    second = UserFactory(email="second.coordinator@test.example")
    path = write(tmp_path, good_rows())

    with pytest.raises(CommandError, match="no partnership with the slug 'nowhere'"):
        call_command("import_reviews", "nowhere", path)
    with pytest.raises(CommandError, match="is not an active coordinator"):
        call_command("import_reviews", "testshire", path, "--by", csp_chair.email)
    MembershipFactory(user=second, partnership=partnership, role=Role.COORDINATOR)
    with pytest.raises(CommandError, match="has 2 coordinators: say which one"):
        call_command("import_reviews", "testshire", path)
    call_command("import_reviews", "testshire", path, "--by", second.email, stdout=io.StringIO())

    assert set(ReviewHistory.objects.values_list("by", flat=True)) == {second.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_on_a_bad_file(partnership, coordinator, agencies, tmp_path):
    # Run as a council officer would, in its own process (on the real date: 2024 is past).
    rows = [row(**{"Date of death": "14/03/2024", "Date notified": "12/03/2024"})]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
    }

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_reviews", "testshire", write(tmp_path, rows)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 1, finished.stderr
    assert "Row 2, Date of death: must be on or before the date notified (12/03/2024)" in (
        finished.stderr
    )
    assert "Nothing was imported: 1 problem" in finished.stderr
    assert not Review.objects.exists()


# The pages.
@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def upload(client, rows=None, partnership="testshire", uploaded=None):
    """Post a file to the import page as the browser would (with the partnership's hidden
    field); ``partnership=None`` leaves the partnership out."""
    data = {"file": uploaded or csv_file(good_rows() if rows is None else rows)}
    if isinstance(partnership, str):
        partnership = Partnership.objects.get(slug=partnership)
    if partnership is not None:
        data["partnership"] = str(partnership.pk)
    return client.post(IMPORT_URL, data)


def test_the_import_page_explains_the_columns_and_offers_the_template(coordinator_client):
    response = coordinator_client.get(IMPORT_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Import reviews from a spreadsheet</h1>' in html
    assert 'href="/reviews/import/template.csv"' in html
    for column in COLUMNS:
        assert column.header in html
    assert 'type="hidden" name="partnership"' in html  # one partnership: nothing to choose


def test_the_template_is_the_header_row(coordinator_client):
    response = coordinator_client.get("/reviews/import/template.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="review-import-template.csv"'
    assert response.content.decode() == template_csv()
    assert next(csv.reader(io.StringIO(template_csv().lstrip("\ufeff")))) == HEADERS


def test_the_start_page_links_to_the_import(coordinator_client):
    assert 'href="/reviews/import/"' in coordinator_client.get("/reviews/start/").content.decode()


def test_a_bad_file_is_refused_on_the_page_with_the_govuk_error_summary(
    coordinator_client, partnership, agencies
):
    rows = [row(**{"Date of death": "14/03/2027"}), row(**{"Decision date": "01/03/2027"})]

    response = upload(coordinator_client, rows)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Import reviews from a spreadsheet" in html
    assert 'class="govuk-error-summary"' in html
    assert (
        '<a href="#id_file">Row 2, Date of death: must be on or before the date notified '
        "(12/03/2027)</a>" in html
    )
    assert '<a href="#id_file">Row 3, Decision date: must be on or after the date notified' in html
    assert "The file has 3 problems: fix them and upload it again" in html
    assert "govuk-file-upload--error" in html
    assert VICTIMS[0] not in html
    nothing_stored()
    assert "review_import" not in coordinator_client.session


def test_a_good_file_is_checked_then_imported(
    coordinator_client, partnership, coordinator, agencies, django_capture_on_commit_callbacks
):
    response = upload(coordinator_client)
    assert response.status_code == 302
    assert response["Location"] == CHECK_URL
    nothing_stored()  # nothing until the coordinator confirms

    check = coordinator_client.get(CHECK_URL)
    html = check.content.decode()
    assert check.status_code == 200
    assert "Check the reviews you are importing" in html
    assert "3 reviews will be started for Testshire Community Safety Partnership" in html
    assert "Import 3 reviews" in html
    assert "1 February 2027" in html  # the decision date, GOV.UK style

    with django_capture_on_commit_callbacks(execute=True):
        imported = coordinator_client.post(CHECK_URL, follow=True)

    assert imported.redirect_chain == [("/reviews/", 302)]
    assert "3 reviews imported: TEST-2027-02, TEST-2027-01, TEST-2026-01." in (
        imported.content.decode()
    )
    assert Review.objects.count() == 3
    assert Email.objects.filter(kind="review_notified").exists()
    assert "review_import" not in coordinator_client.session
    # Confirming again (a second click) finds nothing waiting: back to the upload page.
    again = coordinator_client.post(CHECK_URL)
    assert (again.status_code, again["Location"]) == (302, IMPORT_URL)
    assert Review.objects.count() == 3


def test_uploading_the_same_file_again_is_refused(coordinator_client, partnership, agencies):
    upload(coordinator_client)
    coordinator_client.post(CHECK_URL)

    response = upload(coordinator_client)

    assert response.status_code == 200
    assert "this death already has a review (TEST-2027-02)" in response.content.decode()
    assert Review.objects.count() == 3


def test_rows_are_checked_again_when_imported(
    coordinator_client, partnership, coordinator, agencies
):
    upload(coordinator_client)
    # Meanwhile a colleague enters one of the deaths by hand.
    review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 2),
        notified_on=date(2027, 1, 5),
        referred_by="Testshire Police",
        victim_real_name=VICTIMS[1],
    )

    response = coordinator_client.post(CHECK_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Row 3, Name of the person who died: this death already has a review" in html
    assert Review.objects.count() == 1
    assert "review_import" not in coordinator_client.session


def test_the_check_page_without_an_upload_goes_back_to_the_upload(coordinator_client):
    response = coordinator_client.get(CHECK_URL)

    assert (response.status_code, response["Location"]) == (302, IMPORT_URL)


@pytest.mark.parametrize("persona", ["csp_chair", "independent_chair", "police_author", "outsider"])
def test_only_coordinators_may_import(client, request, persona, partnership, agencies):
    client.force_login(request.getfixturevalue(persona))

    for url in (IMPORT_URL, CHECK_URL, "/reviews/import/template.csv"):
        assert client.get(url).status_code == 403
    assert upload(client, partnership=partnership).status_code == 403
    assert client.post(CHECK_URL).status_code == 403
    nothing_stored()


def test_signing_in_comes_first(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_a_coordinator_cannot_import_into_another_partnership(client, partnership, agencies):
    elsewhere = PartnershipFactory(name="Otherton CSP", slug="otherton", code="OTH")
    theirs = UserFactory(email="otherton.coordinator@test.example")
    MembershipFactory(user=theirs, partnership=elsewhere, role=Role.COORDINATOR)
    client.force_login(theirs)

    response = upload(client, partnership=partnership)

    assert response.status_code == 200
    assert "Select a Community Safety Partnership you coordinate" in response.content.decode()
    nothing_stored()
    assert "review_import" not in client.session


def test_a_coordinator_of_two_partnerships_chooses_one(client, partnership, coordinator, agencies):
    elsewhere = PartnershipFactory(name="Otherton CSP", slug="otherton", code="OTH")
    MembershipFactory(user=coordinator, partnership=elsewhere, role=Role.COORDINATOR)
    AgencyFactory(partnership=elsewhere, name="Testshire Police")
    AgencyFactory(partnership=elsewhere, name="Testshire Health Trust")
    client.force_login(coordinator)

    assert "Select the Community Safety Partnership" in (
        upload(client, partnership=None).content.decode()
    )
    assert upload(client, partnership=elsewhere).status_code == 302
    client.post(CHECK_URL)

    assert set(Review.objects.values_list("partnership__slug", flat=True)) == {"otherton"}


def test_a_coordinator_who_stops_coordinating_cannot_confirm(
    coordinator_client, coordinator, partnership, agencies
):
    upload(coordinator_client)
    coordinator.memberships.all().delete()

    assert coordinator_client.post(CHECK_URL).status_code == 403
    nothing_stored()


# The forms entered by hand refuse the same bad dates, naming the field.
@pytest.mark.parametrize(
    ("on", "message"),
    [
        (
            date(2027, 1, 9),
            "Date of the decision must be on or after the date of notification (10 January 2027)",
        ),
        (date(2027, 6, 2), "Date of the decision must be today or in the past"),
    ],
)
def test_the_decision_form_refuses_bad_dates_naming_the_field(
    coordinator_client, review, on, message
):
    response = coordinator_client.post(
        f"/reviews/{review.reference}/steps/decide/",
        {
            "stage": Stage.NOTIFIED,
            "commissioned": "yes",
            "on_0": str(on.day),
            "on_1": str(on.month),
            "on_2": str(on.year),
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#id_on_0">{message}</a>' in html
    review.refresh_from_db()
    assert (review.stage, review.decided_on) == (Stage.NOTIFIED, None)
    assert not review.history.exists()


def test_the_start_form_refuses_a_death_after_its_notification_naming_the_field(
    coordinator_client, partnership
):
    response = coordinator_client.post(
        "/reviews/start/",
        {
            "partnership": str(partnership.pk),
            "referred_by": "Testshire Police",
            "victim_real_name": VICTIMS[0],
            "review_type": "dhr",
            "guidance_version": "2016",
            **{f"date_of_death_{i}": part for i, part in enumerate(("14", "3", "2027"))},
            **{f"notified_on_{i}": part for i, part in enumerate(("12", "3", "2027"))},
        },
    )

    assert (
        '<a href="#id_notified_on_0">Date of notification must be on or after the date of death'
        "</a>" in response.content.decode()
    )
    nothing_stored()


def test_raw_rows_survive_the_session_unchanged():
    raw = RawRow(number=7, values={"date_of_death": "2027-03-10"})

    assert RawRow(**raw.as_dict()) == raw
