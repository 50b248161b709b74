"""``/tasks/``: my tasks and my roles' queue, sorted by due date, with claim and release."""

from datetime import date

import pytest
from django.urls import reverse

from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.services.tasks import open_stage_task


def start(partnership, coordinator, notified_on):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 1),
        notified_on=notified_on,
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )


@pytest.fixture
def two_reviews(partnership, coordinator):
    later = start(partnership, coordinator, date(2027, 5, 20))  # decision due 20 June
    earlier = start(partnership, coordinator, date(2027, 4, 25))  # decision due 25 May: overdue
    return earlier, later


def test_the_queue_lists_my_roles_tasks_soonest_first(client, coordinator, two_reviews):
    earlier, later = two_reviews
    client.force_login(coordinator)
    page = client.get("/tasks/").content.decode()
    assert "You have no tasks assigned to you." in page
    assert page.index(earlier.reference) < page.index(later.reference)
    assert page.count(">Record the notification and ask agencies what they knew</a>") == 2


def test_statuses_say_overdue_due_soon_on_time_and_paused(
    client, coordinator, csp_chair, partnership
):
    overdue = start(partnership, coordinator, date(2027, 4, 25))
    soon = start(partnership, coordinator, date(2027, 5, 5))
    on_time = start(partnership, coordinator, date(2027, 5, 25))
    paused = start(partnership, coordinator, date(2027, 5, 26))
    review_transition(
        review=paused, action="pause", by=csp_chair, on=date(2027, 5, 27), pause_reason="iopc"
    )
    client.force_login(coordinator)
    rows = client.get("/tasks/").content.decode().split('<tr class="govuk-table__row">')[1:]
    status_of = {}
    for review, label in [
        (overdue, "Overdue"),
        (soon, "Due soon"),
        (on_time, "On time"),
        (paused, "Paused"),
    ]:
        row = next(r for r in rows if review.reference in r)
        status_of[review.reference] = label in row
    assert all(status_of.values()), status_of


def test_claim_moves_a_task_to_my_tasks_and_release_puts_it_back(client, coordinator, two_reviews):
    earlier, _ = two_reviews
    task = open_stage_task(earlier)
    client.force_login(coordinator)
    response = client.post(reverse("tasks:claim", args=[task.pk]), follow=True)
    assert "You have claimed" in response.content.decode()
    mine = response.content.decode().split("Tasks waiting for someone in your role")[0]
    assert earlier.reference in mine
    response = client.post(reverse("tasks:release", args=[task.pk]), follow=True)
    assert "Released to the queue" in response.content.decode()
    task.refresh_from_db()
    assert task.owner is None


def test_a_second_claim_is_refused_with_a_message(client, coordinator, partnership, two_reviews):
    from tests.factories import MembershipFactory

    colleague = MembershipFactory(partnership=partnership, role="coordinator").user
    task = open_stage_task(two_reviews[0])
    client.force_login(coordinator)
    claim = reverse("tasks:claim", args=[task.pk])
    client.post(claim)
    client.force_login(colleague)
    response = client.post(claim, follow=True)
    assert "Someone else has already claimed this task." in response.content.decode()
    task.refresh_from_db()
    assert task.owner == coordinator


def test_people_who_cannot_see_the_review_cannot_see_or_claim_its_tasks(
    client, outsider, two_reviews
):
    task = open_stage_task(two_reviews[0])
    client.force_login(outsider)
    assert two_reviews[0].reference not in client.get("/tasks/").content.decode()
    claim = reverse("tasks:claim", args=[task.pk])
    assert client.post(claim).status_code == 404
    assert client.get(claim).status_code in (404, 405)


def test_the_task_list_needs_sign_in(client):
    response = client.get("/tasks/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
