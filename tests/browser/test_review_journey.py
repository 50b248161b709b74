"""A coordinator's journey through a review in a real browser, and who sees what."""

import calendar
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import days_ago, sign_in
from tests.factories import ParticipantFactory
from workflows.models import ParticipantRole, ReviewHistory

pytestmark = pytest.mark.browser

DECISION_DEADLINE = "Decide whether to hold a review"


def govuk_date(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def one_month_after(day: date) -> date:
    """The same day next month, or that month's last day if it is shorter."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fill_date(page, legend: str, day: date) -> None:
    """Fill a GOV.UK date input, found by its fieldset's legend, as a person would."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def deadline_card(page, title: str):
    return page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def test_coordinator_starts_a_review_and_records_the_decision(
    page, live_server, coordinator, police, screenshot_dir
):
    died, notified = days_ago(5), days_ago(3)
    broken_assets = []
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and "/static/" in response.url
            and broken_assets.append(f"{response.status} {response.url}")
        ),
    )
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server.url}/reviews/")

    # The GOV.UK styles applied: missing /static/ files must fail loudly, not look plain.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_css("font-family", '"GDS Transport", arial, sans-serif')
    expect(heading).to_have_css("font-weight", "700")
    button = page.get_by_role("button", name="Start a review")
    expect(button).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")  # GOV.UK green

    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a review")
    page.get_by_label("Who notified the partnership").fill("Testshire Police")
    fill_date(page, "Date of death", died)
    fill_date(page, "Date of notification", notified)
    page.get_by_label("Full name of the person who died").fill("Yvette Fictitious")
    page.get_by_label("Testshire Police").check()
    page.get_by_role("button", name="Start the review").click()

    reference = f"TEST-{notified.year}-01"
    expect(page).to_have_url(f"{live_server.url}/reviews/{reference}/")
    expect(page.get_by_role("alert")).to_contain_text(f"Review {reference} started.")
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    main = page.locator("main")
    expect(main.locator("p.govuk-body > .govuk-tag").first).to_have_text("Notified")
    expect(main).to_contain_text("Yvette Fictitious")  # a coordinator sees the real name
    card = deadline_card(page, DECISION_DEADLINE)
    expect(card).to_contain_text(govuk_date(one_month_after(notified)))
    expect(card).to_contain_text("Why this date")

    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the decision")
    page.get_by_label("Yes, hold a review").check()
    page.get_by_label("Reasons").fill("The death meets the criteria in section 2 of the guidance.")
    page.get_by_role("button", name="Record the decision").click()

    expect(page).to_have_url(f"{live_server.url}/reviews/{reference}/")
    expect(page.get_by_role("alert")).to_contain_text("Record the decision: done.")
    expect(main.locator("p.govuk-body > .govuk-tag").first).to_have_text("Set-up")
    expect(
        page.locator(".moj-timeline__title").filter(has_text="Decided to hold a review")
    ).to_have_count(1)
    card = deadline_card(page, DECISION_DEADLINE)
    expect(card.locator(".govuk-summary-card__title-wrapper .govuk-tag")).to_have_text("Met")
    expect(card.locator(".govuk-summary-list__key", has_text="Met")).to_be_visible()

    assert not broken_assets, broken_assets
    page.screenshot(
        path=str(screenshot_dir / "review-journey-decision-recorded.png"), full_page=True
    )


def test_second_decision_is_refused_with_a_clear_message(
    new_context, live_server, coordinator, second_coordinator, started_review
):
    review = started_review()
    step_url = f"{live_server.url}/reviews/{review.reference}/steps/decide/"
    first, second = new_context().new_page(), new_context().new_page()
    sign_in(first, live_server, coordinator.email)
    sign_in(second, live_server, second_coordinator.email)
    for page in (first, second):
        page.goto(step_url)
        page.get_by_label("Yes, hold a review").check()

    first.get_by_role("button", name="Record the decision").click()
    expect(first.get_by_role("alert")).to_contain_text("Record the decision: done.")

    with second.expect_navigation():
        second.get_by_role("button", name="Record the decision").click()
    decisions = ReviewHistory.objects.filter(
        review=review, action__in=["decide_to_commission", "decide_not_to_commission"]
    )
    assert decisions.count() == 1  # holds today: the second decision is never recorded
    # Fails today: the second person gets "Page not found" rather than this explanation.
    expect(second.locator("main")).to_contain_text(
        "Someone else changed this review while you were working on it."
    )
    second.goto(f"{live_server.url}/reviews/{review.reference}/")
    expect(
        second.locator(".moj-timeline__title").filter(has_text=re.compile("^Decided"))
    ).to_have_count(1)


def test_agency_author_sees_no_steps_and_only_the_review_they_take_part_in(
    page, live_server, coordinator, police_author, police, health, started_review
):
    in_scope = started_review(police, victim="Vera Inventedname")
    out_of_scope = started_review(health, victim="Wanda Inventedname")
    not_added = started_review(police, victim="Xena Inventedname")
    ParticipantFactory(
        review=in_scope,
        user=police_author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=coordinator,
    )
    sign_in(page, live_server, police_author.email)

    page.goto(f"{live_server.url}/reviews/")
    main = page.locator("main")
    expect(main.get_by_role("link", name=in_scope.reference)).to_be_visible()
    expect(main.get_by_role("link", name=out_of_scope.reference)).to_have_count(0)
    expect(main.get_by_role("link", name=not_added.reference)).to_have_count(0)
    expect(main.get_by_role("button")).to_have_count(0)  # no "Start a review"

    page.goto(f"{live_server.url}/reviews/{in_scope.reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(in_scope.reference)
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.get_by_role("heading", name="What you can do")).to_have_count(0)
    expect(main).not_to_contain_text("Vera Inventedname")  # real names are restricted

    response = page.goto(f"{live_server.url}/reviews/{out_of_scope.reference}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(main).not_to_contain_text("Wanda Inventedname")

    # Their agency in scope is not enough: they see a review only once they are added to it.
    response = page.goto(f"{live_server.url}/reviews/{not_added.reference}/")
    assert response.status == 404

    response = page.goto(f"{live_server.url}/reviews/{in_scope.reference}/steps/decide/")
    assert response.status == 404
