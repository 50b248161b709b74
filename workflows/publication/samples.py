"""Invented documents and publication facts for the demo and the tests: a review made ready to
publish, and multi-page PDFs and DOCX files whose text the name check can read."""

import io
import zipfile
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from workflows.models import DocumentKind
from workflows.models.publication import CriminalProceedings
from workflows.publication.gate import REQUIRED_KINDS, documents_to_publish
from workflows.publication.services import publication_update
from workflows.qa.samples import sample_pdf_pages
from workflows.qa.services import development_area_complete
from workflows.services.documents import document_upload
from workflows.uploads import DOCX, PDF

W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def sample_docx_pages(pages: list[list[str]]) -> bytes:
    """A minimal real DOCX with an explicit page break between the items of ``pages``."""
    paragraphs = []
    for number, lines in enumerate(pages):
        if number:
            paragraphs.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        paragraphs += [
            f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'
            for line in lines
        ]
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
        f'xmlns:w="{W_NAMESPACE}"><w:body>{"".join(paragraphs)}</w:body></w:document>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELATIONSHIPS)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def sample_document_upload(*, review, by, kind: str, pages: list[list[str]], docx: bool = False):
    """Upload ``pages`` as the next version of the review's document of ``kind``."""
    if docx:
        name, content, content_type = "document.docx", sample_docx_pages(pages), DOCX
    else:
        name, content, content_type = "document.pdf", sample_pdf_pages(pages), PDF
    uploaded = SimpleUploadedFile(name, content, content_type)
    return document_upload(review=review, kind=kind, uploaded_file=uploaded, by=by)


def publication_ready(
    *,
    review,
    by,
    on: date | None = None,
    complete_areas: bool = False,
    condolence_statement: str = "",
    partnership_response: str = "",
) -> None:
    """Make a review at publication pass the gate's checks that the coordinator records: the
    documents to publish (invented, pseudonyms only) where missing, no criminal proceedings, and
    the family told of the date; with ``complete_areas``, every open area for final development
    ticked off too. The Home Office's approval is left as it is."""
    on = on or timezone.localdate()
    if complete_areas:
        for area in review.development_areas.filter(done_on__isnull=True):
            development_area_complete(area=area, by=by, on=on, note="Done for the demonstration.")
    present = {version.document.kind for version in documents_to_publish(review)}
    pseudonym = review.victim_pseudonym or "the person who died"
    for kind in REQUIRED_KINDS:
        if kind not in present:
            lines = [
                f"{review.reference}: {DocumentKind(kind).label}",
                f"A review into the death of {pseudonym}.",
            ]
            sample_document_upload(review=review, by=by, kind=kind, pages=[lines])
    publication_update(
        review=review,
        by=by,
        criminal_proceedings=CriminalProceedings.NONE,
        proceedings_concluded_on=None,
        proceedings_override_reason="",
        planned_on=on,
        family_told_on=on,
        condolence_statement=condolence_statement
        or f"Our thoughts remain with the family and friends of {pseudonym}.",
        partnership_response=partnership_response
        or "Agencies now share risk assessments (an example).",
    )
