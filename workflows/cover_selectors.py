"""Reads for reassignment and cover: who is in a partnership, which covers a person may see."""

from django.db.models import Q, QuerySet

from workflows.models import Cover, Partnership, Role, User


def partnership_people(partnership_ids) -> QuerySet[User]:
    """Everyone who works on the partnerships' reviews: members of the partnerships, the
    reviews' independent chairs and the people taking part in them now."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__partnership_id__in=partnership_ids)
            | Q(reviews_chaired__partnership_id__in=partnership_ids)
            | Q(
                participations__review__partnership_id__in=partnership_ids,
                participations__ended_on__isnull=True,
            )
        )
        .distinct()
        .order_by("full_name", "email")
    )


def partnerships_of(user) -> QuerySet[Partnership]:
    """The partnerships ``user`` works in, by membership, chairing or taking part."""
    return (
        Partnership.objects.filter(
            Q(memberships__user=user)
            | Q(reviews__independent_chair=user)
            | Q(reviews__participants__user=user, reviews__participants__ended_on__isnull=True)
        )
        .distinct()
        .order_by("name")
    )


def coordinated_partnerships(user) -> QuerySet[Partnership]:
    return Partnership.objects.filter(
        memberships__user=user, memberships__role=Role.COORDINATOR
    ).distinct()


def covers_visible_to(user) -> QuerySet[Cover]:
    """Every cover in the partnerships ``user`` coordinates, and the covers ``user`` is part of."""
    return (
        Cover.objects.filter(
            Q(partnership__in=coordinated_partnerships(user)) | Q(person=user) | Q(delegate=user)
        )
        .select_related("person", "delegate", "partnership")
        .distinct()
        .order_by("-starts_on", "-pk")
    )
