"""The forecast of completion and publication, from the partnership's own stage durations."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from tests.conftest import TODAY
from tests.factories import PartnershipFactory, ReviewFactory
from workflows.models import Deadline, Pause, Review, ReviewHistory
from workflows.monitoring.forecast import (
    NATIONAL_ESTIMATE_DAYS,
    forecast_for,
    forecasts_for,
    stage_stays,
)
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import Stage
from workflows.timescales import add_months

PATH = [
    Stage.NOTIFIED,
    Stage.SETUP,
    Stage.TERMS_OF_REFERENCE,
    Stage.AGENCY_REPORTS,
    Stage.DRAFTING,
    Stage.LOCAL_SIGN_OFF,
    Stage.HOME_OFFICE_QA,
    Stage.PUBLICATION,
]
# Days each of three finished reviews spent in each stage; the medians are the middle column.
FINISHED_DAYS = {
    Stage.NOTIFIED: (10, 20, 30),
    Stage.SETUP: (40, 50, 60),
    Stage.TERMS_OF_REFERENCE: (20, 30, 40),
    Stage.AGENCY_REPORTS: (60, 90, 120),
    Stage.DRAFTING: (200, 100, 120),
    Stage.LOCAL_SIGN_OFF: (20, 30, 40),
    Stage.HOME_OFFICE_QA: (60, 90, 100),
    Stage.PUBLICATION: (30, 40, 50),
}


def build_review(partnership, by, stays, *, now_in=None, pauses=()):
    """A review whose history moves through ``stays`` ((stage, days), in order), then into
    ``now_in`` (stage, entered on), written as history rows directly.

    ``pauses`` are (stage, days into that stage, days paused, resumed?): the stay lasts its
    days plus the pause, as the clock stopped meanwhile.
    """
    review = ReviewFactory(partnership=partnership, notified_on=date(2020, 1, 1))
    pause_in = {stage: (into, length, resumed) for stage, into, length, resumed in pauses}
    on = review.notified_on
    history = [("", Stage.NOTIFIED, on)]
    for index, (stage, days) in enumerate(stays):
        if stage in pause_in:
            into, length, _ = pause_in[stage]
            _pause(review, by, history, stage, on + timedelta(days=into), length, resumed=True)
            days += length
        on += timedelta(days=days)
        following = stays[index + 1][0] if index + 1 < len(stays) else now_in[0]
        history.append((stage, following, on))
    for from_stage, to_stage, effective_on in history:
        ReviewHistory.objects.create(
            review=review,
            action="step",
            from_stage=from_stage,
            to_stage=to_stage,
            by=by,
            effective_on=effective_on,
        )
    Review.objects.filter(pk=review.pk).update(stage=now_in[0])
    return Review.objects.get(pk=review.pk)


def _pause(review, by, history, stage, paused_on, length, *, resumed):
    resumed_on = paused_on + timedelta(days=length) if resumed else None
    Pause.objects.create(
        review=review,
        reason="inquest",
        stage=stage,
        paused_on=paused_on,
        paused_by=by,
        resumed_on=resumed_on,
    )
    history.append((stage, Stage.PAUSED, paused_on))
    if resumed:
        history.append((Stage.PAUSED, stage, resumed_on))


def finished_reviews(partnership, by, count=3, *, days=FINISHED_DAYS, pauses=()):
    for sample in range(count):
        stays = [(stage, days[stage][sample]) for stage in PATH]
        build_review(partnership, by, stays, now_in=(Stage.ACTION_PLAN,), pauses=pauses)


def live_review(partnership, by, stage, days_in_stage, **extra):
    """A review in ``stage`` for ``days_in_stage`` days to today, after the earlier stages."""
    earlier = PATH[: PATH.index(stage)]
    review = ReviewFactory(partnership=partnership, notified_on=TODAY - timedelta(days=400))
    entered_on = TODAY - timedelta(days=days_in_stage)
    # The earlier stages all end on the day it entered this one.
    rows = [("", Stage.NOTIFIED, review.notified_on)]
    rows += [(before, after, entered_on) for before, after in zip(earlier, PATH[1:], strict=False)]
    for from_stage, to_stage, effective_on in rows:
        ReviewHistory.objects.create(
            review=review,
            action="step",
            from_stage=from_stage,
            to_stage=to_stage,
            by=by,
            effective_on=effective_on,
        )
    Review.objects.filter(pk=review.pk).update(stage=stage, **extra)
    return Review.objects.get(pk=review.pk)


def completion_deadline(review, *, due_on, starts_on=None):
    return Deadline.objects.create(
        review=review,
        rule="completion",
        title="Complete the review",
        period="6 months",
        source="December 2016 statutory guidance",
        starts_on=starts_on or TODAY - timedelta(days=150),
        due_on=due_on,
        explanation="6 months from the decision",
    )


def test_medians_of_the_partnerships_finished_reviews(partnership, coordinator):
    finished_reviews(partnership, coordinator)
    review = live_review(partnership, coordinator, Stage.DRAFTING, 30)

    forecast = forecast_for(review, today=TODAY)

    # Drafting: median 120 less the 30 days so far; then local sign-off, median 30.
    assert forecast.completion_on == TODAY + timedelta(days=90 + 30)
    # Then Home Office quality assurance (median 90) and publication (median 40).
    assert forecast.publication_on == forecast.completion_on + timedelta(days=90 + 40)
    assert forecast.basis == (
        "Median stage times of 3 reviews in Testshire Community Safety Partnership"
    )
    assert not forecast.uses_national_estimates


def test_a_stage_running_over_its_median_still_has_a_week_to_go(partnership, coordinator):
    finished_reviews(partnership, coordinator)
    review = live_review(partnership, coordinator, Stage.DRAFTING, 300)

    forecast = forecast_for(review, today=TODAY)

    assert forecast.completion_on == TODAY + timedelta(days=7 + 30)


def test_national_estimates_when_the_partnership_has_fewer_than_three(partnership, coordinator):
    finished_reviews(partnership, coordinator, count=2)
    review = live_review(partnership, coordinator, Stage.DRAFTING, 30)

    forecast = forecast_for(review, today=TODAY)

    national = NATIONAL_ESTIMATE_DAYS
    drafting_left = national[Stage.DRAFTING] - 30
    assert forecast.completion_on == TODAY + timedelta(
        days=drafting_left + national[Stage.LOCAL_SIGN_OFF]
    )
    assert forecast.publication_on == forecast.completion_on + timedelta(
        days=national[Stage.HOME_OFFICE_QA] + national[Stage.PUBLICATION]
    )
    assert forecast.basis.startswith("National estimates: Testshire Community Safety Partnership")
    assert forecast.uses_national_estimates


def test_national_estimates_only_for_the_stages_without_enough_history(partnership, coordinator):
    # Three reviews have finished drafting and local sign-off, but none has been through the
    # Home Office yet: those two stages use the national estimates.
    other = PartnershipFactory(name="Otherton Community Safety Partnership")
    for sample in range(3):
        stays = [(stage, FINISHED_DAYS[stage][sample]) for stage in PATH[:-2]]
        build_review(other, coordinator, stays, now_in=(Stage.HOME_OFFICE_QA,))
    review = live_review(other, coordinator, Stage.DRAFTING, 30)

    forecast = forecast_for(review, today=TODAY)

    assert forecast.completion_on == TODAY + timedelta(days=90 + 30)
    national = (
        NATIONAL_ESTIMATE_DAYS[Stage.HOME_OFFICE_QA] + NATIONAL_ESTIMATE_DAYS[Stage.PUBLICATION]
    )
    assert forecast.publication_on == forecast.completion_on + timedelta(days=national)
    assert forecast.basis == (
        "Median stage times of 3 reviews in Otherton Community Safety Partnership, with "
        "national estimates for Home Office quality assurance and publication, where it has "
        "fewer than 3 finished reviews"
    )


def test_days_paused_are_left_out_of_stage_times(partnership, coordinator):
    # Every finished review paused 50 days in drafting: the median stays 120 days.
    finished_reviews(partnership, coordinator, pauses=[(Stage.DRAFTING, 20, 50, True)])
    review = live_review(partnership, coordinator, Stage.DRAFTING, 30)

    forecast = forecast_for(review, today=TODAY)

    assert forecast.completion_on == TODAY + timedelta(days=90 + 30)


def test_stays_through_a_pause_count_as_one_stay_less_the_pause():
    rows = [
        _row("", Stage.NOTIFIED, date(2027, 1, 1)),
        _row(Stage.NOTIFIED, Stage.SETUP, date(2027, 1, 11)),
        _row(Stage.SETUP, Stage.PAUSED, date(2027, 1, 21)),
        _row(Stage.PAUSED, Stage.SETUP, date(2027, 2, 20)),
        _row(Stage.SETUP, Stage.TERMS_OF_REFERENCE, date(2027, 3, 2)),
    ]
    pauses = [_span(date(2027, 1, 21), date(2027, 2, 20))]

    stays = stage_stays(rows, pauses, today=TODAY)

    assert [(stay.stage, stay.days(TODAY)) for stay in stays] == [
        (Stage.NOTIFIED, 10),
        (Stage.SETUP, 20),
        (Stage.TERMS_OF_REFERENCE, (TODAY - date(2027, 3, 2)).days),
    ]
    assert stays[1].paused_days == 30


def test_late_when_the_forecast_passes_the_statutory_deadline(partnership, coordinator):
    finished_reviews(partnership, coordinator)
    late = live_review(partnership, coordinator, Stage.DRAFTING, 30)
    on_time = live_review(partnership, coordinator, Stage.DRAFTING, 30)
    completion_deadline(late, due_on=TODAY + timedelta(days=100))
    completion_deadline(on_time, due_on=TODAY + timedelta(days=150))

    forecasts = forecasts_for([late, on_time], today=TODAY)

    assert forecasts[late.pk].late
    assert forecasts[late.pk].statutory_due_on == TODAY + timedelta(days=100)
    assert not forecasts[on_time.pk].late
    assert forecasts[on_time.pk].statutory_due_on == TODAY + timedelta(days=150)


def test_a_paused_review_is_forecast_as_if_it_resumed_today(partnership, coordinator):
    finished_reviews(partnership, coordinator)
    review = live_review(partnership, coordinator, Stage.DRAFTING, 100)
    paused_on = TODAY - timedelta(days=70)
    Pause.objects.create(
        review=review,
        reason="inquest",
        stage=Stage.DRAFTING,
        paused_on=paused_on,
        paused_by=coordinator,
    )
    ReviewHistory.objects.create(
        review=review,
        action="pause",
        from_stage=Stage.DRAFTING,
        to_stage=Stage.PAUSED,
        by=coordinator,
        effective_on=paused_on,
    )
    Review.objects.filter(pk=review.pk).update(
        stage=Stage.PAUSED, stage_before_pause=Stage.DRAFTING
    )
    review.refresh_from_db()
    starts_on = TODAY - timedelta(days=200)
    completion_deadline(review, due_on=None, starts_on=starts_on)

    forecast = forecast_for(review, today=TODAY)

    # 30 days of drafting done before the pause: 90 to go, then local sign-off.
    assert forecast.completion_on == TODAY + timedelta(days=90 + 30)
    assert forecast.basis.endswith(", assuming the review resumes today")
    # The clock is stopped; were it to restart today, the 70 days paused move the deadline.
    assert forecast.statutory_due_on == add_months(starts_on, 6) + timedelta(days=70)
    assert forecast.late


def test_a_pause_dated_after_today_has_not_stopped_the_clock_yet(partnership, coordinator):
    """Dates ahead of the clock (a clock put right, a review imported with its future dates)
    give a forecast, not an error: the pause has not begun, so it moves nothing."""
    finished_reviews(partnership, coordinator)
    review = live_review(partnership, coordinator, Stage.DRAFTING, 100)
    Pause.objects.create(
        review=review,
        reason="inquest",
        stage=Stage.DRAFTING,
        paused_on=TODAY + timedelta(days=10),
        paused_by=coordinator,
    )
    Review.objects.filter(pk=review.pk).update(
        stage=Stage.PAUSED, stage_before_pause=Stage.DRAFTING
    )
    review.refresh_from_db()
    starts_on = TODAY - timedelta(days=200)
    completion_deadline(review, due_on=None, starts_on=starts_on)

    forecast = forecast_for(review, today=TODAY)

    assert forecast.statutory_due_on == add_months(starts_on, 6)


def test_actual_dates_once_signed_off_and_published(partnership, coordinator):
    finished_reviews(partnership, coordinator)
    signed_off = live_review(
        partnership, coordinator, Stage.HOME_OFFICE_QA, 10, signed_off_on=date(2027, 5, 1)
    )
    # In a partnership of its own, so its own stays do not change the medians above.
    published = live_review(
        PartnershipFactory(),
        coordinator,
        Stage.PUBLICATION,
        10,
        signed_off_on=date(2027, 1, 1),
    )
    Review.objects.filter(pk=published.pk).update(
        stage=Stage.ACTION_PLAN, published_on=date(2027, 5, 1)
    )
    published.refresh_from_db()

    forecasts = forecasts_for([signed_off, published], today=TODAY)

    assert forecasts[signed_off.pk].completion_on == date(2027, 5, 1)
    assert forecasts[signed_off.pk].publication_on == TODAY + timedelta(days=90 - 10 + 40)
    assert forecasts[published.pk].completion_on == date(2027, 1, 1)
    assert forecasts[published.pk].publication_on == date(2027, 5, 1)


@pytest.mark.parametrize("stage", [Stage.NOT_COMMISSIONED, Stage.HOME_OFFICE_CHALLENGE])
def test_no_forecast_when_no_review_is_to_be_held(partnership, coordinator, stage):
    review = ReviewFactory(partnership=partnership)
    Review.objects.filter(pk=review.pk).update(stage=stage, commissioned=False)
    review.refresh_from_db()

    forecast = forecast_for(review, today=TODAY)

    assert forecast.completion_on is None
    assert forecast.publication_on is None
    assert not forecast.late


def test_a_closed_review_not_held_has_no_forecast(partnership, coordinator):
    review = ReviewFactory(partnership=partnership)
    Review.objects.filter(pk=review.pk).update(stage=Stage.CLOSED, commissioned=False)
    review.refresh_from_db()

    assert forecast_for(review, today=TODAY).completion_on is None


def test_a_review_moved_through_the_real_services(
    partnership, coordinator, csp_chair, independent_chair
):
    """History written by the lifecycle itself: a pause in the terms of reference is left out,
    and the statutory deadline moves by the days paused."""
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )
    steps = [
        ("decide_to_commission", csp_chair, date(2027, 1, 20), {}),
        (
            "appoint_independent_chair",
            coordinator,
            date(2027, 1, 25),
            {"chair": independent_chair, "victim_pseudonym": "Robin"},
        ),
        ("complete_setup", coordinator, date(2027, 2, 19), {}),
        ("pause", csp_chair, date(2027, 3, 1), {"pause_reason": "inquest"}),
        ("resume", csp_chair, date(2027, 3, 31), {}),
        ("agree_terms_of_reference", independent_chair, date(2027, 4, 10), {}),
        ("complete_agency_reports", independent_chair, date(2027, 5, 10), {}),
    ]
    for action, by, on, details in steps:
        review = review_transition(review=review, action=action, by=by, on=on, **details)

    history = review.history.order_by("at", "pk")
    stays = stage_stays(history, review.pauses.all(), today=TODAY)
    forecast = forecast_for(review, today=TODAY)

    assert [(stay.stage, stay.days(TODAY)) for stay in stays] == [
        (Stage.NOTIFIED, 10),
        (Stage.SETUP, 30),
        (Stage.TERMS_OF_REFERENCE, 20),
        (Stage.AGENCY_REPORTS, 30),
        (Stage.DRAFTING, 22),
    ]
    drafting_left = NATIONAL_ESTIMATE_DAYS[Stage.DRAFTING] - 22
    assert forecast.completion_on == TODAY + timedelta(
        days=drafting_left + NATIONAL_ESTIMATE_DAYS[Stage.LOCAL_SIGN_OFF]
    )
    # Six months from the decision on 20 January, plus 30 days paused.
    assert forecast.statutory_due_on == date(2027, 8, 19)
    assert forecast.late


@pytest.mark.parametrize("count", [1, 20])
def test_a_constant_number_of_queries(partnership, coordinator, django_assert_num_queries, count):
    finished_reviews(partnership, coordinator)
    other = PartnershipFactory()
    finished_reviews(other, coordinator)
    reviews = [
        live_review(partnership if index % 2 else other, coordinator, Stage.DRAFTING, index + 1)
        for index in range(count)
    ]
    for review in reviews:
        completion_deadline(review, due_on=TODAY + timedelta(days=100))

    # The first forecast of the day reads the partnerships' whole history (3 queries) ...
    with django_assert_num_queries(6):
        forecasts = forecasts_for(reviews, today=TODAY)
    # ... later ones only the reviews' own history, pauses and completion deadlines.
    with django_assert_num_queries(3):
        again = forecasts_for(reviews, today=TODAY)

    assert len(forecasts) == count
    assert all(forecast.completion_on for forecast in forecasts.values())
    assert again == forecasts


def test_the_stage_times_are_worked_out_once_a_day(partnership, coordinator):
    """Only the partnership's stage times are cached (per partnership and day): a review's own
    progress shows at once; another review finishing a stage counts from the next day."""
    finished_reviews(partnership, coordinator)
    review = live_review(partnership, coordinator, Stage.DRAFTING, 30)
    assert forecast_for(review, today=TODAY).completion_on == TODAY + timedelta(days=90 + 30)

    # A fourth review finishes drafting in 400 days today: the medians stay as they were today.
    stays = [(stage, 400 if stage == Stage.DRAFTING else 10) for stage in PATH]
    build_review(partnership, coordinator, stays, now_in=(Stage.ACTION_PLAN,))
    assert forecast_for(review, today=TODAY).completion_on == TODAY + timedelta(days=90 + 30)
    # The review's own stay is not cached: moved into drafting 20 days ago, it is forecast anew.
    ReviewHistory.objects.filter(review=review, to_stage=Stage.DRAFTING).update(
        effective_on=TODAY - timedelta(days=20)
    )
    assert forecast_for(review, today=TODAY).completion_on == TODAY + timedelta(days=100 + 30)

    # The next day the new review counts: the median of 4 drafting stays moves.
    tomorrow = TODAY + timedelta(days=1)
    fresh = forecast_for(review, today=tomorrow)
    assert (
        fresh.basis == "Median stage times of 4 reviews in Testshire Community Safety Partnership"
    )
    assert fresh.completion_on != tomorrow + timedelta(days=99 + 30)


def _row(from_stage, to_stage, effective_on):
    return SimpleNamespace(from_stage=from_stage, to_stage=to_stage, effective_on=effective_on)


def _span(paused_on, resumed_on):
    return SimpleNamespace(paused_on=paused_on, resumed_on=resumed_on)
