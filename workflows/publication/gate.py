"""The publication gate: every check a review must pass before it is published, with reasons.

Each check is a read of the review's facts; only the name check writes, to its cache
(``NameCheckResult``). The lifecycle's ``publish`` transition uses these checks as its guard
conditions (``workflows.lifecycle``), and the publication page shows them all at once.
"""

from dataclasses import dataclass, field

from workflows.models import Document, DocumentKind, DocumentVersion, Publication
from workflows.models.publication import CriminalProceedings
from workflows.publication.name_check import labels_in, version_name_check
from workflows.publication.names import pseudonyms, restricted_names
from workflows.stages import QaOutcome

# What is published, in order; the action plan only when the review has one.
PUBLISHED_KINDS = (
    DocumentKind.OVERVIEW_REPORT,
    DocumentKind.EXECUTIVE_SUMMARY,
    DocumentKind.ACTION_PLAN,
)
REQUIRED_KINDS = (DocumentKind.OVERVIEW_REPORT, DocumentKind.EXECUTIVE_SUMMARY)


@dataclass(frozen=True)
class Check:
    """One check of the gate: passed, or the reasons it failed (each a sentence)."""

    title: str
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.reasons


def publication_of(review) -> Publication:
    """The review's publication facts; an unsaved, empty one when none were recorded (a read)."""
    # A query, not ``review.publication``: that accessor caches, and the gate must be current.
    return Publication.objects.filter(review=review).first() or Publication(review=review)


def documents_to_publish(review) -> list[DocumentVersion]:
    """The latest version of the overview report, the executive summary and the action plan
    (where there is one), in the order they are published."""
    documents = Document.objects.filter(
        review=review, kind__in=PUBLISHED_KINDS, agency__isnull=True
    ).prefetch_related("versions")
    by_kind = {document.kind: document for document in documents}
    latest = []
    for kind in PUBLISHED_KINDS:
        document = by_kind.get(kind)
        versions = sorted(document.versions.all(), key=lambda v: -v.number) if document else []
        if versions:
            latest.append(versions[0])
    return latest


def approval_check(review) -> Check:
    approved = review.qa_outcome in (QaOutcome.APPROVED, QaOutcome.APPROVED_SUBJECT_TO_CHANGES)
    reasons = [] if approved else ["The Home Office's approval of the report is not recorded."]
    return Check("Home Office approval", reasons)


def development_areas_check(review) -> Check:
    open_areas = review.development_areas.filter(done_on__isnull=True).count()
    if not open_areas:
        return Check("Areas for final development")
    noun = "area for final development is" if open_areas == 1 else "areas for final development are"
    return Check("Areas for final development", [f"{open_areas} {noun} not done yet."])


def proceedings_check(review) -> Check:
    publication = publication_of(review)
    proceedings = publication.criminal_proceedings
    reasons = []
    if not proceedings:
        reasons.append("Whether there were criminal proceedings is not recorded.")
    elif proceedings == CriminalProceedings.ONGOING and not (
        publication.proceedings_override_reason.strip()
    ):
        reasons.append(
            "Criminal proceedings have not concluded, and no reason to publish before they "
            "conclude is recorded."
        )
    elif proceedings == CriminalProceedings.CONCLUDED and not publication.proceedings_concluded_on:
        reasons.append("The date criminal proceedings concluded is not recorded.")
    return Check("Criminal proceedings", reasons)


def family_check(review) -> Check:
    publication = publication_of(review)
    reasons = []
    if not publication.planned_on:
        reasons.append("The planned publication date is not recorded.")
    if not publication.family_told_on:
        reasons.append("The date the family was told of the publication date is not recorded.")
    return Check("The family told of the publication date", reasons)


def documents_check(review) -> Check:
    present = {version.document.kind for version in documents_to_publish(review)}
    reasons = [
        f"The {DocumentKind(kind).label.lower()} to publish has not been uploaded."
        for kind in REQUIRED_KINDS
        if kind not in present
    ]
    return Check("Documents to publish", reasons)


def name_check(review) -> Check:
    """Every document to publish, the condolence statement and the partnership's response,
    checked for every restricted name. One reason per hit, per unreadable document."""
    names, allowed = restricted_names(review), pseudonyms(review)
    reasons = []
    for version in documents_to_publish(review):
        result = version_name_check(version, names, allowed)
        where = f"{version.document.get_kind_display()} (version {version.number})"
        if result.error:
            reasons.append(f"{where} {result.error}.")
        for hit in result.hits:
            place = f"page {hit['page']}" if hit.get("page") else hit.get("part") or "text"
            reasons.append(f"{where}, {place}: {hit['label']}")
    publication = publication_of(review)
    texts = [
        ("The condolence statement", publication.condolence_statement),
        ("The partnership's response", publication.partnership_response),
    ]
    for title, text in texts:
        reasons += [f"{title}: {label}" for label in labels_in(text, names, allowed)]
    return Check("Name check", reasons)


CHECKS = (
    approval_check,
    development_areas_check,
    proceedings_check,
    family_check,
    documents_check,
    name_check,
)


def publication_checks(review) -> list[Check]:
    """Every check of the gate, passed or not, in the order the publication page lists them."""
    return [check(review) for check in CHECKS]


def publication_refusals(review) -> list[str]:
    """Why ``review`` cannot be published now, in plain English; empty when it can."""
    return [reason for check in publication_checks(review) for reason in check.reasons]
