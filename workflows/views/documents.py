"""A review's documents: the list, uploading, viewing and downloading, sharing, the access log."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from workflows import document_permissions as may
from workflows import permissions, selectors
from workflows.document_forms import DocumentUploadForm
from workflows.models import DocumentAccess, DocumentKind
from workflows.services.documents import (
    DocumentRefused,
    document_open,
    document_share,
    document_upload,
    document_versions_visible_to,
    documents_visible_to,
)
from workflows.uploads import PDF, UploadRefused

ACCESS_LOG_PAGE_SIZE = 100


def document_list(request, reference: str):
    """The documents this person may see, each with all its versions, newest first."""
    review = selectors.review_for(request.user, reference)
    versions = {}
    for version in document_versions_visible_to(request.user, review):
        versions.setdefault(version.document_id, []).append(version)
    rows = [
        {
            "document": document,
            "versions": versions.get(document.pk, []),
            "can_share": may.can_share(document, request.user),
        }
        for document in documents_visible_to(request.user, review)
    ]
    context = {
        "review": review,
        "rows": rows,
        "can_upload": bool(may.uploadable_kinds(review, request.user)),
        "can_read_access_log": may.can_read_access_log(review, request.user),
        "show_file_names": permissions.can_see_real_names(review, request.user),
        "pdf": PDF,
    }
    return render(request, "documents/list.html", context)


def document_upload_view(request, reference: str):
    """Upload a new document, or a new version of one, to the review."""
    review = selectors.review_for(request.user, reference)
    if not may.uploadable_kinds(review, request.user):
        raise PermissionDenied("You cannot upload documents to this review.")
    form = DocumentUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        review=review,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = document_upload(
                review=review,
                kind=form.cleaned_data["kind"],
                agency=form.cleaned_data["agency"],
                title=form.cleaned_data["title"],
                uploaded_file=form.cleaned_data["file"],
                by=request.user,
            )
        except UploadRefused as refused:
            form.add_error("file", refused.message)
        except DocumentRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, f"{version.document.title}: version {version.number} uploaded."
            )
            return redirect("reviews:documents", reference=review.reference)
    return render(request, "documents/upload.html", {"review": review, "form": form})


def document_download(request, reference: str, version_id: int):
    """Send a version as an attachment under a name that cannot hold a real name."""
    return _send(request, reference, version_id, DocumentAccess.Action.DOWNLOAD)


def document_view(request, reference: str, version_id: int):
    """Open a PDF version in the browser; other types are only downloaded."""
    return _send(request, reference, version_id, DocumentAccess.Action.VIEW)


def _send(request, reference: str, version_id: int, action: str) -> FileResponse:
    review = selectors.review_for(request.user, reference)
    # Versions of documents this person may not see are simply not found, whoever guesses the id.
    version = get_object_or_404(document_versions_visible_to(request.user, review), pk=version_id)
    inline = action == DocumentAccess.Action.VIEW
    if inline and version.content_type != PDF:
        raise Http404("Only PDF documents open in the browser.")
    handle = document_open(version=version, user=request.user, action=action)
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=download_name(version),
        content_type=version.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def download_name(version) -> str:
    """For example ``TEST-2027-001-agency-report-imr-testshire-police-v2.pdf``."""
    document = version.document
    parts = [document.review.reference, slugify(DocumentKind(document.kind).label)]
    if document.agency_id:
        parts.append(slugify(document.agency.name))
    if document.kind == DocumentKind.OTHER:
        parts.append(str(document.pk))
    return "-".join(parts) + f"-v{version.number}{version.extension}"


@require_POST
def document_share_view(request, reference: str, document_id: int):
    """Share the combined chronology with every agency on the review."""
    review = selectors.review_for(request.user, reference)
    document = get_object_or_404(documents_visible_to(request.user, review), pk=document_id)
    try:
        document_share(document=document, by=request.user)
    except DocumentRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{document.title} shared with the agencies.")
    return redirect("reviews:documents", reference=review.reference)


def document_access_log(request, reference: str):
    """Who viewed or downloaded which document, and when: for the coordinator only."""
    review = selectors.review_for(request.user, reference)
    if not may.can_read_access_log(review, request.user):
        raise Http404("No access log found")
    accesses = DocumentAccess.objects.filter(review=review).select_related(
        "user", "document", "document__agency", "version"
    )
    page = Paginator(accesses, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "documents/access_log.html", {"review": review, "page": page})
