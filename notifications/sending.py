"""Sending one outbox row, and finding rows that were never sent.

A send claims its row with a conditional update (``ready`` to ``sending``), so a task delivered
twice by the broker, or two workers, cannot send the same email twice. A worker killed between
the claim and the provider's answer leaves the row in ``sending``; the stuck-email sweep puts it
back after ``EMAIL_STUCK_AFTER_SECONDS``. That is the only way an email can go twice, and only
when a worker died mid-send.
"""

import logging
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import Email, EmailStatus

logger = logging.getLogger(__name__)

# Seconds to wait before each retry after a failed attempt: about 1, 5, 15 and 60 minutes.
BACKOFF_SECONDS = (60, 300, 900, 3600)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1


class SendFailed(Exception):
    """The provider refused or could not be reached; ``retry_in`` says when to try again."""

    def __init__(self, email_id: int, retry_in: int | None):
        super().__init__(f"email {email_id} not sent")
        self.retry_in = retry_in


def email_claim(email_id: int) -> Email | None:
    """Take the row for sending, or None when it is not waiting (sent, or being sent)."""
    now = timezone.now()
    claimed = Email.objects.filter(
        pk=email_id, status=EmailStatus.READY, send_after__lte=now
    ).update(status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return Email.objects.get(pk=email_id) if claimed else None


def email_send(email_id: int) -> bool:
    """Send one outbox row through the configured backend; True when this call sent it.

    Raises ``SendFailed`` when the provider failed and the row will be tried again later.
    """
    email = email_claim(email_id)
    if email is None:
        return False
    message = _message(email)
    try:
        message.send()
    except Exception as error:  # any provider or network error: record it, retry or give up
        raise _failed(email, error) from None
    status = getattr(message, "anymail_status", None)
    provider_id = (status.message_id if status else None) or message.extra_headers["Message-ID"]
    Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=str(provider_id)[:200],
        last_error="",
    )
    logger.info("email %s (%s) sent, attempt %s", email.pk, email.kind, email.attempts)
    return True


def _message(email: Email) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
        connection=get_connection(),
        headers={"Message-ID": make_msgid(f"email-{email.pk}", domain=_domain())},
    )
    message.attach_alternative(email.html_body, "text/html")
    # anymail passes these to the provider, which echoes them back in tracking events.
    message.metadata = {"email_id": str(email.pk)}
    message.tags = [email.kind]
    return message


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "dhr.example"


def _failed(email: Email, error: Exception) -> SendFailed:
    """Record a failed attempt: back to ``ready`` with a back-off, or ``failed`` after the last."""
    # The error's class only: a provider's message may quote the address or the content.
    detail = type(error).__name__
    retry_in = BACKOFF_SECONDS[email.attempts - 1] if email.attempts < MAX_ATTEMPTS else None
    send_after = timezone.now() + timedelta(seconds=retry_in or 0)
    Email.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.READY if retry_in else EmailStatus.FAILED,
        send_after=send_after,
        queued_at=send_after,  # the retry task is due then
        last_error=detail,
    )
    logger.warning(
        "email %s (%s) attempt %s failed: %s%s",
        email.pk,
        email.kind,
        email.attempts,
        detail,
        f"; retrying in {retry_in} s" if retry_in else "; giving up",
    )
    return SendFailed(email.pk, retry_in)


def emails_requeue_stuck(*, now=None) -> list[int]:
    """Put back rows whose worker died mid-send, and return every row no task will send.

    Rows in ``sending`` for longer than ``EMAIL_STUCK_AFTER_SECONDS`` go back to ``ready``. Rows
    in ``ready`` are returned when their time has come and no task is on the way: the broker
    never took their task (it was down at commit), or took it so long ago that it was lost.
    The caller enqueues them and marks them queued.
    """
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.EMAIL_STUCK_AFTER_SECONDS)
    stuck = Email.objects.filter(status=EmailStatus.SENDING, claimed_at__lt=stuck_before)
    stuck_ids = list(stuck.values_list("pk", flat=True)[:5000])
    if stuck_ids:
        # Conditional: a slow worker that finishes meanwhile keeps its "sent".
        Email.objects.filter(pk__in=stuck_ids, status=EmailStatus.SENDING).update(
            status=EmailStatus.READY, send_after=now
        )
        logger.warning("%s emails were stuck in sending and will be sent again", len(stuck_ids))
    # A fresh row is normally sent within seconds of its commit: leave it to its own task.
    waiting_since = now - timedelta(seconds=settings.EMAIL_READY_GRACE_SECONDS)
    due = Email.objects.filter(status=EmailStatus.READY, send_after__lte=waiting_since).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=stuck_before)
    )
    due_ids = list(due.order_by("send_after", "pk").values_list("pk", flat=True)[:5000])
    put_back = set(stuck_ids)
    return stuck_ids + [pk for pk in due_ids if pk not in put_back]
