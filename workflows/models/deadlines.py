"""Deadlines: one row per obligation, recomputed whenever a review's facts or pauses change."""

from datetime import date, timedelta

from django.db import models

from workflows.models.reviews import Review

DUE_SOON_DAYS = 7


class DeadlineStatus(models.TextChoices):
    MET = "met", "Met"
    MET_LATE = "met_late", "Met late"
    PAUSED = "paused", "Paused"
    OVERDUE = "overdue", "Overdue"
    DUE_SOON = "due_soon", "Due soon"
    ON_TRACK = "on_track", "On track"


class Deadline(models.Model):
    """When an obligation falls due, which rule set it, and why it falls on that date."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    period = models.CharField(max_length=40)
    statutory = models.BooleanField(default=True)
    source = models.TextField()
    starts_on = models.DateField()
    due_on = models.DateField(null=True, blank=True, help_text="Empty while the clock is stopped.")
    met_on = models.DateField(null=True, blank=True)
    explanation = models.TextField()
    # The next reminder or escalation date; the reminder sweep reads only open rows.
    next_action_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "rule"], name="one_deadline_per_rule")
        ]
        indexes = [
            models.Index(
                fields=["next_action_on"],
                condition=models.Q(met_on__isnull=True),
                name="open_deadline_next_action",
            )
        ]

    def __str__(self) -> str:
        return f"{self.review}: {self.title}"

    def status(self, today: date) -> str:
        if self.met_on:
            late = self.due_on is not None and self.met_on > self.due_on
            return DeadlineStatus.MET_LATE if late else DeadlineStatus.MET
        if self.due_on is None:
            return DeadlineStatus.PAUSED
        if self.due_on < today:
            return DeadlineStatus.OVERDUE
        if self.due_on <= today + timedelta(days=DUE_SOON_DAYS):
            return DeadlineStatus.DUE_SOON
        return DeadlineStatus.ON_TRACK
