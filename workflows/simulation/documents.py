"""The simulation's documents: one small real PDF per kind, made once and uploaded many times.

WeasyPrint takes a fifth of a second a PDF, so each kind's bytes are cached. The text names no
one: the name check before publication reads it, and it must find no real name.
"""

from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile

from workflows.models import DocumentKind
from workflows.qa.samples import sample_pdf
from workflows.services.documents import document_upload


@cache
def pdf_bytes(kind: str) -> bytes:
    return sample_pdf(
        [
            f"Simulated document: {DocumentKind(kind).label}.",
            "Made by the simulation for trying out the service only.",
        ]
    )


def simulated_upload(*, review, kind: str, by, agency=None):
    """Upload the cached PDF of ``kind`` as the next version of the review's document."""
    uploaded = SimpleUploadedFile(
        f"{kind.replace('_', '-')}.pdf", pdf_bytes(kind), "application/pdf"
    )
    return document_upload(review=review, kind=kind, agency=agency, uploaded_file=uploaded, by=by)
