"""The publication pages of one review: prepare publication, restricted names, archiving.

Each view loads the review the person may see (404 otherwise), checks what they may do here
(403 otherwise), validates a form and calls one service.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from workflows import selectors
from workflows.models import Publication
from workflows.publication import access
from workflows.publication.forms import ArchiveForm, PublicationForm, RestrictedNameForm
from workflows.publication.services import (
    PublicationRefused,
    is_at_publication_or_later,
    publication_archive,
    publication_update,
    restricted_name_add,
    restricted_name_remove,
)
from workflows.publication.summary import publication_context

FIELDS = list(PublicationForm.base_fields)


def _review(request, reference: str):
    review = selectors.review_for(request.user, reference)
    if not access.can_view_publication(review, request.user):
        raise PermissionDenied("Only the partnership's managers and the chair see publication.")
    if not is_at_publication_or_later(review):
        raise Http404("This review has not reached publication yet.")
    return review


def publication_prepare(request, reference: str):
    """The gate's checks, and the form for what the coordinator records before publishing."""
    review = _review(request, reference)
    context = publication_context(review, request.user)
    if request.method == "POST" and not context["can_prepare"]:
        if not access.can_prepare_publication(review, request.user):
            raise PermissionDenied("Only the coordinator can prepare a review for publication.")
        # A form loaded before someone else published the review.
        messages.error(request, "The publication details can only change before publication.")
        return redirect("reviews:publication_prepare", reference=review.reference)
    form = None
    if context["can_prepare"]:
        publication = context["publication"] or Publication(review=review)
        initial = {name: getattr(publication, name) for name in FIELDS}
        form = PublicationForm(request.POST if request.method == "POST" else None, initial=initial)
    if form is not None and form.is_bound and form.is_valid():
        try:
            publication_update(review=review, by=request.user, **form.cleaned_data)
        except PublicationRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "The publication details are saved.")
            return redirect("reviews:publication_prepare", reference=review.reference)
    context.update(review=review, form=form)
    return render(request, "publication/prepare.html", context)


def _names_review(request, reference: str):
    review = selectors.review_for(request.user, reference)
    if not access.can_manage_restricted_names(review, request.user):
        raise PermissionDenied("Only the coordinator and the chair see restricted names.")
    return review


def publication_names(request, reference: str):
    """The real names the name check looks for; the coordinator or chair adds more here."""
    review = _names_review(request, reference)
    form = RestrictedNameForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            restricted_name_add(review=review, by=request.user, **form.cleaned_data)
        except PublicationRefused as refused:
            form.add_error("name", refused.message)
        else:
            # The message names the relationship, never the name: messages can be logged.
            relationship = form.cleaned_data["relationship"].strip()
            messages.success(request, f"The name of the {relationship.lower()} has been added.")
            return redirect("reviews:publication_names", reference=review.reference)
    context = {
        "review": review,
        "form": form,
        "names": review.restricted_names.all(),
    }
    return render(request, "publication/names.html", context)


def publication_name_remove(request, reference: str, name_id: int):
    """Confirm, then remove a restricted name."""
    review = _names_review(request, reference)
    restricted = get_object_or_404(review.restricted_names, pk=name_id)
    if request.method == "POST":
        restricted_name_remove(restricted=restricted, by=request.user)
        messages.success(request, f"The name of the {restricted.relationship.lower()} is removed.")
        return redirect("reviews:publication_names", reference=review.reference)
    return render(
        request, "publication/name_remove.html", {"review": review, "restricted": restricted}
    )


def publication_archive_view(request, reference: str):
    """Take a published review's page down once it has been up long enough."""
    review = _review(request, reference)
    if not access.can_prepare_publication(review, request.user):
        raise PermissionDenied("Only the coordinator can archive a published review.")
    publication = Publication.objects.filter(review=review, published_on__isnull=False).first()
    if publication is None:
        raise Http404("This review has not been published.")
    form = ArchiveForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            publication_archive(review=review, by=request.user, on=form.cleaned_data["on"])
        except PublicationRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, "The review's published page is archived.")
            return redirect("reviews:publication_prepare", reference=review.reference)
    context = {"review": review, "publication": publication, "form": form}
    return render(request, "publication/archive.html", context)
