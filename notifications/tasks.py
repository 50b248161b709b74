"""Celery tasks that send email and chase deadlines. Thin: the work is in the modules they call."""

import logging

from celery import shared_task

from notifications.digest import digests_send
from notifications.outbox import emails_dispatch
from notifications.reminders import reminders_sweep
from notifications.sending import SendFailed, email_send, emails_requeue_stuck, emails_send

logger = logging.getLogger(__name__)


@shared_task(name="notifications.send_emails", acks_late=True)
def send_emails(email_ids: list[int]) -> int:
    """Send a chunk of outbox rows over one connection; returns how many this task sent.

    A retry is safe: rows are claimed before they are sent. Rows whose attempt failed get one
    task per back-off, due when it ends.
    """
    outcome = emails_send(email_ids)
    for retry_in, failed_ids in outcome.retries().items():
        try:
            send_emails.apply_async((failed_ids,), countdown=retry_in)
        except Exception:  # the broker is unreachable: the stuck-email sweep retries them
            logger.warning("%s failed emails left for the sweep to retry", len(failed_ids))
    return len(outcome.sent)


@shared_task(name="notifications.send_email", bind=True, max_retries=None, acks_late=True)
def send_email(self, email_id: int) -> bool:
    """Send one outbox row: tasks queued before emails went in chunks still reach a worker."""
    try:
        return email_send(email_id)
    except SendFailed as failure:
        if failure.retry_in is None:
            return False
        raise self.retry(countdown=failure.retry_in) from None


@shared_task(name="notifications.send_stuck_emails")
def send_stuck_emails() -> int:
    """Send rows that no task is sending: lost tasks, dead workers, a broker that was down."""
    due = emails_requeue_stuck()
    emails_dispatch(due)
    if due:
        logger.info("queued %s emails that were waiting in the outbox", len(due))
    return len(due)


@shared_task(name="notifications.sweep_reminders")
def sweep_reminders() -> int:
    """Fire every reminder and escalation that has fallen due (run by beat every hour)."""
    return len(reminders_sweep().steps)


@shared_task(name="notifications.send_daily_digests")
def send_daily_digests() -> int:
    """Gather each digest reader's held reminders into one email (run by beat each morning)."""
    return len(digests_send())
