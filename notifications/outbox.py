"""The outbox: the one way the rest of the service sends email.

``email_queue(event, **facts)`` writes one ``Email`` row per message in the caller's transaction
and, once that transaction commits, asks a Celery worker to send them, up to ``CHUNK_SIZE`` to a
task. If the transaction rolls back, the rows go with it and nothing is sent. If the broker is
down at commit, the rows wait and the stuck-email sweep sends them.
"""

import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from notifications import events
from notifications.models import Email, EmailPreference, EmailStatus
from project.bulk_insert import rows_insert

logger = logging.getLogger(__name__)

# Emails sent by one task over one connection to the provider. A task costs tens of
# milliseconds and a connection a few; a hundred spreads both thin, yet a backlog still shares out
# between the worker's processes, and a worker killed mid-chunk leaves only these rows for the
# sweep (see docs/adr/0007-the-email-outbox.md, "Chunks").
CHUNK_SIZE = 100

BUILDERS = {
    "review_notified": events.review_notified,
    "review_step": events.review_step,
    "task_created": events.task_created,
    "task_chased": events.task_chased,
    "deadline_step": events.deadline_step,
    "delivery_failed": events.delivery_failed,
    "invitation": events.invitation,
    "password_reset": events.password_reset,
}


def email_queue(event: str, **facts) -> list[Email]:
    """Write the emails ``event`` causes; they are sent after the current transaction commits.

    ``event`` names what happened (see ``BUILDERS``); ``facts`` are the objects it happened to.
    Returns the new rows.
    """
    review = facts.get("review") or _review_of(facts)
    messages = BUILDERS[event](**facts)
    return emails_write([(review, messages)])[0]


def emails_write(events: list[tuple], *, bodies_by_sender: bool = False) -> list[list[Email]]:
    """Write the emails of many events in one statement; each event is ``(review, messages)``.
    Returns each event's new rows, in order; they are sent after the current transaction commits.

    ``bodies_by_sender``: leave the bodies for the sender to render (the subject is written now,
    for the review's email list and the daily digest). Rendering is most of what writing an email
    costs, so the reminder sweep, which may write thousands at once, passes the work to the
    workers that send them (docs/adr/0007-the-email-outbox.md, "Bodies written by the sender").
    """
    digest_users = _digest_users([message for _review, messages in events for message in messages])
    rows = []
    for review, messages in events:
        # An event's messages differ only in whom they greet, and no subject greets anyone
        # (tests/notifications/test_email_templates.py): each kind's subject is rendered once.
        subjects = {}
        for message in messages:
            if message.kind not in subjects:
                subjects[message.kind] = email_subject(message.kind, message.context)
            held = _person_id(message) in digest_users
            rows.append(_row(message, review, held, bodies_by_sender, subjects[message.kind]))
    emails = rows_insert(Email, rows)
    ready = [email.pk for email in emails if email.status == EmailStatus.READY]
    if ready:
        transaction.on_commit(lambda: emails_dispatch(ready))
    written, start = [], 0
    for _review, messages in events:
        written.append(emails[start : start + len(messages)])
        start += len(messages)
    return written


def _review_of(facts: dict):
    for name in ("deadline", "participant", "email"):
        if facts.get(name) is not None:
            return facts[name].review
    return None


def _person_id(message) -> int | None:
    return message.recipient.pk if message.recipient is not None else None


def _digest_users(messages) -> set[int]:
    """Of the people these reminders go to, those who take reminders in a daily digest."""
    ids = {_person_id(m) for m in messages if m.digestible and m.recipient is not None}
    if not ids:
        return set()
    chosen = EmailPreference.objects.filter(user_id__in=ids, daily_digest=True)
    return set(chosen.values_list("user_id", flat=True))


def _row(message, review, held: bool, bodies_by_sender: bool, subject: str) -> Email:
    text, html = ("", "") if bodies_by_sender else email_bodies(message.kind, message.context)
    return Email(
        review=review,
        recipient=message.recipient,
        to_address=message.to_address,
        kind=message.kind,
        subject=subject,
        text_body=text,
        html_body=html,
        context=message.context if bodies_by_sender else None,
        status=EmailStatus.HELD if held and message.digestible else EmailStatus.READY,
    )


def email_render(kind: str, context: dict) -> tuple[str, str, str]:
    """The subject, plain text and HTML of an email from ``templates/emails/<kind>*``."""
    return (email_subject(kind, context), *email_bodies(kind, context))


def email_subject(kind: str, context: dict) -> str:
    subject = render_to_string(f"emails/{kind}_subject.txt", context)
    return " ".join(subject.split())[:300]


def email_bodies(kind: str, context: dict) -> tuple[str, str]:
    """The plain text and HTML bodies of an email."""
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    return _tidy(text), html


def _tidy(text: str) -> str:
    """Template tags leave runs of blank lines: keep at most one between paragraphs."""
    lines, blank = [], False
    for line in text.strip().splitlines():
        line = line.rstrip()
        if not line and blank:
            continue
        blank = not line
        lines.append(line)
    return "\n".join(lines) + "\n"


def emails_dispatch(email_ids: list[int]) -> None:
    """Ask the worker to send the emails, ``CHUNK_SIZE`` to a task; a broker that is down leaves
    them for the sweep."""
    from notifications.tasks import send_emails

    if not email_ids:
        return
    # Marked before the tasks go: the sweep leaves rows with a task on the way alone, so a
    # backlog is not queued twice, and a worker may take a chunk the moment it is queued.
    Email.objects.filter(pk__in=email_ids).update(queued_at=timezone.now())
    for start in range(0, len(email_ids), CHUNK_SIZE):
        try:
            send_emails.delay(list(email_ids[start : start + CHUNK_SIZE]))
        except Exception:  # the broker is unreachable: the stuck-email sweep sends them later
            left = email_ids[start:]
            logger.warning("%s emails wait in the outbox; the broker did not take them", len(left))
            Email.objects.filter(pk__in=left).update(queued_at=None)
            return
