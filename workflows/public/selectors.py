"""What is public: the one place that decides which reviews and documents anyone may see
without signing in.

A review is public only while its publication has a publication date (today or earlier), has
not been archived, and the review has moved on to action plan monitoring or closure. Every
public page and download looks its content up through ``public_publications``; anything else
is "not found", so an unpublished review cannot be listed or reached by guessing a URL.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.utils import timezone

from workflows.library import library_entries
from workflows.models import Partnership
from workflows.models.publication import Publication, PublishedDocument
from workflows.stages import Stage
from workflows.uploads import TYPE_NAMES

PUBLISHED_STAGES = (Stage.ACTION_PLAN, Stage.CLOSED)
# A file name holds letters, digits, spaces and a few separators; anything else becomes "-".
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9 ._()-]+")


@dataclass(frozen=True)
class PublicDocument:
    title: str
    token: str
    file_name: str
    file_type: str
    size: int


@dataclass(frozen=True)
class PublicReview:
    title: str
    victim_pseudonym: str
    perpetrator_pseudonym: str
    published_on: date
    condolence_statement: str
    partnership_response: str
    documents: list[PublicDocument]


def public_publications() -> QuerySet[Publication]:
    """Every publication that is on the public pages now."""
    return Publication.objects.filter(
        published_on__isnull=False,
        published_on__lte=timezone.localdate(),
        archived_on__isnull=True,
        review__stage__in=PUBLISHED_STAGES,
    )


def public_partnerships() -> QuerySet[Partnership]:
    """The partnerships with at least one public review, each with ``public_reviews`` counted."""
    return (
        Partnership.objects.filter(reviews__publication__in=public_publications())
        .annotate(public_reviews=Count("reviews", distinct=True))
        .order_by("name")
    )


def public_partnership(slug: str) -> Partnership:
    """The partnership with this slug if it has a public review; 404 otherwise, so that the
    public pages cannot be probed for partnerships whose reviews are not published."""
    partnership = public_partnerships().filter(slug=slug).first()
    if partnership is None:
        raise Http404("No published reviews")
    return partnership


def public_reviews(partnership: Partnership) -> list[PublicReview]:
    """The partnership's public reviews, newest publication first, with their documents."""
    publications = list(
        public_publications()
        .filter(review__partnership=partnership)
        .select_related("review")
        .order_by("-published_on", "-pk")
    )
    titles = {entry.review_id: entry.title for entry in library_entries([partnership.pk])}
    documents = _documents_by_publication([publication.pk for publication in publications])
    return [
        PublicReview(
            title=titles.get(publication.review_id, ""),
            victim_pseudonym=publication.review.victim_pseudonym,
            perpetrator_pseudonym=publication.review.perpetrator_pseudonym,
            published_on=publication.published_on,
            condolence_statement=publication.condolence_statement,
            partnership_response=publication.partnership_response,
            documents=[
                _public_document(published, titles.get(publication.review_id, ""))
                for published in documents.get(publication.pk, [])
            ],
        )
        for publication in publications
    ]


def public_document(*, partnership_slug: str, token: str) -> tuple[PublishedDocument, str]:
    """The published document with this token, if it belongs to a public review of this
    partnership, and the neutral file name to send it under; 404 for anything else."""
    published = (
        _published_documents()
        .filter(
            token=token,
            publication__in=public_publications(),
            publication__review__partnership__slug=partnership_slug,
        )
        .first()
    )
    if published is None:
        raise Http404("No such document")
    review = published.publication.review
    titles = {entry.review_id: entry.title for entry in library_entries([review.partnership_id])}
    return published, neutral_file_name(titles.get(review.pk, ""), published)


def neutral_file_name(library_title: str, published: PublishedDocument) -> str:
    """For example "Lily - Demoshire - 2026-a - DHR - Overview report.pdf": the library title
    and the document's title, never the name the file was uploaded under."""
    parts = [part for part in (library_title, published.title) if part.strip()]
    stem = UNSAFE_NAME_CHARACTERS.sub("-", " - ".join(parts) or "Published document")
    return stem.strip(" .-")[:150] + published.version.extension


def _published_documents() -> QuerySet[PublishedDocument]:
    # The version must be one of the review's own documents: a row pointing elsewhere is not
    # trusted to be public.
    return PublishedDocument.objects.filter(
        version__document__review_id=F("publication__review_id")
    ).select_related("version", "publication__review")


def _documents_by_publication(publication_ids: list[int]) -> dict[int, list[PublishedDocument]]:
    grouped: dict[int, list[PublishedDocument]] = {}
    rows = _published_documents().filter(publication_id__in=publication_ids)
    for published in rows.order_by("position", "pk"):
        grouped.setdefault(published.publication_id, []).append(published)
    return grouped


def _public_document(published: PublishedDocument, library_title: str) -> PublicDocument:
    version = published.version
    return PublicDocument(
        title=published.title,
        token=published.token,
        file_name=neutral_file_name(library_title, published),
        file_type=TYPE_NAMES.get(version.content_type, "File"),
        size=version.size,
    )
