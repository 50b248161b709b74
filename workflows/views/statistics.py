"""Statistics pages: a partnership's figures, and the aggregates a regional or national lead sees.

Each page checks who may see it (``workflows.monitoring.statistics``), works out the figures with
a fixed number of queries and draws them as server-side SVG charts, each followed by its table.
"""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from workflows import selectors
from workflows.models import Partnership, Region
from workflows.monitoring import statistics

FORBIDDEN = "statistics/forbidden.html"
# The area pages' tables of medians for each partnership: (which medians, the caption).
MEDIAN_TABLES = [
    (":2", "Median days to the decision and to completion, for each partnership"),
    ("2:", "Median days to the Home Office's outcome and to publication, for each partnership"),
]


def statistics_index(request):
    """What this person may see: their partnerships, their regions, the nation."""
    user = request.user
    context = {
        "partnerships": list(selectors.partnerships_managed_by(user)),
        "regions": list(statistics.regions_visible_to(user)),
        "national": statistics.has_national_access(user),
    }
    if not any(context.values()):
        return render(request, FORBIDDEN, status=403)
    return render(request, "statistics/index.html", context)


def partnership_statistics(request, slug: str):
    """One partnership's figures: in full for its coordinators and CSP chairs, with small
    numbers hidden for regional and national leads."""
    partnership = get_object_or_404(Partnership, slug=slug)
    if not statistics.may_see_partnership(request.user, partnership):
        return render(request, FORBIDDEN, status=403)
    scope = Partnership.objects.filter(pk=partnership.pk)
    suppress = not statistics.sees_in_full(request.user, partnership)
    context = _figures_context(request, scope, suppress=suppress)
    return render(request, "statistics/partnership.html", {"partnership": partnership, **context})


def region_statistics(request, slug: str):
    """A region's aggregates, with a row for each of its partnerships: regional leads."""
    region = get_object_or_404(Region, slug=slug)
    if not statistics.may_see_region(request.user, region):
        return render(request, FORBIDDEN, status=403)
    context = _figures_context(request, region.partnerships.all(), suppress=True, rows=True)
    return render(request, "statistics/area.html", {"area": region.name, **context})


def national_statistics(request):
    """Every partnership's aggregates: national leads."""
    if not statistics.has_national_access(request.user):
        return render(request, FORBIDDEN, status=403)
    context = _figures_context(request, Partnership.objects.all(), suppress=True, rows=True)
    return render(request, "statistics/area.html", {"area": "England and Wales", **context})


def _figures_context(request, scope, *, suppress: bool, rows: bool = False) -> dict:
    years = statistics.notification_years(scope)
    year = _chosen_year(request, years)
    figures = statistics.statistics_for(
        scope,
        today=timezone.localdate(),
        year=year,
        suppress=suppress,
        rows_for=list(scope) if rows else None,
    )
    charts = statistics.charts_for(figures)
    context = {"figures": figures, "charts": charts, "years": years, "year": year}
    return {**context, "median_tables": MEDIAN_TABLES} if rows else context


def _chosen_year(request, years: list[int]) -> int | None:
    """The year of notification asked for in ``?year=``, if it is one with reviews."""
    asked = request.GET.get("year", "")
    return int(asked) if asked.isdecimal() and int(asked) in years else None
