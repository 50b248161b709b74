"""A review's documents: each upload is a new version; every view and download is logged."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.models.people import Agency
from workflows.models.reviews import Review


class DocumentKind(models.TextChoices):
    TERMS_OF_REFERENCE = "terms_of_reference", "Terms of reference"
    CHRONOLOGY = "chronology", "Chronology"
    COMBINED_CHRONOLOGY = "combined_chronology", "Combined chronology"
    AGENCY_REPORT = "agency_report", "Agency report (IMR)"
    OVERVIEW_REPORT = "overview_report", "Overview report"
    EXECUTIVE_SUMMARY = "executive_summary", "Executive summary"
    ACTION_PLAN = "action_plan", "Action plan"
    QA_LETTER = "qa_letter", "Home Office quality assurance letter"
    OTHER = "other", "Other document"


# Kinds written by one agency about its own contact; every other kind has no agency.
AGENCY_KINDS = (DocumentKind.CHRONOLOGY, DocumentKind.AGENCY_REPORT)
# Kinds a review may hold several of, told apart by their titles.
REPEATABLE_KINDS = (DocumentKind.OTHER,)

EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "text/csv": ".csv",
}


class Document(models.Model):
    """One document of a review (for example the police IMR); its content lives in versions."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT)
    title = models.CharField(max_length=200)
    shared_with_agencies = models.BooleanField(
        default=False, help_text="The chair has shared the combined chronology with the agencies."
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "agency__name", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=AGENCY_KINDS, agency__isnull=False)
                    | (~models.Q(kind__in=AGENCY_KINDS) & models.Q(agency__isnull=True))
                ),
                name="document_agency_matches_kind",
            ),
            # Two constraints because NULL agencies never compare equal in a unique index.
            models.UniqueConstraint(
                fields=["review", "kind", "agency"],
                condition=models.Q(agency__isnull=False),
                name="one_agency_document_per_kind",
            ),
            models.UniqueConstraint(
                fields=["review", "kind"],
                condition=models.Q(agency__isnull=True) & ~models.Q(kind__in=REPEATABLE_KINDS),
                name="one_review_document_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review}: {self.title}"


def version_upload_to(instance: "DocumentVersion", filename: str) -> str:
    """A random path under the review's folder: the uploaded name may hold a real name."""
    extension = EXTENSIONS.get(instance.content_type, "")
    return f"reviews/{instance.document.review_id}/{uuid.uuid4().hex}{extension}"


class DocumentVersion(models.Model):
    """One upload of a document: who, when, and the checksum of exactly what was uploaded."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=version_upload_to, max_length=255)
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.document} version {self.number}"

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "")


class DocumentAccess(models.Model):
    """An append-only record that someone viewed or downloaded a version of a document."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        DOWNLOAD = "download", "Downloaded"

    # Review and document are copied from the version so the coordinator's log is one index scan.
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="accesses")
    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "document accesses"
        indexes = [
            models.Index(fields=["review", "-at"], name="document_access_review_at"),
            models.Index(fields=["document", "-at"], name="document_access_document_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.version} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        # The access log is evidence of who saw what: rows are written once and never changed.
        if self.pk is not None:
            raise ValueError("The document access log cannot be changed.")
        super().save(*args, **kwargs)
