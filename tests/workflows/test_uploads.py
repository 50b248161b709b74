"""Uploading documents: what is refused (with its message, and nothing stored) and what is kept.

Every file here is built in the test: minimal PDFs, office documents made with zipfile, CSVs and a
zip bomb compressed on the fly, so no fixture file can hide what is being checked.
"""

import hashlib
import io
import threading
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from workflows.models import Document, DocumentKind, DocumentVersion
from workflows.services.documents import document_open, document_upload
from workflows.uploads import CSV, DOCX, ODT, PDF, XLSX, UploadRefused, check_upload

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WRONG_TYPE = "The selected file must be a PDF, DOCX, ODT, XLSX or CSV"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(text: str = "Agency report") -> bytes:
    return zipped(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": f"<w:document>{text}</w:document>".encode(),
        }
    )


def xlsx_bytes() -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # ODF requires the mimetype first and uncompressed.
        archive.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


CSV_BYTES = b"date,agency,contact\n2026-03-01,Police,Call to address\n2026-04-02,Health,GP visit\n"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    """A DOCX whose document.xml is 300 MB of zeros, compressed while it is written (~1 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(300):
                member.write(block)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def assert_nothing_stored(media) -> None:
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert stored_files(media) == []


def upload_as(review, user, kind=DocumentKind.TERMS_OF_REFERENCE, agency=None, **file):
    return document_upload(review=review, kind=kind, agency=agency, by=user, **file)


# Refused, each with a clear message and nothing stored.


def many_parts() -> bytes:
    members = {f"word/media/image{n}.xml": b"" for n in range(5001)}
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:d/>"} | members)


# (what, how to make the file given the zip bomb, the message shown)
REFUSALS = [
    ("empty", lambda bomb: upload("report.pdf", b""), "The selected file is empty"),
    ("text named .pdf", lambda bomb: upload("report.pdf", b"A plain text note.\n"), WRONG_TYPE),
    (
        "PDF named .docx",
        lambda bomb: upload("report.docx", PDF_BYTES),
        "The selected file is a PDF but its name ends in .docx: rename it or choose another file",
    ),
    (
        "DOCX named .xlsx",
        lambda bomb: upload("chronology.xlsx", docx_bytes()),
        "The selected file is a DOCX but its name ends in .xlsx: rename it or choose another file",
    ),
    ("executable", lambda bomb: upload("report.exe", b"MZ\x90\x00"), WRONG_TYPE),
    ("no extension", lambda bomb: upload("report", PDF_BYTES), WRONG_TYPE),
    (
        "relative path",
        lambda bomb: ContentFile(PDF_BYTES, name="../../etc/passwd.pdf"),
        "The file name must not contain folders",
    ),
    (
        "Windows path",
        lambda bomb: ContentFile(PDF_BYTES, name="C:\\x\\report.pdf"),
        "The file name must not contain folders",
    ),
    (
        "DOCX zip bomb",
        lambda bomb: upload("report.docx", bomb),
        "The selected file must not expand to more than 200 MB when opened",
    ),
    (
        "too many parts",
        lambda bomb: upload("report.docx", many_parts()),
        "The selected file must not contain more than 5000 parts",
    ),
    (
        "ZIP of photos",
        lambda bomb: upload("report.docx", zipped({"photo.jpg": b"\xff\xd8"})),
        WRONG_TYPE,
    ),
    ("broken ZIP", lambda bomb: upload("report.docx", b"PK\x03\x04 not a zip"), WRONG_TYPE),
    (
        "ODT of another kind",
        lambda bomb: upload(
            "sheet.odt", zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
        ),
        WRONG_TYPE,
    ),
    (
        "CSV with NUL bytes",
        lambda bomb: upload("chronology.csv", b"date,event\x00\n1,2\n"),
        WRONG_TYPE,
    ),
    (
        "CSV not in UTF-8",
        lambda bomb: upload(
            "chronology.csv", "date,event\n2026,visite à domicile\n".encode("cp1252")
        ),
        "The selected CSV file must be saved as UTF-8",
    ),
    (
        "CSV with a stray quote",
        lambda bomb: upload("chronology.csv", b'date,event\n2026,"visit"home\n'),
        "The selected CSV file could not be read: check it is a comma-separated file",
    ),
]


@pytest.mark.parametrize(
    "make, message", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
def test_refused_uploads_say_why_and_store_nothing(
    make, message, docx_bomb, review, coordinator, media
):
    with pytest.raises(UploadRefused) as refused:
        upload_as(review, coordinator, uploaded_file=make(docx_bomb))
    assert refused.value.message == message
    assert_nothing_stored(media)


def test_an_oversized_file_is_refused_before_it_is_read(review, coordinator, media, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(UploadRefused) as refused:
        upload_as(review, coordinator, uploaded_file=upload("report.pdf", PDF_BYTES + bytes(2000)))
    assert refused.value.message == "The selected file must be smaller than 1 KB"
    assert_nothing_stored(media)


def test_a_file_that_lies_about_its_size_is_still_stopped_at_the_limit(settings):
    settings.DOCUMENT_MAX_BYTES = 25 * 1024 * 1024
    lying = upload("report.pdf", PDF_BYTES + bytes(26 * 1024 * 1024))
    lying.size = 10
    with pytest.raises(UploadRefused, match="must be smaller than 25 MB"):
        check_upload(lying)


def test_a_zip_that_compresses_too_tightly_is_refused_even_when_small_enough():
    tight = zipped(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": bytes(50 * 1024 * 1024)}
    )
    with pytest.raises(UploadRefused, match="must not expand to more than 200 MB"):
        check_upload(upload("report.docx", tight))


def test_nothing_is_stored_when_the_database_write_fails(review, coordinator, media, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(DocumentVersion, "save", fail)
    with pytest.raises(RuntimeError):
        upload_as(review, coordinator, uploaded_file=upload("report.pdf", PDF_BYTES))
    assert_nothing_stored(media)


# Accepted.


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("terms.pdf", PDF_BYTES, PDF),
        ("terms.PDF", PDF_BYTES, PDF),
        ("terms.docx", docx_bytes(), DOCX),
        ("terms.odt", odt_bytes(), ODT),
        ("terms.xlsx", xlsx_bytes(), XLSX),
        ("terms.csv", CSV_BYTES, CSV),
        ("terms.csv", b"\xef\xbb\xbf" + CSV_BYTES, CSV),
        ("terms.csv", b"single column\nsecond row\n", CSV),
        ("terms.csv", b"date;event\n2026;visit\n", CSV),
    ],
)
def test_each_allowed_type_is_accepted_and_stored_under_a_random_name(
    name, data, content_type, review, coordinator, media
):
    version = upload_as(review, coordinator, uploaded_file=upload(name, data))
    assert version.number == 1
    assert version.content_type == content_type
    assert version.size == len(data)
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert version.original_name == name
    assert version.uploaded_by == coordinator
    [stored] = stored_files(media)
    assert stored.read_bytes() == data
    assert stored.parent == media / "reviews" / str(review.pk)
    assert name.split(".")[0] not in stored.name


def test_the_uploaded_name_never_reaches_the_disk(review, coordinator, media):
    real_name = "IMR about Zelda Inventedname.pdf"
    version = upload_as(review, coordinator, uploaded_file=upload(real_name, PDF_BYTES))
    [stored] = stored_files(media)
    assert "Zelda" not in str(stored) and "Zelda" not in version.file.name
    assert version.original_name == real_name


def test_a_long_name_is_kept_to_200_characters_with_its_extension(review, coordinator, media):
    version = upload_as(review, coordinator, uploaded_file=upload("a" * 240 + ".pdf", PDF_BYTES))
    assert len(version.original_name) == 200
    assert version.original_name.endswith("a.pdf")


def test_each_upload_is_a_new_version_and_earlier_ones_stay(review, coordinator, media):
    first = upload_as(review, coordinator, uploaded_file=upload("terms.pdf", PDF_BYTES))
    second_bytes = docx_bytes("Terms of reference, agreed")
    second = upload_as(review, coordinator, uploaded_file=upload("terms.docx", second_bytes))

    assert (first.document_id, first.number) == (second.document_id, 1)
    assert second.number == 2
    assert Document.objects.count() == 1
    assert first.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert second.sha256 == hashlib.sha256(second_bytes).hexdigest()
    assert len(stored_files(media)) == 2
    with document_open(version=first, user=coordinator, action="download") as handle:
        assert handle.read() == PDF_BYTES


def test_agency_documents_are_kept_apart_per_agency(review, coordinator, police, health, media):
    review.review_agencies.create(agency=health)
    for agency in (police, health):
        upload_as(
            review,
            coordinator,
            kind=DocumentKind.AGENCY_REPORT,
            agency=agency,
            uploaded_file=upload("imr.pdf", PDF_BYTES),
        )
    titles = sorted(Document.objects.values_list("title", flat=True))
    assert titles == [
        "Agency report (IMR): Testshire Health Trust",
        "Agency report (IMR): Testshire Police",
    ]


# Two people uploading at once.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_take_versions_one_and_two(review, coordinator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    barrier = threading.Barrier(2)
    results = [None, None]

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            results[index] = upload_as(
                review, coordinator, uploaded_file=upload("terms.pdf", PDF_BYTES)
            ).number
        except Exception as error:  # noqa: BLE001 - the test inspects what each attempt met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [1, 2]
    assert Document.objects.count() == 1
