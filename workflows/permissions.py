"""Who may do what to a review: small predicates used by the lifecycle, views and selectors.

Coordinators and CSP chairs hold their roles per partnership. The independent chair is appointed
per review, and everyone else takes part in a review as a ``Participant`` (per review and, for
agency roles, per agency). A coordinator records every step on behalf of the partnership, so may
make every transition.
"""

from workflows.models.people import Membership, Role


def roles_in(user, partnership_id: int) -> set[str]:
    """The roles ``user`` holds in a partnership, cached on the user object for one request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cache = user.__dict__.setdefault("_review_roles", {})
    if partnership_id not in cache:
        cache[partnership_id] = set(
            Membership.objects.filter(user=user, partnership_id=partnership_id).values_list(
                "role", flat=True
            )
        )
    return cache[partnership_id]


def is_coordinator(review, user) -> bool:
    return Role.COORDINATOR in roles_in(user, review.partnership_id)


def is_csp_chair(review, user) -> bool:
    return Role.CSP_CHAIR in roles_in(user, review.partnership_id)


def is_independent_chair(review, user) -> bool:
    return user.is_authenticated and review.independent_chair_id == user.pk


def participant_roles(review, user) -> set[str]:
    """The roles ``user`` holds on ``review`` now (ended participations do not count)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(review.participants.active().filter(user=user).values_list("role", flat=True))


def participant_agency_ids(review, user) -> set[int]:
    """The agencies ``user`` takes part in ``review`` for (their own agency's documents)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    active = review.participants.active().filter(user=user, agency__isnull=False)
    return set(active.values_list("agency_id", flat=True))


def can_manage_people(review, user) -> bool:
    """Invite people to a review and end their part in it: the coordinator."""
    return is_coordinator(review, user)


def can_run(review, user) -> bool:
    """Run the process: the coordinator keeps the timetable and records each step."""
    return is_coordinator(review, user)


def can_decide(review, user) -> bool:
    """Decide whether to hold a review and sign off its report: the CSP chair or coordinator."""
    return is_coordinator(review, user) or is_csp_chair(review, user)


def can_lead(review, user) -> bool:
    """Lead the panel's work (terms of reference, drafting): the independent chair, coordinator."""
    return is_coordinator(review, user) or is_independent_chair(review, user)


def is_report_author(review, user) -> bool:
    return "report_author" in participant_roles(review, user)


def can_draft(review, user) -> bool:
    """Write the overview report, executive summary and action plan: the report author where
    the review has one, the independent chair or the coordinator."""
    return can_lead(review, user) or is_report_author(review, user)


def can_see_real_names(review, user) -> bool:
    """Real names: only the partnership's coordinators and CSP chair, and the review's chair."""
    return can_decide(review, user) or is_independent_chair(review, user)
