"""axe-core finds no WCAG 2.2 AA problems on the pages where people do their work: My tasks,
an agency's task, adding an agency, documents, reassignment, cover and bulk reassignment."""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Review
from workflows.stages import Stage

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(PASSWORD)
    return Review.objects.get(stage=Stage.AGENCY_REPORTS)


def signed_in(page, live_server, email):
    sign_in(page, live_server, email, PASSWORD)
    return page


def test_my_tasks_for_the_coordinator(page, live_server, demo):
    signed_in(page, live_server, "coordinator@demo.example").goto(f"{live_server.url}/tasks/")
    assert_accessible(page)


def test_my_tasks_and_an_agency_task_for_an_agency_author(page, live_server, demo):
    signed_in(page, live_server, "police.author@demo.example").goto(f"{live_server.url}/tasks/")
    assert_accessible(page)
    page.get_by_role("link", name="Say whether your agency knew the people involved").first.click()
    page.locator("main button[type=submit]").click()  # without an answer: the error summary
    assert page.locator(".govuk-error-summary").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    ["agencies/add/", "documents/", "documents/upload/", "documents/access-log/", "people/"],
)
def test_the_coordinators_review_pages(page, live_server, demo, path):
    signed_in(page, live_server, "coordinator@demo.example")
    page.goto(f"{live_server.url}/reviews/{demo.reference}/{path}")
    assert_accessible(page)


@pytest.mark.parametrize("path", ["cover/", "bulk-reassign/"])
def test_cover_and_bulk_reassignment(page, live_server, demo, path):
    signed_in(page, live_server, "coordinator@demo.example").goto(f"{live_server.url}/tasks/{path}")
    assert_accessible(page)
    page.locator("main button[type=submit]").first.click()  # empty: the error summary
    assert_accessible(page)


def test_the_reassign_page(page, live_server, demo):
    task = Task.objects.filter(status="NEW", flow_task_type="HUMAN").order_by("pk").first()
    signed_in(page, live_server, "coordinator@demo.example").goto(
        live_server.url + reverse("tasks:reassign", args=[task.pk])
    )
    assert_accessible(page)


def test_a_panel_members_request_for_comments(page, live_server, demo):
    signed_in(page, live_server, "panel.member@demo.example").goto(f"{live_server.url}/tasks/")
    assert_accessible(page)
    page.get_by_role("link", name="Comment on the terms of reference").first.click()
    page.locator("main button[type=submit]").click()  # empty: the error summary
    assert page.locator(".govuk-error-summary").count() == 1
    assert_accessible(page)
