"""A coordinator makes a calendar feed of the demo partnership's deadlines in Chromium, takes its
address from the page as they would to paste into Outlook, fetches it, and revokes it."""

from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from notifications.models import CalendarFeed
from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Deadline

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "correct-horse-battery-staple"
COORDINATOR = "coordinator@demo.example"


@pytest.fixture
def demo(transactional_db):
    return load_demo(DEMO_PASSWORD)


def fetch(live_server, address: str):
    """Fetch the feed as Outlook would: no cookies, from the address shown (on this server)."""
    with urlopen(live_server.url + urlsplit(address).path, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def test_make_fetch_and_revoke_a_partnership_feed(page, live_server, demo, screenshot_dir):
    sign_in(page, live_server, COORDINATOR, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/account/emails/")
    page.get_by_role("link", name="Calendar feeds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feeds")
    assert_accessible(page)

    # Without a choice: the GOV.UK error summary.
    page.get_by_role("button", name="Create calendar feed").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select which deadlines you want in the calendar"
    )
    expect(page).to_have_title("Error: Calendar feeds - Manage domestic homicide reviews - GOV.UK")
    page.screenshot(path=str(screenshot_dir / "calendar-feeds-error.png"), full_page=True)
    assert_accessible(page)

    page.get_by_label(f"Every deadline of {demo.name}").check()
    page.get_by_role("button", name="Create calendar feed").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your calendar feed has been created."
    )
    expect(page.get_by_text("Subscribe from web")).to_be_visible()
    address = page.get_by_label("Calendar address").input_value()
    page.screenshot(path=str(screenshot_dir / "calendar-feed-created.png"), full_page=True)
    assert_accessible(page)

    content_type, body = fetch(live_server, address)
    assert content_type == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(body)
    open_dates = Deadline.objects.filter(
        review__partnership=demo, met_on__isnull=True, due_on__isnull=False
    ).values_list("pk", "due_on")
    events = calendar.walk("VEVENT")
    assert len(events) == len(open_dates) > 0
    assert sorted(event.decoded("DTSTART") for event in events) == sorted(
        due_on for _pk, due_on in open_dates
    )

    # Shown once: after a reload the address is gone, the feed is listed as used today.
    page.reload()
    expect(page.get_by_label("Calendar address")).to_have_count(0)
    card = page.locator(".govuk-summary-card", has_text=f"{demo.name}: review deadlines")
    expect(card).not_to_contain_text("Never")
    page.screenshot(path=str(screenshot_dir / "calendar-feeds.png"), full_page=True)
    assert_accessible(page)

    card.get_by_role("button", name="Revoke").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("has been revoked")
    expect(page.get_by_text("You have no calendar feeds.")).to_be_visible()
    assert CalendarFeed.objects.get().revoked_at is not None
    with pytest.raises(HTTPError) as refused:
        fetch(live_server, address)
    assert refused.value.code == 404
