"""The submission packs and the checklist of areas for final development."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from workflows import selectors
from workflows.models import DocumentAccess, DocumentVersion
from workflows.models.publication import QaSubmission
from workflows.qa import permissions as may
from workflows.qa.forms import AreaDoneForm
from workflows.qa.selectors import development_areas, pack_link_expires_at
from workflows.qa.services import AreaRefused, development_area_complete, development_area_reopen

logger = logging.getLogger(__name__)


def pack_name(submission: QaSubmission) -> str:
    """For example ``TEST-2027-001-submission-2.zip``: never a real name."""
    return f"{submission.review.reference}-submission-{submission.number}.zip"


def _pack_response(submission: QaSubmission) -> FileResponse:
    handle = submission.pack.storage.open(submission.pack.name, "rb")
    response = FileResponse(
        handle, as_attachment=True, filename=pack_name(submission), content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def pack_public_download(request, token: str):
    """The Home Office's link to a pack: the token is the key, until the link expires."""
    submission = (
        QaSubmission.objects.select_related("review").filter(token=token).first() if token else None
    )
    if submission is None or timezone.now() > pack_link_expires_at(submission):
        raise Http404("No submission pack found")
    # The token is a secret: log which submission, never the link.
    logger.info("submission pack %s downloaded by link", submission.pk)
    return _pack_response(submission)


@require_safe
def pack_download(request, reference: str, number: int):
    """A signed-in download of one submission's pack, logged as a download of each document."""
    review = selectors.review_for(request.user, reference)
    if not may.can_download_pack(review, request.user):
        raise Http404("No submission pack found")
    submission = get_object_or_404(
        QaSubmission.objects.select_related("review"), review=review, number=number
    )
    _log_access(submission, request.user)
    return _pack_response(submission)


def _log_access(submission: QaSubmission, user) -> None:
    ids = [row["version_id"] for row in submission.contents if row.get("version_id")]
    versions = DocumentVersion.objects.filter(pk__in=ids, document__review=submission.review)
    DocumentAccess.objects.bulk_create(
        DocumentAccess(
            review=submission.review,
            document_id=version.document_id,
            version=version,
            user=user,
            action=DocumentAccess.Action.DOWNLOAD,
        )
        for version in versions
    )


@require_safe
def areas_list(request, reference: str):
    """The areas for final development, each with whether and when it was ticked off."""
    review = selectors.review_for(request.user, reference)
    areas = list(development_areas(review))
    if not areas:
        raise Http404("No areas for final development")
    context = {
        "review": review,
        "areas": areas,
        "done": sum(1 for area in areas if area.done_on),
        "can_tick": may.can_tick(review, request.user),
        "can_reopen": may.can_reopen(review, request.user),
    }
    return render(request, "qa/areas.html", context)


def area_done(request, reference: str, area_id: int):
    """Tick one area off, with an optional note of what was done."""
    review = selectors.review_for(request.user, reference)
    area = get_object_or_404(development_areas(review), pk=area_id)
    if not may.can_tick(review, request.user):
        raise PermissionDenied("Only the coordinator or the independent chair can tick this off.")
    form = AreaDoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            development_area_complete(
                area=area, by=request.user, on=timezone.localdate(), note=form.cleaned_data["note"]
            )
        except AreaRefused as refused:
            messages.info(request, refused.message)
        else:
            messages.success(request, "The area for final development is marked as done.")
        return redirect("reviews:qa_areas", reference=review.reference)
    return render(request, "qa/area_done.html", {"review": review, "area": area, "form": form})


@require_POST
def area_reopen(request, reference: str, area_id: int):
    """Mark a ticked area as not done again: the coordinator's call."""
    review = selectors.review_for(request.user, reference)
    area = get_object_or_404(development_areas(review), pk=area_id)
    try:
        development_area_reopen(area=area, by=request.user)
    except AreaRefused as refused:
        messages.info(request, refused.message)
    else:
        messages.success(request, "The area for final development is marked as not done.")
    return redirect("reviews:qa_areas", reference=review.reference)
