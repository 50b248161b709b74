"""The timeline chart of one review: planned against actual dates for each stage.

Worked out here as plain numbers (positions in the SVG's own units) so the template only draws;
the same rows feed the table that follows the chart for screen readers and keyboard users.
Only stages, dates and the review's reference appear: never a real name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from workflows.models import Deadline, Review
from workflows.monitoring.forecast import Forecast, Stay, stage_name, stage_stays
from workflows.stages import Stage
from workflows.templatetags.govuk import govuk_date

# Which stages each deadline rule governs: the row of each stage shows its deadline as "planned
# by". The decision ends notification and scoping. Terms of reference and agency reports have
# their own local targets. The six-month completion deadline (decision to local sign-off) is
# shown on the stages without a target of their own: set-up, drafting and local sign-off.
# Submission to the Home Office is what ends the local sign-off stage. Home Office quality
# assurance and publication have no deadline: the panel sets its own pace.
DEADLINE_STAGES: dict[str, tuple[str, ...]] = {
    "decision": (Stage.NOTIFIED, Stage.SCOPING),
    "national_panel_notification": (Stage.NOTIFIED,),
    "terms_of_reference": (Stage.TERMS_OF_REFERENCE,),
    "agency_reports": (Stage.AGENCY_REPORTS,),
    "completion": (Stage.SETUP, Stage.DRAFTING, Stage.LOCAL_SIGN_OFF),
    "home_office_submission": (Stage.LOCAL_SIGN_OFF,),
}

# Every row the chart can hold, in order. Off-path stages and the action plan appear only when the
# review has been there; the commissioned plan (notified to publication) always appears in full.
ROW_ORDER = [
    Stage.NOTIFIED,
    Stage.SCOPING,
    Stage.NOT_COMMISSIONED,
    Stage.HOME_OFFICE_CHALLENGE,
    Stage.SETUP,
    Stage.TERMS_OF_REFERENCE,
    Stage.AGENCY_REPORTS,
    Stage.DRAFTING,
    Stage.LOCAL_SIGN_OFF,
    Stage.HOME_OFFICE_QA,
    Stage.PUBLICATION,
    Stage.ACTION_PLAN,
]
OFF_PATH = (Stage.NOT_COMMISSIONED, Stage.HOME_OFFICE_CHALLENGE)
PLANNED_STAGES = [
    stage for stage in ROW_ORDER[: ROW_ORDER.index(Stage.PUBLICATION) + 1] if stage not in OFF_PATH
]

# Geometry, in SVG units: the chart scales to the width of its container.
WIDTH = 960
CHART_LEFT = 250
CHART_RIGHT = 945
TOP = 52
ROW_HEIGHT = 34
BAR_HEIGHT = 16
LEGEND_HEIGHT = 64


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    ongoing: bool


@dataclass(frozen=True)
class Marker:
    x: float
    on: date
    title: str


@dataclass
class TimelineRow:
    stage: str
    label: str
    status: str
    deadlines: list[Deadline]
    stays: list[Stay]
    started_on: date | None
    finished_on: date | None
    days: int | None
    paused_days: int
    y: float = 0
    bars: list[Bar] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    forecasts: list[Marker] = field(default_factory=list)

    @property
    def bar_y(self) -> float:
        return self.y + (ROW_HEIGHT - BAR_HEIGHT) / 2

    @property
    def middle_y(self) -> float:
        return self.y + ROW_HEIGHT / 2

    @property
    def diamond_top(self) -> float:
        return self.middle_y - 9

    @property
    def ongoing(self) -> bool:
        return bool(self.stays) and self.finished_on is None


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class PauseBand:
    x: float
    width: float
    paused_on: date
    resumed_on: date | None
    days: int


@dataclass
class Timeline:
    reference: str
    rows: list[TimelineRow]
    ticks: list[Tick]
    pauses: list[PauseBand]
    today: date
    today_x: float
    starts_on: date
    ends_on: date
    description: str
    width: int = WIDTH
    chart_left: int = CHART_LEFT
    chart_right: int = CHART_RIGHT
    top: int = TOP
    row_height: int = ROW_HEIGHT
    bar_height: int = BAR_HEIGHT

    @property
    def axis_top(self) -> int:
        """Where tick, pause and today lines start: just under the month labels."""
        return TOP - 24

    @property
    def today_label_y(self) -> int:
        return TOP - 8

    @property
    def today_label_on_left(self) -> bool:
        """Near the right-hand edge the "Today" label goes left of its line, to stay in view."""
        return self.today_x > CHART_RIGHT - 60

    @property
    def rows_bottom(self) -> float:
        return TOP + ROW_HEIGHT * len(self.rows)

    @property
    def axis_height(self) -> float:
        return self.rows_bottom - self.axis_top

    @property
    def height(self) -> float:
        return self.rows_bottom + LEGEND_HEIGHT

    @property
    def legend_y(self) -> float:
        return self.rows_bottom + 30

    def x_for(self, on: date) -> float:
        """Where ``on`` falls across the chart."""
        span = (self.ends_on - self.starts_on).days
        offset = (on - self.starts_on).days
        return round(CHART_LEFT + (CHART_RIGHT - CHART_LEFT) * offset / span, 1)


def review_timeline(review: Review, *, today: date, forecast: Forecast | None = None) -> Timeline:
    """The chart and table of one review's stages (three queries)."""
    history = review.history.order_by("at", "pk").only("from_stage", "to_stage", "effective_on")
    pauses = list(review.pauses.all())
    stays = stage_stays(history, pauses, today=today)
    deadlines = list(review.deadlines.all())
    rows = [_row(review, stage, stays, deadlines, today) for stage in _stages(review, stays)]
    starts_on, ends_on = _span(review, rows, pauses, today, forecast)
    timeline = Timeline(
        reference=review.reference,
        rows=rows,
        ticks=[],
        pauses=[],
        today=today,
        today_x=0,
        starts_on=starts_on,
        ends_on=ends_on,
        description=_description(review, rows, pauses, today),
    )
    _place(timeline, pauses, forecast, review)
    return timeline


def _stages(review: Review, stays: list[Stay]) -> list[str]:
    visited = {stay.stage for stay in stays}
    commissioned_path = review.working_stage not in OFF_PATH and not (
        review.working_stage == Stage.CLOSED and review.commissioned is False
    )
    return [
        stage
        for stage in ROW_ORDER
        if stage in visited or (commissioned_path and stage in PLANNED_STAGES)
    ]


def _row(review, stage: str, stays: list[Stay], deadlines, today: date) -> TimelineRow:
    own = [stay for stay in stays if stay.stage == stage]
    mine = [d for d in deadlines if stage in DEADLINE_STAGES.get(d.rule, ())]
    mine.sort(key=lambda d: (d.due_on is None, d.due_on))
    finished_on = own[-1].finished_on if own else None
    return TimelineRow(
        stage=stage,
        label=Stage(stage).label,
        status=_status(review, stage, own, stays, mine, today),
        deadlines=mine,
        stays=own,
        started_on=own[0].started_on if own else None,
        finished_on=finished_on,
        days=sum(stay.days(today) for stay in own) if own else None,
        paused_days=sum(stay.paused_days for stay in own),
    )


def _status(review, stage: str, own: list[Stay], stays, deadlines, today: date) -> str:
    if not own:
        reached = [ROW_ORDER.index(s.stage) for s in stays if s.stage in ROW_ORDER]
        passed = ROW_ORDER.index(stage) < max(reached, default=0)
        return "Not needed" if passed else "Not started"
    finished_on = own[-1].finished_on
    if finished_on is None:
        status = "Paused" if review.is_paused else "In progress"
        overdue = any(d.met_on is None and d.due_on and d.due_on < today for d in deadlines)
        return status + (", past its deadline" if overdue else "")
    return "Finished late" if any(_late(finished_on, d) for d in deadlines) else "Finished"


def _late(finished_on: date, deadline: Deadline) -> bool:
    """Whether the stage missed this deadline: by the day the stage ended or, for a deadline met
    inside the stage (local sign-off within its stage), by the day it was met."""
    if deadline.due_on is None:
        return False
    done_on = min(finished_on, deadline.met_on) if deadline.met_on else finished_on
    return done_on > deadline.due_on


def _span(review, rows, pauses, today: date, forecast) -> tuple[date, date]:
    """The chart runs from the month of notification to a month past the last date it shows."""
    dates = [today, review.notified_on]
    dates += [row.started_on for row in rows if row.started_on]
    dates += [d.due_on for row in rows for d in row.deadlines if d.due_on]
    dates += [pause.paused_on for pause in pauses]
    if forecast is not None:
        dates += [on for on in (forecast.completion_on, forecast.publication_on) if on]
    first, last = min(dates), max(dates)
    starts_on = first.replace(day=1)
    ends_on = _next_month(last + timedelta(days=10))
    return starts_on, max(ends_on, _next_month(_next_month(starts_on)))


def _next_month(on: date) -> date:
    return (on.replace(day=1) + timedelta(days=32)).replace(day=1)


def _place(timeline: Timeline, pauses, forecast: Forecast | None, review: Review) -> None:
    """Turn every date into a position across the chart."""
    x = timeline.x_for
    today = timeline.today
    for index, row in enumerate(timeline.rows):
        row.y = TOP + ROW_HEIGHT * index
        for stay in row.stays:
            start, end = x(stay.started_on), x(stay.finished_on or today)
            # A stay that began and ended on one day still shows as a sliver.
            row.bars.append(Bar(start, max(end - start, 2), stay.finished_on is None))
        row.markers = [
            Marker(x(d.due_on), d.due_on, d.title) for d in row.deadlines if d.due_on is not None
        ]
        row.forecasts = _forecast_markers(row, forecast, review, x)
    timeline.today_x = x(today)
    timeline.ticks = _ticks(timeline)
    timeline.pauses = [
        PauseBand(
            x(pause.paused_on),
            max(x(pause.resumed_on or today) - x(pause.paused_on), 2),
            pause.paused_on,
            pause.resumed_on,
            ((pause.resumed_on or today) - pause.paused_on).days,
        )
        for pause in pauses
    ]


def _forecast_markers(row: TimelineRow, forecast, review, x) -> list[Marker]:
    if forecast is None:
        return []
    if row.stage == Stage.LOCAL_SIGN_OFF and forecast.completion_on and not review.signed_off_on:
        return [Marker(x(forecast.completion_on), forecast.completion_on, "Forecast sign-off")]
    if row.stage == Stage.PUBLICATION and forecast.publication_on and not review.published_on:
        return [Marker(x(forecast.publication_on), forecast.publication_on, "Forecast publication")]
    return []


MONTH_ABBREVIATIONS = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def _ticks(timeline: Timeline) -> list[Tick]:
    """A tick at the start of each month; labels thinned so they never overlap."""
    months = []
    on = timeline.starts_on
    while on <= timeline.ends_on:
        months.append(on)
        on = _next_month(on)
    every = next(step for step in (1, 2, 3, 6, 12, 24) if len(months) / step <= 14)
    ticks = []
    for index, month in enumerate(months):
        label = ""
        if index % every == 0 and month < timeline.ends_on:
            label = MONTH_ABBREVIATIONS[month.month - 1]
            if index == 0 or month.month <= every:
                label += f" {month.year}"
        ticks.append(Tick(timeline.x_for(month), label))
    return ticks


def _description(review: Review, rows: list[TimelineRow], pauses, today: date) -> str:
    """A summary of the chart for its text alternative; the table gives every date."""
    finished = sum(1 for row in rows if row.finished_on)
    current = next((row for row in rows if row.ongoing), None)
    text = f"Stages of review {review.reference} against their deadlines, to {govuk_date(today)}. "
    text += f"{finished} {'stage' if finished == 1 else 'stages'} finished"
    if current is not None:
        state = "paused in" if review.is_paused else "in"
        text += f"; now {state} {stage_name(current.stage)}, since {govuk_date(current.started_on)}"
    paused = sum(((p.resumed_on or today) - p.paused_on).days for p in pauses)
    if pauses:
        text += f"; paused {len(pauses)} {'time' if len(pauses) == 1 else 'times'}, {paused} days"
    return text + ". The table after the chart gives every date."
