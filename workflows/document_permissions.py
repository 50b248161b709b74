"""Who may see, upload and share a review's documents: small predicates next to the review's.

Agencies see their own work and the terms of reference, never another agency's reports, until
the chair shares the combined chronology: each agency's account stays its own until then, so
that no agency shapes its report on another's.
"""

from django.db.models import Q

from workflows.models import Agency, DocumentKind, Participant, ParticipantRole
from workflows.models.documents import AGENCY_KINDS
from workflows.models.participants import AGENCY_ROLES
from workflows.permissions import is_coordinator, is_csp_chair, is_independent_chair


def agency_ids(review, user, roles=AGENCY_ROLES) -> set[int]:
    """The agencies ``user`` takes part in ``review`` for, now, in one of ``roles``.

    Per-review participation, not a partnership role, like ``selectors.reviews_visible_to``:
    an agency's author sees nothing of a review until added to it, and nothing once removed.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Participant.objects.active()
        .filter(review=review, user=user, role__in=roles, agency__isnull=False)
        .values_list("agency_id", flat=True)
    )


def sees_all_documents(review, user) -> bool:
    return (
        is_coordinator(review, user)
        or is_csp_chair(review, user)
        or is_independent_chair(review, user)
    )


def visible_documents_q(review, user) -> Q | None:
    """A filter on documents for what ``user`` may see on ``review``; None means nothing."""
    if sees_all_documents(review, user):
        return Q()
    agencies = agency_ids(review, user)
    if not agencies:
        return None
    return (
        Q(agency_id__in=agencies)
        | Q(kind=DocumentKind.TERMS_OF_REFERENCE)
        | Q(shared_with_agencies=True)
    )


def can_see_document(document, user) -> bool:
    review = document.review
    if sees_all_documents(review, user):
        return True
    agencies = agency_ids(review, user)
    return bool(agencies) and (
        document.agency_id in agencies
        or document.kind == DocumentKind.TERMS_OF_REFERENCE
        or document.shared_with_agencies
    )


def leads_documents(review, user) -> bool:
    """The coordinator and the review's independent chair may upload every kind and share."""
    return is_coordinator(review, user) or is_independent_chair(review, user)


def uploadable_kinds(review, user) -> list[str]:
    if leads_documents(review, user):
        return list(DocumentKind.values)
    if upload_agencies(review, user):
        return list(AGENCY_KINDS)
    return []


def upload_agencies(review, user):
    """The agencies in the review's scope for which ``user`` may upload agency documents."""
    in_scope = Agency.objects.filter(pk__in=review.review_agencies.values("agency_id"))
    if leads_documents(review, user):
        return in_scope
    return in_scope.filter(pk__in=agency_ids(review, user, roles=[ParticipantRole.AGENCY_AUTHOR]))


def can_upload(review, user, kind: str, agency=None) -> bool:
    if kind not in uploadable_kinds(review, user):
        return False
    if kind in AGENCY_KINDS:
        return agency is not None and upload_agencies(review, user).filter(pk=agency.pk).exists()
    return agency is None


def can_share(document, user) -> bool:
    return document.kind == DocumentKind.COMBINED_CHRONOLOGY and leads_documents(
        document.review, user
    )


def can_read_access_log(review, user) -> bool:
    return is_coordinator(review, user)
