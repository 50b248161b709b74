"""axe-core finds no WCAG 2.2 AA problems on the service's pages, and the skip link works.

Pages are filled with the invented demo partnership (``workflows.demo``): reviews at every
stage, some paused, some overdue, as the service itself would hold them.
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, axe_check, sign_in
from tests.factories import ParticipantFactory
from workflows.demo import load_demo
from workflows.models import ParticipantRole, Review, User
from workflows.services.participants import invitation_url
from workflows.stages import Stage

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "correct-horse-battery-staple"
COORDINATOR = "coordinator@demo.example"


@pytest.fixture
def demo(transactional_db):
    return load_demo(DEMO_PASSWORD)


@pytest.fixture
def demo_coordinator_page(page, live_server, demo):
    sign_in(page, live_server, COORDINATOR, DEMO_PASSWORD)
    return page


def review_at(stage: str) -> Review:
    return Review.objects.filter(stage=stage).order_by("notified_on").first()


def test_axe_check_reports_violations(page, live_server):
    """The check itself works: an image without a text alternative is reported."""
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"x.png\">')"
    )
    assert "image-alt" in {violation["id"] for violation in axe_check(page)}


def test_start_page(page, live_server):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage domestic homicide reviews")
    assert_accessible(page)


def test_sign_in_page(page, live_server):
    page.goto(f"{live_server.url}/sign-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)


def test_sign_in_page_after_a_failed_sign_in(page, live_server, demo):
    page.goto(f"{live_server.url}/sign-in/")
    page.locator("input[name='username']").fill(COORDINATOR)
    page.locator("input[name='password']").fill("not-the-password")
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    expect(page).to_have_title("Error: Sign in - Manage domestic homicide reviews - GOV.UK")
    assert_accessible(page)


def test_list_of_reviews(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    page.goto(f"{live_server.url}/reviews/")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(Review.objects.filter(partnership__slug="demoshire").count())
    assert Review.objects.values("stage").distinct().count() > 5  # many stages on show
    assert_accessible(page)


def test_paused_review(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    review = review_at(Stage.PAUSED)
    page.goto(f"{live_server.url}/reviews/{review.reference}/")
    expect(page.locator("main .govuk-warning-text")).to_contain_text("Paused since")
    assert_accessible(page)


def test_review_at_setup(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    review = review_at(Stage.SETUP)
    page.goto(f"{live_server.url}/reviews/{review.reference}/")
    expect(page.locator("main p.govuk-body > .govuk-tag").first).to_have_text("Set-up")
    assert_accessible(page)


def test_start_a_review_with_errors(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    page.goto(f"{live_server.url}/reviews/start/")
    date_of_death = page.get_by_role("group", name="Date of death")
    date_of_death.get_by_label("Day").fill("31")
    date_of_death.get_by_label("Month").fill("2")
    date_of_death.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Start the review").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Date of death must be a real date")
    expect(summary).to_contain_text("Enter the date of notification")
    expect(page).to_have_title(re.compile("^Error: Start a review"))
    assert_accessible(page)


def test_step_form(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    review = review_at(Stage.NOTIFIED)
    page.goto(f"{live_server.url}/reviews/{review.reference}/steps/decide/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the decision")
    assert_accessible(page)


def test_step_form_with_errors(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    review = review_at(Stage.NOTIFIED)
    page.goto(f"{live_server.url}/reviews/{review.reference}/steps/decide/")
    page.get_by_label("No, do not hold a review").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reasons")
    assert_accessible(page)


@pytest.fixture
def people_page(page, live_server, review_at, coordinator, police_author, police):
    """The coordinator signed in, and a review in drafting with the police author taking part."""
    review = review_at(Stage.DRAFTING)
    ParticipantFactory(
        review=review,
        user=police_author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=coordinator,
    )
    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server.url}/reviews/{review.reference}/people/")
    return page


def test_people_page_with_invitation_errors(people_page):
    page = people_page
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.locator("main tbody tr")).not_to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Agency report (IMR) author").check()
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter an email address in the correct format")
    expect(summary).to_contain_text("Enter the person's full name")
    expect(page).to_have_title(re.compile("^Error: People"))
    assert_accessible(page)


def test_remove_someone_from_a_review(people_page):
    page = people_page
    page.locator("main tbody").get_by_role("link", name=re.compile("^Remove")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove")
    page.get_by_role("button", name="Remove from review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why this person")
    assert_accessible(page)


def test_create_your_password_from_an_invitation(page, live_server, transactional_db):
    person = User.objects.create_user("new.person@demo.example", full_name="Nadia New-Person")
    person.set_unusable_password()
    person.save()
    page.goto(live_server.url + invitation_url(person).removeprefix(settings.SITE_URL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your password")
    assert_accessible(page)
    page.get_by_label("Create a password").fill("short")
    page.get_by_label("Confirm your password").fill("short")
    page.get_by_role("button", name="Create password and sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("at least 12 characters")
    assert_accessible(page)


def test_an_expired_invitation_link(page, live_server):
    page.goto(f"{live_server.url}/invitation/MQ/not-a-token/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link has expired or has already been used"
    )
    assert_accessible(page)


def test_page_not_found(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    response = page.goto(f"{live_server.url}/reviews/NO-SUCH-REVIEW/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_main_content(
    demo_coordinator_page, live_server
):
    page = demo_coordinator_page
    page.goto(f"{live_server.url}/reviews/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # visually hidden until focused
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    assert page.url.endswith("#main-content")


def test_a_reviews_emails(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    review = review_at(Stage.ACTION_PLAN)
    page.goto(f"{live_server.url}/reviews/{review.reference}/")
    page.get_by_role("link", name="See every email and its status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emails about this review")
    expect(page.locator("table.govuk-table tbody tr").first).to_be_visible()
    assert_accessible(page)


def test_email_preferences_and_their_error(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    page.get_by_role("link", name="Email preferences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email preferences")
    assert_accessible(page)
    page.get_by_label("Send one email each morning with all my reminders").check()
    page.locator("main").get_by_role("button", name="Save preferences").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("saved")
    assert User.objects.get(email=COORDINATOR).email_preference.daily_digest is True


def test_reminder_settings_and_their_errors(demo_coordinator_page, live_server):
    page = demo_coordinator_page
    page.goto(f"{live_server.url}/reviews/")
    page.get_by_role("link", name=re.compile("^Reminders for ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders and escalations")
    assert_accessible(page)
    page.get_by_label("Send reminders this many days before each due date").fill("14, soon")
    page.locator("main").get_by_role("button", name="Save reminders").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter whole numbers of days")
    assert_accessible(page)


def test_forgotten_password_pages(page, live_server, demo):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert_accessible(page)
    page.get_by_label("Email address").fill(COORDINATOR)
    page.locator("main").get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)
