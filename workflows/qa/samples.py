"""Invented submission documents for the demo and the tests: real one-page PDFs that name the
review only by its reference and pseudonym."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from workflows.models import DocumentKind
from workflows.qa.pack import weasyprint_html
from workflows.qa.selectors import PACK_KINDS
from workflows.services.documents import document_upload


def sample_pdf(text_lines) -> bytes:
    """A real one-page PDF holding ``text_lines``, one paragraph each."""
    return sample_pdf_pages([text_lines])


def sample_pdf_pages(pages: list[list[str]]) -> bytes:
    """A real PDF with one page per item of ``pages``, each line a paragraph."""
    body = "".join(
        '<div style="page-break-before: always">'
        + "".join(f"<p>{escape(line)}</p>" for line in lines)
        + "</div>"
        for lines in pages
    )
    page = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>{body}'
    return weasyprint_html(string=page + "</body></html>").write_pdf()


def _upload(*, review, by, kind: str, lines: list[str]):
    name = f"{kind.replace('_', '-')}.pdf"
    content = sample_pdf([f"{review.reference}: {DocumentKind(kind).label}", *lines])
    uploaded = SimpleUploadedFile(name, content, "application/pdf")
    return document_upload(review=review, kind=kind, uploaded_file=uploaded, by=by)


# The words of these documents are chosen to be no part of any invented real name in the demo
# or the tests: the name check before publication reads them.


def submission_documents_upload(*, review, by) -> list:
    """Upload an invented version of each of the five documents of a submission pack."""
    pseudonym = review.victim_pseudonym or "the person who died"
    return [
        _upload(
            review=review,
            by=by,
            kind=kind,
            lines=[f"A review into the death of {pseudonym}.", "For trying out the service only."],
        )
        for kind in PACK_KINDS
    ]


def qa_letter_upload(*, review, by):
    """Upload an invented feedback letter from the Home Office Quality Assurance Panel."""
    pseudonym = review.victim_pseudonym or "the person who died"
    lines = [
        f"The panel has considered the review into the death of {pseudonym}.",
        "For trying out the service only.",
    ]
    return _upload(review=review, by=by, kind=DocumentKind.QA_LETTER, lines=lines)
