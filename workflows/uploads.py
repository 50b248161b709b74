"""Checking an uploaded document before anything is stored: name, size and type from content.

The type is read from the bytes, never trusted from the name or the browser's content type, and
the name must then agree with it. Office documents are ZIP files: only their directory and a
marker member or two are read, never the whole archive, so a zip bomb costs nothing to refuse.
"""

import codecs
import contextlib
import csv
import hashlib
import io
import itertools
import os
import re
import unicodedata
import zipfile

from django.conf import settings

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
CSV = "text/csv"

EXTENSION_TYPES = {".pdf": PDF, ".docx": DOCX, ".xlsx": XLSX, ".odt": ODT, ".csv": CSV}
TYPE_NAMES = {PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", ODT: "ODT", CSV: "CSV"}

ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_MEMBERS = 5000
# Small members (styles, relationships) compress far better than prose; only large ones count.
ZIP_RATIO_FLOOR = 1024 * 1024
CSV_SAMPLE_CHARS = 64 * 1024
CSV_SAMPLE_ROWS = 20
NAME_MAX_CHARS = 200
CHUNK_BYTES = 64 * 1024
WINDOWS_DRIVE = re.compile(r"[A-Za-z]:")
# What zipfile raises for a damaged, encrypted or unsupported archive or member.
ZIP_READ_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError)

WRONG_TYPE = "The selected file must be a PDF, DOCX, ODT, XLSX or CSV"
EMPTY = "The selected file is empty"
FOLDERS = "The file name must not contain folders"
NO_NAME = "The selected file must have a name"
ZIP_TOO_BIG = "The selected file must not expand to more than 200 MB when opened"
CSV_ENCODING = "The selected CSV file must be saved as UTF-8"
CSV_UNREADABLE = "The selected CSV file could not be read: check it is a comma-separated file"


class UploadRefused(Exception):
    """An upload that must not be stored, with the message to show next to the file input."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_upload(uploaded_file) -> tuple[str, str, int]:
    """Check a file before it is stored; return its ``(content_type, sha256, size)``.

    Raises :class:`UploadRefused` for an empty or oversized file, a name with folders in it, a
    type other than PDF, DOCX, ODT, XLSX or CSV (judged from the content), a name that does not
    match the content, and a ZIP that would expand too far. Nothing is written anywhere.
    """
    named_type = _type_from_name(uploaded_file.name)
    max_bytes = settings.DOCUMENT_MAX_BYTES
    if (uploaded_file.size or 0) > max_bytes:
        raise UploadRefused(too_large_message(max_bytes))
    sha256, size, has_nul = _hash(uploaded_file, max_bytes)
    if size == 0:
        raise UploadRefused(EMPTY)
    content_type = _type_from_content(uploaded_file, named_type, has_nul)
    if content_type != named_type:
        raise UploadRefused(
            f"The selected file is a {TYPE_NAMES[content_type]} but its name ends in "
            f"{_extension(uploaded_file.name)}: rename it or choose another file"
        )
    uploaded_file.seek(0)
    return content_type, sha256, size


def safe_original_name(name: str) -> str:
    """The name to keep for the record: printable characters only, at most 200 characters."""
    name = "".join(char for char in (name or "") if unicodedata.category(char)[0] != "C")
    if len(name) <= NAME_MAX_CHARS:
        return name
    stem, extension = os.path.splitext(name)
    return stem[: NAME_MAX_CHARS - len(extension)] + extension


def too_large_message(max_bytes: int) -> str:
    return f"The selected file must be smaller than {_human_size(max_bytes)}"


def _human_size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:g} {unit}" if size % factor else f"{size // factor} {unit}"
    return f"{size} bytes"


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _type_from_name(name: str | None) -> str:
    if not name or not name.strip(" ."):
        raise UploadRefused(NO_NAME)
    # Browsers send a bare file name; a path means a crafted request, so it is refused outright.
    # Django keeps only the part after the last slash of a posted name, but not a drive ("C:").
    if "/" in name or "\\" in name or "\x00" in name or WINDOWS_DRIVE.match(name):
        raise UploadRefused(FOLDERS)
    content_type = EXTENSION_TYPES.get(_extension(name))
    if content_type is None:
        raise UploadRefused(WRONG_TYPE)
    return content_type


def _hash(uploaded_file, max_bytes: int) -> tuple[str, int, bool]:
    """Hash the whole file in chunks, stopping as soon as it passes the size limit."""
    digest = hashlib.sha256()
    size = 0
    has_nul = False
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRefused(too_large_message(max_bytes))
        digest.update(chunk)
        has_nul = has_nul or b"\x00" in chunk
    return digest.hexdigest(), size, has_nul


def _type_from_content(uploaded_file, named_type: str, has_nul: bool) -> str:
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _office_type(uploaded_file)
    if named_type != CSV or has_nul:
        raise UploadRefused(WRONG_TYPE)
    _check_csv(uploaded_file)
    return CSV


def _office_type(uploaded_file) -> str:
    """Name the office format of a ZIP from its directory, refusing archives that expand too far.

    Only the directory is read. zipfile never returns more bytes for a member than its declared
    size, so the declared sizes checked here bound any later read, however the archive lies.
    """
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            members = archive.infolist()
            _check_expansion(members)
            names = {member.filename for member in members}
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return XLSX
            if "mimetype" in names and _read_small(archive, "mimetype") == ODT.encode():
                return ODT
    except ZIP_READ_ERRORS:
        raise UploadRefused(WRONG_TYPE) from None
    raise UploadRefused(WRONG_TYPE)


def _check_expansion(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise UploadRefused(f"The selected file must not contain more than {ZIP_MAX_MEMBERS} parts")
    expanded = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if expanded > ZIP_MAX_UNCOMPRESSED:
        raise UploadRefused(ZIP_TOO_BIG)
    if expanded > ZIP_RATIO_FLOOR and expanded > ZIP_MAX_RATIO * max(compressed, 1):
        raise UploadRefused(ZIP_TOO_BIG)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > ZIP_RATIO_FLOOR and ratio > ZIP_MAX_RATIO:
            raise UploadRefused(ZIP_TOO_BIG)


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 256) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


def _check_csv(uploaded_file) -> None:
    """A CSV must be UTF-8 text (a byte order mark is allowed) whose first rows parse."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    sample = []
    sampled = 0
    uploaded_file.seek(0)
    try:
        for chunk in uploaded_file.chunks(CHUNK_BYTES):
            text = decoder.decode(chunk)
            if sampled < CSV_SAMPLE_CHARS:
                sample.append(text)
                sampled += len(text)
        sample.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise UploadRefused(CSV_ENCODING) from None
    _parse_sample("".join(sample), truncated=sampled >= CSV_SAMPLE_CHARS)


def _parse_sample(text: str, truncated: bool) -> None:
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # drop a row cut in half by the sample
    delimiter = ","
    # One column, or too little to sniff, leaves the comma: plain CSV.
    with contextlib.suppress(csv.Error):
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        list(itertools.islice(reader, CSV_SAMPLE_ROWS))
    except csv.Error:
        raise UploadRefused(CSV_UNREADABLE) from None
