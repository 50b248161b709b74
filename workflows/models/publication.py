"""Home Office quality assurance, the publication gate and the public page of published reviews.

A review's real names stay inside the service: ``RestrictedName`` adds the family's names to the
victim's and perpetrator's, and the name check refuses publication while any of them is found in
a document to publish. Public URLs carry random tokens, never a database id or a reference.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.models.documents import DocumentVersion
from workflows.models.people import Partnership
from workflows.models.reviews import Review
from workflows.stages import QaOutcome


def public_token() -> str:
    """An unguessable token for a public or emailed link (128 bits)."""
    return secrets.token_urlsafe(16)


class RestrictedName(models.Model):
    """A real name that must never appear in a published document: a family member's, a
    friend's, or anyone else the family or the panel named. The victim's and perpetrator's real
    names are on the review itself and are always checked too."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="restricted_names")
    name = models.CharField(max_length=200)
    relationship = models.CharField(
        max_length=100, help_text='How they are related to the person who died, e.g. "Mother".'
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["relationship", "pk"]

    def __str__(self) -> str:
        # Never the name: this string can reach logs and admin history.
        return f"{self.review}: restricted name ({self.relationship})"


def pack_upload_to(instance: "QaSubmission", filename: str) -> str:
    return f"reviews/{instance.review_id}/qa/{uuid.uuid4().hex}.zip"


class QaSubmission(models.Model):
    """One submission of a review to the Home Office Quality Assurance Panel, with its pack."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="qa_submissions")
    number = models.PositiveSmallIntegerField()
    submitted_on = models.DateField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    pack = models.FileField(upload_to=pack_upload_to, max_length=255)
    pack_sha256 = models.CharField("SHA-256 of the pack", max_length=64)
    pack_size = models.PositiveBigIntegerField()
    # What went in: [{"kind", "title", "version", "sha256", "size", "uploaded_at", "name"}].
    contents = models.JSONField(default=list)
    # The Home Office contact's link to download the pack (no attachment is ever emailed).
    token = models.CharField(max_length=40, unique=True, default=public_token)
    outcome = models.CharField(max_length=30, choices=QaOutcome.choices, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    feedback_letter = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    feedback_summary = models.TextField(blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="one_qa_submission_number")
        ]

    def __str__(self) -> str:
        return f"{self.review}: submission {self.number}"


class DevelopmentArea(models.Model):
    """An "area for final development" from an "approved subject to changes" letter: each must
    be ticked off before the review can be published."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="development_areas")
    submission = models.ForeignKey(
        QaSubmission, on_delete=models.CASCADE, related_name="development_areas"
    )
    text = models.TextField()
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "pk"]

    def __str__(self) -> str:
        return f"{self.review}: area for final development {self.pk}"


class CriminalProceedings(models.TextChoices):
    NONE = "none", "There were no criminal proceedings"
    ONGOING = "ongoing", "Criminal proceedings are still going on"
    CONCLUDED = "concluded", "Criminal proceedings have concluded"


class Publication(models.Model):
    """What the publication gate checks and what the public page shows for one review."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="publication")
    criminal_proceedings = models.CharField(
        max_length=20, choices=CriminalProceedings.choices, blank=True
    )
    proceedings_concluded_on = models.DateField(null=True, blank=True)
    proceedings_override_reason = models.TextField(
        blank=True, help_text="Why the review may be published before proceedings conclude."
    )
    proceedings_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    planned_on = models.DateField("planned publication date", null=True, blank=True)
    family_told_on = models.DateField(null=True, blank=True)
    condolence_statement = models.TextField(blank=True)
    partnership_response = models.TextField(
        blank=True, help_text="What has changed as a result of the review."
    )
    published_on = models.DateField(null=True, blank=True)
    # The page must stay up until this date; a coordinator may archive it after.
    keep_until = models.DateField(null=True, blank=True)
    archived_on = models.DateField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commissioner_copy_sent_at = models.DateTimeField(null=True, blank=True)
    secretary_of_state_copy_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.review}: publication"

    @property
    def is_public(self) -> bool:
        return self.published_on is not None and self.archived_on is None


class PublishedDocument(models.Model):
    """A document version made public on publication, reached by a random token only."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="documents")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    token = models.CharField(max_length=40, unique=True, default=public_token)

    class Meta:
        ordering = ["publication", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.publication.review}: published {self.title}"


class NameCheckResult(models.Model):
    """The name check of one document version against one set of restricted names, kept so the
    gate does not extract a report's text again on every page view."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the normalised names checked: a new name means a new check.
    names_digest = models.CharField(max_length=64)
    # [{"label": "the victim's real name", "page": 3}]: labels, never the names themselves.
    hits = models.JSONField(default=list)
    pages = models.PositiveIntegerField(default=0)
    # Set when the text could not be read: the gate refuses rather than pass a blind check.
    error = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "names_digest"], name="one_name_check")
        ]

    def __str__(self) -> str:
        return f"{self.version}: name check ({len(self.hits)} found)"


class PageFeedback(models.Model):
    """An answer to "Was this page helpful?" on a partnership's public page."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="page_feedback"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    # A keyed hash of the sender's address, for rate limiting only: no address is stored.
    sender_digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "page feedback"

    def __str__(self) -> str:
        return f"{self.partnership}: {'helpful' if self.helpful else 'not helpful'} at {self.at}"
