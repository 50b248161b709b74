"""Bad files through every upload form of the product, posted as a browser (or an attacker)
would: each is refused with a message that names the problem, and nothing is stored, neither a
row nor a file.

The forms: a review's documents page, the steps that ask for a document (terms of reference,
combined chronology, the final report, the Home Office's letter), an agency's report task, and
a recommendation's evidence. Every request body is written by hand here, so the file name
reaches the server exactly as sent (Django's test client would strip the folders itself).
"""

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.authorization_cases import _drive_to_agency_reports, _open_task
from workflows.models import (
    Document,
    DocumentVersion,
    Participant,
    ParticipantRole,
    Recommendation,
)
from workflows.services.agency_reports import agency_task_complete
from workflows.stages import Stage
from workflows.uploads import EMPTY, FOLDERS, WRONG_TYPE, ZIP_TOO_BIG

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert('x')</script></body></html>"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
PASSWD = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
BAD_REQUEST = "Sorry, there is a problem with what was sent"
BOUNDARY = "----refused-upload-boundary"


def docx_bomb(expanded_gib: int = 2) -> bytes:
    """A DOCX whose document.xml inflates to ``expanded_gib`` GiB of zeros, about 2 MB on disk.

    Deflate's output for a block of zeros after a full flush does not depend on what came
    before, so one compressed block is repeated instead of compressing gigabytes here.
    """
    block = bytes(4 * 1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = expanded_gib * 256
    data = chunk * count + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    members = [
        ("[Content_Types].xml", b"<Types/>", zlib.crc32(b"<Types/>"), 8, 0),
        ("word/document.xml", data, crc, len(block) * count, 8),
    ]
    return _zip(members)


def _zip(members) -> bytes:
    """A ZIP written by hand: (name, stored bytes, crc, expanded size, method) per member."""
    out, directory = io.BytesIO(), []
    for name, data, crc, size, method in members:
        offset = out.tell()
        encoded = name.encode()
        header = (b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<4s5H3L2H", *header) + encoded + data)
        entry = (b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded))
        directory.append(struct.pack("<4s6H3L5H2L", *entry, 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(b"".join(directory))
    end = (b"PK\x05\x06", 0, 0, len(members), len(members), out.tell() - start, start, 0)
    out.write(struct.pack("<4s4H2LH", *end))
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return docx_bomb()


def test_the_zip_bomb_is_real(bomb):
    """The archive is a valid DOCX whose directory says 2 GiB, and it really inflates to zeros."""
    assert len(bomb) < 3 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        member = archive.getinfo("word/document.xml")
        assert member.file_size == 2 * 1024**3
        with archive.open(member) as opened:
            assert opened.read(8 * 1024 * 1024) == bytes(8 * 1024 * 1024)


def multipart(fields: dict, file_field: str, file_name: str, body: bytes) -> bytes:
    """A form's body as a browser sends it, with the file name exactly as given."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    disposition = f'form-data; name="{file_field}"; filename="{file_name}"'
    parts.append(
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        "Content-Type: application/pdf\r\n\r\n".encode()
        + body
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


@dataclass
class UploadForm:
    url: str
    user: object
    fields: dict
    file_field: str = "file"
    form_key: str = "form"

    def post(self, file_name: str, body: bytes):
        client = Client()
        client.force_login(self.user)
        data = multipart(self.fields, self.file_field, file_name, body)
        return client.post(
            self.url, data=data, content_type=f"multipart/form-data; boundary={BOUNDARY}"
        )


def _step(review, slug, kind, coordinator) -> UploadForm:
    url = reverse("reviews:step", kwargs={"reference": review.reference, "slug": slug})
    return UploadForm(url, coordinator, {"upload": "Upload", "kind": kind}, form_key="upload_form")


def _review_documents(request):
    review = request.getfixturevalue("review_at")(Stage.AGENCY_REPORTS)
    police = request.getfixturevalue("police")
    url = reverse("reviews:document_upload", args=[review.reference])
    fields = {"kind": "chronology", "agency": police.pk, "title": ""}
    return UploadForm(url, request.getfixturevalue("coordinator"), fields)


def _step_form(stage, slug, kind):
    def build(request):
        review = request.getfixturevalue("review_at")(stage)
        return _step(review, slug, kind, request.getfixturevalue("coordinator"))

    return build


def _agency_report(request):
    """The police's report task, opened through the real flow after the police said they knew
    the people involved."""
    coordinator = request.getfixturevalue("coordinator")
    author = request.getfixturevalue("police_author")
    police = request.getfixturevalue("police")
    review = _drive_to_agency_reports(
        request.getfixturevalue("partnership"),
        coordinator,
        request.getfixturevalue("independent_chair"),
        [police],
        "Zelda Inventedname",
        "Quentin Madeupname",
    )
    Participant.objects.create(
        review=review,
        user=author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=coordinator,
    )
    scoping = _open_task(review, "agency_scoping", police)
    agency_task_complete(
        task=scoping, review=review, by=author, on=date(2027, 5, 1), answer="involved"
    )
    report = _open_task(review, "agency_report", police)
    url = reverse("tasks:agency", kwargs={"reference": review.reference, "task_id": report.pk})
    fields = {"upload": "Upload", "kind": "agency_report"}
    return UploadForm(url, author, fields, form_key="upload_form")


def _evidence(request):
    review = request.getfixturevalue("review_at")(Stage.ACTION_PLAN)
    author = request.getfixturevalue("police_author")
    Recommendation.objects.create(
        review=review,
        number=1,
        text="Train call handlers to recognise coercive control.",
        owner_agency=request.getfixturevalue("police"),
        owner=author,
        due_on=date(2027, 9, 1),
        status="in_progress",
    )
    url = reverse(
        "reviews:action_plan_complete", kwargs={"reference": review.reference, "number": 1}
    )
    fields = {"evidence_note": "Training given to every call handler."}
    return UploadForm(url, author, fields, file_field="evidence_file")


FORMS = {
    "review documents": _review_documents,
    "terms of reference step": _step_form(
        Stage.TERMS_OF_REFERENCE, "agree-terms-of-reference", "terms_of_reference"
    ),
    "combined chronology step": _step_form(
        Stage.AGENCY_REPORTS, "complete-agency-reports", "combined_chronology"
    ),
    "final report step": _step_form(Stage.DRAFTING, "complete-draft", "overview_report"),
    "Home Office letter step": _step_form(Stage.HOME_OFFICE_QA, "qa-outcome", "qa_letter"),
    "agency report (IMR) task": _agency_report,
    "recommendation evidence": _evidence,
}


@pytest.fixture(params=list(FORMS))
def upload_form(request, db, settings, tmp_path) -> UploadForm:
    settings.MEDIA_ROOT = tmp_path / "media"
    return FORMS[request.param](request)


def stored(tmp_path) -> tuple:
    """Everything an upload could leave behind: rows, evidence and files anywhere in tmp_path."""
    evidence = sorted(Recommendation.objects.values_list("evidence_file", "evidence_name"))
    files = sorted(str(path) for path in tmp_path.rglob("*") if path.is_file())
    return Document.objects.count(), DocumentVersion.objects.count(), evidence, files


def assert_refused(response, form: UploadForm, message: str) -> None:
    assert response.status_code == 200, response.status_code
    errors = response.context[form.form_key].errors
    assert errors.get(form.file_field) == [message], errors
    # Shown in the error summary and next to the file input.
    assert response.content.decode().count(message) >= 2


# (file name, body, the message shown). The bomb is filled in from its fixture.
REFUSALS = {
    "empty": ("report.pdf", b"", EMPTY),
    "HTML named .pdf": ("report.pdf", HTML, WRONG_TYPE),
    "executable named .pdf": ("report.pdf", EXECUTABLE, WRONG_TYPE),
    "executable named .docx": ("report.docx", EXECUTABLE, WRONG_TYPE),
    "PDF named .docx": (
        "report.docx",
        PDF,
        "The selected file is a PDF but its name ends in .docx: rename it or choose another file",
    ),
    "DOCX zip bomb": ("report.docx", None, ZIP_TOO_BIG),
    # Django keeps only the last part of a posted path; the bytes still decide.
    "passwd under a path": ("../../etc/passwd.pdf", PASSWD, WRONG_TYPE),
    "Windows drive": ("C:report.pdf", PDF, FOLDERS),
    # Django drops the NUL: report.pdf.html, whose type is not allowed.
    "NUL before the real extension": ("report.pdf\x00.html", PDF, WRONG_TYPE),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_stored(
    upload_form, refusal, bomb, tmp_path
):
    name, body, message = REFUSALS[refusal]
    before = stored(tmp_path)
    response = upload_form.post(name, bomb if body is None else body)
    assert_refused(response, upload_form, message)
    assert stored(tmp_path) == before


def test_an_oversized_file_is_refused_and_nothing_is_stored(upload_form, settings, tmp_path):
    settings.DOCUMENT_MAX_BYTES = 1024
    before = stored(tmp_path)
    response = upload_form.post("report.pdf", PDF + b"%" * 2048)
    assert_refused(response, upload_form, "The selected file must be smaller than 1 KB")
    assert stored(tmp_path) == before


def test_a_name_too_long_to_read_is_refused_and_nothing_is_stored(upload_form, tmp_path):
    """Django will not read a part whose headers pass 1 KB: the request is refused whole."""
    before = stored(tmp_path)
    response = upload_form.post("n" * 2000 + ".pdf", PDF)
    assert response.status_code == 400
    assert BAD_REQUEST in response.content.decode()
    assert stored(tmp_path) == before


@pytest.mark.parametrize(
    "posted", ["../../etc/passwd.pdf", "C:\\x\\report.pdf", "..\\..\\windows\\report.pdf"]
)
def test_a_path_in_a_good_files_name_never_reaches_the_disk(upload_form, posted, tmp_path):
    """A real PDF under a path is kept as the bare name, in a random file inside the storage:
    nothing is written where the path points."""
    response = upload_form.post(posted, PDF)
    assert response.status_code == 302, response.status_code
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) == 1
    assert files[0].is_relative_to(tmp_path / "media")
    assert files[0].name.split(".")[0] not in ("passwd", "report")
    kept = [v.original_name for v in DocumentVersion.objects.all()]
    kept += [
        name for name in Recommendation.objects.values_list("evidence_name", flat=True) if name
    ]
    assert kept == [posted.replace("\\", "/").rsplit("/", 1)[-1]]


def test_a_long_name_is_kept_short(upload_form):
    response = upload_form.post("n" * 300 + ".pdf", PDF)
    assert response.status_code == 302, response.status_code
    kept = [v.original_name for v in DocumentVersion.objects.all()]
    kept += [
        name for name in Recommendation.objects.values_list("evidence_name", flat=True) if name
    ]
    assert kept == ["n" * 196 + ".pdf"]
