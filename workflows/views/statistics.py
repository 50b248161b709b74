"""Statistics pages: a partnership's figures, and the aggregates a regional or national lead sees.

Each page checks who may see it (``workflows.monitoring.statistics``), works out the figures with
a fixed number of queries and draws them as server-side SVG charts, each followed by its table.

Working out a region's figures reads a decade of its reviews and deadlines (about 150 ms on the
bench data, where the minimal page takes 6). They describe months and years, so they are kept
for ``STATISTICS_CACHE_SECONDS`` (ten minutes) and shared by everyone who sees the area the same
way; each page says when its figures were worked out. Who may see a page is checked on every
request, before anything is read from the cache.
"""

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
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
    context = _figures_context(
        request, scope, area=f"partnership-{partnership.pk}", suppress=suppress
    )
    return render(request, "statistics/partnership.html", {"partnership": partnership, **context})


def region_statistics(request, slug: str):
    """A region's aggregates, with a row for each of its partnerships: regional leads."""
    region = get_object_or_404(Region, slug=slug)
    if not statistics.may_see_region(request.user, region):
        return render(request, FORBIDDEN, status=403)
    context = _figures_context(
        request, region.partnerships.all(), area=f"region-{region.pk}", suppress=True, rows=True
    )
    return render(request, "statistics/area.html", {"area": region.name, **context})


def national_statistics(request):
    """Every partnership's aggregates: national leads."""
    if not statistics.has_national_access(request.user):
        return render(request, FORBIDDEN, status=403)
    context = _figures_context(
        request, Partnership.objects.all(), area="national", suppress=True, rows=True
    )
    return render(request, "statistics/area.html", {"area": "England and Wales", **context})


def _figures_context(request, scope, *, area: str, suppress: bool, rows: bool = False) -> dict:
    """The year asked for and the figures part of the page (``body``), rendered at most
    ``STATISTICS_CACHE_SECONDS`` ago (the page says when)."""
    asked = request.GET.get("year", "")
    today = timezone.localdate()
    key = figures_cache_key(area, asked, today, suppress=suppress)
    kept = cache.get(key)
    if kept is None:
        kept = _figures_worked_out(scope, asked, today, suppress=suppress, rows=rows)
        cache.set(key, kept, settings.STATISTICS_CACHE_SECONDS)
    return kept


def figures_cache_key(area: str, asked_year: str, today, *, suppress: bool) -> str:
    """Where a page's figures are kept: one copy for everyone who sees the area the same way
    (with small numbers hidden or not), per year asked for and per day."""
    year = asked_year if asked_year.isdecimal() else ""
    return f"statistics:{area}:{year}:{today:%Y-%m-%d}:{'hidden' if suppress else 'full'}"


def _figures_worked_out(scope, asked: str, today, *, suppress: bool, rows: bool) -> dict:
    """Work the figures out and render the page's figures part. It is kept as HTML: nothing in it
    depends on who asks (beyond the way of seeing, which is in the key), and drawing a region's
    tables and charts took longer than everything else on the page."""
    years = statistics.notification_years(scope)
    year = int(asked) if asked.isdecimal() and int(asked) in years else None
    figures = statistics.statistics_for(
        scope, today=today, year=year, suppress=suppress, rows_for=list(scope) if rows else None
    )
    context = {
        "figures": figures,
        "charts": statistics.charts_for(figures),
        "years": years,
        "year": year,
        "worked_out_at": timezone.localtime(),
        "statistics_minutes": settings.STATISTICS_CACHE_SECONDS // 60,
        "median_tables": MEDIAN_TABLES,
    }
    body = "statistics/_area_body.html" if rows else "statistics/_partnership_body.html"
    # A template's output is already marked safe, and stays so in the cache.
    return {"year": year, "body": render_to_string(body, context)}
