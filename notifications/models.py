"""The outbox, the reminder ladder and people's email preferences.

Every email is an ``Email`` row written in the same transaction as the event that caused it, so
an email exists exactly when its event does; a Celery task sends it after commit. A reminder or
escalation is a ``ReminderStep`` row, unique on (deadline, step, due date): a step cannot fire
twice, and a moved due date gets steps of its own.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

DEFAULT_REMINDER_DAYS = [14, 7, 1]
DEFAULT_ESCALATE_AFTER_DAYS = 0
DEFAULT_CHAIR_ESCALATE_AFTER_DAYS = 7


class EmailStatus(models.TextChoices):
    READY = "ready", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    HELD = "held", "Held for the daily digest"
    IN_DIGEST = "in_digest", "Sent in a daily digest"


class DeliveryStatus(models.TextChoices):
    UNKNOWN = "", "Not reported"
    QUEUED = "queued", "Queued by the provider"
    DELIVERED = "delivered", "Delivered"
    DEFERRED = "deferred", "Delayed"
    BOUNCED = "bounced", "Bounced"
    REJECTED = "rejected", "Rejected"
    COMPLAINED = "complained", "Marked as spam"
    FAILED = "failed", "Not delivered"


# Delivery statuses that mean the person never got the email.
UNDELIVERED = {
    DeliveryStatus.BOUNCED,
    DeliveryStatus.REJECTED,
    DeliveryStatus.COMPLAINED,
    DeliveryStatus.FAILED,
}


class Email(models.Model):
    """One email to one address: what it says, and how far sending and delivery have got.

    What it says is rendered from plain strings (reference, pseudonym, dates, links), never from
    a review's restricted facts. The subject is rendered when the event happens. So are the
    bodies, except for emails written in bulk (the reminder sweep's): those keep the strings in
    ``context`` and the sender renders the bodies, records them here and clears ``context``
    (docs/adr/0007-the-email-outbox.md, "Bodies written by the sender").
    """

    review = models.ForeignKey(
        "workflows.Review", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails_received",
    )
    to_address = models.EmailField()
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    # What the bodies say, while they are still to be rendered; empty once they are.
    context = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    status = models.CharField(max_length=12, choices=EmailStatus.choices, default=EmailStatus.READY)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not sent before this moment: set when a failed attempt is retried after a back-off.
    send_after = models.DateTimeField(default=timezone.now)
    # When a send task was last handed to the broker; empty if the broker never took one.
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="digested"
    )

    delivery_status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, blank=True, default=DeliveryStatus.UNKNOWN
    )
    delivery_detail = models.CharField(max_length=300, blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["review", "-created_at"], name="email_review_recent"),
            # The stuck-email sweep reads only rows that are not finished.
            models.Index(
                fields=["status", "send_after"],
                condition=models.Q(status__in=["ready", "sending"]),
                name="email_unfinished",
            ),
            models.Index(
                fields=["provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="email_provider_message",
            ),
            models.Index(
                fields=["recipient", "status"],
                condition=models.Q(status="held"),
                name="email_held_for_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"

    def bodies(self) -> tuple[str, str]:
        """The plain text and HTML bodies, rendered now if the sender has not yet written them."""
        if self.context is None:
            return self.text_body, self.html_body
        from notifications.outbox import email_bodies

        return email_bodies(self.kind, self.context)

    @property
    def undelivered(self) -> bool:
        return self.delivery_status in UNDELIVERED


class StepKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"


class ReminderStep(models.Model):
    """One rung of a deadline's reminder ladder that has fired (or was passed over).

    Unique on (deadline, step, due date): two sweeps at once, or a sweep run again, cannot send a
    step twice. A step passed over because a later one was already due is kept as ``skipped``.
    """

    deadline = models.ForeignKey(
        "workflows.Deadline", on_delete=models.CASCADE, related_name="reminder_steps"
    )
    step = models.CharField(max_length=30)
    kind = models.CharField(max_length=12, choices=StepKind.choices)
    due_on = models.DateField()
    fires_on = models.DateField()
    fired_at = models.DateTimeField(default=timezone.now)
    skipped = models.BooleanField(default=False)
    emails = models.ManyToManyField(Email, blank=True, related_name="reminder_steps")

    class Meta:
        ordering = ["fires_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "step", "due_on"], name="reminder_step_fires_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deadline}: {self.step} for {self.due_on}"


def validate_reminder_days(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Enter at least one number of days")
    if any(not isinstance(day, int) or day < 1 or day > 90 for day in value):
        raise ValidationError("Each reminder must be between 1 and 90 days before the date")


class ReminderLadder(models.Model):
    """A partnership's own reminder and escalation days; without one, the defaults apply
    (reminders 14, 7 and 1 days before; escalation on the day, and to the CSP chair 7 days after).
    """

    partnership = models.OneToOneField(
        "workflows.Partnership", on_delete=models.CASCADE, related_name="reminder_ladder"
    )
    reminder_days = models.JSONField(
        default=list, validators=[validate_reminder_days], help_text="Days before the due date."
    )
    escalate_after_days = models.PositiveSmallIntegerField(default=DEFAULT_ESCALATE_AFTER_DAYS)
    chair_escalate_after_days = models.PositiveSmallIntegerField(
        default=DEFAULT_CHAIR_ESCALATE_AFTER_DAYS
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(chair_escalate_after_days__gt=models.F("escalate_after_days")),
                name="chair_escalation_after_first",
            )
        ]

    def __str__(self) -> str:
        return f"Reminders for {self.partnership}"


class EmailPreference(models.Model):
    """How a person wants reminders: one by one as they fall due, or in one email a day."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference"
    )
    daily_digest = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.user}: {'daily digest' if self.daily_digest else 'each reminder'}"


class CalendarFeedKind(models.TextChoices):
    MY_DEADLINES = "my_deadlines", "My deadlines"
    PARTNERSHIP = "partnership", "A partnership's deadlines"


class CalendarFeedQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A calendar of deadlines that Outlook fetches from a secret address.

    Only the SHA-256 hash of the address's token is kept: the address itself is shown once, when
    the feed is made. Revoking a feed keeps the row (who had one, and until when).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    kind = models.CharField(max_length=20, choices=CalendarFeedKind.choices)
    partnership = models.ForeignKey(
        "workflows.Partnership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=CalendarFeedKind.PARTNERSHIP, partnership__isnull=False)
                    | models.Q(kind=CalendarFeedKind.MY_DEADLINES, partnership__isnull=True)
                ),
                name="calendar_feed_partnership_for_its_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.owner}"

    @property
    def name(self) -> str:
        """What the calendar is called in Outlook and on the feeds page."""
        if self.kind == CalendarFeedKind.PARTNERSHIP:
            return f"{self.partnership.name}: review deadlines"
        return "My review deadlines"
