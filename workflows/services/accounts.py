"""Signing in: a link to choose a new password, for someone who has forgotten theirs."""

import logging

from django.db import transaction

from notifications.outbox import email_queue
from workflows.models import User

logger = logging.getLogger(__name__)


def password_reset_request(*, email: str) -> bool:
    """Email a single-use link to choose a new password, if ``email`` belongs to an active
    account; True when one was sent. The page says the same either way, so nobody can learn
    who has an account."""
    address = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        logger.info("password reset asked for an address with no active account")
        return False
    with transaction.atomic():
        email_queue("password_reset", user=user)
    logger.info("password reset link sent to user %s", user.pk)
    return True
