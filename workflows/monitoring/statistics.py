"""Statistics of reviews for a partnership, a region or the nation: who may see them, the figures
and the charts.

Every figure is worked out over a set of partnerships with a fixed number of queries, however
many reviews they hold: counts and medians are aggregated in the database (PostgreSQL's
``percentile_cont``); on SQLite, which has no median, medians are taken in Python over one
``values_list`` of dates.

Small numbers. A regional or national lead sees only aggregates and the library titles of
published reviews (which are public). In a small area a count of 1 can identify a death (one
review paused for an inquest in a small partnership is one family), so on those views a count of
1 or 2 is not shown. Where a hidden count could then be worked out by subtracting the counts
shown from a total on the page, the next smallest counts of that group are hidden too, until the
hidden counts add up to 3 or more; every hidden count reads "not shown", so the reader cannot
tell which were small. A median is shown only when it rests on 3 or more reviews; a percentage,
or the days paused, is hidden with the count it comes from. Published reviews are public, so
their number is never hidden. The partnership's own coordinators and CSP chair see every figure.
"""

from __future__ import annotations

import html
import statistics as stats
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, IntegerField, Q, QuerySet
from django.utils.safestring import mark_safe

from workflows import permissions
from workflows.library import library_entries
from workflows.models import (
    Deadline,
    Partnership,
    Pause,
    Region,
    RegionalAccess,
    Review,
    Role,
)
from workflows.rules import COMPLETION, DECISION
from workflows.stages import PauseReason, Stage

SMALL_NUMBER = 3
HIDDEN = "not shown"
# Roles that see their partnership's statistics in full.
STATISTICS_ROLES = (Role.COORDINATOR, Role.CSP_CHAIR)


# Who may see what.


def regional_access(user) -> list[RegionalAccess]:
    """The regions ``user`` may look across (``region_id`` None: national), cached per request."""
    if not getattr(user, "is_authenticated", False):
        return []
    if "_regional_access" not in user.__dict__:
        user.__dict__["_regional_access"] = list(RegionalAccess.objects.filter(user=user))
    return user.__dict__["_regional_access"]


def has_national_access(user) -> bool:
    return any(access.region_id is None for access in regional_access(user))


def regions_visible_to(user) -> QuerySet[Region]:
    """The regions whose statistics ``user`` may see: every region for a national lead."""
    if has_national_access(user):
        return Region.objects.all()
    return Region.objects.filter(pk__in=[access.region_id for access in regional_access(user)])


def sees_in_full(user, partnership: Partnership) -> bool:
    """A coordinator or CSP chair of the partnership: figures without small-number suppression."""
    return bool(permissions.roles_in(user, partnership.pk) & set(STATISTICS_ROLES))


def may_see_partnership(user, partnership: Partnership) -> bool:
    """The partnership's coordinators and CSP chairs, and leads of a region that includes it."""
    if sees_in_full(user, partnership) or has_national_access(user):
        return True
    regions = [access.region_id for access in regional_access(user)]
    return bool(regions) and partnership.regions.filter(pk__in=regions).exists()


def may_see_region(user, region: Region) -> bool:
    return any(access.region_id in (None, region.pk) for access in regional_access(user))


# Counts, shown or hidden.


@dataclass(frozen=True)
class Figure:
    """A count as a page shows it: the number, or "not shown" when it is suppressed."""

    value: int
    hidden: bool = False

    def __str__(self) -> str:
        return HIDDEN if self.hidden else f"{self.value:,}"

    @property
    def shown(self) -> int | None:
        return None if self.hidden else self.value


def figure(value: int, *, suppress: bool) -> Figure:
    """One count on its own (no total on the page to subtract it from)."""
    return Figure(value, hidden=suppress and 0 < value < SMALL_NUMBER)


def figures_of_group(values: dict, *, suppress: bool) -> dict:
    """Counts that add up to a total shown on the page, with small-number suppression: small
    counts hidden, then the next smallest until the hidden ones cannot be worked out."""
    if not suppress:
        return {key: Figure(value) for key, value in values.items()}
    hidden = {key for key, value in values.items() if 0 < value < SMALL_NUMBER}
    shown = sorted((key for key in values if values[key] >= SMALL_NUMBER), key=values.get)
    while hidden and shown and (len(hidden) == 1 or _sum(values, hidden) < SMALL_NUMBER):
        hidden.add(shown.pop(0))
    return {key: Figure(value, hidden=key in hidden) for key, value in values.items()}


def _sum(values: dict, keys) -> int:
    return sum(values[key] for key in keys)


def percent(part: Figure, whole: Figure) -> str:
    if part.hidden or whole.hidden or not whole.value:
        return HIDDEN if part.hidden or whole.hidden else "-"
    return f"{round(100 * part.value / whole.value)}%"


# The figures.

# (label, from, to, what the guidance expects): the decision within one month of notification,
# completion (local sign-off) within six months of the decision; the Home Office's QA and
# publication have no set period.
INTERVALS = (
    ("Notification to decision", "notified_on", "decided_on", f"Within {DECISION.period}"),
    ("Decision to completion", "commissioned_on", "signed_off_on", f"Within {COMPLETION.period}"),
    ("Completion to QA outcome", "signed_off_on", "qa_outcome_on", "No set period"),
    ("QA outcome to publication", "qa_outcome_on", "published_on", "No set period"),
)
DATE_FIELDS = ("partnership_id", *dict.fromkeys(f for _l, *pair, _e in INTERVALS for f in pair))
DEADLINE_OUTCOMES = (
    ("met", "Met on time"),
    ("met_late", "Met late"),
    ("overdue", "Overdue"),
    ("paused", "Clock stopped (paused)"),
)


@dataclass
class Interval:
    label: str
    median: float | None  # days; None when there is no sample or it is not shown
    sample: Figure
    expected: str

    @property
    def median_days(self) -> str:
        """The median as a number of days ("not shown", or "none yet" without a sample)."""
        if self.median is None:
            return HIDDEN if self.sample.hidden else "none yet"
        return f"{self.median:,.1f}".removesuffix(".0")

    @property
    def median_text(self) -> str:
        if self.median is None:
            return HIDDEN if self.sample.hidden else "No reviews yet"
        return f"{self.median_days} days"


@dataclass
class Outcome:
    label: str
    count: Figure
    share: str
    key: str


@dataclass
class PauseRow:
    label: str
    pauses: Figure
    still_paused: Figure
    days: str


@dataclass
class DelayRow:
    title: str
    overdue: Figure
    met_late: Figure


@dataclass
class PartnershipRow:
    partnership: Partnership
    reviews: Figure
    published: int
    intervals: list[Interval]


@dataclass
class Figures:
    suppressed: bool
    year: int | None
    reviews: Figure
    stages: list[tuple[str, Figure]]
    intervals: list[Interval]
    deadlines: Figure
    outcomes: list[Outcome]
    pauses: list[PauseRow]
    delays: list[DelayRow]
    library: list[str]
    partnerships: list[PartnershipRow] = field(default_factory=list)

    @property
    def met_on_time(self) -> str:
        return self.outcomes[0].share

    @property
    def library_items(self) -> str:
        """The library titles as the items of a list, escaped here in one go: a region has
        thousands, and a template loop over them took longer than the rest of the page."""
        # ``html.escape`` is what Django's ``escape`` runs, without its lazy-string wrapper.
        return mark_safe("".join(f"<li>{html.escape(title)}</li>" for title in self.library))


def reviews_in(partnerships: QuerySet[Partnership], year: int | None) -> QuerySet[Review]:
    reviews = Review.objects.filter(partnership__in=partnerships)
    return reviews.filter(notified_on__year=year) if year else reviews


def notification_years(partnerships: QuerySet[Partnership]) -> list[int]:
    """The years in which these partnerships were notified of a death, latest first."""
    days = Review.objects.filter(partnership__in=partnerships).dates("notified_on", "year")
    return sorted({day.year for day in days}, reverse=True)


def statistics_for(
    partnerships: QuerySet[Partnership],
    *,
    today: date,
    year: int | None = None,
    suppress: bool = False,
    rows_for: list[Partnership] | None = None,
) -> Figures:
    """The figures of the reviews of ``partnerships`` (notified in ``year``, if given), summed;
    with ``rows_for``, a row of counts and medians for each of those partnerships too."""
    reviews = reviews_in(partnerships, year)
    stage_counts = _stage_counts(reviews)
    dates = _interval_samples(reviews, by_partnership=bool(rows_for))
    deadlines = _deadline_counts(reviews, today)
    total = sum(stage_counts.values())
    reviews_figure = figure(total, suppress=suppress)
    by_stage = figures_of_group(
        {stage: _stage_total(stage_counts, stage) for stage in Stage}, suppress=suppress
    )
    return Figures(
        suppressed=suppress,
        year=year,
        reviews=reviews_figure,
        stages=[(stage.label, by_stage[stage]) for stage in Stage],
        intervals=_intervals(dates.whole if isinstance(dates, _Samples) else dates, suppress),
        **_deadline_figures(deadlines, suppress),
        pauses=_pause_rows(reviews, today, suppress),
        library=_library(partnerships, year),
        partnerships=_partnership_rows(rows_for or [], stage_counts, dates, suppress),
    )


def _stage_counts(reviews: QuerySet[Review]) -> dict[tuple[int, str], int]:
    rows = reviews.values("partnership_id", "stage").annotate(count=Count("pk")).order_by()
    return {(row["partnership_id"], row["stage"]): row["count"] for row in rows}


def _stage_total(stage_counts: dict, stage: str) -> int:
    return sum(count for (_p, s), count in stage_counts.items() if s == stage)


class Median(Aggregate):
    """PostgreSQL's continuous median: the middle value, or the mean of the middle two (as
    Python's ``statistics.median``)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class _Samples:
    """The medians and sample sizes of the intervals, worked out by the database: one row for
    the whole set, and one per partnership when asked. Read as ``_intervals`` reads them."""

    def __init__(self, reviews: QuerySet[Review], by_partnership: bool):
        figures = {}
        for index, (_label, start, end, _expected) in enumerate(INTERVALS):
            # Date minus date is a whole number of days in PostgreSQL.
            days = Func(F(end), F(start), template="(%(expressions)s)", arg_joiner=" - ",
                        output_field=IntegerField())  # fmt: skip
            # A resubmitted report's new sign-off comes after its last QA outcome: not an interval.
            valid = Q(
                **{f"{start}__isnull": False, f"{end}__isnull": False, f"{end}__gte": F(start)}
            )
            figures[f"median_{index}"] = Median(days, filter=valid)
            figures[f"sample_{index}"] = Count("pk", filter=valid)
        figures["published"] = Count("pk", filter=Q(published_on__isnull=False))
        self.whole = reviews.order_by().aggregate(**figures)
        self.partnerships = {}
        if by_partnership:
            rows = reviews.order_by().values("partnership_id").annotate(**figures)
            self.partnerships = {row["partnership_id"]: row for row in rows}

    def of(self, partnership_id: int) -> dict:
        return self.partnerships.get(partnership_id, {})


def _interval_samples(reviews: QuerySet[Review], *, by_partnership: bool):
    if connection.vendor == "postgresql":
        return _Samples(reviews, by_partnership)
    return list(reviews.values_list(*DATE_FIELDS, named=True))


def _intervals(dates, suppress: bool) -> list[Interval]:
    """The median days of each interval; ``dates`` is the database's figures (a dict of
    ``_Samples``) or, on SQLite, the reviews' dates."""
    intervals = []
    for index, (label, start, end, expected) in enumerate(INTERVALS):
        if isinstance(dates, dict):
            count, median = dates.get(f"sample_{index}") or 0, dates.get(f"median_{index}")
        else:
            days = [days for row in dates if (days := _days_between(row, start, end)) is not None]
            count, median = len(days), stats.median(days) if days else None
        sample = figure(count, suppress=suppress)
        intervals.append(
            Interval(label, median if count and not sample.hidden else None, sample, expected)
        )
    return intervals


def _days_between(row, start: str, end: str) -> int | None:
    began, ended = getattr(row, start), getattr(row, end)
    # A resubmitted report's new sign-off comes after its last QA outcome: not an interval.
    if began is None or ended is None or ended < began:
        return None
    return (ended - began).days


def _deadline_counts(reviews: QuerySet[Review], today: date) -> list[dict]:
    """Per rule title: deadlines met on time, met late, overdue and paused.

    Only the deadlines that have fallen due (or whose clock is stopped) are read, and they are
    counted by title alone: the figures are summed over the partnerships, and grouping by
    partnership too sent Python 4,000 rows for a region rather than 40 (the slowest part of the
    regional view)."""
    met = Q(met_on__isnull=False)
    fallen_due = met | Q(due_on__isnull=True) | Q(due_on__lt=today)
    return list(
        Deadline.objects.filter(fallen_due, review__in=reviews)
        .values("title")
        .annotate(
            met=Count("pk", filter=met & (Q(due_on__isnull=True) | Q(met_on__lte=F("due_on")))),
            met_late=Count("pk", filter=met & Q(met_on__gt=F("due_on"))),
            overdue=Count("pk", filter=Q(met_on__isnull=True, due_on__lt=today)),
            paused=Count("pk", filter=Q(met_on__isnull=True, due_on__isnull=True)),
        )
        .order_by()
    )


def _deadline_figures(deadlines: list[dict], suppress: bool) -> dict:
    totals = {key: sum(row[key] for row in deadlines) for key, _label in DEADLINE_OUTCOMES}
    whole = figure(sum(totals.values()), suppress=suppress)
    counts = figures_of_group(totals, suppress=suppress)
    outcomes = [
        Outcome(label, counts[key], percent(counts[key], whole), key)
        for key, label in DEADLINE_OUTCOMES
    ]
    return {"deadlines": whole, "outcomes": outcomes, "delays": _delay_rows(deadlines, suppress)}


def _delay_rows(deadlines: list[dict], suppress: bool) -> list[DelayRow]:
    """Deadlines overdue now or met late, by the rule that set them, most overdue first."""
    overdue, late = Counter(), Counter()
    for row in deadlines:
        overdue[row["title"]] += row["overdue"]
        late[row["title"]] += row["met_late"]
    titles = sorted((t for t in overdue if overdue[t] or late[t]), key=lambda t: (-overdue[t], t))
    overdue_figures = figures_of_group({t: overdue[t] for t in titles}, suppress=suppress)
    late_figures = figures_of_group({t: late[t] for t in titles}, suppress=suppress)
    return [DelayRow(t, overdue_figures[t], late_figures[t]) for t in titles]


def _pause_rows(reviews: QuerySet[Review], today: date, suppress: bool) -> list[PauseRow]:
    """Each reason for pausing: how many pauses, how many still running, and the days paused
    (to today for a pause still running)."""
    pauses = Pause.objects.filter(review__in=reviews).values_list(
        "reason", "paused_on", "resumed_on"
    )
    count, running, days = Counter(), Counter(), Counter()
    for reason, paused_on, resumed_on in pauses:
        count[reason] += 1
        running[reason] += resumed_on is None
        days[reason] += ((resumed_on or today) - paused_on).days
    reasons = [reason for reason in PauseReason if count[reason]]
    counts = figures_of_group({r: count[r] for r in reasons}, suppress=suppress)
    still = figures_of_group({r: running[r] for r in reasons}, suppress=suppress)
    return [
        PauseRow(r.label, counts[r], still[r], HIDDEN if counts[r].hidden else f"{days[r]:,}")
        for r in reasons
    ]


def _library(partnerships: QuerySet[Partnership], year: int | None) -> list[str]:
    """The library titles of the published reviews: public, so shown on every view."""
    entries = library_entries(partnerships.values("pk"))
    published = [
        entry
        for entry in entries
        if entry.published_on and (year is None or entry.notified_on.year == year)
    ]
    return sorted(entry.title for entry in published)


def _partnership_rows(partnerships, stage_counts, dates, suppress) -> list[PartnershipRow]:
    reviews = defaultdict(int)
    for (partnership_id, _stage), count in stage_counts.items():
        reviews[partnership_id] += count
    counts = figures_of_group({p.pk: reviews[p.pk] for p in partnerships}, suppress=suppress)
    if isinstance(dates, _Samples):
        figures_of = {p.pk: dates.of(p.pk) for p in partnerships}
    else:
        dates_of = defaultdict(list)
        for row in dates:
            dates_of[row.partnership_id].append(row)
    rows = []
    for partnership in partnerships:
        if isinstance(dates, _Samples):
            own = figures_of[partnership.pk]
            published = own.get("published", 0)
        else:
            own = dates_of[partnership.pk]
            published = sum(1 for row in own if row.published_on)
        intervals = _intervals(own, suppress)
        rows.append(PartnershipRow(partnership, counts[partnership.pk], published, intervals))
    return rows


# Charts: plain numbers in the SVG's own units, so the template only draws.

CHART_WIDTH = 600
LABEL_RIGHT = 240  # labels end here, right-aligned
BAR_LEFT = 250
BAR_SPACE = 225  # the longest bar; the value is written after it
ROW_HEIGHT = 36
BAR_HEIGHT = 24
CHART_PADDING = 8


@dataclass
class Bar:
    label: str
    text: str  # the value as written beside the bar
    width: float
    y: int
    fill: str  # a colour, or a pattern's id

    @property
    def text_x(self) -> float:
        return BAR_LEFT + self.width + 8

    @property
    def middle(self) -> int:
        return self.y + BAR_HEIGHT // 2


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    width: int = CHART_WIDTH
    label_right: int = LABEL_RIGHT
    bar_left: int = BAR_LEFT
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return 2 * CHART_PADDING + ROW_HEIGHT * len(self.bars)

    @property
    def axis_bottom(self) -> int:
        return self.height - CHART_PADDING


def bar_chart(chart_id, title, description, rows, fills=None) -> BarChart:
    """A horizontal bar chart of ``rows`` (label, value or None when hidden, text written beside
    the bar); ``fills`` gives each bar its colour or pattern (default: GOV.UK blue)."""
    largest = max((value for _label, value, _text in rows if value), default=0)
    bars = []
    for index, (label, value, text) in enumerate(rows):
        width = BAR_SPACE * value / largest if value and largest else 0
        fill = fills[index] if fills else "#1d70b8"
        bars.append(Bar(label, text, round(width, 1), CHART_PADDING + index * ROW_HEIGHT, fill))
    return BarChart(chart_id, title, description, bars)


def charts_for(figures: Figures) -> dict[str, BarChart]:
    """The charts of a statistics page: stages, medians and deadline outcomes."""
    return {
        "stages": bar_chart(
            "chart-stages",
            "Reviews by stage",
            "Horizontal bar chart of the number of reviews at each stage. "
            "The same figures are in the table that follows.",
            [(label, count.shown, str(count)) for label, count in figures.stages],
        ),
        "medians": bar_chart(
            "chart-medians",
            "Median days between milestones",
            "Horizontal bar chart of the median number of calendar days between milestones. "
            "The same figures, with how many reviews each rests on, are in the table that follows.",
            [(i.label, i.median, i.median_text) for i in figures.intervals],
            fills=["#4c2c92"] * len(figures.intervals),
        ),
        "deadlines": bar_chart(
            "chart-deadlines",
            "Deadlines met, met late, overdue and paused",
            "Horizontal bar chart of the deadlines that have fallen due, by outcome. "
            "The same figures, with their shares, are in the table that follows.",
            [(o.label, o.count.shown, _outcome_text(o)) for o in figures.outcomes],
            fills=[f"url(#chart-deadlines-{o.key})" for o in figures.outcomes],
        ),
    }


def _outcome_text(outcome: Outcome) -> str:
    if outcome.count.hidden or outcome.share in ("-", HIDDEN):
        return str(outcome.count)
    return f"{outcome.count} ({outcome.share})"
