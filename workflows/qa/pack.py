"""The submission pack: a ZIP of the signed-off documents with a PDF cover sheet.

Member names are neutral (``01-overview-report-v2.pdf``), never the uploaded file's name, which
may hold a real name. Each document's bytes are hashed again as they are copied in, so a pack
never carries a file that differs from what was uploaded and checksummed.
"""

import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from workflows.models import DocumentKind
from workflows.qa.selectors import PACK_KINDS, latest_signed_off_versions

COVER_SHEET_NAME = "00-cover-sheet.pdf"
CHUNK_BYTES = 64 * 1024


class PackRefused(Exception):
    """The pack cannot be built as asked, with the message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Pack:
    """A built pack: an open temporary file (the ZIP) and what went into it."""

    file: object
    sha256: str
    size: int
    contents: list[dict]


def member_name(position: int, kind: str, version) -> str:
    """For example ``01-overview-report-v2.pdf``."""
    return (
        f"{position:02d}-{slugify(DocumentKind(kind).label)}-v{version.number}{version.extension}"
    )


def pack_contents(review) -> list[dict]:
    """What goes in the pack: for each of the five kinds, its latest signed-off version or a
    row saying it was not uploaded (``version`` is None)."""
    versions = latest_signed_off_versions(review)
    rows = []
    for position, kind in enumerate(PACK_KINDS, start=1):
        version = versions.get(kind)
        row = {"kind": str(kind), "title": DocumentKind(kind).label, "version": None}
        if version is not None:
            row.update(
                version=version.number,
                version_id=version.pk,
                sha256=version.sha256,
                size=version.size,
                uploaded_at=version.uploaded_at.isoformat(),
                name=member_name(position, kind, version),
            )
        rows.append(row)
    return rows


def cover_sheet_pdf(*, review, number: int, submitted_on, contents: list[dict]) -> bytes:
    """The cover sheet: the review by reference and pseudonym, each document with its version,
    upload date, size and SHA-256, and which documents are absent."""
    included = [dict(row, uploaded=_uploaded(row)) for row in contents if row["version"]]
    context = {
        "review": review,
        "reference": review.reference,
        "pseudonym": review.victim_pseudonym,
        "partnership": review.partnership.name,
        "review_type": review.get_review_type_display(),
        "number": number,
        "submitted_on": submitted_on,
        "signed_off_on": review.signed_off_on,
        "included": included,
        "absent": [row["title"] for row in contents if not row["version"]],
        "made_at": timezone.localtime(),
    }
    return weasyprint_html(string=render_to_string("qa/cover_sheet.html", context)).write_pdf()


def _uploaded(row: dict):
    return timezone.localtime(datetime.fromisoformat(row["uploaded_at"]))


def pack_build(*, review, number: int, submitted_on) -> Pack:
    """Build the pack in a temporary file; the caller stores it and closes the file."""
    contents = pack_contents(review)
    cover = cover_sheet_pdf(
        review=review, number=number, submitted_on=submitted_on, contents=contents
    )
    versions = {version.pk: version for version in latest_signed_off_versions(review).values()}
    # Not a context manager: the caller stores the file, then closes it.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(COVER_SHEET_NAME, cover)
            for row in contents:
                if row["version"]:
                    _copy_in(archive, row["name"], versions[row["version_id"]])
        sha256, size = _digest(spool)
    except BaseException:
        spool.close()
        raise
    return Pack(file=spool, sha256=sha256, size=size, contents=contents)


def _copy_in(archive: zipfile.ZipFile, name: str, version) -> None:
    digest = hashlib.sha256()
    source = version.file.storage.open(version.file.name, "rb")
    with source, archive.open(name, "w") as target:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            target.write(chunk)
    if digest.hexdigest() != version.sha256:
        # A stored file that no longer matches its checksum must not go to the Home Office.
        title = DocumentKind(version.document.kind).label
        raise PackRefused(
            f"The stored file of the {title.lower()} (version {version.number}) does not match "
            "its checksum: upload it again before submitting."
        )


def _digest(spool) -> tuple[str, int]:
    spool.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := spool.read(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
    spool.seek(0)
    return digest.hexdigest(), size


def weasyprint_html(**kwargs):
    # Imported when first used: WeasyPrint is slow to import and logs as it loads its styles.
    from weasyprint import HTML

    return HTML(**kwargs)
