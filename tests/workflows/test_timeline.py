"""The timeline chart on the review page: planned against actual dates, pauses and today."""

import re
from datetime import date

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tests.conftest import TODAY
from workflows.monitoring.forecast import forecast_for
from workflows.monitoring.timeline import CHART_LEFT, CHART_RIGHT, review_timeline
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import Stage


@pytest.fixture
def paused_once(partnership, coordinator, csp_chair, independent_chair):
    """A review taken through the real lifecycle: paused for 30 days at the terms of reference,
    now drafting since 10 May 2027."""
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
        perpetrator_real_name="Quentin Madeupname",
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
    return review


def rendered(review) -> str:
    forecast = forecast_for(review, today=TODAY)
    timeline = review_timeline(review, today=TODAY, forecast=forecast)
    return render_to_string("reviews/_timeline.html", {"timeline": timeline})


def table_row(html: str, stage: str) -> list[str]:
    """The text of each cell of the table's row for ``stage``."""
    row = re.search(rf'<tr class="govuk-table__row" data-stage="{stage}">(.*?)</tr>', html, re.S)
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_the_table_holds_the_planned_and_actual_dates(paused_once):
    html = rendered(paused_once)

    assert table_row(html, Stage.NOTIFIED) == [
        "Notified",
        "10 February 2027 Decide whether to hold a review",
        "10 January 2027",
        "20 January 2027",
        "10",
        "Finished",
    ]
    assert table_row(html, Stage.SCOPING)[-1] == "Not needed"
    # 50 days from set-up to agreement, 30 of them paused; the local target moved by the pause.
    assert table_row(html, Stage.TERMS_OF_REFERENCE) == [
        "Terms of reference",
        "18 April 2027 Agree the terms of reference",
        "19 February 2027",
        "10 April 2027",
        "20 (and 30 paused)",
        "Finished",
    ]
    # Six months from the decision, plus the 30 days paused.
    assert table_row(html, Stage.DRAFTING) == [
        "Drafting",
        "19 August 2027 Complete the review",
        "10 May 2027",
        "Ongoing",
        "22",
        "In progress",
    ]
    assert table_row(html, Stage.HOME_OFFICE_QA)[1:] == [
        "No deadline",
        "Not started",
        "Not started",
        "None",
        "Not started",
    ]
    assert "Paused from 1 March 2027 to 31 March 2027 (30 days)" in html


def test_the_chart_draws_the_pause_the_bars_and_the_deadlines(paused_once):
    html = rendered(paused_once)

    assert 'data-paused-on="2027-03-01" data-resumed-on="2027-03-31"' in html
    assert len(re.findall(r'class="app-timeline__bar"', html)) == 5
    assert 'data-due-on="2027-02-10"' in html  # the decision
    assert 'data-due-on="2027-08-19"' in html  # completion, moved by the pause
    assert html.count('class="app-timeline__forecast"') == 2
    assert re.search(
        r'<svg[^>]+role="img"[^>]+aria-labelledby="timeline-title timeline-description"', html
    )
    assert '<title id="timeline-title">Timeline of ' in html
    assert '<desc id="timeline-description">' in html
    assert '<table class="govuk-table' in html


def test_today_is_marked_where_the_ongoing_stage_ends(paused_once):
    timeline = review_timeline(paused_once, today=TODAY)

    # The chart runs from the start of the month of notification.
    assert timeline.starts_on == date(2027, 1, 1)
    span = (timeline.ends_on - timeline.starts_on).days
    expected = CHART_LEFT + (CHART_RIGHT - CHART_LEFT) * (TODAY - date(2027, 1, 1)).days / span
    assert timeline.today_x == pytest.approx(expected, abs=0.1)
    drafting = next(row for row in timeline.rows if row.stage == Stage.DRAFTING)
    (bar,) = drafting.bars
    assert bar.ongoing
    assert bar.x + bar.width == pytest.approx(timeline.today_x, abs=0.2)
    html = render_to_string("reviews/_timeline.html", {"timeline": timeline})
    assert f'class="app-timeline__today" x1="{timeline.today_x}"' in html


def test_a_paused_review_shows_its_open_pause_up_to_today(paused_once, csp_chair):
    review = review_transition(
        review=paused_once,
        action="pause",
        by=csp_chair,
        on=date(2027, 5, 20),
        pause_reason="criminal_proceedings",
    )

    html = rendered(review)

    assert 'data-paused-on="2027-05-20" data-resumed-on=""' in html
    assert "Paused from 20 May 2027 and not yet resumed (12 days)" in html
    assert table_row(html, Stage.DRAFTING)[1:] == [
        "Clock stopped while paused Complete the review",
        "10 May 2027",
        "Ongoing",
        "10 (and 12 paused)",
        "Paused",
    ]


def test_no_real_name_in_the_chart_or_its_table(paused_once):
    html = rendered(paused_once)

    assert "Zelda" not in html
    assert "Inventedname" not in html
    assert "Madeupname" not in html
    assert paused_once.reference in html


def test_the_review_page_shows_the_chart_and_the_forecast(client, paused_once, police_author):
    """An agency author sees the chart and the forecast, with dates and stages only."""
    paused_once.participants.create(
        user=police_author,
        role="agency_author",
        agency=police_author.memberships.get().agency,
        added_by=paused_once.history.first().by,
    )
    client.force_login(police_author)

    page = client.get(reverse("reviews:detail", args=[paused_once.reference])).content.decode()

    assert 'role="img" aria-labelledby="timeline-title timeline-description"' in page
    assert "Show the timeline as a table" in page
    assert "Forecast completion" in page
    assert "The forecast completion is after the statutory deadline of 19 August 2027." in page
    assert "Inventedname" not in page


def test_a_paused_review_page_keeps_one_warning(client, paused_once, csp_chair, coordinator):
    """While paused the clock is stopped: lateness is said as a condition, not a second warning."""
    review_transition(
        review=paused_once,
        action="pause",
        by=csp_chair,
        on=date(2027, 5, 20),
        pause_reason="inquest",
    )
    client.force_login(coordinator)

    page = client.get(reverse("reviews:detail", args=[paused_once.reference])).content.decode()

    assert page.count('class="govuk-warning-text"') == 1
    assert "If the review resumed today, the forecast completion would be after" in page
