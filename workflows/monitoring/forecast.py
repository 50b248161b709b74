"""When will a review be completed and published? A forecast from past stage durations.

Each stage's expected length is the median time the partnership's own reviews spent in it (paused
days left out). Where the partnership has fewer than ``MIN_SAMPLES`` reviews that finished a
stage, the national estimate for that stage is used instead, and the basis says so.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone

from workflows import timescales
from workflows.models import Deadline, Partnership, Pause, Review, ReviewHistory
from workflows.stages import MAIN_PATH, Stage

# National estimates of the days a review spends in each stage, used where a partnership has too
# little history of its own. They are ESTIMATES invented for this service, not published figures:
# the Domestic Abuse Commissioner (2025) found families wait about three years on average for a
# review against the guidance's expectation of six months from decision to completion, and the
# Home Office Quality Assurance Panel meets monthly, so QA and publication take months, not weeks.
NATIONAL_ESTIMATE_DAYS: dict[str, int] = {
    Stage.NOTIFIED: 7,
    Stage.SCOPING: 25,
    Stage.SETUP: 45,
    Stage.TERMS_OF_REFERENCE: 40,
    Stage.AGENCY_REPORTS: 120,
    Stage.DRAFTING: 180,
    Stage.LOCAL_SIGN_OFF: 30,
    Stage.HOME_OFFICE_QA: 120,
    Stage.PUBLICATION: 90,
}
NATIONAL_ESTIMATES_NOTE = (
    "National estimates are the service's own working figures per stage, not official statistics"
)

# Fewer finished stays than this and a partnership's median says more about one review than about
# the partnership, so the national estimate is used for that stage.
MIN_SAMPLES = 3
# A stage already running over its median is still expected to take at least this much longer.
OVERRUN_FLOOR_DAYS = 7

FORECAST_STAGES = MAIN_PATH[: MAIN_PATH.index(Stage.PUBLICATION) + 1]
# Local sign-off ("completion" under the guidance) falls in the local sign-off stage.
COMPLETION_STAGE = Stage.LOCAL_SIGN_OFF
NO_FORECAST_STAGES = (Stage.NOT_COMMISSIONED, Stage.HOME_OFFICE_CHALLENGE)


@dataclass(frozen=True)
class Forecast:
    completion_on: date | None  # forecast local sign-off (review "completed")
    publication_on: date | None  # forecast publication
    basis: str  # one sentence saying where the dates come from
    late: bool  # completion_on is after the statutory completion deadline
    statutory_due_on: date | None

    @property
    def uses_national_estimates(self) -> bool:
        return "national estimates" in self.basis.lower()


@dataclass(frozen=True)
class Stay:
    """One continuous time a review spent in a stage; a pause inside it does not end it."""

    stage: str
    started_on: date
    finished_on: date | None  # None while the review is still in the stage
    paused_days: int

    def days(self, today: date) -> int:
        """Working days in the stage: calendar days less the days paused."""
        end = self.finished_on or today
        return max((end - self.started_on).days - self.paused_days, 0)


def stage_stays(history: Iterable, pauses: Iterable, *, today: date) -> list[Stay]:
    """A review's stays in each stage, from its history rows in the order they were written.

    ``history`` items have ``from_stage``, ``to_stage`` and ``effective_on``; ``pauses`` items have
    ``paused_on`` and ``resumed_on``. Moving to "Paused" and resuming keep the stay open.
    """
    spans = [(pause.paused_on, pause.resumed_on or today) for pause in pauses]
    stays: list[Stay] = []
    stage, started_on = None, None
    for row in history:
        if row.to_stage == row.from_stage or Stage.PAUSED in (row.to_stage, row.from_stage):
            continue
        if stage is not None:
            paused = _paused_days(spans, started_on, row.effective_on)
            stays.append(Stay(stage, started_on, row.effective_on, paused))
        stage, started_on = row.to_stage, row.effective_on
    if stage is not None:
        stays.append(Stay(stage, started_on, None, _paused_days(spans, started_on, today)))
    return stays


def _paused_days(spans: list[tuple[date, date]], start: date, end: date) -> int:
    return sum(max((min(end, until) - max(start, since)).days, 0) for since, until in spans)


def days_in_stage(stays: Iterable[Stay], stage: str, *, today: date) -> int:
    """All the working days a review has spent in ``stage``, over every time it was there."""
    return sum(stay.days(today) for stay in stays if stay.stage == stage)


@dataclass
class _PartnershipTimes:
    """The partnership's finished stage durations: one sample per review and stage."""

    name: str
    samples: dict[str, dict[int, int]]  # stage -> review id -> days
    scoping_share: float  # of reviews past notification, the share that had a scoping stage

    def estimate(self, stage: str) -> tuple[int, bool]:
        """Expected days in ``stage``, and whether that is the partnership's own median."""
        samples = self.samples.get(stage, {})
        if len(samples) >= MIN_SAMPLES:
            return round(statistics.median(samples.values())), True
        return NATIONAL_ESTIMATE_DAYS[stage], False


# The partnership's typical stage durations change only when one of its reviews finishes a stage,
# a few times a week: they are worked out once a day per partnership and kept in Django's cache
# until midnight, so a page's forecasts read only its own reviews' history, not the decade behind
# them. A stage finished today counts in tomorrow's medians at the latest.
TIMES_CACHE_KEY = "forecast-stage-times:{partnership_id}:{day}"


def forecasts_for(
    reviews: Sequence[Review], *, today: date, completion: dict[int, Deadline] | None = None
) -> dict[int, Forecast]:
    """Forecasts for many reviews with a constant number of queries (whatever len(reviews)):
    the reviews' own history and pauses, their completion deadlines (none when prefetched with
    ``deadlines``, or given as ``completion``: review id to its completion deadline, a review
    without one left out), and, once a day per partnership, the partnership's stage times."""
    if not reviews:
        return {}
    times = partnership_times({review.partnership_id for review in reviews}, today=today)
    review_ids = [review.pk for review in reviews]
    pauses = _pauses_by_review(Pause.objects.filter(review_id__in=review_ids))
    history = ReviewHistory.objects.filter(review_id__in=review_ids)
    stays, _partnership_of = _stays_by_review(history, pauses, today, partnerships=False)
    if completion is None:
        completion = _completion_deadlines(reviews)
    return {
        review.pk: _forecast(
            review,
            stays.get(review.pk, []),
            times[review.partnership_id],
            _statutory_due_on(completion.get(review.pk), pauses.get(review.pk, []), today),
            today,
        )
        for review in reviews
    }


def forecast_for(review: Review, *, today: date) -> Forecast:
    return forecasts_for([review], today=today)[review.pk]


def _completion_deadlines(reviews: Sequence[Review]) -> dict[int, Deadline]:
    """Each review's completion deadline: from its prefetched deadlines (the dashboard's), else
    read for all of them at once."""
    prefetched = [getattr(r, "_prefetched_objects_cache", {}).get("deadlines") for r in reviews]
    if all(deadlines is not None for deadlines in prefetched):
        rows = [d for deadlines in prefetched for d in deadlines]
    else:
        rows = Deadline.objects.filter(review__in=reviews, rule="completion")
    return {d.review_id: d for d in rows if d.rule == "completion"}


def partnership_times(partnership_ids, *, today: date) -> dict[int, _PartnershipTimes]:
    """Each partnership's finished stage durations, from the cache when worked out today."""
    keys = {
        pk: TIMES_CACHE_KEY.format(partnership_id=pk, day=today.isoformat())
        for pk in partnership_ids
    }
    found = cache.get_many(list(keys.values()))
    times = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in keys if pk not in times]
    if missing:
        fresh = _times_from_history(missing, today)
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, _seconds_to_midnight())
        times.update(fresh)
    return times


def _seconds_to_midnight() -> int:
    """Until the end of the day: the cache key names the day, so this only frees the memory."""
    now = timezone.localtime()
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=now.tzinfo)
    return max(int((midnight - now).total_seconds()), 60)


def _times_from_history(partnership_ids: list[int], today: date) -> dict[int, _PartnershipTimes]:
    """The stage times of these partnerships from every review they have held (3 queries)."""
    names = dict(Partnership.objects.filter(pk__in=partnership_ids).values_list("pk", "name"))
    pauses = _pauses_by_review(Pause.objects.filter(review__partnership_id__in=partnership_ids))
    history = ReviewHistory.objects.filter(review__partnership_id__in=partnership_ids)
    stays, partnership_of = _stays_by_review(history, pauses, today)
    return {pk: _partnership_times(name, pk, stays, partnership_of) for pk, name in names.items()}


@dataclass(frozen=True)
class _Row:
    from_stage: str
    to_stage: str
    effective_on: date


@dataclass(frozen=True)
class _Span:
    paused_on: date
    resumed_on: date | None


def _pauses_by_review(pauses) -> dict[int, list[_Span]]:
    by_review = defaultdict(list)
    for review_id, paused_on, resumed_on in pauses.values_list(
        "review_id", "paused_on", "resumed_on"
    ):
        by_review[review_id].append(_Span(paused_on, resumed_on))
    return by_review


def _stays_by_review(history, pauses, today: date, *, partnerships: bool = True):
    """Each review's stays from its history rows, and (with ``partnerships``) which partnership
    it belongs to. The forecasts of given reviews know their partnerships: joining the reviews
    to their history made PostgreSQL hash every review, 5 ms for a page's 40 history rows."""
    by_review = defaultdict(list)
    partnership_of = {}
    history = history.order_by("review_id", "at", "pk")
    columns = ("from_stage", "to_stage", "effective_on")
    if partnerships:
        rows = history.values_list("review_id", "review__partnership_id", *columns)
    else:
        rows = ((pk, None, *row) for pk, *row in history.values_list("review_id", *columns))
    for review_id, partnership_id, from_stage, to_stage, effective_on in rows:
        by_review[review_id].append(_Row(from_stage, to_stage, effective_on))
        partnership_of[review_id] = partnership_id
    stays = {
        review_id: stage_stays(review_rows, pauses.get(review_id, []), today=today)
        for review_id, review_rows in by_review.items()
    }
    return stays, partnership_of


def _partnership_times(name: str, partnership_id: int, stays, partnership_of) -> _PartnershipTimes:
    samples: dict[str, dict[int, int]] = defaultdict(dict)
    past_notification = with_scoping = 0
    for review_id, review_stays in stays.items():
        if partnership_of[review_id] != partnership_id:
            continue
        open_stages = {stay.stage for stay in review_stays if stay.finished_on is None}
        for stay in review_stays:
            if stay.stage not in NATIONAL_ESTIMATE_DAYS or stay.stage in open_stages:
                continue
            days = stay.days(stay.finished_on)  # a finished stay: today plays no part
            samples[stay.stage][review_id] = samples[stay.stage].get(review_id, 0) + days
        if any(stay.stage == Stage.NOTIFIED and stay.finished_on for stay in review_stays):
            past_notification += 1
            with_scoping += any(stay.stage == Stage.SCOPING for stay in review_stays)
    share = with_scoping / past_notification if past_notification else 1.0
    return _PartnershipTimes(name, dict(samples), share)


def _statutory_due_on(deadline: Deadline | None, pauses: list[_Span], today: date) -> date | None:
    """The completion deadline; while paused, where it would fall if the review resumed today."""
    if deadline is None or deadline.due_on is not None:
        return deadline.due_on if deadline else None
    # A pause dated after today (a clock put right, a review imported with its future dates)
    # has not stopped the clock yet: it counts as resumed the day it begins.
    spans = [
        (pause.paused_on, max(pause.resumed_on or today, pause.paused_on))
        for pause in pauses
        if pause.resumed_on is None or pause.resumed_on >= deadline.starts_on
    ]
    return timescales.due_date(deadline.starts_on, deadline.period, spans)


def _forecast(review, stays, times: _PartnershipTimes, due_on, today: date) -> Forecast:
    stage = review.working_stage
    if stage in NO_FORECAST_STAGES or (stage == Stage.CLOSED and not review.commissioned):
        return Forecast(
            None, None, "No forecast: the partnership decided not to hold a review", False, due_on
        )
    completion_on, publication_on, basis = _dates(review, stage, stays, times, today)
    if review.is_paused:
        basis += ", assuming the review resumes today"
    late = completion_on is not None and due_on is not None and completion_on > due_on
    return Forecast(completion_on, publication_on, basis, late, due_on)


def _dates(review, stage: str, stays, times: _PartnershipTimes, today: date):
    """Completion and publication dates (actual where they happened) and the basis."""
    if stage not in FORECAST_STAGES:  # action plan or closed: published already
        return (
            review.signed_off_on,
            review.published_on,
            "Actual dates of local sign-off and publication",
        )
    remaining = _remaining_stages(stage, times)
    own, national = [], []
    on = today
    completion_on = review.signed_off_on
    for index, later in enumerate(remaining):
        days, is_own = times.estimate(later)
        (own if is_own else national).append(later)
        if index == 0:
            days = max(days - days_in_stage(stays, later, today=today), OVERRUN_FLOOR_DAYS)
        on += timedelta(days=days)
        if later == COMPLETION_STAGE and completion_on is None:
            completion_on = on
    return completion_on, on, _basis(times, own, national)


def _remaining_stages(stage: str, times: _PartnershipTimes) -> list[str]:
    remaining = FORECAST_STAGES[FORECAST_STAGES.index(stage) :]
    # A review still at notification goes through scoping only if that is the partnership's
    # practice (scoping is optional under the 2016 guidance); with no history, assume it does.
    if stage == Stage.NOTIFIED and times.scoping_share < 0.5:
        remaining.remove(Stage.SCOPING)
    return remaining


def _basis(times: _PartnershipTimes, own: list[str], national: list[str]) -> str:
    if not own:
        return (
            f"National estimates: {times.name} has fewer than {MIN_SAMPLES} reviews that "
            "finished the stages still to come"
        )
    reviews = {review_id for stage in own for review_id in times.samples[stage]}
    text = f"Median stage times of {len(reviews)} reviews in {times.name}"
    if national:
        stages = _join([stage_name(stage) for stage in national])
        text += (
            f", with national estimates for {stages}, where it has fewer than {MIN_SAMPLES} "
            "finished reviews"
        )
    return text


def stage_name(stage: str) -> str:
    """A stage's name inside a sentence: "drafting", but "Home Office quality assurance"."""
    label = Stage(stage).label
    return label if label.startswith("Home Office") else label.lower()


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
