"""Adding an agency to a review's scope (a late agency gets its own agency reports branch)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from workflows import permissions, selectors
from workflows.models import Agency
from workflows.services.agency_reports import review_agency_add
from workflows.services.lifecycle import TransitionRefused


class AddAgencyForm(forms.Form):
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Select the agency to add"},
        help_text="During the agency reports stage it is asked at once whether it knew the "
        "people involved.",
    )

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, **kwargs)
        in_scope = review.review_agencies.values("agency_id")
        self.fields["agency"].queryset = Agency.objects.filter(
            partnership=review.partnership
        ).exclude(pk__in=in_scope)


def review_agency_add_view(request, reference: str):
    """The coordinator brings another agency into the review's scope."""
    review = selectors.review_for(request.user, reference)
    if not permissions.is_coordinator(review, request.user):
        raise Http404("No page here")
    form = AddAgencyForm(request.POST if request.method == "POST" else None, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            review_agency_add(
                review=review,
                agency=form.cleaned_data["agency"],
                by=request.user,
                on=timezone.localdate(),
            )
        except TransitionRefused as refused:
            for message in refused.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"{form.cleaned_data['agency'].name} added to the review.")
            return redirect("reviews:detail", reference=review.reference)
    return render(request, "reviews/add_agency.html", {"review": review, "form": form})
