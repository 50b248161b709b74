"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject

SERVICE_NAME = "Manage domestic homicide reviews"


def service(request) -> dict:
    """Give templates the service name (used in the header, titles and emails), and which
    navigation items this person has: worked out on first use, in one query."""
    return {
        "service_name": SERVICE_NAME,
        "navigation": SimpleLazyObject(lambda: _navigation(request.user)),
    }


def _navigation(user) -> dict:
    from django.db.models import Exists, OuterRef

    from workflows.models import Membership, RegionalAccess, User
    from workflows.selectors import PARTNERSHIP_WIDE_ROLES

    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return {"dashboard": False, "statistics": False}
    managing = Membership.objects.filter(
        user=OuterRef("pk"), role__in=PARTNERSHIP_WIDE_ROLES, agency__isnull=True
    )
    regional = RegionalAccess.objects.filter(user=OuterRef("pk"))
    flags = (
        User.objects.filter(pk=user.pk)
        .annotate(manages=Exists(managing), regional=Exists(regional))
        .values("manages", "regional")
        .first()
    ) or {"manages": False, "regional": False}
    return {"dashboard": flags["manages"], "statistics": flags["manages"] or flags["regional"]}
