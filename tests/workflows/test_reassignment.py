"""Moving work between people: reassign with a reason, move a leaver's tasks, cover while away."""

from datetime import date

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests.factories import MembershipFactory, UserFactory
from workflows.models import Cover, Participant, Role, TaskEvent
from workflows.services.agency_reports import agency_task_complete
from workflows.services.lifecycle import TransitionRefused, review_transition
from workflows.services.reassignment import (
    cover_end,
    cover_start,
    task_reassign,
    tasks_bulk_reassign,
    tasks_follow_chair,
)
from workflows.services.reviews import review_start
from workflows.services.tasks import (
    OPEN,
    TaskRefused,
    may_do,
    open_stage_task,
    process_for,
    task_claim,
)
from workflows.task_selectors import open_task_rows

ON = date(2027, 5, 1)


def started(partnership, coordinator, agencies=()):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
        agencies=list(agencies),
    )


def at_terms_of_reference(partnership, coordinator, chair, agencies=()):
    review = started(partnership, coordinator, agencies)
    for action, extra in [
        ("decide_to_commission", {}),
        ("appoint_independent_chair", {"chair": chair, "victim_pseudonym": "Robin"}),
        ("complete_setup", {}),
    ]:
        review = review_transition(review=review, action=action, by=coordinator, on=ON, **extra)
    return review


def agency_task(review, name, agency):
    tasks = Task.objects.filter(process=process_for(review), status__in=OPEN)
    return next(
        task
        for task in tasks.filter(flow_task_type="HUMAN").order_by("pk")
        if task.flow_task.name == name
        and review.review_agencies.get(pk=task.data["review_agency"]).agency == agency
    )


@pytest.fixture
def new_chair(partnership):
    return UserFactory(email="new.chair@test.example", full_name="New Chair")


@pytest.fixture
def chaired(partnership, coordinator, independent_chair):
    return at_terms_of_reference(partnership, coordinator, independent_chair)


@pytest.fixture
def agency_review(partnership, coordinator, independent_chair, police, health, police_author):
    """A review collecting agency reports, the police author and a health author taking part."""
    review = at_terms_of_reference(partnership, coordinator, independent_chair, [police, health])
    review = review_transition(
        review=review, action="agree_terms_of_reference", by=independent_chair, on=ON
    )
    for user, agency in [(police_author, police), (UserFactory(full_name="Health Author"), health)]:
        Participant.objects.create(
            review=review, user=user, role="agency_author", agency=agency, added_by=coordinator
        )
    return review


@pytest.fixture
def second_police_author(agency_review, police, coordinator):
    user = UserFactory(email="second.police@test.example", full_name="Second Police Author")
    Participant.objects.create(
        review=agency_review, user=user, role="agency_author", agency=police, added_by=coordinator
    )
    return user


# Reassigning one task.


def test_the_coordinator_reassigns_an_agency_task_to_another_author_with_a_reason(
    agency_review, coordinator, police, police_author, second_police_author
):
    task = agency_task(agency_review, "agency_scoping", police)
    task_claim(task=task, review=agency_review, user=police_author)
    task_reassign(
        task=task,
        review=agency_review,
        to_user=second_police_author,
        by=coordinator,
        reason="The first author has moved team.",
    )
    task.refresh_from_db()
    assert (task.owner, task.status) == (second_police_author, STATUS.ASSIGNED)
    history = agency_review.history.get(action="reassign_task")
    assert history.reason.endswith(
        "from Police Author to Second Police Author: The first author has moved team."
    )
    assert (history.by, history.from_stage, history.to_stage) == (
        coordinator,
        agency_review.stage,
        agency_review.stage,
    )
    event = TaskEvent.objects.get(task_id=task.pk, action="reassigned")
    assert (event.from_user, event.to_user, event.by) == (
        police_author,
        second_police_author,
        coordinator,
    )


def test_the_chairs_open_tasks_follow_a_new_chair(
    chaired, coordinator, independent_chair, new_chair
):
    assert open_stage_task(chaired).owner == independent_chair
    review = review_transition(
        review=chaired,
        action="appoint_independent_chair",
        by=coordinator,
        on=ON,
        chair=new_chair,
        victim_pseudonym="Robin",
    )
    assert open_stage_task(review).owner == new_chair
    assert "to New Chair: The review's independent chair changed." in (
        review.history.get(action="reassign_task").reason
    )
    tasks_follow_chair(review=review, by=coordinator)  # nothing left to move
    assert review.history.filter(action="reassign_task").count() == 1


def test_a_reason_is_required_and_only_the_coordinator_may_reassign(
    chaired, coordinator, csp_chair, independent_chair
):
    task = open_stage_task(chaired)
    with pytest.raises(TaskRefused, match="Enter why"):
        task_reassign(task=task, review=chaired, to_user=csp_chair, by=coordinator, reason=" ")
    with pytest.raises(TaskRefused, match="Only the coordinator"):
        task_reassign(
            task=task, review=chaired, to_user=independent_chair, by=csp_chair, reason="Why not."
        )
    assert not chaired.history.filter(action="reassign_task").exists()


def test_the_new_owner_must_hold_the_tasks_role(
    agency_review, coordinator, police, police_author, health_author, second_police_author
):
    task = agency_task(agency_review, "agency_scoping", police)
    with pytest.raises(TaskRefused, match="does not hold the role"):
        task_reassign(
            task=task,
            review=agency_review,
            to_user=health_author,
            by=coordinator,
            reason="Leaving.",
        )
    task_reassign(
        task=task,
        review=agency_review,
        to_user=second_police_author,
        by=coordinator,
        reason="The first author has left the police.",
    )
    task.refresh_from_db()
    assert task.owner == second_police_author
    assert agency_review.history.get(action="reassign_task").reason == (
        "Say whether your agency knew the people involved: from the queue to Second Police "
        "Author: The first author has left the police."
    )


# Moving the tasks of someone who leaves.


def test_bulk_reassign_moves_a_leavers_tasks_and_lists_those_it_cannot(
    partnership, coordinator, csp_chair
):
    leaving = UserFactory(email="leaving@test.example", full_name="Leaving Chair")
    MembershipFactory(user=leaving, partnership=partnership, role=Role.CSP_CHAIR)
    scoping = []
    for _ in range(2):
        review = started(partnership, coordinator)
        review = review_transition(review=review, action="start_scoping", by=coordinator, on=ON)
        decide = open_stage_task(review)
        task_claim(task=decide, review=review, user=leaving)
        scoping.append((review, decide))
    chaired_by_leaver = at_terms_of_reference(partnership, coordinator, leaving)

    result = tasks_bulk_reassign(
        person=leaving,
        to_user=csp_chair,
        partnership=partnership,
        by=coordinator,
        reason="Leaving the partnership.",
    )

    assert {task.pk for task, _review in result.moved} == {task.pk for _r, task in scoping}
    [(stuck, stuck_review, why)] = result.not_moved
    assert stuck_review == chaired_by_leaver and "does not hold the role" in why
    for review, task in scoping:
        task.refresh_from_db()
        assert task.owner == csp_chair
        assert review.history.get(action="reassign_task").reason.endswith(
            "from Leaving Chair to Csp Chair: Leaving the partnership."
        )
    assert open_stage_task(chaired_by_leaver).owner == leaving
    assert TaskEvent.objects.filter(action="reassigned").count() == 2


def test_only_the_partnerships_coordinator_may_bulk_reassign(partnership, csp_chair, coordinator):
    with pytest.raises(TaskRefused, match="coordinator"):
        tasks_bulk_reassign(
            person=coordinator, to_user=csp_chair, partnership=partnership, by=csp_chair, reason="x"
        )


# Cover while someone is away.


@pytest.fixture
def delegate(partnership, police):
    user = UserFactory(email="delegate@test.example", full_name="Dee Legate")
    MembershipFactory(user=user, partnership=partnership, role=Role.AGENCY_AUTHOR, agency=police)
    return user


def test_a_delegate_sees_and_does_the_covered_persons_task_during_the_cover_only(
    agency_review, coordinator, police, police_author, delegate, time_machine
):
    scoping = agency_task(agency_review, "agency_scoping", police)
    task_claim(task=scoping, review=agency_review, user=police_author)
    assert not may_do(scoping, agency_review, delegate)
    cover_start(
        person=police_author,
        delegate=delegate,
        partnership=agency_review.partnership,
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 10),
        reason="Annual leave",
        by=coordinator,
    )

    _mine, _queue, covering = open_task_rows(delegate)
    assert [(row.task, row.covering_for) for row in covering] == [(scoping, police_author)]
    agency_task_complete(task=scoping, review=agency_review, by=delegate, on=ON, answer="involved")
    history = agency_review.history.get(action="agency_scoping")
    assert history.by == delegate
    assert history.reason == (
        "Testshire Police: Knew the people involved (for Police Author while they are away)"
    )
    event = TaskEvent.objects.get(task_id=scoping.pk, action="completed_on_behalf")
    assert (event.from_user, event.to_user) == (police_author, delegate)

    report = agency_task(agency_review, "agency_report", police)
    assert may_do(report, agency_review, delegate)  # the author's next task, waiting for the role
    time_machine.move_to(date(2027, 6, 11))
    assert not may_do(report, agency_review, delegate)
    assert open_task_rows(delegate)[2] == []
    with pytest.raises(TransitionRefused, match="someone else"):
        agency_task_complete(task=report, review=agency_review, by=delegate, on=ON)


def test_ending_a_cover_stops_it_at_once_and_only_the_coordinator_or_person_may(
    agency_review, coordinator, police, police_author, delegate, csp_chair
):
    cover = cover_start(
        person=police_author,
        delegate=delegate,
        partnership=agency_review.partnership,
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 10),
        reason="",
        by=police_author,
    )
    scoping = agency_task(agency_review, "agency_scoping", police)
    assert may_do(scoping, agency_review, delegate)
    with pytest.raises(TaskRefused, match="Only the coordinator or the person"):
        cover_end(cover=cover, by=delegate)
    cover_end(cover=cover, by=coordinator)
    assert not may_do(scoping, agency_review, delegate)
    assert not Cover.objects.active().exists()


def test_cover_for_someone_else_needs_the_coordinator(
    agency_review, police_author, delegate, csp_chair
):
    with pytest.raises(TaskRefused, match="Only the coordinator"):
        cover_start(
            person=police_author,
            delegate=delegate,
            partnership=agency_review.partnership,
            starts_on=date(2027, 6, 1),
            ends_on=date(2027, 6, 10),
            reason="",
            by=csp_chair,
        )


def test_an_agencys_work_is_never_covered_from_another_agency(
    agency_review, police_author, coordinator, health
):
    health_author = agency_review.participants.get(agency=health).user
    with pytest.raises(TaskRefused, match="same agency"):
        cover_start(
            person=police_author,
            delegate=health_author,
            partnership=agency_review.partnership,
            starts_on=date(2027, 6, 1),
            ends_on=date(2027, 6, 10),
            reason="Annual leave.",
            by=coordinator,
        )
    assert not Cover.objects.exists()


# Pages.


def one_h1(page: str) -> bool:
    return page.count("<h1") == 1


def test_the_reassign_page_is_the_coordinators_only(
    client, agency_review, coordinator, csp_chair, outsider, police, second_police_author
):
    task = agency_task(agency_review, "agency_scoping", police)
    url = reverse("tasks:reassign", args=[task.pk])
    for person in (csp_chair, outsider, second_police_author):
        client.force_login(person)
        assert client.get(url).status_code == 404
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert one_h1(page) and "Second Police Author (second.police@test.example)" in page
    assert "Health Author" not in page

    page = client.post(url, {"to_user": second_police_author.pk, "reason": ""}).content.decode()
    assert "There is a problem" in page and "Enter why the task is being reassigned" in page
    response = client.post(url, {"to_user": second_police_author.pk, "reason": "Moved job."})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == second_police_author


def test_the_cover_page_arranges_and_ends_cover(
    client, agency_review, coordinator, police_author, delegate, outsider
):
    client.force_login(police_author)
    page = client.get("/tasks/cover/").content.decode()
    assert one_h1(page) and "Who is away?" not in page and "Who covers for them?" in page
    dates = {"starts_on_0": "5", "starts_on_1": "6", "starts_on_2": "2027"}
    early_end = {"ends_on_0": "4", "ends_on_1": "6", "ends_on_2": "2027"}
    page = client.post(
        "/tasks/cover/",
        {
            "partnership": agency_review.partnership_id,
            "delegate": delegate.pk,
            **dates,
            **early_end,
        },
    ).content.decode()
    assert "There is a problem" in page and "End date must be on or after the start date" in page

    client.force_login(coordinator)
    response = client.post(
        "/tasks/cover/",
        {
            "partnership": agency_review.partnership_id,
            "person": police_author.pk,
            "delegate": delegate.pk,
            "starts_on_0": "1",
            "starts_on_1": "6",
            "starts_on_2": "2027",
            "ends_on_0": "10",
            "ends_on_1": "6",
            "ends_on_2": "2027",
            "reason": "Annual leave",
        },
        follow=True,
    )
    assert "Dee Legate now covers for Police Author." in response.content.decode()
    cover = Cover.objects.get()
    client.force_login(delegate)
    page = client.get("/tasks/").content.decode()
    assert "Tasks you are covering" in page and "Say whether your agency knew" in page
    assert "<title>My tasks - Manage domestic homicide reviews - GOV.UK</title>" in page
    assert page.count("Tasks you are covering") == 1
    end = reverse("tasks:cover_end", args=[cover.pk])
    assert client.post(end).status_code == 302
    cover.refresh_from_db()
    assert cover.ended_at is None  # the delegate may not end it
    client.force_login(outsider)
    assert client.get("/tasks/cover/").status_code == 200
    assert client.post(end).status_code == 404
    client.force_login(police_author)
    client.post(end)
    cover.refresh_from_db()
    assert cover.ended_by == police_author


def test_a_delegate_can_open_the_covered_agency_task_page(
    client, agency_review, coordinator, police, police_author, delegate
):
    task = agency_task(agency_review, "agency_scoping", police)
    url = reverse("tasks:agency", args=[agency_review.reference, task.pk])
    client.force_login(delegate)
    assert client.get(url).status_code == 404
    cover_start(
        person=police_author,
        delegate=delegate,
        partnership=agency_review.partnership,
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 1),
        reason="",
        by=coordinator,
    )
    response = client.post(
        url,
        {"involvement": "not_involved", "on_0": "1", "on_1": "5", "on_2": "2027"},
    )
    assert response.status_code == 302
    assert agency_review.history.get(action="agency_scoping").reason.endswith(
        "(for Police Author while they are away)"
    )


def test_the_bulk_reassign_page(client, partnership, coordinator, csp_chair):
    client.force_login(csp_chair)
    assert client.get("/tasks/bulk-reassign/").status_code == 404
    client.force_login(coordinator)
    page = client.get("/tasks/bulk-reassign/").content.decode()
    assert one_h1(page)
    page = client.post("/tasks/bulk-reassign/", {"partnership": partnership.pk}).content.decode()
    assert "Select who is leaving" in page and "Enter why the tasks are being reassigned" in page
    leaving = UserFactory(full_name="Leaving Coordinator")
    MembershipFactory(user=leaving, partnership=partnership, role=Role.COORDINATOR)
    review = started(partnership, coordinator)
    task_claim(task=open_stage_task(review), review=review, user=leaving)
    page = client.post(
        "/tasks/bulk-reassign/",
        {
            "partnership": partnership.pk,
            "person": leaving.pk,
            "to_user": coordinator.pk,
            "reason": "Retired.",
        },
    ).content.decode()
    assert one_h1(page) and "1 task moved" in page and "Every task was moved." in page
    assert open_stage_task(review).owner == coordinator


def test_a_delegate_takes_the_covered_persons_steps_and_the_history_says_for_whom(
    partnership, coordinator, csp_chair, time_machine
):
    from workflows.models import Review
    from workflows.selectors import reviews_visible_to
    from workflows.services.lifecycle import may_take

    deputy = MembershipFactory(partnership=partnership, role=Role.PANEL_MEMBER).user
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )
    assert not reviews_visible_to(deputy).filter(pk=review.pk).exists()
    assert not may_take(review, "decide_to_commission", deputy)
    cover_start(
        person=csp_chair,
        delegate=deputy,
        partnership=partnership,
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 10),
        reason="Annual leave",
        by=coordinator,
    )
    assert reviews_visible_to(deputy).filter(pk=review.pk).exists()
    review = review_transition(
        review=Review.objects.get(pk=review.pk),
        action="decide_to_commission",
        by=deputy,
        on=date(2027, 6, 1),
        reason="Criteria met.",
    )
    entry = review.history.get(action="decide_to_commission")
    assert entry.by == deputy
    assert entry.reason == "Criteria met. (for Csp Chair while they are away)"
    time_machine.move_to(date(2027, 6, 11))
    assert not reviews_visible_to(deputy).filter(pk=review.pk).exists()
