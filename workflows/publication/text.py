"""The text of a document to publish, page by page, for the name check.

PDF pages come from pypdf. A DOCX is read from its XML (``word/document.xml``), its pages split
where the author put a page break or where Word last laid a page out (``w:lastRenderedPageBreak``);
its headers, footers, footnotes, endnotes and comments are read too, as pages of their own with no
number. An ODT is split at its soft page breaks, an XLSX gives a page per sheet and a CSV one page.

Nothing here trusts the file: ZIP members are size-checked before they are read (a zip bomb is a
refusal, not an outage), XML with a document type declaration is refused (entity expansion), and
every failure is an ``Unreadable`` with a message safe to show, never the file's content.
"""

import csv
import io
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from workflows.uploads import CSV, DOCX, ODT, PDF, XLSX, ZIP_READ_ERRORS

# One part of an office document read in full must stay below this (a long report's
# document.xml is a few MB); anything larger is refused rather than read.
MEMBER_MAX_BYTES = 50 * 1024 * 1024
MAX_PAGES = 3000
SCANNED = "could not be read: check it is a text PDF, not a scan"
UNREADABLE = "could not be read: check the file opens and is not password protected"
TOO_BIG = "could not be read: it expands to more than 50 MB of text"
NOT_SUPPORTED = "could not be read: only PDF, DOCX, ODT, XLSX and CSV files can be checked"

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOCX_EXTRA_PARTS = re.compile(
    r"word/(header|footer)\d*\.xml|word/(footnotes|endnotes|comments)\.xml"
)
EXTRA_PART_NAMES = {
    "header": "headers and footers",
    "footer": "headers and footers",
    "footnotes": "footnotes",
    "endnotes": "endnotes",
    "comments": "comments",
}


class Unreadable(Exception):
    """The document's text could not be read; ``message`` says why, without its content."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Page:
    """Text from one place in a document: a numbered page, or a part such as "footnotes"."""

    text: str
    number: int | None = None
    part: str = ""


def document_pages(data: bytes, content_type: str) -> list[Page]:
    """The text of a document, page by page; raises ``Unreadable`` when it cannot be read."""
    readers = {PDF: pdf_pages, DOCX: docx_pages, ODT: odt_pages, XLSX: xlsx_pages, CSV: csv_pages}
    reader = readers.get(content_type)
    if reader is None:
        raise Unreadable(NOT_SUPPORTED)
    return reader(data)


def pdf_pages(data: bytes) -> list[Page]:
    """Each page's text; a PDF with no text at all is a scan, which the check cannot read."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable(UNREADABLE)
        if len(reader.pages) > MAX_PAGES:
            raise Unreadable(f"could not be read: it has more than {MAX_PAGES} pages")
        texts = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise Unreadable(UNREADABLE) from None
    if not any(text.strip() for text in texts):
        raise Unreadable(SCANNED)
    return [Page(text, number) for number, text in enumerate(texts, start=1)]


def docx_pages(data: bytes) -> list[Page]:
    with _archive(data) as archive:
        root = _xml(archive, "word/document.xml")
        pages = [Page(text, number) for number, text in enumerate(_docx_body(root), start=1)]
        for name in sorted(archive.namelist()):
            match = DOCX_EXTRA_PARTS.fullmatch(name)
            if match:
                part = EXTRA_PART_NAMES[match.group(1) or match.group(2)]
                pages.append(Page(_docx_text(_xml(archive, name)), part=part))
    return pages


def _docx_body(root) -> list[str]:
    """Split the body at page breaks. Word writes a rendered break just after an explicit one,
    so a break on a page with no text yet starts no new page."""
    pages, current = [], []
    for element in root.iter():
        tag = element.tag
        page_break = tag == f"{W}lastRenderedPageBreak" or (
            tag == f"{W}br" and element.get(f"{W}type") == "page"
        )
        if page_break and "".join(current).strip():
            pages.append("".join(current))
            current = []
        else:
            current.append(_docx_piece(element))
    pages.append("".join(current))
    return pages


def _docx_text(root) -> str:
    return "".join(_docx_piece(element) for element in root.iter())


def _docx_piece(element) -> str:
    tag = element.tag
    if tag in (f"{W}t", f"{W}delText", f"{W}instrText"):
        return element.text or ""
    if tag in (f"{W}tab", f"{W}br", f"{W}cr"):
        return " " if tag == f"{W}tab" else "\n"
    if tag == f"{W}p":
        # iter() visits a paragraph before its runs: the break separates it from the previous.
        return "\n"
    return ""


def odt_pages(data: bytes) -> list[Page]:
    with _archive(data) as archive:
        root = _xml(archive, "content.xml")
    pages, current = [], []
    for element in root.iter():
        if element.tag == f"{TEXT_NS}soft-page-break" and "".join(current).strip():
            pages.append("".join(current))
            current = []
        elif element.tag in (f"{TEXT_NS}p", f"{TEXT_NS}h"):
            current.append("\n" + "".join(element.itertext()))
    pages.append("".join(current))
    return [Page(text, number) for number, text in enumerate(pages, start=1)]


def xlsx_pages(data: bytes) -> list[Page]:
    """A page per sheet, numbered in the order of the sheets' files; every cell's text."""
    with _archive(data) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            shared_root = _xml(archive, "xl/sharedStrings.xml")
            shared = ["".join(item.itertext()) for item in shared_root.iter(f"{SHEET_NS}si")]
        sheets = sorted(
            (name for name in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)),
            key=lambda name: int(re.search(r"\d+", name.rsplit("/", 1)[1]).group()),
        )
        texts = [_sheet_text(_xml(archive, name), shared) for name in sheets]
    return [Page(text, number) for number, text in enumerate(texts, start=1)]


def _sheet_text(root, shared: list[str]) -> str:
    cells = []
    for cell in root.iter(f"{SHEET_NS}c"):
        value = cell.find(f"{SHEET_NS}v")
        if cell.get("t") == "s" and value is not None and (value.text or "").isdigit():
            index = int(value.text)
            cells.append(shared[index] if index < len(shared) else "")
        elif cell.get("t") == "inlineStr":
            cells.append("".join(cell.itertext()))
        elif value is not None:
            cells.append(value.text or "")
    return "\n".join(cells)


def csv_pages(data: bytes) -> list[Page]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(UNREADABLE) from None
    rows = csv.reader(io.StringIO(text))
    return [Page("\n".join(" ".join(row) for row in rows), 1)]


def _archive(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Unreadable(UNREADABLE) from None


def _xml(archive: zipfile.ZipFile, name: str):
    """Parse one member, refusing it unread when its declared size is too large; zipfile never
    returns more than the declared size, so the declaration bounds the read."""
    try:
        info = archive.getinfo(name)
        if info.file_size > MEMBER_MAX_BYTES:
            raise Unreadable(TOO_BIG)
        with archive.open(info) as member:
            content = member.read(MEMBER_MAX_BYTES + 1)
    except Unreadable:
        raise
    except (KeyError, *ZIP_READ_ERRORS):  # a missing member, or a damaged one
        raise Unreadable(UNREADABLE) from None
    if len(content) > MEMBER_MAX_BYTES:
        raise Unreadable(TOO_BIG)
    # Office files never declare a document type; one that does may expand entities.
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise Unreadable(UNREADABLE)
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError:
        raise Unreadable(UNREADABLE) from None
