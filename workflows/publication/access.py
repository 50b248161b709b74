"""Who may do what with a review's publication: small predicates over workflows.permissions."""

from workflows import permissions


def can_view_publication(review, user) -> bool:
    """See the publication page and the gate: the people who may see real names (the gate's
    reasons never contain them, but the embargoed condolence statement is on the page)."""
    return permissions.can_see_real_names(review, user)


def can_prepare_publication(review, user) -> bool:
    """Record the proceedings, the family's date and the texts, and archive the page later."""
    return permissions.can_run(review, user)


def can_manage_restricted_names(review, user) -> bool:
    """See and change the family's real names: the coordinator and the review's chair."""
    return permissions.can_lead(review, user)
