"""Who may see which reviews: need-to-know enforced in one place."""

from django.db.models import QuerySet
from django.http import Http404

from workflows.models import Cover, Membership, Participant, Partnership, Review, Role
from workflows.services.lifecycle import blocking_reasons, may_take
from workflows.steps import STEPS

# Roles that see every review of their partnership.
PARTNERSHIP_WIDE_ROLES = [Role.COORDINATOR, Role.CSP_CHAIR]


def reviews_visible_to(user) -> QuerySet[Review]:
    """Every review ``user`` may see: all of their partnerships' reviews for coordinators and
    CSP chairs, the reviews they chair, and the reviews they take part in now. Holding a role
    for an agency shows nothing by itself: people see a review only once they are added to it."""
    if not getattr(user, "is_authenticated", False):
        return Review.objects.none()
    return Review.objects.filter(pk__in=review_ids_visible_to(user))


def review_ids_visible_to(user) -> QuerySet:
    """The ids of the reviews ``reviews_visible_to`` gives, as a subquery of their own. Where only
    ids are wanted, this spares PostgreSQL joining them back to every review in the service."""
    if not getattr(user, "is_authenticated", False):
        return Review.objects.none().values("pk")
    visible = _in_own_right(user)
    # While covering for someone, a delegate sees what that person sees in that partnership.
    for cover in Cover.objects.active().filter(delegate=user).select_related("person"):
        visible.append(
            Review.objects.filter(
                pk__in=_union(_in_own_right(cover.person)), partnership_id=cover.partnership_id
            )
            .order_by()
            .values("pk")
        )
    return _union(visible)


def review_ids_seen_in_own_right(user) -> QuerySet:
    """The ids of the reviews ``user`` sees in their own right, as a subquery:
    ``review_ids_visible_to`` for someone who covers for nobody today (it reads no covers)."""
    return _union(_in_own_right(user))


def _in_own_right(user) -> list[QuerySet]:
    """The ids of the reviews ``user`` sees in their own right, one query per reason.

    Kept as separate queries joined by UNION rather than one ``OR``: PostgreSQL answers an OR of
    ``IN (subquery)`` conditions by reading every review in the service, but each part of the
    union by an index, so the cost follows what the person sees, not the decade of history.
    Each part is unordered: SQLite allows no ORDER BY inside a UNION.
    """
    partnership_wide = Membership.objects.filter(user=user, role__in=PARTNERSHIP_WIDE_ROLES).values(
        "partnership_id"
    )
    return [
        Review.objects.filter(partnership_id__in=partnership_wide).order_by().values("pk"),
        Review.objects.filter(independent_chair=user).order_by().values("pk"),
        Participant.objects.active().filter(user=user).order_by().values("review_id"),
    ]


def _union(parts: list[QuerySet]) -> QuerySet:
    first, *rest = parts
    return first.union(*rest) if rest else first


def review_for(user, reference: str) -> Review:
    """The review with this reference if ``user`` may see it; 404 otherwise, so that a reference
    that exists and one that does not look the same to someone without access."""
    review = (
        reviews_visible_to(user)
        .select_related("partnership", "independent_chair")
        .filter(reference=reference)
        .first()
    )
    if review is None:
        raise Http404("No review found")
    return review


def partnerships_managed_by(user) -> QuerySet[Partnership]:
    """The partnerships ``user`` manages as coordinator or CSP chair: the dashboard's, the
    statistics' and the partnership calendar feeds' people."""
    return Partnership.objects.filter(
        memberships__user=user,
        memberships__role__in=PARTNERSHIP_WIDE_ROLES,
        memberships__agency__isnull=True,
    ).distinct()


def partnerships_coordinated_by(user):
    """The partnerships in which ``user`` may start a review."""
    return Partnership.objects.filter(
        memberships__user=user, memberships__role=Role.COORDINATOR
    ).distinct()


def steps_for(review: Review, user) -> list[tuple]:
    """The steps ``user`` could take on ``review`` at its stage, each with what blocks it now.

    A step is listed when one of its transitions leaves the review's stage and the user holds
    the role for it; a listed step with reasons is shown with those reasons instead of a button.
    """
    available = []
    for step in STEPS:
        names = [name for name in step.transitions if may_take(review, name, user)]
        if names:
            reasons = [blocking_reasons(review, name, user) for name in names]
            available.append((step, [] if any(not r for r in reasons) else reasons[0]))
    return available
