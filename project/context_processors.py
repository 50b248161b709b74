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
    return navigation_of(manages=flags["manages"], regional=flags["regional"])


def navigation_of(*, manages: bool, regional: bool) -> dict:
    """The menu's pages for someone who does or does not manage a partnership (a coordinator or
    CSP chair, not for an agency) and has or has not regional or national access. Pages that
    already know both (``workflows.task_selectors.Person``) call this, not the query."""
    return {"dashboard": manages, "statistics": manages or regional}
