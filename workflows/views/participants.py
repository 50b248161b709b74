"""Who takes part in a review: the people page, invitations, removal and creating a password."""

import logging

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from workflows import permissions, selectors
from workflows.participant_forms import InvitationPasswordForm, InviteForm, RemoveForm
from workflows.services.participants import (
    ParticipantRefused,
    invitation_resend,
    participant_end,
    participant_invite,
)

logger = logging.getLogger(__name__)


def review_people(request, reference: str):
    """The review's independent chair and participants; the coordinator invites people here."""
    review = selectors.review_for(request.user, reference)
    can_manage = permissions.can_manage_people(review, request.user)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only the coordinator can invite people to a review.")
    data = request.POST if request.method == "POST" else None
    form = InviteForm(data, review=review) if can_manage else None
    if form is not None and form.is_bound and form.is_valid():
        try:
            participant = participant_invite(review=review, by=request.user, **form.cleaned_data)
        except ParticipantRefused as refused:
            for field, message in refused.problems.items():
                form.add_error(field, message)
        else:
            messages.success(request, f"{participant.user.email} has been added and emailed.")
            return redirect("reviews:people", reference=review.reference)
    participants = review.participants.active().select_related("user", "agency")
    context = {
        "review": review,
        "participants": participants,
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "participants/people.html", context)


def participant_remove(request, reference: str, participant_id: int):
    """Ask why, then end a person's part in the review."""
    review = selectors.review_for(request.user, reference)
    if not permissions.can_manage_people(review, request.user):
        raise PermissionDenied("Only the coordinator can remove people from a review.")
    participant = get_object_or_404(
        review.participants.active().select_related("user", "agency"), pk=participant_id
    )
    form = RemoveForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            participant_end(participant=participant, by=request.user, **form.cleaned_data)
        except ParticipantRefused as refused:
            messages.error(request, " ".join(refused.problems.values()))
        else:
            messages.success(request, f"{participant.user.email} has been removed.")
        return redirect("reviews:people", reference=review.reference)
    context = {"review": review, "participant": participant, "form": form}
    return render(request, "participants/remove.html", context)


@require_POST
def invitation_resend_view(request, reference: str, participant_id: int):
    """Send a fresh invitation link to someone whose link expired before they used it."""
    review = selectors.review_for(request.user, reference)
    if not permissions.can_manage_people(review, request.user):
        # Refuse before looking the participant up, so ids cannot be probed.
        raise PermissionDenied("Only the coordinator can send invitations.")
    participant = get_object_or_404(
        review.participants.active().select_related("user", "review"), pk=participant_id
    )
    try:
        invitation_resend(participant=participant, by=request.user)
    except ParticipantRefused as refused:
        messages.error(request, " ".join(refused.problems.values()))
    else:
        messages.success(request, f"A new invitation has been sent to {participant.user.email}.")
    return redirect("reviews:people", reference=review.reference)


class InvitationView(PasswordResetConfirmView):
    """Create a password from an invitation link, then go straight to the reviews.

    Django's view checks the token (single use: it hashes the password, so setting one spends
    it; it expires after ``settings.PASSWORD_RESET_TIMEOUT``) and moves it out of the address
    into the session before showing the form.
    """

    form_class = InvitationPasswordForm
    template_name = "registration/invitation.html"
    post_reset_login = True
    # Named because django-axes's backend comes first in AUTHENTICATION_BACKENDS.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("reviews:list")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_template_names(self):
        if self.validlink:
            return [self.template_name]
        return ["registration/invitation_expired.html"]

    def form_valid(self, form):
        response = super().form_valid(form)
        # A new password ends a lockout after wrong passwords (the lockout page says so).
        axes_reset(username=self.user.get_username())
        logger.info("user %s created their password from an invitation", self.user.pk)
        messages.success(self.request, "Your password has been created and you are signed in.")
        return response
