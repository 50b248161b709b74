"""The outbox: rows written with their event, sent once after commit, retried, swept."""

import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import Email, EmailStatus
from notifications.outbox import email_queue
from notifications.sending import (
    MAX_ATTEMPTS,
    SendFailed,
    email_send,
)
from notifications.tasks import send_stuck_emails
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start


class RefusingBackend(BaseEmailBackend):
    """An email provider that is down: every send raises."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("provider unreachable")


@pytest.fixture
def started(partnership, coordinator, csp_chair, police):
    """A review started through the service: it has its flow and first task."""
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 5, 1),
        notified_on=date(2027, 5, 3),
        referred_by="Testshire Police",
        victim_real_name="Invented Outboxperson",
        agencies=[police],
    )


def outbox_row(review, **fields) -> Email:
    values = {
        "review": review,
        "to_address": "someone@test.example",
        "kind": "task_assigned",
        "subject": f"{review.reference}: a task",
        "text_body": "Text",
        "html_body": "<p>HTML</p>",
    }
    return Email.objects.create(**{**values, **fields})


def test_an_event_writes_its_emails_and_sends_them_after_commit(
    started, coordinator, csp_chair, django_capture_on_commit_callbacks
):
    review = started
    before = set(Email.objects.filter(review=review).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        review_transition(
            review=review, action="start_scoping", by=coordinator, on=review.notified_on
        )
    emails = list(Email.objects.filter(review=review).exclude(pk__in=before))
    assert [email.kind for email in emails] == ["task_assigned"]
    email = emails[0]
    assert (email.to_address, email.status, email.attempts) == (csp_chair.email, "sent", 1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [csp_chair.email]
    assert email.provider_message_id == mail.outbox[0].extra_headers["Message-ID"]
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_a_step_that_rolls_back_leaves_no_email(started, coordinator, csp_chair):
    review = started
    before = Email.objects.filter(review=review).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        review_transition(
            review=review, action="start_scoping", by=coordinator, on=review.notified_on
        )
        assert Email.objects.filter(review=review).count() > before
        raise RuntimeError("the database failed after the step")
    assert Email.objects.filter(review=review).count() == before
    assert mail.outbox == []


def test_a_claimed_email_is_not_sent_twice(review):
    email = outbox_row(review)
    assert email_send(email.pk) is True
    assert email_send(email.pk) is False  # a redelivered task finds it sent
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)


def test_a_failed_send_is_retried_with_back_off_then_given_up(review, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    email = outbox_row(review)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        Email.objects.filter(pk=email.pk).update(send_after=timezone.now())
        with pytest.raises(SendFailed) as failure:
            email_send(email.pk)
        waits.append(failure.value.retry_in)
        email.refresh_from_db()
        assert email.attempts == attempt
        assert email.last_error == "ConnectionRefusedError"
    assert waits == [60, 300, 900, 3600, None]
    assert email.status == EmailStatus.FAILED
    assert email_send(email.pk) is False  # failed rows are not picked up again


def test_a_row_waiting_for_its_back_off_is_not_sent_early(review):
    email = outbox_row(review, send_after=timezone.now() + timedelta(minutes=5))
    assert email_send(email.pk) is False
    assert mail.outbox == []


def test_the_sweep_sends_rows_a_dead_worker_left_in_sending(review, settings):
    stuck = outbox_row(
        review,
        status=EmailStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - timedelta(seconds=settings.EMAIL_STUCK_AFTER_SECONDS + 5),
    )
    busy = outbox_row(review, status=EmailStatus.SENDING, attempts=1, claimed_at=timezone.now())
    lost = outbox_row(review, send_after=timezone.now() - timedelta(minutes=10))
    fresh = outbox_row(review)
    # Its task is on the way (queued a minute ago, behind a backlog): not queued a second time.
    on_its_way = outbox_row(
        review,
        send_after=timezone.now() - timedelta(minutes=10),
        queued_at=timezone.now() - timedelta(minutes=1),
    )
    assert send_stuck_emails() == 2  # the stuck row and the lost one; never busy or fresh
    expected = ((stuck, "sent"), (busy, "sending"), (lost, "sent"), (fresh, "ready"))
    for row, status in (*expected, (on_its_way, "ready")):
        row.refresh_from_db()
        assert row.status == status, row
    assert len(mail.outbox) == 2


def test_email_queue_holds_nothing_but_plain_strings(review, coordinator, csp_chair):
    emails = email_queue("review_notified", review=review)
    assert sorted(email.to_address for email in emails) == sorted(
        [coordinator.email, csp_chair.email]
    )
    for email in emails:
        assert review.victim_real_name not in email.text_body + email.html_body + email.subject


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_workers_sending_one_row_send_it_once(review):
    email = outbox_row(review)
    barrier = threading.Barrier(20)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(email_send(email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 19 + [True]
    assert len(mail.outbox) == 1


def bulk_written_row(review) -> Email:
    """A reminder written the way the sweep writes it: subject now, bodies left to the sender."""
    from notifications.events import Message
    from notifications.outbox import emails_write

    context = {"reference": review.reference, "pseudonym": "Ash", "recipient_name": "Sam Reader",
               "deadline_title": "Decide whether to hold a review", "due_on": "4 February 2027",
               "days": 7, "days_left": 7, "review_link": "https://dhr.example/r/"}  # fmt: skip
    message = Message("reminder", "someone@test.example", context)
    [[email]] = emails_write([(review, [message])], bodies_by_sender=True)
    return email


def test_the_sender_writes_the_bodies_of_an_email_written_in_bulk(review):
    email = bulk_written_row(review)
    assert review.reference in email.subject
    assert (email.text_body, email.html_body) == ("", "")
    assert email_send(email.pk) is True
    sent = mail.outbox[0]
    assert "Sam Reader" in sent.body and "4 February 2027" in sent.body
    assert "4 February 2027" in sent.alternatives[0][0]
    email.refresh_from_db()
    # The row keeps what was sent, and no longer the strings it was rendered from.
    assert (email.status, email.context) == (EmailStatus.SENT, None)
    assert (email.text_body, email.html_body) == (sent.body, sent.alternatives[0][0])
    assert email.bodies() == (email.text_body, email.html_body)


def test_a_failed_attempt_leaves_the_bodies_to_the_next(review, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    email = bulk_written_row(review)
    with pytest.raises(SendFailed):
        email_send(email.pk)
    email.refresh_from_db()
    assert (email.status, email.text_body) == (EmailStatus.READY, "")
    assert email.context["recipient_name"] == "Sam Reader"
    assert "Sam Reader" in email.bodies()[0]
