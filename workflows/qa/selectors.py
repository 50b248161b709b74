"""Reads about a review's Home Office submissions that the guards, pages and pack share."""

from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from workflows.models import DocumentKind, DocumentVersion, ReviewHistory
from workflows.models.publication import DevelopmentArea, QaSubmission

# The five documents of a submission pack, in the order the Home Office reads them.
PACK_KINDS = (
    DocumentKind.OVERVIEW_REPORT,
    DocumentKind.EXECUTIVE_SUMMARY,
    DocumentKind.ACTION_PLAN,
    DocumentKind.TERMS_OF_REFERENCE,
    DocumentKind.COMBINED_CHRONOLOGY,
)
# Without these three there is no report to assure; the other two go in when there are any.
REQUIRED_KINDS = PACK_KINDS[:3]


def _sign_off_moment(review):
    """When local sign-off was last recorded, as an expression for use inside one query.

    ``signed_off_on`` may be back-dated, so the history row's timestamp is the moment that
    counts. A review signed off before history was kept has no row: every upload counts then.
    """
    latest = ReviewHistory.objects.filter(review=review, action="sign_off").order_by("-at", "-pk")
    now = Value(timezone.now(), output_field=DateTimeField())
    return Coalesce(Subquery(latest.values("at")[:1]), now)


def signed_off_versions(review) -> QuerySet[DocumentVersion]:
    """Every version of the pack's documents uploaded before local sign-off was recorded."""
    return DocumentVersion.objects.filter(
        document__review=review,
        document__kind__in=PACK_KINDS,
        uploaded_at__lte=_sign_off_moment(review),
    )


def has_signed_off_documents(review) -> bool:
    """Whether the overview report, executive summary and action plan each have a version
    uploaded before sign-off (one query)."""
    kinds = signed_off_versions(review).filter(document__kind__in=REQUIRED_KINDS)
    return kinds.values("document__kind").distinct().count() == len(REQUIRED_KINDS)


def latest_signed_off_versions(review) -> dict[str, DocumentVersion]:
    """For each kind of the pack, its latest version uploaded before sign-off (absent kinds
    are left out)."""
    latest = {}
    versions = signed_off_versions(review).select_related("document").order_by("-uploaded_at")
    for version in versions:
        latest.setdefault(version.document.kind, version)
    return latest


def latest_submission(review) -> QaSubmission | None:
    return QaSubmission.objects.filter(review=review).order_by("-number").first()


def feedback_letters(review) -> QuerySet[DocumentVersion]:
    """The Home Office's letters uploaded since the latest submission (none if there is none)."""
    submitted_at = QaSubmission.objects.filter(review=review).order_by("-number")
    return DocumentVersion.objects.filter(
        document__review=review,
        document__kind=DocumentKind.QA_LETTER,
        uploaded_at__gt=Subquery(submitted_at.values("submitted_at")[:1]),
    )


def has_feedback_letter(review) -> bool:
    """Whether the Home Office's letter was uploaded after the latest submission (one query)."""
    return feedback_letters(review).exists()


def development_areas(review) -> QuerySet[DevelopmentArea]:
    return DevelopmentArea.objects.filter(review=review).select_related("submission", "done_by")


def development_areas_outstanding(review) -> QuerySet[DevelopmentArea]:
    """Areas for final development not yet ticked off: publication waits for none of these."""
    return DevelopmentArea.objects.filter(review=review, done_on__isnull=True)


def pack_link_expires_at(submission: QaSubmission):
    """When the Home Office's link to this submission's pack stops working."""
    return submission.submitted_at + timedelta(days=settings.QA_PACK_LINK_DAYS)
