"""Sending outbox rows in chunks over one connection, and finding rows that were never sent.

A chunk claims its rows in one conditional update (``ready`` to ``sending``, the rows another
worker took are left out), opens one connection to the provider, and sends the rows one by one,
marking each ``sent`` (or recording its failure) as soon as the provider has answered for it. A
task delivered twice by the broker, or two workers given the same rows, cannot send an email
twice. A worker killed mid-chunk leaves its unsent rows, and the one in flight, in ``sending``;
the stuck-email sweep puts them back after ``EMAIL_STUCK_AFTER_SECONDS``. The email in flight is
the only one that can go twice, and only when a worker died mid-send.
"""

import contextlib
import logging
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from email.policy import compat32
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as database
from django.db.models import Q
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
        self.email_id = email_id
        self.retry_in = retry_in


@dataclass
class ChunkSent:
    """What sending a chunk did: the rows this call sent, and the attempts that failed."""

    sent: list[int] = field(default_factory=list)
    failed: list[SendFailed] = field(default_factory=list)

    def retries(self) -> dict[int, list[int]]:
        """The failed rows to try again, by seconds to wait (rows given up on are left out)."""
        due = defaultdict(list)
        for failure in self.failed:
            if failure.retry_in is not None:
                due[failure.retry_in].append(failure.email_id)
        return dict(due)


def emails_claim(email_ids: list[int]) -> list[Email]:
    """Take the waiting rows among ``email_ids`` for sending, in one statement; return them.

    Rows already sent, being sent by another worker, or waiting for a back-off are left out, so
    two workers given the same ids share them out and never both take one.
    """
    if not email_ids:
        return []
    now = database.ops.adapt_datetimefield_value(timezone.now())
    table = database.ops.quote_name(Email._meta.db_table)
    columns = ", ".join(database.ops.quote_name(f.column) for f in Email._meta.concrete_fields)
    ids = ", ".join(["%s"] * len(email_ids))
    # One UPDATE ... RETURNING (PostgreSQL, and SQLite since 3.35) instead of an UPDATE and a
    # SELECT: the rows it returns are exactly the ones this statement changed. The condition on
    # the status is inside a CASE so that PostgreSQL finds the rows by primary key: written
    # plainly, it may read them through the index of unfinished rows, and with a backlog that
    # is every waiting row for every chunk.
    claimed = Email.objects.raw(
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "
        f"WHERE id IN ({ids}) AND CASE WHEN status = %s THEN send_after <= %s ELSE FALSE END "
        f"RETURNING {columns}",
        [EmailStatus.SENDING, now, *email_ids, EmailStatus.READY, now],
    )
    return sorted(claimed, key=lambda email: email.pk)


def email_send(email_id: int) -> bool:
    """Send one outbox row through the configured backend; True when this call sent it.

    Raises ``SendFailed`` when the provider failed and the row will be tried again later.
    """
    outcome = emails_send([email_id])
    if outcome.failed:
        raise outcome.failed[0]
    return bool(outcome.sent)


def emails_send(email_ids: list[int]) -> ChunkSent:
    """Claim the waiting rows among ``email_ids`` and send them over one provider connection.

    Each row is marked ``sent``, or has its failure recorded (back to ``ready`` with a back-off,
    or ``failed`` after the last attempt), right after the provider's answer for it, so a worker
    killed mid-chunk can have sent at most one email it did not mark.
    """
    outcome = ChunkSent()
    with _commits_without_waiting_for_disk():
        emails = emails_claim(email_ids)
        if not emails:
            return outcome
        connection = get_connection()
        try:
            _send_each(emails, connection, _Lease(emails), outcome)
        finally:
            _close(connection)
    return outcome


def _send_each(emails: list[Email], connection, lease: "_Lease", outcome: ChunkSent) -> None:
    # A row held too long may have been taken back by the sweep: it is skipped then.
    for email in filter(lease.holds, emails):
        message = _message(email, connection)
        try:
            # Opens the connection for the first email, and again after a failure.
            connection.open()
            message.send()
        except Exception as error:  # any provider or network error: record it, retry or give up
            outcome.failed.append(_failed(email, error))
            # The connection may be half-way through a reply: the next email starts afresh.
            _close(connection)
            continue
        _mark_sent(email, message)
        outcome.sent.append(email.pk)


class _Lease:
    """The chunk's claim on its rows, renewed while the chunk is being sent.

    The sweep treats a row in ``sending`` for ``EMAIL_STUCK_AFTER_SECONDS`` as left by a dead
    worker. A slow provider could keep the last rows of a long chunk waiting that long, so at
    half that time the rows not yet sent are claimed again; a row the sweep already took back
    is skipped, and whichever task the sweep queued sends it. Measured on the clock the sweep
    reads, from the claim time the rows carry.
    """

    def __init__(self, emails: list[Email]):
        self.waiting = {email.pk for email in emails}
        self.claimed_at = emails[0].claimed_at  # one statement claimed them all at once
        self.renew_after = timedelta(seconds=settings.EMAIL_STUCK_AFTER_SECONDS / 2)

    def holds(self, email: Email) -> bool:
        if timezone.now() - self.claimed_at >= self.renew_after:
            self._renew()
        if email.pk not in self.waiting:
            return False
        self.waiting.discard(email.pk)
        return True

    def _renew(self) -> None:
        now = timezone.now()
        pending = Email.objects.filter(pk__in=self.waiting, status=EmailStatus.SENDING)
        pending.filter(claimed_at=self.claimed_at).update(claimed_at=now)
        # Still ours: the rows that now carry this renewal's claim time.
        self.waiting = set(pending.filter(claimed_at=now).values_list("pk", flat=True))
        self.claimed_at = now


def _mark_sent(email: Email, message: EmailMultiAlternatives) -> None:
    """One UPDATE by primary key, without the ORM's overhead: the row is sent, with the id the
    provider knows it by."""
    status = getattr(message, "anymail_status", None)
    provider_id = (status.message_id if status else None) or message.extra_headers["Message-ID"]
    sent_at = database.ops.adapt_datetimefield_value(timezone.now())
    table = database.ops.quote_name(Email._meta.db_table)
    marked = [EmailStatus.SENT, sent_at, str(provider_id)[:200]]
    bodies = ""
    if email.context is not None:  # rendered by this sender: the row keeps what was sent
        bodies, marked = (
            ", text_body = %s, html_body = %s, context = NULL",
            [
                *marked,
                email.text_body,
                email.html_body,
            ],
        )
    with database.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, provider_message_id = %s, "  # noqa: S608
            f"last_error = ''{bodies} WHERE id = %s AND status = %s",
            [*marked, email.pk, EmailStatus.SENDING],
        )
    logger.info("email %s (%s) sent, attempt %s", email.pk, email.kind, email.attempts)


@contextlib.contextmanager
def _commits_without_waiting_for_disk():
    """On PostgreSQL, this session's commits stop waiting for the disk until the block ends.

    A chunk commits its claim and then once per email it marks sent, and waiting for each commit
    to reach the disk (a few milliseconds each) was a third of the time an email took. A commit
    is still made at once and seen by everyone; only a crash of the database server itself (not
    of a worker) in the next fraction of a second (three times ``wal_writer_delay``) could undo
    the last claims and marks, and the sweep would then send those emails again: a duplicate,
    never a loss.
    """
    if database.vendor != "postgresql":
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with contextlib.suppress(Exception), database.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _close(connection) -> None:
    # A connection that broke mid-reply may fail to say goodbye: it is dropped either way.
    with contextlib.suppress(Exception):
        connection.close()


def _message(email: Email, connection=None) -> EmailMultiAlternatives:
    if email.context is not None:
        _write_bodies(email)
    message = _OutboxMessage(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
        connection=connection,
        # The row's id in the Message-ID: delivery reports and the fault drill's sink find it.
        headers={"Message-ID": make_msgid(f"email-{email.pk}", domain=_domain())},
    )
    message.attach_alternative(email.html_body, "text/html")
    # anymail passes these to the provider, which echoes them back in tracking events.
    message.metadata = {"email_id": str(email.pk)}
    message.tags = [email.kind]
    return message


def _write_bodies(email: Email) -> None:
    """Render the bodies of an email written in bulk (see ``Email``); ``_mark_sent`` records
    them on the row once the provider has taken it."""
    from notifications.outbox import email_bodies

    email.text_body, email.html_body = email_bodies(email.kind, email.context)


class _OutboxMessage(EmailMultiAlternatives):
    """Django's email, made into MIME for SMTP in about half the time, byte for byte the same.

    Building the MIME text was the largest part of a worker's time per email, and two steps of
    the standard library's were most of that: a regular expression compiled afresh for every
    message to check that its random part boundary is not in the text, and every header passed
    through ``email.header.Header`` even when it needs no folding or encoding.
    """

    def message(self):
        mime = super().message()
        mime.policy = _OUTBOX_POLICY
        if mime.is_multipart():
            # The standard library's own form of boundary (63 random bits), set here so that it
            # is not checked against the text: no text contains it but by a one in 2**63 chance.
            mime.set_boundary(f"{'=' * 15}{random.randrange(sys.maxsize):019d}==")
        return mime


# A header value of printable ASCII words separated by single spaces.
_PLAIN_HEADER = re.compile(r"[!-~]+(?: [!-~]+)*")


class _OutboxPolicy(type(compat32)):
    """``compat32``, as Django's messages use it, writing a short plain header as it is.

    A value of printable ASCII words with single spaces, short enough for one line, comes out
    of ``compat32`` unchanged; anything else (long, non-ASCII, tabs or runs of spaces) goes
    through ``compat32``'s folding as before.
    """

    def fold_binary(self, name, value):
        if (
            isinstance(value, str)
            and len(name) + len(value) <= 76
            and _PLAIN_HEADER.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_OUTBOX_POLICY = _OutboxPolicy()


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
        # Conditional: a slow worker that finishes meanwhile keeps its "sent", and a chunk that
        # renewed its claim meanwhile keeps its rows.
        Email.objects.filter(
            pk__in=stuck_ids, status=EmailStatus.SENDING, claimed_at__lt=stuck_before
        ).update(status=EmailStatus.READY, send_after=now)
        logger.warning("%s emails were stuck in sending and will be sent again", len(stuck_ids))
    # A fresh row is normally sent within seconds of its commit: leave it to its own task.
    waiting_since = now - timedelta(seconds=settings.EMAIL_READY_GRACE_SECONDS)
    due = Email.objects.filter(status=EmailStatus.READY, send_after__lte=waiting_since).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=stuck_before)
    )
    due_ids = list(due.order_by("send_after", "pk").values_list("pk", flat=True)[:5000])
    put_back = set(stuck_ids)
    return stuck_ids + [pk for pk in due_ids if pk not in put_back]
