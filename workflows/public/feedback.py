"""Answers to "Was this page helpful?" on the public pages, and their rate limit."""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from workflows.models import Partnership
from workflows.models.publication import PageFeedback

RATE_WINDOW = timedelta(hours=1)


class FeedbackRateLimited(Exception):
    """The sender has already sent as many answers as the limit allows this hour."""

    message = "You have sent a lot of feedback in the last hour. Try again in an hour."


def sender_digest(client_ip: str) -> str:
    """A keyed hash of the sender's address: enough to count their answers, not to find them."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, client_ip.encode(), hashlib.sha256).hexdigest()


def page_feedback_record(
    *, partnership: Partnership, helpful: bool, comment: str, client_ip: str
) -> PageFeedback:
    """Store one answer about ``partnership``'s public page.

    Raises ``FeedbackRateLimited``, storing nothing, when the same address has sent
    ``settings.PAGE_FEEDBACK_PER_HOUR`` answers (about any page) in the last hour. Two answers
    sent at the same instant may both pass the count: the limit holds back floods, and one
    answer more does no harm, so no lock is taken for it.
    """
    digest = sender_digest(client_ip)
    since = timezone.now() - RATE_WINDOW
    sent = PageFeedback.objects.filter(sender_digest=digest, at__gte=since).count()
    if sent >= settings.PAGE_FEEDBACK_PER_HOUR:
        raise FeedbackRateLimited()
    return PageFeedback.objects.create(
        partnership=partnership, helpful=helpful, comment=comment.strip(), sender_digest=digest
    )
