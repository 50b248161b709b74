"""Uploading, listing, opening and sharing a review's documents."""

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Case, Max, QuerySet, Value, When
from django.utils import timezone

from workflows import document_permissions as may
from workflows.models import Document, DocumentAccess, DocumentKind, DocumentVersion, Review
from workflows.models.documents import AGENCY_KINDS, REPEATABLE_KINDS
from workflows.selectors import reviews_visible_to
from workflows.uploads import check_upload, safe_original_name


class DocumentRefused(Exception):
    """A request about a document that the rules do not allow, with a message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def document_upload(
    *, review: Review, kind: str, agency=None, uploaded_file, by, title: str = ""
) -> DocumentVersion:
    """Store an upload as the next version of the review's document of that kind (and agency).

    The document is created on its first upload. Raises ``PermissionDenied`` when ``by`` may not
    upload it, ``UploadRefused`` when the file fails its checks and ``DocumentRefused`` when a
    repeatable document has no title. Whatever fails, nothing is left in the database or storage.
    """
    if not may.can_upload(review, by, kind, agency):
        raise PermissionDenied("You cannot upload this document to this review.")
    title = title.strip()
    if kind in REPEATABLE_KINDS and not title:
        raise DocumentRefused("Enter a title for the document")
    content_type, sha256, size = check_upload(uploaded_file)
    stored_name = None
    try:
        with transaction.atomic():
            document = _locked_document(review=review, kind=kind, agency=agency, title=title)
            version = DocumentVersion(
                document=document,
                number=_next_number(document),
                original_name=safe_original_name(uploaded_file.name),
                size=size,
                content_type=content_type,
                sha256=sha256,
                uploaded_by=by,
            )
            # A bare File: storage backends must see neither the uploaded name nor the
            # browser's content type.
            uploaded_file.seek(0)
            version.file.save("upload", File(uploaded_file.file), save=False)
            stored_name = version.file.name
            version.save()
    except BaseException:
        if stored_name:
            version.file.storage.delete(stored_name)
        raise
    return version


def _locked_document(*, review: Review, kind: str, agency, title: str) -> Document:
    lookup = {"review": review, "kind": kind, "agency": agency}
    if kind in REPEATABLE_KINDS:
        lookup["title"] = title
    document, _ = Document.objects.get_or_create(
        **lookup, defaults={"title": title or default_title(kind, agency)}
    )
    # Lock the document so that two uploads at once take versions 1 and 2, never 1 twice.
    return Document.objects.select_for_update().get(pk=document.pk)


def _next_number(document: Document) -> int:
    return (document.versions.aggregate(Max("number"))["number__max"] or 0) + 1


def default_title(kind: str, agency=None) -> str:
    label = DocumentKind(kind).label
    return f"{label}: {agency.name}" if kind in AGENCY_KINDS and agency else label


def documents_visible_to(user, review: Review) -> QuerySet[Document]:
    """The review's documents ``user`` may see (none when the review itself is hidden)."""
    condition = may.visible_documents_q(review, user)
    if condition is None or not reviews_visible_to(user).filter(pk=review.pk).exists():
        return Document.objects.none()
    in_kind_order = Case(
        *(When(kind=kind, then=Value(index)) for index, kind in enumerate(DocumentKind.values))
    )
    return (
        Document.objects.filter(review=review)
        .filter(condition)
        .select_related("agency")
        .order_by(in_kind_order, "agency__name", "title", "pk")
    )


def document_versions_visible_to(user, review: Review) -> QuerySet[DocumentVersion]:
    """Every version of every document of ``review`` that ``user`` may see."""
    return DocumentVersion.objects.filter(
        document__in=documents_visible_to(user, review)
    ).select_related("document", "document__agency", "uploaded_by")


def document_open(*, version: DocumentVersion, user, action: str):
    """Open a version's file for reading and record who opened it, how and when.

    Raises ``PermissionDenied`` when ``user`` may not see the document.
    """
    if not may.can_see_document(version.document, user):
        raise PermissionDenied("You cannot see this document.")
    handle = version.file.storage.open(version.file.name, "rb")
    try:
        DocumentAccess.objects.create(
            review_id=version.document.review_id,
            document=version.document,
            version=version,
            user=user,
            action=DocumentAccess.Action(action),
        )
    except BaseException:
        handle.close()
        raise
    return handle


def document_share(*, document: Document, by) -> Document:
    """Share the combined chronology with every agency on the review: the chair's decision."""
    if not may.can_share(document, by):
        raise PermissionDenied("Only the chair or coordinator can share the combined chronology.")
    if not document.versions.exists():
        raise DocumentRefused("Upload the combined chronology before sharing it")
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if not document.shared_with_agencies:
            document.shared_with_agencies = True
            document.shared_at = timezone.now()
            document.shared_by = by
            document.save(update_fields=["shared_with_agencies", "shared_at", "shared_by"])
    return document
