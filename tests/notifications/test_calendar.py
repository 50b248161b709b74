"""Calendar feeds for Outlook: the right deadlines on the right dates, at a secret address that
only its owner can make and revoke, and that stops working when it should."""

import hashlib
import logging
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from notifications.calendar import calendar_feed_create
from notifications.models import CalendarFeed, CalendarFeedKind
from tests.factories import AgencyFactory, MembershipFactory, PartnershipFactory, UserFactory
from workflows.models import Deadline, Membership, Role
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import ReviewType

VICTIM = "Zelda Inventedname"
PERPETRATOR = "Quentin Madeupname"
CIRCUMSTANCES = "Found at the invented address of 1 Nowhere Lane"


def start(partnership, coordinator, agencies, notified_on: date, victim: str = VICTIM):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 5, 1),
        notified_on=notified_on,
        referred_by="Testshire Police",
        victim_real_name=victim,
        perpetrator_real_name=PERPETRATOR,
        circumstances=CIRCUMSTANCES,
        agencies=agencies,
    )


def step(review, action, by, on, **details):
    return review_transition(review=review, action=action, by=by, on=on, **details)


@pytest.fixture
def reviews(partnership, police, coordinator, csp_chair, independent_chair):
    """Two reviews of Testshire: one waiting for the CSP chair's decision, one commissioned and
    being set up by the coordinator (pseudonym "Robin"); and one of another partnership."""
    deciding = step(
        start(partnership, coordinator, [police], date(2027, 5, 20)),
        "start_scoping",
        coordinator,
        date(2027, 5, 21),
    )
    setting_up = start(partnership, coordinator, [police], date(2027, 5, 3))
    setting_up = step(setting_up, "decide_to_commission", csp_chair, date(2027, 5, 10))
    setting_up = step(
        setting_up,
        "appoint_independent_chair",
        coordinator,
        date(2027, 5, 12),
        chair=independent_chair,
        victim_pseudonym="Robin",
    )
    elsewhere = PartnershipFactory(name="Elsewhere CSP", slug="elsewhere", code="ELSE")
    other_coordinator = UserFactory(email="other.coordinator@test.example")
    MembershipFactory(user=other_coordinator, partnership=elsewhere, role=Role.COORDINATOR)
    other = start(
        elsewhere,
        other_coordinator,
        [AgencyFactory(partnership=elsewhere)],
        date(2027, 5, 25),
        victim="Yolanda Otherperson",
    )
    return {"deciding": deciding, "setting_up": setting_up, "other": other}


def deadline(review, rule: str) -> Deadline:
    return Deadline.objects.get(review=review, rule=rule)


def feed_path(token: str) -> str:
    return reverse("calendar:feed", kwargs={"token": token})


def fetch(token: str, client: Client | None = None):
    return (client or Client()).get(feed_path(token))


def events_of(response) -> dict:
    """The feed's events by SUMMARY, after checking it is an iCalendar file."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_on_page(client: Client, choice: str) -> str:
    """Create a feed through the page and read its address from the page, as a person would."""
    response = client.post(reverse("calendar:feeds"), {"deadlines": choice}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your calendar feed has been created." in html
    address = re.search(r'id="feed-url"[^>]*>([^<]+)</textarea>', html).group(1)
    assert address.startswith(settings.SITE_URL)
    return urlsplit(address).path


def test_my_deadlines_are_the_deadlines_of_the_work_i_hold(reviews, coordinator, csp_chair):
    chairs = events_of(fetch(calendar_feed_create(owner=csp_chair, kind="my_deadlines")))
    coordinators = events_of(fetch(calendar_feed_create(owner=coordinator, kind="my_deadlines")))

    deciding, setting_up = reviews["deciding"], reviews["setting_up"]
    decision = deadline(deciding, "decision")
    completion = deadline(setting_up, "completion")
    # The CSP chair holds the decision; the coordinator sets the commissioned review up.
    assert set(chairs) == {f"{deciding.reference}: Decide whether to hold a review"}
    assert set(coordinators) == {f"{setting_up.reference} (Robin): Complete the review"}

    event = chairs[f"{deciding.reference}: Decide whether to hold a review"]
    assert event.decoded("DTSTART") == decision.due_on
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event.decoded("DTEND") == date(2027, 6, 21)  # all day on the due date (20 June)
    assert decision.explanation in str(event["DESCRIPTION"])
    assert f"{settings.SITE_URL}/reviews/{deciding.reference}/" in str(event["DESCRIPTION"])
    assert coordinators[f"{setting_up.reference} (Robin): Complete the review"].decoded(
        "DTSTART"
    ) == (completion.due_on)


def test_a_deadline_no_task_waits_on_is_the_coordinators(
    partnership, police, coordinator, csp_chair
):
    """As for reminders: the national panel's notification of a joint review has no task."""
    joint = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 5, 1),
        notified_on=date(2027, 5, 27),
        referred_by="Testshire Police",
        victim_real_name=VICTIM,
        review_type=ReviewType.JOINT,
        agencies=[police],
    )
    joint = step(joint, "start_scoping", coordinator, date(2027, 5, 28))
    coordinators = events_of(fetch(calendar_feed_create(owner=coordinator, kind="my_deadlines")))
    chairs = events_of(fetch(calendar_feed_create(owner=csp_chair, kind="my_deadlines")))
    national_panel = f"{joint.reference}: Notify the Child Safeguarding Practice Review Panel"
    decision = f"{joint.reference}: Decide whether to hold a review"
    assert set(coordinators) == {national_panel}
    assert set(chairs) == {decision}
    assert coordinators[national_panel].decoded("DTSTART") == (
        deadline(joint, "national_panel_notification").due_on
    )


def test_the_calendar_is_named_and_reminds_the_day_before(reviews, csp_chair):
    token = calendar_feed_create(owner=csp_chair, kind="my_deadlines")
    calendar = Calendar.from_ical(fetch(token).content)
    assert str(calendar["X-WR-CALNAME"]) == "My review deadlines"
    (event,) = calendar.walk("VEVENT")
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER").days == -1


def test_a_partnership_feed_holds_every_open_deadline_of_its_reviews(
    reviews, partnership, csp_chair
):
    token = calendar_feed_create(owner=csp_chair, kind="partnership", partnership=partnership)
    response = fetch(token)
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == (
        "Testshire Community Safety Partnership: review deadlines"
    )
    dates = {str(event["SUMMARY"]): event.decoded("DTSTART") for event in calendar.walk("VEVENT")}
    deciding, setting_up = reviews["deciding"], reviews["setting_up"]
    assert dates == {
        f"{deciding.reference}: Decide whether to hold a review": date(2027, 6, 20),
        f"{setting_up.reference} (Robin): Complete the review": deadline(
            setting_up, "completion"
        ).due_on,
    }
    # The set-up review's decision was met: it is not in the calendar; nor is another
    # partnership's review.
    assert reviews["other"].reference.encode() not in response.content


def test_paused_deadlines_are_left_out_and_a_moved_date_keeps_its_event(
    reviews, partnership, csp_chair
):
    token = calendar_feed_create(owner=csp_chair, kind="partnership", partnership=partnership)
    setting_up = reviews["setting_up"]
    summary = f"{setting_up.reference} (Robin): Complete the review"
    before = events_of(fetch(token))[summary]

    setting_up = step(setting_up, "pause", csp_chair, date(2027, 5, 20), pause_reason="inquest")
    assert deadline(setting_up, "completion").due_on is None
    assert summary not in events_of(fetch(token))

    step(setting_up, "resume", csp_chair, date(2027, 5, 31))
    after = events_of(fetch(token))[summary]
    assert after.decoded("DTSTART") == deadline(setting_up, "completion").due_on
    assert after.decoded("DTSTART") > before.decoded("DTSTART")
    # The same event, moved: calendars replace it rather than keep the old date beside it.
    assert str(after["UID"]) == str(before["UID"])


def test_no_real_name_or_circumstances_reach_the_feed(reviews, partnership, coordinator):
    token = calendar_feed_create(owner=coordinator, kind="partnership", partnership=partnership)
    body = fetch(token).content
    assert reviews["deciding"].reference.encode() in body
    for restricted in (VICTIM, PERPETRATOR, CIRCUMSTANCES, "Yolanda Otherperson"):
        assert restricted.encode() not in body


def test_only_the_hash_of_the_token_is_stored(coordinator):
    token = calendar_feed_create(owner=coordinator, kind="my_deadlines")
    feed = CalendarFeed.objects.get()
    assert len(token) >= 43
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in CalendarFeed.objects.values_list().get()]
    assert not any(token in value for value in stored)


def test_fetching_records_when_the_feed_was_last_used(coordinator):
    token = calendar_feed_create(owner=coordinator, kind="my_deadlines")
    assert CalendarFeed.objects.get().last_used_at is None
    fetch(token)
    assert CalendarFeed.objects.get().last_used_at is not None


def test_revoked_and_unknown_addresses_are_not_found(coordinator):
    token = calendar_feed_create(owner=coordinator, kind="my_deadlines")
    assert fetch(token).status_code == 200
    feed = CalendarFeed.objects.get()
    response = signed_in(coordinator).post(reverse("calendar:feed_revoke", args=[feed.pk]))
    assert response.status_code == 302
    assert fetch(token).status_code == 404
    assert fetch("not-a-token-anyone-was-given").status_code == 404
    assert CalendarFeed.objects.get().revoked_at is not None


def test_a_partnership_feed_stops_when_its_owner_no_longer_manages_it(partnership, coordinator):
    token = calendar_feed_create(owner=coordinator, kind="partnership", partnership=partnership)
    assert fetch(token).status_code == 200
    Membership.objects.filter(user=coordinator, role=Role.COORDINATOR).delete()
    assert fetch(token).status_code == 404
    # The page says why the feed stopped.
    assert "You no longer manage this partnership." in (
        signed_in(coordinator).get(reverse("calendar:feeds")).content.decode()
    )


def test_a_switched_off_account_has_no_feed(coordinator):
    token = calendar_feed_create(owner=coordinator, kind="my_deadlines")
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    assert fetch(token).status_code == 404


def test_only_the_owner_can_revoke_a_feed(coordinator, csp_chair, outsider):
    token = calendar_feed_create(owner=coordinator, kind="my_deadlines")
    feed = CalendarFeed.objects.get()
    url = reverse("calendar:feed_revoke", args=[feed.pk])
    for someone in (csp_chair, outsider):
        assert signed_in(someone).post(url).status_code == 404
    assert signed_in(coordinator).get(url).status_code == 405
    assert fetch(token).status_code == 200
    response = signed_in(coordinator).post(url, follow=True)
    assert "has been revoked" in response.content.decode()
    assert signed_in(coordinator).post(url).status_code == 404  # already revoked


def test_anyone_reaches_the_feed_but_only_people_signed_in_reach_the_pages(coordinator):
    token = calendar_feed_create(owner=coordinator, kind="my_deadlines")
    anonymous = Client()
    assert fetch(token, anonymous).status_code == 200
    for url in (
        reverse("calendar:feeds"),
        reverse("calendar:feed_revoke", args=[CalendarFeed.objects.get().pk]),
    ):
        response = anonymous.post(url, {"deadlines": "my_deadlines"})
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")
        assert anonymous.get(url)["Location"].startswith("/sign-in/")
    assert CalendarFeed.objects.count() == 1
    assert CalendarFeed.objects.get().revoked_at is None


def test_the_address_is_shown_once_and_works(reviews, csp_chair, partnership):
    client = signed_in(csp_chair)
    path = create_on_page(client, str(partnership.pk))
    feed = CalendarFeed.objects.get()
    assert (feed.kind, feed.partnership) == (CalendarFeedKind.PARTNERSHIP, partnership)
    assert len(events_of(Client().get(path))) == 2

    page = client.get(reverse("calendar:feeds")).content.decode()
    assert path not in page
    assert 'id="feed-url"' not in page
    assert "Testshire Community Safety Partnership: review deadlines" in page
    assert "Subscribe from web" not in page


def test_the_new_address_page_tells_how_to_subscribe_in_outlook(coordinator):
    response = signed_in(coordinator).post(
        reverse("calendar:feeds"), {"deadlines": "my_deadlines"}, follow=True
    )
    html = response.content.decode()
    assert "Add calendar" in html and "Subscribe from web" in html
    assert "no-store" in response["Cache-Control"]


def test_a_choice_is_needed_and_only_managed_partnerships_are_offered(
    partnership, police_author, csp_chair
):
    response = signed_in(csp_chair).post(reverse("calendar:feeds"), {})
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Select which deadlines you want in the calendar" in html
    assert CalendarFeed.objects.count() == 0

    # An agency author manages no partnership: asking for its feed is refused.
    author = signed_in(police_author)
    assert "Every deadline of" not in author.get(reverse("calendar:feeds")).content.decode()
    response = author.post(reverse("calendar:feeds"), {"deadlines": str(partnership.pk)})
    assert "Select a valid choice" in response.content.decode()
    assert CalendarFeed.objects.count() == 0


def test_the_token_never_reaches_the_logs(coordinator, caplog):
    caplog.set_level(logging.DEBUG)
    client = signed_in(coordinator)
    path = create_on_page(client, "my_deadlines")
    token = path.split("/")[-1].removesuffix(".ics")
    Client().get(path)
    Client().post(path)
    client.post(reverse("calendar:feed_revoke", args=[CalendarFeed.objects.get().pk]))
    assert Client().get(path).status_code == 404
    assert token not in caplog.text
    assert "calendar feed" in caplog.text


def test_the_email_preferences_page_links_to_the_feeds(coordinator):
    html = signed_in(coordinator).get(reverse("email_preferences")).content.decode()
    assert f'href="{reverse("calendar:feeds")}"' in html
