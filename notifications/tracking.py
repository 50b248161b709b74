"""Delivery tracking: the provider tells us an email was delivered, bounced or complained of.

anymail turns each provider's webhook into a ``tracking`` signal; the GOV.UK Notify callback view
sends the same signal. A bounce (or any other failure to deliver) shows on the review and alerts
its coordinators by email.
"""

import logging

from anymail.signals import EventType, tracking
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from notifications.models import UNDELIVERED, DeliveryStatus, Email

logger = logging.getLogger(__name__)

STATUS_FOR_EVENT = {
    EventType.QUEUED: DeliveryStatus.QUEUED,
    EventType.SENT: DeliveryStatus.QUEUED,
    EventType.DEFERRED: DeliveryStatus.DEFERRED,
    EventType.DELIVERED: DeliveryStatus.DELIVERED,
    EventType.BOUNCED: DeliveryStatus.BOUNCED,
    EventType.REJECTED: DeliveryStatus.REJECTED,
    EventType.FAILED: DeliveryStatus.FAILED,
    EventType.COMPLAINED: DeliveryStatus.COMPLAINED,
}
# Events can arrive out of order: a later report never replaces a more final one.
RANK = {
    DeliveryStatus.UNKNOWN: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.DEFERRED: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.BOUNCED: 4,
    DeliveryStatus.REJECTED: 4,
    DeliveryStatus.FAILED: 4,
    DeliveryStatus.COMPLAINED: 5,
}


@receiver(tracking, dispatch_uid="notifications.delivery_reported")
def delivery_reported(sender, event, esp_name, **kwargs) -> None:
    status = STATUS_FOR_EVENT.get(event.event_type)
    if status == DeliveryStatus.BOUNCED and _soft_bounce(event):
        # A soft bounce (a full mailbox) may still be delivered later: not final yet.
        status = DeliveryStatus.DEFERRED
    if status is None:
        return  # opens and clicks are not tracked: the service does not follow people
    metadata = event.metadata or {}
    delivery_record(
        message_id=event.message_id or "",
        email_id=metadata.get("email_id"),
        status=status,
        detail=str(event.description or event.reject_reason or "")[:300],
    )


def _soft_bounce(event) -> bool:
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    return esp_event.get("Type") == "SoftBounce"  # Postmark's name for a temporary bounce


def delivery_record(*, message_id: str, email_id, status: str, detail: str = "") -> Email | None:
    """Record what the provider reported; alert the coordinators the first time an email about
    a review fails to arrive. Unknown messages are logged and ignored."""
    from notifications.outbox import email_queue

    with transaction.atomic():
        email = _find(message_id, email_id)
        if email is None:
            logger.warning("delivery report for an unknown message (%s): ignored", status)
            return None
        if RANK[status] < RANK[email.delivery_status]:
            return email
        newly_undelivered = status in UNDELIVERED and email.delivery_status not in UNDELIVERED
        email.delivery_status = status
        email.delivery_detail = detail
        email.delivery_updated_at = timezone.now()
        email.save(update_fields=["delivery_status", "delivery_detail", "delivery_updated_at"])
        # An alert about an alert that bounced would never end: that one shows on the page only.
        if newly_undelivered and email.review_id and email.kind != "delivery_failed":
            email_queue("delivery_failed", email=email)
    logger.info("email %s delivery: %s", email.pk, status)
    return email


def _find(message_id: str, email_id) -> Email | None:
    emails = Email.objects.select_for_update(of=("self",)).select_related("review__partnership")
    if message_id:
        found = emails.filter(provider_message_id=message_id).first()
        if found is not None:
            return found
    if email_id and str(email_id).isdecimal():
        return emails.filter(pk=int(email_id)).first()
    return None
