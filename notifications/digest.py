"""The daily digest: one email a day, instead of single reminders, for those who chose it."""

from django.db import transaction
from django.db.models import Q

from notifications.models import Email, EmailStatus
from notifications.outbox import email_render, emails_dispatch


def digests_send() -> list[Email]:
    """One digest per person with held reminders; each held row then points at its digest."""
    people = (
        Email.objects.filter(status=EmailStatus.HELD)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    digests = []
    for user_id in sorted(set(people), key=lambda pk: pk or 0):
        digest = _digest_for(user_id)
        if digest is not None:
            digests.append(digest)
    return digests


def _digest_for(user_id: int | None) -> Email | None:
    with transaction.atomic():
        held = list(
            Email.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(Q(recipient_id=user_id), status=EmailStatus.HELD)
            .select_related("review", "recipient")
            .order_by("created_at", "pk")
        )
        if not held:
            return None
        person = held[0].recipient
        context = {
            "recipient_name": (person.full_name or person.email) if person else "",
            "items": [_item(email) for email in held],
            "tasks_link": _link("tasks:list"),
            "preferences_link": _link("email_preferences"),
        }
        subject, text, html = email_render("daily_digest", context)
        digest = Email.objects.create(
            recipient=person,
            to_address=held[0].to_address,
            kind="daily_digest",
            subject=subject,
            text_body=text,
            html_body=html,
        )
        Email.objects.filter(pk__in=[email.pk for email in held]).update(
            status=EmailStatus.IN_DIGEST, digest=digest
        )
        transaction.on_commit(lambda: emails_dispatch([digest.pk]))
    return digest


def _item(email: Email) -> dict:
    """One line of the digest: the held email's subject already names reference and date."""
    return {
        "subject": email.subject,
        "review_name": email.review.display_name if email.review else "",
    }


def _link(name: str) -> str:
    from django.urls import reverse

    from notifications.events import absolute

    return absolute(reverse(name))
