"""Adding people to a review, inviting those new to the service, and ending their part in it.

Emails name the review by its reference and pseudonym only: their context is built here from
plain strings, never from the review, so a template cannot reach a real name.
"""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.events import absolute
from notifications.outbox import email_queue
from project.forms import lower_first
from workflows import permissions
from workflows.models import Participant, ParticipantRole, Review, User
from workflows.models.participants import AGENCY_ROLES
from workflows.services.panel import panel_comment_request

logger = logging.getLogger(__name__)


class ParticipantRefused(Exception):
    """The change cannot be made; ``problems`` maps a form field (or None) to what is wrong."""

    def __init__(self, problems: dict[str | None, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def invitation_problems(*, review: Review, email: str, role: str, agency=None) -> dict:
    """What stops ``email`` taking part in ``review`` as ``role`` (for ``agency``), by field."""
    problems = {}
    if role in AGENCY_ROLES and agency is None:
        problems["agency"] = "Select the agency this person works for"
    if agency is not None and not review.review_agencies.filter(agency=agency).exists():
        problems["agency"] = "Select an agency in the scope of this review"
    user = User.objects.filter(email=_normalised(email)).first()
    if user is not None and not user.is_active:
        problems["email"] = "This person's account is switched off: ask an administrator"
    elif user is not None and _takes_part(review, user, role, agency):
        label = lower_first(ParticipantRole(role).label)
        for_agency = f" for {agency}" if agency else ""
        problems["email"] = f"{user.email} already takes part as {label}{for_agency}"
    return problems


def participant_invite(
    *, review: Review, email: str, full_name: str, role: str, agency=None, by
) -> Participant:
    """Add a person to ``review`` as ``role`` and email them once the change is committed.

    Someone new gets an account without a password and a single-use link to create one; the
    link stops working once the password is set and after ``settings.PASSWORD_RESET_TIMEOUT``.
    Someone who already signs in is told they have been added, with a link to the review.
    Only the partnership's coordinator may invite.
    """
    if not permissions.can_manage_people(review, by):
        raise PermissionDenied("Only the coordinator can invite people to a review.")
    problems = invitation_problems(review=review, email=email, role=role, agency=agency)
    if problems:
        raise ParticipantRefused(problems)
    try:
        with transaction.atomic():
            user = _user_for(email, full_name)
            participant = Participant.objects.create(
                review=review, user=user, role=role, agency=agency, added_by=by
            )
            if role == ParticipantRole.PANEL_MEMBER:
                # A panel member who joins mid-stage is asked for comments at once.
                panel_comment_request(review=review, participant=participant)
            email_queue("invitation", participant=participant)
    except IntegrityError:
        # Someone else added the same person in the same role a moment earlier.
        raise ParticipantRefused(
            {"email": "This person has just been added by someone else"}
        ) from None
    logger.info("review %s: user %s added as %s by user %s", review.reference, user.pk, role, by.pk)
    return participant


def invitation_resend(*, participant: Participant, by) -> None:
    """Send a new link to someone who has not created their password yet (theirs expired)."""
    if not permissions.can_manage_people(participant.review, by):
        raise PermissionDenied("Only the coordinator can send invitations.")
    if not participant.is_active or participant.user.has_usable_password():
        raise ParticipantRefused({None: "This person does not need a new invitation"})
    email_queue("invitation", participant=participant)
    logger.info(
        "review %s: invitation sent again to user %s",
        participant.review.reference,
        participant.user_id,
    )


def participant_end(*, participant: Participant, by, reason: str) -> Participant:
    """End a person's part in a review: from now on it is hidden from them unless another role
    shows it. The row is kept as the record that they took part."""
    if not permissions.can_manage_people(participant.review, by):
        raise PermissionDenied("Only the coordinator can remove people from a review.")
    if not reason.strip():
        raise ParticipantRefused({"reason": "Enter why this person is leaving the review"})
    # A conditional update: two coordinators removing the same person end it once.
    ended = Participant.objects.filter(pk=participant.pk, ended_on__isnull=True).update(
        ended_on=timezone.localdate(), ended_by=by, end_reason=reason.strip()
    )
    if not ended:
        raise ParticipantRefused({None: "This person had already been removed from the review"})
    participant.refresh_from_db()
    logger.info(
        "review %s: participant %s ended by user %s",
        participant.review.reference,
        participant.pk,
        by.pk,
    )
    return participant


def email_context(participant: Participant) -> dict:
    """Everything the invitation templates may show: the reference and pseudonym, never a name
    from the review's restricted facts."""
    review, user = participant.review, participant.user
    needs_password = not user.has_usable_password()
    return {
        "full_name": user.full_name,
        "email": user.email,
        "reference": review.reference,
        "pseudonym": review.victim_pseudonym,
        "partnership": review.partnership.name,
        "role": lower_first(participant.get_role_display()),
        "agency": participant.agency.name if participant.agency else "",
        "invited_by": participant.added_by.full_name or participant.added_by.email,
        "needs_password": needs_password,
        "link": invitation_url(user) if needs_password else review_url(review),
        "link_lifetime": lifetime_in_words(settings.PASSWORD_RESET_TIMEOUT),
        "sign_in_url": absolute(reverse("login")),
    }


def invitation_url(user) -> str:
    """The single-use link with which ``user`` creates their password."""
    return password_link(user, "invitation")


def password_link(user, url_name: str) -> str:
    """A single-use link to set ``user``'s password: it stops working once a password is set,
    and after ``settings.PASSWORD_RESET_TIMEOUT``."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute(reverse(url_name, kwargs={"uidb64": uidb64, "token": token}))


def review_url(review: Review) -> str:
    return absolute(reverse("reviews:detail", kwargs={"reference": review.reference}))


def lifetime_in_words(seconds: int) -> str:
    days, hours = seconds // 86400, seconds // 3600
    if days >= 1 and seconds % 86400 == 0:
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if hours <= 1 else f"{hours} hours"


def _normalised(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _user_for(email: str, full_name: str) -> User:
    user, created = User.objects.get_or_create(
        email=_normalised(email), defaults={"full_name": full_name.strip()}
    )
    if created:
        # No password until they follow their invitation link.
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _takes_part(review: Review, user, role: str, agency) -> bool:
    return review.participants.active().filter(user=user, role=role, agency=agency).exists()
