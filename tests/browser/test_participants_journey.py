"""The demo people take a review from notification to Home Office submission in Chromium, each
doing only their own tasks: a nil return, a late-added agency (whose new author accepts an
invitation), a change of independent chair that moves the chair's tasks, and a report sent back
and accepted."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail

from tests.browser.conftest import sign_in
from workflows.demo import load_demo
from workflows.models import Review, User
from workflows.qa.samples import submission_documents_upload

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def demo(transactional_db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(PASSWORD)


class Person:
    """One signed-in person in a browser context of their own."""

    def __init__(self, new_context, live_server, email, password=PASSWORD):
        self.page = new_context().new_page()
        self.url = live_server.url
        sign_in(self.page, live_server, email, password)  # and the code, for coordinators

    def open_task(self, title: str, reference: str):
        """Open a task from My tasks, claiming it first when it waits in the role's queue."""
        self.page.goto(f"{self.url}/tasks/")
        row = self.page.locator("tr", has_text=reference).filter(has_text=title)
        claim = row.get_by_role("button", name=re.compile("^Claim"))
        if claim.count():
            claim.click()
            row = self.page.locator("tr", has_text=reference).filter(has_text=title)
        row.get_by_role("link", name=title, exact=True).click()

    def submit(self, button: str):
        self.page.locator("main").get_by_role("button", name=button).click()
        expect_banner(self.page)


def expect_banner(page):
    banner = page.locator(".govuk-notification-banner--success")
    banner.wait_for()
    return banner


def day(field: str, when: date, page):
    page.locator(f"input[name='{field}_0']").fill(str(when.day))
    page.locator(f"input[name='{field}_1']").fill(str(when.month))
    page.locator(f"input[name='{field}_2']").fill(str(when.year))


def test_demo_people_do_their_own_tasks_up_to_home_office_submission(
    new_context, live_server, demo, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    today = date.today()
    coordinator = Person(new_context, live_server, "coordinator@demo.example")
    page = coordinator.page

    # The coordinator records the notification, with the police and health in scope.
    page.goto(f"{live_server.url}/reviews/start/")
    page.get_by_label("Who notified the partnership").fill("Demoshire Police")
    day("date_of_death", today - timedelta(days=10), page)
    day("notified_on", today - timedelta(days=8), page)
    page.get_by_label("Full name of the person who died").fill("Yolanda Inventedperson")
    page.get_by_label("Demoshire Police").check()
    page.get_by_label("Demoshire NHS Foundation Trust").check()
    page.get_by_role("button", name="Start the review").click()
    expect_banner(page)
    review = Review.objects.get(victim_real_name="Yolanda Inventedperson")
    ref = review.reference

    coordinator.open_task("Record the notification and ask agencies what they knew", ref)
    coordinator.submit("Continue")

    chair_of_csp = Person(new_context, live_server, "csp.chair@demo.example")
    chair_of_csp.open_task("Decide whether to hold a review", ref)
    chair_of_csp.page.get_by_label("Yes, hold a review").check()
    chair_of_csp.submit("Record the decision")

    coordinator.open_task("Appoint the independent chair and panel, and write to the family", ref)
    page.get_by_label("Independent chair").select_option(label="Indira Chair")
    page.get_by_label("Pseudonym for the person who died").fill("Clover")
    coordinator.submit("Continue")
    page.goto(f"{live_server.url}/reviews/{ref}/steps/complete-setup/")
    coordinator.submit("Continue")

    # The coordinator adds each agency's people to this review.
    for email, name, role, agency in [
        (
            "police.author@demo.example",
            "Pat Police-Author",
            "Agency report (IMR) author",
            "Demoshire Police",
        ),
        (
            "police.manager@demo.example",
            "Morgan Police-Manager",
            "Agency senior manager",
            "Demoshire Police",
        ),
        (
            "health.author@demo.example",
            "Harper Health-Author",
            "Agency report (IMR) author",
            "Demoshire NHS Foundation Trust",
        ),
    ]:
        invite(page, live_server.url, ref, email, name, role, agency)

    chair = Person(new_context, live_server, "independent.chair@demo.example")
    chair.open_task("Draft and agree the terms of reference", ref)
    chair.submit("Continue")

    # A late agency: housing joins, and its new author accepts the emailed invitation.
    page.goto(f"{live_server.url}/reviews/{ref}/agencies/add/")
    page.locator("select[name='agency']").select_option(label="Demoshire Council Housing")
    page.get_by_role("button", name="Add the agency").click()
    expect_banner(page)
    mail.outbox.clear()
    invite(
        page,
        live_server.url,
        ref,
        "housing.author@demo.example",
        "Hollis Housing-Author",
        "Agency report (IMR) author",
        "Demoshire Council Housing",
    )
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body).group(0)
    assert "Yolanda" not in mail.outbox[-1].body
    housing = new_context().new_page()
    housing.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
    housing.locator("input[name='new_password1']").fill("a-long-invented-passphrase")
    housing.locator("input[name='new_password2']").fill("a-long-invented-passphrase")
    housing.locator("main button[type=submit]").click()
    housing.wait_for_url(re.compile(r".*/reviews/$"))
    housing_author = Person.__new__(Person)
    housing_author.page, housing_author.url = housing, live_server.url

    # Nil returns from health and housing.
    for person in (Person(new_context, live_server, "health.author@demo.example"), housing_author):
        person.open_task("Say whether your agency knew the people involved", ref)
        person.page.get_by_label("No: make a nil return").check()
        person.submit("Send the answer")

    # The chair changes: the coordinator appoints another, and the chair's tasks move with it.
    page.goto(f"{live_server.url}/reviews/{ref}/steps/appoint-chair/")
    page.get_by_label("Independent chair").select_option(label="Sam Second-Chair")
    coordinator.submit("Continue")
    assert review.history.filter(action="reassign_task").exists()
    chair = Person(new_context, live_server, "second.chair@demo.example")

    # The police report: uploaded, signed off, sent back once, then accepted.
    police = Person(new_context, live_server, "police.author@demo.example")
    police.open_task("Say whether your agency knew the people involved", ref)
    police.page.get_by_label("Yes: we will write a chronology and a report").check()
    police.submit("Send the answer")
    for kind in ("Chronology", "Agency report (IMR)"):
        upload(police.page, live_server.url, ref, kind, tmp_path)
    manager = Person(new_context, live_server, "police.manager@demo.example")
    for round_ in ("first", "second"):
        police.open_task("Write and upload your agency's chronology and report", ref)
        police.submit("Send the report for sign-off")
        manager.open_task("Sign off your agency's report", ref)
        manager.submit("Sign off the report")
        chair.open_task("Accept the agency's report or send it back", ref)
        if round_ == "first":
            chair.page.get_by_label("No, send it back").check()
            chair.page.get_by_label("What the agency needs to change").fill("Add March.")
        else:
            chair.page.get_by_label("Yes, accept the report").check()
        chair.submit("Record the decision")

    chair.open_task("Collect every agency's report", ref)
    chair.submit("Continue")
    # The documents the Home Office's pack is built from (tests/workflows/test_qa.py).
    submission_documents_upload(
        review=review, by=User.objects.get(email="coordinator@demo.example")
    )
    chair.open_task("Draft the overview report, executive summary and action plan", ref)
    # The step's own checkboxes (the page also offers an upload form for these documents).
    for document in ("overview_report", "executive_summary", "action_plan"):
        chair.page.locator(f"input[name='documents'][value='{document}']").check()
    chair.submit("Continue")
    chair_of_csp.open_task("Sign off the report for the partnership", ref)
    chair_of_csp.submit("Continue")
    page.goto(f"{live_server.url}/reviews/{ref}/steps/submit-to-home-office/")
    coordinator.submit("Continue")

    review.refresh_from_db()
    assert review.stage == "home_office_qa"
    assert review.qa_submissions.get().number == 1
    assert review.history.filter(action="agency_acceptance").count() == 2
    assert review.review_agencies.filter(involvement="not_involved").count() == 2
    page.goto(f"{live_server.url}/reviews/{ref}/")
    assert "Home Office quality assurance" in page.locator("h1 + p").inner_text()


def invite(page, base, ref, email, name, role, agency):
    page.goto(f"{base}/reviews/{ref}/people/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Full name").fill(name)
    page.get_by_label(role).check()
    page.locator("select[name='agency']").select_option(label=agency)
    page.get_by_role("button", name="Send invitation").click()
    expect_banner(page)


def upload(page, base, ref, kind, folder):
    page.goto(f"{base}/reviews/{ref}/documents/upload/")
    page.get_by_label("Which document is this?").select_option(label=kind)
    page.locator("select[name='agency']").select_option(label="Demoshire Police")
    path = folder / f"{kind.split()[0].lower()}.pdf"
    path.write_bytes(PDF)
    page.get_by_label("Upload a file").set_input_files(str(path))
    page.locator("main button[type=submit]").click()
    expect_banner(page)
