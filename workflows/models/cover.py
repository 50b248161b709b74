"""Who acts for whom while someone is away, and the audit of who held each task."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.models.people import Partnership
from workflows.models.reviews import Review


class CoverQuerySet(models.QuerySet):
    def active(self, on: date | None = None) -> "CoverQuerySet":
        """Covers in effect on ``on`` (today by default): started, not past their end, not ended
        early."""
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on, ended_at__isnull=True)


class Cover(models.Model):
    """``delegate`` acts for ``person`` in this partnership's reviews between the dates."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covered_by"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering"
    )
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="covers")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Ending a cover early keeps the row (and its dates) as the record of who acted for whom.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CoverQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="cover_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("delegate")),
                name="cover_is_by_someone_else",
            ),
        ]
        indexes = [models.Index(fields=["delegate", "partnership"], name="cover_delegate")]

    def __str__(self) -> str:
        return f"{self.delegate} for {self.person} ({self.starts_on} to {self.ends_on})"

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.ended_at is None and self.starts_on <= today <= self.ends_on


class TaskAction(models.TextChoices):
    REASSIGNED = "reassigned", "Reassigned"
    CLAIMED = "claimed", "Claimed"
    RELEASED = "released", "Released"
    COMPLETED_ON_BEHALF = "completed_on_behalf", "Completed on someone's behalf"


class TaskEvent(models.Model):
    """An append-only record of who a flow task passed from and to, by whom, and why."""

    task_id = models.BigIntegerField(help_text="The viewflow task's id.")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="task_events")
    action = models.CharField(max_length=30, choices=TaskAction.choices)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["task_id"], name="task_event_task")]

    def __str__(self) -> str:
        return f"task {self.task_id} {self.action} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        # Like the review's history, this is evidence: written once, never changed.
        if self.pk is not None:
            raise ValueError("Task events cannot be changed.")
        super().save(*args, **kwargs)
