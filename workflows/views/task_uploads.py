"""Uploading a document on the task or step that asks for it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied

from workflows.document_forms import TaskDocumentForm
from workflows.models import Document
from workflows.services.documents import document_upload
from workflows.uploads import UploadRefused


def upload_form_for(request, kinds) -> tuple[TaskDocumentForm, bool]:
    """The upload form for these kinds, bound when this request posts an upload."""
    uploading = request.method == "POST" and "upload" in request.POST
    bound = (request.POST, request.FILES) if uploading else ()
    return TaskDocumentForm(*bound, kinds=kinds), uploading


def upload_from_task(request, review, form, agency=None) -> bool:
    """Store the upload as the next version of that document; False leaves errors on the form."""
    if not form.is_valid():
        return False
    try:
        document_upload(
            review=review,
            kind=form.cleaned_data["kind"],
            agency=agency,
            uploaded_file=form.cleaned_data["file"],
            by=request.user,
        )
    except UploadRefused as refused:
        form.add_error("file", refused.message)
        return False
    except PermissionDenied:
        form.add_error(None, "You cannot upload this document.")
        return False
    messages.success(request, "The document has been uploaded.")
    return True


def documents_of(review, kinds, agency=None):
    return Document.objects.filter(review=review, kind__in=kinds, agency=agency).prefetch_related(
        "versions"
    )
