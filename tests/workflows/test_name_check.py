"""The name check: reading each page of a PDF, DOCX, ODT or XLSX and finding real names in it."""

import io
import zipfile

import pytest

from tests.factories import ReviewFactory
from workflows.models import DocumentKind, NameCheckResult
from workflows.publication import text
from workflows.publication.name_check import labels_in, version_name_check
from workflows.publication.names import RestrictedLabel, names_digest, restricted_names
from workflows.publication.samples import (
    sample_document_upload,
    sample_docx_pages,
    sample_pdf_pages,
)

VICTIM = RestrictedLabel("the victim's real name", "Zoë Anne-Marie Ferncastle")
MOTHER = RestrictedLabel("a family member's real name (Mother)", "Ida Ferncastle")
NAMES = [VICTIM]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploaded documents go to a temporary folder


@pytest.mark.parametrize(
    "found",
    [
        "Zoë Anne-Marie Ferncastle",
        "ZOE ANNE-MARIE FERNCASTLE",
        "zoe anne-marie\nferncastle went to the GP",
        "Zoë   Anne-Marie\r\n Ferncastle's house",
        "(Zoe\u00a0Anne\u2010Marie Fern\u00adcastle)",
    ],
)
def test_the_full_name_is_found_whatever_the_case_accents_and_spacing(found):
    assert labels_in(found, NAMES, allowed=[]) == ["the victim's real name"]


@pytest.mark.parametrize("found", ["Ms Ferncastle said", "FERNCASTLE", "Zoe was seen", "Marie"])
def test_a_part_of_the_name_alone_is_found(found):
    assert labels_in(found, NAMES, allowed=[]) == ["part of the victim's real name"]


@pytest.mark.parametrize(
    "clean",
    [
        "Ferncastles Ltd",  # whole words only
        "Fernca stle",
        "Zoetrope and Annex",
        "The report uses the pseudonym Robin throughout.",
        "",
    ],
)
def test_text_without_the_name_passes(clean):
    assert labels_in(clean, NAMES, allowed=[]) == []


def test_a_part_that_is_a_pseudonym_or_a_title_is_not_a_hit_alone():
    names = [RestrictedLabel("a family member's real name (Sister)", "Mrs Robin Ashgrove")]
    assert labels_in("Robin told the panel; Mrs Smith agreed.", names, allowed=["Robin"]) == []
    assert labels_in("Mrs Ashgrove", names, allowed=["Robin"]) == [
        "part of a family member's real name (Sister)"
    ]
    assert labels_in("Mrs Robin Ashgrove", names, allowed=["Robin"]) == [
        "a family member's real name (Sister)"
    ]


def test_each_name_found_is_reported_by_its_label_only():
    found = labels_in("Ida Ferncastle spoke to Zoe.", [VICTIM, MOTHER], allowed=[])
    assert found == ["part of the victim's real name", "a family member's real name (Mother)"]


def test_pdf_pages_are_read_one_by_one():
    pdf = sample_pdf_pages([["First page"], ["Second page", "with Zoë"], ["Third"]])
    pages = text.pdf_pages(pdf)
    assert [page.number for page in pages] == [1, 2, 3]
    assert "Zoë" in pages[1].text
    assert "Zoë" not in pages[0].text + pages[2].text


def test_docx_pages_split_at_page_breaks_and_rendered_breaks():
    docx = sample_docx_pages([["One"], ["Two"], ["Three"]])
    assert [page.text.split() for page in text.docx_pages(docx)] == [["One"], ["Two"], ["Three"]]
    # Word's rendered break straight after an explicit one does not add an empty page.
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = (
        '<w:p><w:r><w:t>A</w:t><w:br w:type="page"/></w:r></w:p>'
        "<w:p><w:r><w:lastRenderedPageBreak/><w:t>B</w:t></w:r></w:p>"
        "<w:p><w:r><w:lastRenderedPageBreak/><w:t>C</w:t><w:tab/><w:t>D</w:t></w:r></w:p>"
    )
    pages = text.docx_pages(
        _zip({"word/document.xml": f"<w:document {w}><w:body>{body}</w:body></w:document>"})
    )
    assert [page.text.split() for page in pages] == [["A"], ["B"], ["C", "D"]]


def test_docx_headers_footers_and_footnotes_are_read_as_parts():
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    members = {
        "word/document.xml": f"<w:document {w}><w:body><w:p><w:r><w:t>Body</w:t></w:r></w:p>"
        "</w:body></w:document>",
        "word/footer1.xml": f"<w:ftr {w}><w:p><w:r><w:t>Zoe Ferncastle</w:t></w:r></w:p></w:ftr>",
        "word/footnotes.xml": f"<w:footnotes {w}><w:p><w:r><w:t>Note</w:t></w:r></w:p>"
        "</w:footnotes>",
    }
    pages = text.docx_pages(_zip(members))
    assert [(page.number, page.part) for page in pages] == [
        (1, ""),
        (None, "headers and footers"),
        (None, "footnotes"),
    ]


def test_a_zip_bomb_is_refused_without_being_read(monkeypatch):
    monkeypatch.setattr(text, "MEMBER_MAX_BYTES", 1000)
    docx = _zip({"word/document.xml": "<a>" + "x" * 5000 + "</a>"})
    with pytest.raises(text.Unreadable, match="expands to more than"):
        text.docx_pages(docx)


def test_xml_with_entities_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb">]><a>&b;&b;</a>'
    with pytest.raises(text.Unreadable):
        text.docx_pages(_zip({"word/document.xml": bomb}))


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"%PDF-1.4 not really", text.PDF),
        (b"PK\x03\x04 broken", text.DOCX),
        (b"anything", "image/png"),
    ],
)
def test_broken_or_unsupported_files_are_unreadable(data, content_type):
    with pytest.raises(text.Unreadable, match="could not be read"):
        text.document_pages(data, content_type)


def test_a_pdf_with_no_text_is_treated_as_a_scan():
    blank = sample_pdf_pages([[""]])
    with pytest.raises(text.Unreadable, match="not a scan"):
        text.pdf_pages(blank)


def test_odt_and_xlsx_text_is_read():
    t = 'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    odt = _zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": f"<doc {t}><text:p>One</text:p><text:soft-page-break/>"
            "<text:p>Two</text:p></doc>",
        }
    )
    assert [page.text.split() for page in text.odt_pages(odt)] == [["One"], ["Two"]]
    s = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    xlsx = _zip(
        {
            "xl/sharedStrings.xml": f"<sst {s}><si><t>Action</t></si><si><t>Zoe</t></si></sst>",
            "xl/worksheets/sheet1.xml": f'<worksheet {s}><sheetData><row><c t="s"><v>0</v></c>'
            '<c t="s"><v>1</v></c><c t="inlineStr"><is><t>Inline</t></is></c></row>'
            "</sheetData></worksheet>",
        }
    )
    assert text.xlsx_pages(xlsx)[0].text.split() == ["Action", "Zoe", "Inline"]


@pytest.mark.django_db
def test_a_version_is_checked_once_per_set_of_names(review_at, coordinator, monkeypatch):
    review = review_at("publication")
    version = sample_document_upload(
        review=review,
        by=coordinator,
        kind=DocumentKind.OVERVIEW_REPORT,
        pages=[["Nothing here"], ["Zelda Inventedname was 34."]],
    )
    names = restricted_names(review)
    result = version_name_check(version, names, ["Robin"])
    assert result.hits == [{"label": "the victim's real name", "page": 2, "part": ""}]
    assert result.pages == 2
    assert "Zelda" not in str(result.hits) and "Inventedname" not in str(result.hits)

    # A second check reads the cache, not the file.
    monkeypatch.setattr(text, "pdf_pages", lambda data: pytest.fail("read the file again"))
    assert version_name_check(version, names, ["Robin"]).pk == result.pk
    # A new name is a new check.
    review.restricted_names.create(
        name="Ida Ferncastle", relationship="Mother", added_by=coordinator
    )
    new_names = restricted_names(review)
    assert names_digest(new_names, ["Robin"]) != result.names_digest
    with pytest.raises(pytest.fail.Exception):
        version_name_check(version, new_names, ["Robin"])
    assert NameCheckResult.objects.filter(version=version).count() == 1


@pytest.mark.django_db
def test_restricted_names_are_labelled_without_the_name(coordinator):
    review = ReviewFactory(victim_real_name="Zelda Inventedname", perpetrator_real_name="")
    review.restricted_names.create(
        name="Ida Ferncastle", relationship="Mother", added_by=coordinator
    )
    assert [(item.label, item.name) for item in restricted_names(review)] == [
        ("the victim's real name", "Zelda Inventedname"),
        ("a family member's real name (Mother)", "Ida Ferncastle"),
    ]
    stored = review.restricted_names.get()
    assert "Ida" not in str(stored)


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
