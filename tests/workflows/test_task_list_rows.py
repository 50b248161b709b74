"""My tasks reads its rows in one query (``task_selectors._rows``) and writes them in Python
(``views.tasks``): both must say what the ORM and the template said, row by row."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from tests.factories import MembershipFactory, UserFactory
from workflows.cover_selectors import coordinated_partnerships
from workflows.flows import WORK_FLOWS
from workflows.models import (
    Cover,
    Deadline,
    Membership,
    Participant,
    Region,
    RegionalAccess,
    ReviewAgency,
    Role,
)
from workflows.services.lifecycle import review_transition
from workflows.services.reassignment import cover_start
from workflows.services.reviews import review_start
from workflows.services.tasks import OPEN, process_for, task_claim
from workflows.task_selectors import (
    Person,
    RolesHeld,
    _candidate_tasks_sql,
    _memberships_sql,
    _own_rows,
    _participations_sql,
    _rows,
    _run,
    _visible_reviews,
    open_task_rows,
    task_lists,
)

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


def collecting_reports(partnership, coordinator, chair, agencies, pseudonym="Robin"):
    """A review at agency reports: each agency's scoping task waits for its authors."""
    review = started(partnership, coordinator, agencies)
    for action, by, extra in [
        ("decide_to_commission", coordinator, {}),
        ("appoint_independent_chair", coordinator, {"chair": chair, "victim_pseudonym": pseudonym}),
        ("complete_setup", coordinator, {}),
        ("agree_terms_of_reference", chair, {}),
    ]:
        review = review_transition(review=review, action=action, by=by, on=ON, **extra)
    return review


@pytest.fixture
def second_police_author(partnership):
    return UserFactory(email="second.police@test.example", full_name="Second Police Author")


@pytest.fixture
def reviews(
    partnership, coordinator, independent_chair, police, health, police_author, second_police_author
):
    """Two reviews collecting agency reports, with the police authors taking part in both."""
    made = [
        collecting_reports(partnership, coordinator, independent_chair, [police, health]),
        collecting_reports(
            partnership, coordinator, independent_chair, [police], pseudonym="<Sam & 'Jo'>"
        ),
    ]
    for review in made:
        for user in (police_author, second_police_author):
            Participant.objects.create(
                review=review, user=user, role="agency_author", agency=police, added_by=coordinator
            )
    return made


def scoping_task(review, agency):
    tasks = Task.objects.filter(
        process=process_for(review), status__in=OPEN, flow_task_type="HUMAN"
    )
    return next(
        task
        for task in tasks.order_by("pk")
        if task.flow_task.name == "agency_scoping"
        and ReviewAgency.objects.get(pk=task.data["review_agency"]).agency == agency
    )


def read_by_the_orm(user, held):
    """What ``_rows`` gives, read the slow way: a query per task for its review, deadline and
    agency."""
    visible = _visible_reviews(user)
    tasks = Task.objects.filter(
        held.candidates(),
        flow_task_type="HUMAN",
        status__in=OPEN,
        process__artifact_object_id__in=visible,
        process__flow_class__in=WORK_FLOWS,
    ).select_related("process")
    expected = set()
    for task in tasks:
        review_id = task.process.artifact_object_id
        deadline = Deadline.objects.filter(review_id=review_id, rule=task.data.get("deadline"))
        agency = ReviewAgency.objects.filter(
            pk=task.data.get("review_agency"), review_id=review_id
        ).first()
        due_on = deadline.first().due_on if deadline.exists() else None
        expected.add((task.pk, review_id, due_on, agency.agency.name if agency else ""))
    return expected


@pytest.mark.parametrize(
    "who", ["coordinator", "independent_chair", "police_author", "csp_chair", "health_author"]
)
def test_the_one_query_reads_what_the_orm_reads_task_by_task(request, reviews, police, who):
    task_claim(
        task=scoping_task(reviews[0], police),
        review=reviews[0],
        user=request.getfixturevalue("police_author"),
    )
    user = request.getfixturevalue(who)
    held = RolesHeld(user)
    rows = _rows(_visible_reviews(user), held)
    assert {
        (row.task.pk, row.review.pk, row.due_on, row.agency_name) for row in rows
    } == read_by_the_orm(user, RolesHeld(user))
    for row in rows:
        assert row.task == Task.objects.get(pk=row.task.pk)
        assert row.task.data == Task.objects.get(pk=row.task.pk).data
        assert row.task.title and row.review.reference


def test_people_holding_the_same_roles_share_the_compiled_query_but_see_their_own_tasks(
    reviews, police, police_author, second_police_author
):
    task_claim(task=scoping_task(reviews[0], police), review=reviews[0], user=police_author)
    first, second = RolesHeld(police_author), RolesHeld(second_police_author)
    assert first.candidate_roles() == second.candidate_roles()
    assert _candidate_tasks_sql("default", *first.candidate_roles()) is _candidate_tasks_sql(
        "default", *second.candidate_roles()
    )
    mine, queue, _covering = open_task_rows(police_author)
    assert [row.review.pk for row in mine] == [reviews[0].pk]
    assert [row.review.pk for row in queue] == [reviews[1].pk]
    assert all(row.agency_name == "Testshire Police" for row in mine + queue)
    mine, queue, _covering = open_task_rows(second_police_author)
    assert mine == []
    assert [row.review.pk for row in queue] == [reviews[1].pk]


def table_rows(page: str, caption: str) -> list[str]:
    table = page.split(caption, 1)[1].split("</table>", 1)[0]
    return table.split('<tr class="govuk-table__row">')[2:]  # past the head's row


def test_the_rows_say_the_review_task_agency_due_date_and_status_escaped(
    client, reviews, police, police_author
):
    task_claim(task=scoping_task(reviews[1], police), review=reviews[1], user=police_author)
    client.force_login(police_author)
    page = client.get("/tasks/").content.decode()
    (mine,) = table_rows(page, "Assigned to you")
    reference = reviews[1].reference
    assert f'href="/reviews/{reference}/">{reference}</a>' in mine
    assert "&lt;Sam &amp; &#x27;Jo&#x27;&gt;" in mine and "<Sam" not in page
    assert '<span class="govuk-body-s">Testshire Police</span>' in mine
    deadline = Deadline.objects.get(review=reviews[1], rule="agency_reports")
    assert f">{deadline.due_on.day} {deadline.due_on:%B %Y}</td>" in mine
    assert re.search(r'<strong class="govuk-tag govuk-tag--\w+">[A-Z][a-z ]+</strong>', mine)
    assert re.search(r'<form method="post" action="/tasks/[a-z2-7]{13}/release/">', mine)
    assert 'name="csrfmiddlewaretoken"' in mine and "Release<span" in mine
    assert "Reassign" not in page  # only a coordinator may
    (queue,) = table_rows(page, "Unclaimed tasks for your roles")
    assert reviews[0].reference in queue and "Claim<span" in queue


def test_a_coordinator_sees_reassign_links_and_the_move_link_as_before(
    client, partnership, reviews, coordinator, police_author, csp_chair
):
    started(partnership, coordinator)  # its first task waits for the coordinator
    client.force_login(coordinator)
    page = client.get("/tasks/").content.decode()
    assert "Move the tasks of someone who is leaving" in page
    queue = table_rows(page, "Unclaimed tasks for your roles")
    assert queue and all(
        re.search(r'href="/tasks/[a-z2-7]{13}/reassign/">Reassign<span', row) for row in queue
    )
    for user in (coordinator, police_author, csp_chair):
        assert RolesHeld(user).coordinates_somewhere() == coordinated_partnerships(user).exists()
    client.force_login(police_author)
    assert "Move the tasks of someone who is leaving" not in client.get("/tasks/").content.decode()


def test_the_covering_table_says_whose_task_and_whether_it_waits_for_their_role(
    client, partnership, reviews, coordinator, police, police_author, time_machine
):
    delegate = UserFactory(email="delegate@test.example", full_name="Dee Legate")
    MembershipFactory(
        user=delegate, partnership=partnership, role=Role.AGENCY_AUTHOR, agency=police
    )
    task_claim(task=scoping_task(reviews[0], police), review=reviews[0], user=police_author)
    cover_start(
        person=police_author,
        delegate=delegate,
        partnership=reviews[0].partnership,
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 10),
        reason="Annual leave",
        by=coordinator,
    )
    time_machine.move_to(date(2027, 6, 2))
    client.force_login(delegate)
    page = client.get("/tasks/").content.decode()
    rows = table_rows(page, "Tasks of people you cover for")
    claimed = next(row for row in rows if reviews[0].reference in row)
    waiting = next(row for row in rows if reviews[1].reference in row)
    assert "Police Author" in claimed and "Waiting for their role" not in claimed
    assert "Police Author<br>" in waiting and "Waiting for their role" in waiting


def test_the_number_of_queries_does_not_grow_with_the_tasks(
    client, partnership, coordinator, independent_chair, police, health, police_author
):
    def queries():
        client.force_login(police_author)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/tasks/").status_code == 200
        return len(captured)

    def one_more():
        review = collecting_reports(partnership, coordinator, independent_chair, [police, health])
        Participant.objects.create(
            review=review, user=police_author, role="agency_author", agency=police,
            added_by=coordinator,
        )  # fmt: skip

    one_more()
    few = queries()
    for _ in range(3):
        one_more()
    assert queries() == few


def test_sql_compiled_once_must_keep_the_person_as_a_parameter(db):
    from workflows.models import Membership
    from workflows.task_selectors import SOMEONE, _compiled

    assert _compiled(Membership.objects.filter(user_id=SOMEONE), "default")[1] == (SOMEONE,)
    with pytest.raises(RuntimeError, match="not the person"):
        _compiled(Membership.objects.filter(role="coordinator"), "default")


def test_no_reviews_at_all_is_no_rows(reviews, police_author):
    from workflows.models import Review

    assert _rows(Review.objects.none().values("pk"), RolesHeld(police_author)) == []


def test_the_sql_compiled_once_reads_what_the_visible_reviews_subquery_reads(
    request, partnership, reviews, coordinator, police, police_author
):
    """``_own_rows`` (SQL compiled once per process) and ``_rows`` of
    ``selectors.review_ids_visible_to`` (built for each page) list the same rows in order."""
    started(partnership, coordinator)  # its first task waits for the coordinator
    task_claim(task=scoping_task(reviews[0], police), review=reviews[0], user=police_author)

    def listed(rows):
        return [(row.task.pk, row.review.pk, row.due_on, row.agency_name) for row in rows]

    listed_for = {}
    for who in ["coordinator", "independent_chair", "police_author", "csp_chair", "health_author"]:
        user = request.getfixturevalue(who)
        own = listed(_own_rows(RolesHeld(user)))
        assert own == listed(_rows(_visible_reviews(user), RolesHeld(user))), who
        listed_for[who] = own
    assert listed_for["coordinator"] and listed_for["police_author"]


def test_the_person_read_in_one_query_is_what_each_query_reads(
    partnership, reviews, coordinator, police, police_author, second_police_author, time_machine
):
    delegate = UserFactory(email="delegate@test.example", full_name="Dee Legate")
    for user in (delegate, second_police_author):
        MembershipFactory(
            user=user, partnership=partnership, role=Role.AGENCY_AUTHOR, agency=police
        )
    Participant.objects.create(
        review=reviews[0], user=delegate, role="agency_author", agency=police, added_by=coordinator
    )
    # Made in one order, starting in the other: the covers' order is by start, then made.
    for person, starts_on in [
        (police_author, date(2027, 6, 2)),
        (second_police_author, date(2027, 6, 1)),
    ]:
        cover_start(
            person=person,
            delegate=delegate,
            partnership=partnership,
            starts_on=starts_on,
            ends_on=date(2027, 6, 10),
            reason="Annual leave",
            by=coordinator,
        )
    time_machine.move_to(date(2027, 6, 3))
    for user in (delegate, police_author, coordinator):
        person = Person.read(user)
        assert person.memberships == _run(_memberships_sql, Membership, user.pk)
        assert sorted(person.participations) == sorted(
            _run(_participations_sql, Participant, user.pk)
        )
        covers = Cover.objects.active().filter(delegate=user)
        assert person.covers == list(covers.values_list("person_id", "partnership_id"))
    assert [person for person, _partnership in Person.read(delegate).covers] == [
        second_police_author.pk,
        police_author.pk,
    ]


def test_the_menu_is_the_one_the_context_processor_gives(
    partnership, coordinator, csp_chair, independent_chair, police_author, police
):
    """The page's ``navigation`` (from ``Person``) overrides the context processor's: the two
    must agree for everybody."""
    from project.context_processors import _navigation

    region = Region.objects.create(name="North Testland", slug="north")
    regional_lead = UserFactory(email="regional.lead@test.example")
    RegionalAccess.objects.create(user=regional_lead, region=region)
    national_lead = UserFactory(email="national.lead@test.example")
    RegionalAccess.objects.create(user=national_lead, region=None)
    agency_coordinator = UserFactory(email="agency.coordinator@test.example")
    MembershipFactory(
        user=agency_coordinator, partnership=partnership, role=Role.COORDINATOR, agency=police
    )
    people = [
        coordinator,
        csp_chair,
        independent_chair,
        police_author,
        regional_lead,
        national_lead,
        agency_coordinator,
    ]
    menus = {user.email: Person.read(user).navigation() for user in people}
    assert menus == {user.email: _navigation(user) for user in people}
    assert {menu["dashboard"] for menu in menus.values()} == {True, False}
    assert {menu["statistics"] for menu in menus.values()} == {True, False}


def test_the_list_reads_the_person_and_then_their_tasks(reviews, police, police_author):
    task_claim(task=scoping_task(reviews[0], police), review=reviews[0], user=police_author)
    with CaptureQueriesContext(connection) as captured:
        mine, queue, _covering, _held, _person = task_lists(police_author)
    assert len(captured) == 2
    assert [row.review.pk for row in mine] == [reviews[0].pk]
    assert [row.review.pk for row in queue] == [reviews[1].pk]


def test_the_review_content_type_is_looked_up_at_each_use(db):
    """Compiled SQL keeps a stand-in for reviews' content type: a test that empties the
    database makes content types again, with new ids."""
    from django.contrib.contenttypes.models import ContentType

    from workflows.models import Review
    from workflows.task_selectors import SOMEKIND, SOMEONE, _about

    kind = ContentType.objects.get_for_model(Review).pk
    assert _about((SOMEONE, SOMEKIND, "text"), 42, connection) == [42, kind, "text"]
