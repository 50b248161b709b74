"""Reads of the outbox that pages share."""

from django.db.models import Count

from notifications.models import UNDELIVERED, Email, EmailStatus


def review_emails_for(review) -> dict:
    """A review's emails, newest first, with counts by status and those not delivered."""
    emails = list(review.emails.select_related("recipient").order_by("-created_at", "-pk"))
    return {
        "emails": emails,
        "undelivered": [email for email in emails if email.undelivered],
        "counts": email_counts(review),
    }


def email_counts(review) -> dict:
    """How many of a review's emails are sent, waiting, failed or undelivered."""
    by_status = dict(
        review.emails.values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    sent = by_status.get(EmailStatus.SENT, 0) + by_status.get(EmailStatus.IN_DIGEST, 0)
    waiting = sum(
        by_status.get(status, 0)
        for status in (EmailStatus.READY, EmailStatus.SENDING, EmailStatus.HELD)
    )
    return {
        "total": sum(by_status.values()),
        "sent": sent,
        "waiting": waiting,
        "failed": by_status.get(EmailStatus.FAILED, 0),
        "undelivered": review.emails.filter(delivery_status__in=UNDELIVERED).count(),
    }


def undelivered_emails(review) -> list[Email]:
    return list(review.emails.filter(delivery_status__in=UNDELIVERED).order_by("-created_at"))
