"""The outbox sends in chunks: one claim and one provider connection for many emails, each
email marked sent (or failed) on its own, at the real aiosmtpd server where it matters."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.utils import timezone

from notifications import outbox, sending
from notifications.models import Email, EmailStatus
from notifications.outbox import emails_dispatch
from notifications.sending import MAX_ATTEMPTS, emails_send
from notifications.tasks import send_emails, send_stuck_emails
from tests.notifications.smtp_sink import SmtpServer

ROW_ID = re.compile(r"\.email-(\d+)@")


@pytest.fixture
def smtp(settings):
    """The real aiosmtpd server on a spare port, with the SMTP backend pointed at it."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        yield server


def waiting_rows(review, count: int) -> list[Email]:
    return [
        Email.objects.create(
            review=review,
            to_address=f"officer-{n}@chunks.example",
            kind="task_assigned",
            subject=f"{review.reference}: task {n}",
            text_body=f"Task {n}",
            html_body=f"<p>Task {n}</p>",
        )
        for n in range(count)
    ]


def arrivals(messages) -> Counter:
    """How many times each outbox row arrived, from the Message-IDs the server saw."""
    return Counter(int(ROW_ID.search(message["Message-ID"]).group(1)) for _, message in messages)


def test_a_chunk_goes_over_one_smtp_connection(review, smtp):
    rows = waiting_rows(review, 12)
    ids = [row.pk for row in rows]

    outcome = emails_send(ids)

    assert (outcome.sent, outcome.failed) == (ids, [])
    received = smtp.sink.received()
    assert arrivals(received) == Counter(ids)
    assert len(set(smtp.sink.peers)) == 1  # connect, EHLO and QUIT once for twelve emails
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts) == (EmailStatus.SENT, 1)
    by_id = {row.pk: row.provider_message_id for row in rows}
    assert sorted(message["Message-ID"] for _, message in received) == sorted(by_id.values())


def test_the_outbox_queues_one_task_and_one_connection_per_chunk(review, smtp, monkeypatch):
    monkeypatch.setattr(outbox, "CHUNK_SIZE", 5)
    ids = [row.pk for row in waiting_rows(review, 12)]

    emails_dispatch(ids)  # the tasks run in this process (see tests/conftest.py)

    assert arrivals(smtp.sink.received()) == Counter(ids)
    peers = smtp.sink.peers
    assert len(set(peers)) == 3  # chunks of 5, 5 and 2
    assert [peers.count(peer) for peer in dict.fromkeys(peers)] == [5, 5, 2]
    queued = Email.objects.filter(pk__in=ids)
    assert set(queued.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert not queued.filter(queued_at__isnull=True).exists()


def test_an_email_refused_mid_chunk_takes_the_failure_path_and_the_rest_are_sent(review, smtp):
    rows = waiting_rows(review, 5)
    refused, last_try = rows[2], rows[3]
    Email.objects.filter(pk=last_try.pk).update(attempts=MAX_ATTEMPTS - 1)
    smtp.sink.refuse = {refused.to_address, last_try.to_address}

    outcome = emails_send([row.pk for row in rows])

    others = [rows[0].pk, rows[1].pk, rows[4].pk]
    assert outcome.sent == others
    assert [(f.email_id, f.retry_in) for f in outcome.failed] == [
        (refused.pk, 60),
        (last_try.pk, None),
    ]
    assert outcome.retries() == {60: [refused.pk]}  # the row given up on is not retried
    assert arrivals(smtp.sink.received()) == Counter(others)
    # The connection is dropped after each refusal, and the next email opens a fresh one.
    assert len(set(smtp.sink.peers)) == 2
    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (EmailStatus.READY, 1)
    assert refused.last_error == "SMTPRecipientsRefused"
    assert refused.send_after > timezone.now() + timedelta(seconds=55)
    last_try.refresh_from_db()
    assert (last_try.status, last_try.attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)


def test_the_chunk_task_retries_a_refused_email_after_its_back_off(review, smtp):
    rows = waiting_rows(review, 3)
    smtp.sink.refuse = {rows[1].to_address}

    assert send_emails.delay([row.pk for row in rows]).get() == 2

    # The retry task ran at once here (tasks run eagerly in tests), before the back-off ended:
    # it found nothing to claim and sent nothing.
    assert arrivals(smtp.sink.received()) == Counter([rows[0].pk, rows[2].pk])
    rows[1].refresh_from_db()
    assert (rows[1].status, rows[1].attempts) == (EmailStatus.READY, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_chunk_send_each_email_once(review, smtp):
    ids = [row.pk for row in waiting_rows(review, 40)]
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(emails_send(ids))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first, second = (set(outcome.sent) for outcome in outcomes)
    assert first | second == set(ids)
    assert not first & second
    assert arrivals(smtp.sink.received()) == Counter(ids)
    assert set(Email.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


class SlowProvider(LocmemBackend):
    """Django's test backend, running ``after_send`` after each email: a provider so slow
    that the stuck-email sweep runs while a chunk is still being sent."""

    after_send = None

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        hook, SlowProvider.after_send = SlowProvider.after_send, None  # once
        if hook is not None:
            hook()
        return sent


@pytest.fixture
def slow_provider(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox_chunks.SlowProvider"
    yield SlowProvider
    SlowProvider.after_send = None


def test_a_slow_chunk_renews_its_claim_so_the_sweep_leaves_its_rows(
    review, slow_provider, _fixed_today, settings
):
    rows = waiting_rows(review, 4)
    stuck_after = settings.EMAIL_STUCK_AFTER_SECONDS
    swept = []

    def a_slow_send():
        # Each email takes 70 % of the stuck time; the sweep runs after each.
        _fixed_today.shift(timedelta(seconds=stuck_after * 0.7))
        swept.append(send_stuck_emails())
        slow_provider.after_send = a_slow_send

    slow_provider.after_send = a_slow_send

    emails_send([row.pk for row in rows])

    # Without the renewal the last rows would be stuck by the second sweep and sent twice.
    assert swept == [0, 0, 0, 0]
    assert arrivals((None, m.message()) for m in mail.outbox) == Counter(r.pk for r in rows)
    assert set(Email.objects.filter(review=review).values_list("status", flat=True)) == {"sent"}


def test_rows_the_sweep_took_back_from_a_stalled_chunk_go_once_with_their_new_task(
    review, slow_provider, _fixed_today, settings
):
    first, second, third = waiting_rows(review, 3)

    def a_stalled_send():
        # The first send stalls past the stuck time: the sweep takes every row back, and the
        # task it queues sends them (here, at once).
        _fixed_today.shift(timedelta(seconds=settings.EMAIL_STUCK_AFTER_SECONDS + 5))
        assert send_stuck_emails() == 3

    slow_provider.after_send = a_stalled_send

    outcome = emails_send([first.pk, second.pk, third.pk])

    # The stalled chunk skips the rows it no longer holds. The email that was in flight when
    # it stalled went twice: the one duplicate ADR 0007 accepts.
    assert outcome.sent == [first.pk]
    delivered = arrivals((None, m.message()) for m in mail.outbox)
    assert delivered == Counter({first.pk: 2, second.pk: 1, third.pk: 1})
    assert set(Email.objects.filter(review=review).values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize(
    "subject",
    [
        "DHR-TEST-2027-001: a task is waiting for you",
        "Adolygiad DHR-TEST-2027-001: mae tasg yn aros amdanoch – Dŵr",  # non-ASCII: encoded
        "DHR-TEST-2027-001: " + "a subject long enough to be folded over two lines " * 3,
        "DHR-TEST-2027-001:  two spaces, and a\ttab",
    ],
)
def test_the_outbox_builds_the_same_mime_bytes_as_django(review, subject):
    email = waiting_rows(review, 1)[0]
    email.subject = subject
    ours = sending._message(email)
    ours.extra_headers["Date"] = "Tue, 01 Jun 2027 09:00:00 -0000"
    built = ours.message()
    stock = EmailMultiAlternatives(
        subject=ours.subject,
        body=ours.body,
        from_email=ours.from_email,
        to=ours.to,
        headers=ours.extra_headers,
        alternatives=ours.alternatives,
    ).message()
    stock.set_boundary(built.get_boundary())

    assert built.as_bytes(linesep="\r\n") == stock.as_bytes(linesep="\r\n")
