"""The review panel's comments on the terms of reference and on the draft report."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.models.reviews import Review
from workflows.stages import Stage


class PanelComment(models.Model):
    """What one panel member said about the terms of reference or a draft of the report."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="panel_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=30, choices=Stage.choices)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.review}: {self.author} on {self.get_stage_display()}"
