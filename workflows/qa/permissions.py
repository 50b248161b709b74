"""Who may do what with a review's Home Office submissions."""

from workflows.document_permissions import sees_all_documents
from workflows.permissions import can_lead, is_coordinator


def can_download_pack(review, user) -> bool:
    """The pack holds the overview report: whoever sees all the review's documents."""
    return sees_all_documents(review, user)


def can_tick(review, user) -> bool:
    """Tick off an area for final development: the coordinator or the independent chair."""
    return can_lead(review, user)


def can_reopen(review, user) -> bool:
    return is_coordinator(review, user)
