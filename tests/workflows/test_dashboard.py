"""The managers' dashboard (``/dashboard/``): who sees it and what, its filters, sorting and
counts, the overdue and due-soon tasks by agency, chasing a task, and a constant number of
queries however many reviews there are.

Most tests use one partnership's reviews driven through the real services (``world``), on the
suite's fixed today of 1 June 2027.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.cache import cache
from django.db.models import F
from django.urls import reverse
from viewflow.workflow.models import Process, Task

from notifications.models import Email
from tests.conftest import TODAY
from tests.factories import MembershipFactory, PartnershipFactory, ReviewFactory, UserFactory
from workflows import holders
from workflows.flows import STAGE_TASKS, ReviewFlow
from workflows.models import (
    ChangeCount,
    Deadline,
    Participant,
    ParticipantRole,
    Review,
    ReviewAgency,
    ReviewHistory,
    Role,
)
from workflows.monitoring.dashboard import (
    PAGE_SIZE,
    TASKS_PAGE_SIZE,
    Holders,
    dashboard_for,
    live_reviews,
    managed_partnerships,
    open_review_tasks,
)
from workflows.monitoring.forecast import TIMES_CACHE_KEY
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import Stage

VICTIM = "Zelda Inventedname"
PERPETRATOR = "Quentin Madeupname"
DASHBOARD = "/dashboard/"


# The world: Testshire's reviews, driven through the real services.
@dataclass
class World:
    reports: Review  # agency reports, overdue since 1 May 2027 (police and health in scope)
    notified: Review  # notified 5 May 2027: the decision is due soon (5 June)
    recent: Review  # notified 20 May 2027: the decision is on track (20 June)
    paused: Review  # paused at set-up for criminal proceedings
    closed: Review  # decided not to hold a review: not live
    other: Review  # another partnership's review
    second_chair: object


def start(partnership, coordinator, notified_on, agencies=(), victim=VICTIM):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=notified_on - timedelta(days=3),
        notified_on=notified_on,
        referred_by="Testshire Police",
        victim_real_name=victim,
        perpetrator_real_name=PERPETRATOR,
        agencies=list(agencies),
    )


def move(review, action, by, on, **details):
    return review_transition(review=review, action=action, by=by, on=on, **details)


def to_setup(review, coordinator, chair, pseudonym):
    review = move(review, "decide_to_commission", coordinator, date(2027, 2, 1))
    return move(
        review,
        "appoint_independent_chair",
        coordinator,
        date(2027, 2, 10),
        chair=chair,
        victim_pseudonym=pseudonym,
    )


@pytest.fixture
def world(
    partnership, police, health, coordinator, csp_chair, independent_chair, police_author
) -> World:
    health_author = UserFactory(email="health.author@test.example", full_name="Hana Health")
    MembershipFactory(
        user=health_author, partnership=partnership, role=Role.AGENCY_AUTHOR, agency=health
    )
    second_chair = UserFactory(email="second.chair@test.example", full_name="Sasha Second")
    reports = start(partnership, coordinator, date(2027, 1, 10), [police, health])
    reports = to_setup(reports, coordinator, independent_chair, "Robin")
    reports = move(reports, "complete_setup", coordinator, date(2027, 2, 15))
    reports = move(reports, "agree_terms_of_reference", coordinator, date(2027, 3, 1))
    for user, role, agency in [
        (police_author, ParticipantRole.AGENCY_AUTHOR, police),
        (health_author, ParticipantRole.AGENCY_AUTHOR, health),
    ]:
        Participant.objects.create(
            review=reports, user=user, role=role, agency=agency, added_by=coordinator
        )

    paused = start(partnership, coordinator, date(2027, 1, 20), [police])
    paused = to_setup(paused, coordinator, second_chair, "Wren")
    paused = move(
        paused, "pause", coordinator, date(2027, 4, 1), pause_reason="criminal_proceedings"
    )
    closed = start(partnership, coordinator, date(2027, 1, 25))
    closed = move(closed, "decide_not_to_commission", coordinator, date(2027, 2, 20))

    elsewhere = PartnershipFactory(name="Otherborough CSP", slug="otherborough", code="OTHR")
    other_coordinator = UserFactory(email="coordinator@other.example")
    MembershipFactory(user=other_coordinator, partnership=elsewhere, role=Role.COORDINATOR)
    other = start(elsewhere, other_coordinator, date(2027, 5, 1), victim="Yolanda Otherperson")
    return World(
        reports=reports,
        notified=start(partnership, coordinator, date(2027, 5, 5), [health]),
        recent=start(partnership, coordinator, date(2027, 5, 20)),
        paused=paused,
        closed=closed,
        other=other,
        second_chair=second_chair,
    )


# Reading the page as a person would: the table's headings and cells, as text.
class TableReader(HTMLParser):
    """The text of each cell of the table with ``id`` (header row first)."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None
        self.sorts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (self.depth or attrs.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []
            if "aria-sort" in attrs:
                self.sorts.append(attrs["aria-sort"])
        elif self.depth and self.cell is not None and tag == "br":
            self.cell.append(" ")
        elif self.depth and self.cell is not None and tag == "span" and attrs.get("aria-hidden"):
            self.cell.append("\0")  # a sort arrow: not part of the text

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            text = "".join(self.cell).split("\0")[0]
            self.rows[-1].append(" ".join(text.split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_table(html: str, table_id: str = "reviews") -> tuple[list[str], list[list[str]]]:
    reader = TableReader(table_id)
    reader.feed(html)
    if not reader.rows:
        return [], []
    return reader.rows[0], reader.rows[1:]


def aria_sorts(html: str) -> list[str]:
    reader = TableReader("reviews")
    reader.feed(html)
    return reader.sorts


def references(client, query: str = "") -> list[str]:
    response = client.get(f"{DASHBOARD}?{query}")
    assert response.status_code == 200
    return [row[0] for row in page_table(response.content.decode())[1]]


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


# Who sees what.
def test_a_coordinator_sees_every_live_review_of_their_partnership_only(coordinator_client, world):
    shown = references(coordinator_client)
    live = [world.reports, world.notified, world.recent, world.paused]
    assert sorted(shown) == sorted(review.reference for review in live)
    assert world.closed.reference not in shown
    html = coordinator_client.get(DASHBOARD).content.decode()
    assert world.other.reference not in html
    assert "Otherborough" not in html


def test_a_csp_chair_sees_the_dashboard(client, csp_chair, world):
    client.force_login(csp_chair)
    assert world.reports.reference in references(client)


@pytest.mark.parametrize("persona", ["outsider", "police_author", "independent_chair"])
@pytest.mark.parametrize(
    "url", [DASHBOARD, "/dashboard/export.csv", "/dashboard/export.xlsx"], ids=str
)
def test_people_who_manage_no_partnership_are_refused(client, request, world, persona, url):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(url)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot see the dashboard" in html
    assert "community safety coordinators and Community Safety Partnership chairs" in html
    assert world.reports.reference not in html


def test_signing_in_is_needed(client, world):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_navigation_links_to_the_dashboard_for_managers_only(client, world, police_author):
    coordinator = managers_of(world.reports)[0]
    client.force_login(coordinator)
    assert 'href="/dashboard/"' in client.get("/reviews/").content.decode()
    client.force_login(police_author)
    assert 'href="/dashboard/"' not in client.get("/reviews/").content.decode()


def managers_of(review):
    return [m.user for m in review.partnership.memberships.filter(role=Role.COORDINATOR)]


def test_a_manager_of_two_partnerships_sees_both_with_a_partnership_column(
    coordinator_client, coordinator, world
):
    MembershipFactory(user=coordinator, partnership=world.other.partnership, role=Role.CSP_CHAIR)
    headings, rows = page_table(coordinator_client.get(DASHBOARD).content.decode())
    assert "Partnership" in headings
    column = headings.index("Partnership")
    by_reference = {row[0]: row[column] for row in rows}
    assert by_reference[world.other.reference] == "Otherborough CSP"
    assert by_reference[world.reports.reference] == "Testshire Community Safety Partnership"


def test_no_real_name_is_on_the_page(coordinator_client, world):
    html = coordinator_client.get(DASHBOARD).content.decode()
    for name in (VICTIM, PERPETRATOR, *VICTIM.split(), *PERPETRATOR.split()):
        assert name not in html


# What each row says.
def test_each_row_says_stage_days_deadline_status_holder_and_forecast(coordinator_client, world):
    headings, rows = page_table(coordinator_client.get(DASHBOARD).content.decode())
    assert headings == [
        "Reference",
        "Pseudonym",
        "Stage",
        "Days in stage",
        "Next deadline",
        "Due",
        "Status",
        "Next action with",
        "Forecast completion",
        "Forecast",
    ]
    by_reference = {row[0]: dict(zip(headings, row, strict=True)) for row in rows}
    reports = by_reference[world.reports.reference]
    assert reports["Pseudonym"] == "Robin"
    assert reports["Stage"] == "Agency reports"
    assert reports["Days in stage"] == str((TODAY - date(2027, 3, 1)).days)
    assert reports["Next deadline"] == "Receive every agency's report"
    assert (reports["Due"], reports["Status"]) == ("1 May 2027", "Overdue")
    assert reports["Next action with"] == "Independent Chair"  # the chair's task, claimed
    assert reports["Forecast"] in ("Late", "On time")
    assert reports["Forecast completion"].endswith(("2027", "2028"))

    notified = by_reference[world.notified.reference]
    assert (notified["Pseudonym"], notified["Stage"]) == ("Not agreed yet", "Notified")
    assert (notified["Due"], notified["Status"]) == ("5 June 2027", "Due soon")
    assert notified["Next action with"] == "Coordinator"  # in the coordinators' queue
    assert by_reference[world.recent.reference]["Status"] == "On track"

    paused = by_reference[world.paused.reference]
    assert paused["Stage"] == "Paused (Set-up)"
    assert (paused["Due"], paused["Status"]) == ("Clock stopped", "Paused")
    # Entered set-up on 1 February; the pause does not restart the count.
    assert paused["Days in stage"] == str((TODAY - date(2027, 2, 1)).days)


# Filters and sorting, all in the query string.
def test_the_stage_filter(coordinator_client, world):
    assert references(coordinator_client, "stage=notified") == sorted(
        [world.notified.reference, world.recent.reference]
    )
    assert references(coordinator_client, "stage=setup") == [world.paused.reference]


def test_the_status_filter(coordinator_client, world):
    assert references(coordinator_client, "status=overdue") == [world.reports.reference]
    assert references(coordinator_client, "status=due_soon") == [world.notified.reference]
    assert references(coordinator_client, "status=paused") == [world.paused.reference]


def test_the_chair_filter(coordinator_client, world, independent_chair):
    chair = f"chair={independent_chair.pk}"
    assert references(coordinator_client, chair) == [world.reports.reference]
    assert references(coordinator_client, f"chair={world.second_chair.pk}") == [
        world.paused.reference
    ]
    assert references(coordinator_client, "chair=none") == sorted(
        [world.notified.reference, world.recent.reference]
    )


def test_the_agency_filter(coordinator_client, world, police, health):
    assert references(coordinator_client, f"agency={police.pk}") == sorted(
        [world.reports.reference, world.paused.reference]
    )
    assert references(coordinator_client, f"agency={health.pk}") == sorted(
        [world.reports.reference, world.notified.reference]
    )


def test_filters_combine_and_the_form_shows_them_chosen(coordinator_client, world, police):
    query = f"agency={police.pk}&status=overdue"
    response = coordinator_client.get(f"{DASHBOARD}?{query}")
    html = response.content.decode()
    assert [row[0] for row in page_table(html)[1]] == [world.reports.reference]
    assert f'<option value="{police.pk}" selected>' in html
    assert '<option value="overdue" selected>' in html
    assert "Showing 1 of 4 live reviews." in html
    # The exports and the chase buttons carry the same filters.
    assert f"/dashboard/export.csv?status=overdue&amp;agency={police.pk}" in html
    assert f'name="query" value="status=overdue&amp;agency={police.pk}"' in html


def test_the_unchosen_filters_of_the_form_are_left_out_of_the_address(coordinator_client, world):
    response = coordinator_client.get(f"{DASHBOARD}?stage=&status=overdue&chair=&agency=")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?status=overdue"
    response = coordinator_client.get(f"{DASHBOARD}?stage=&status=&chair=&agency=")
    assert response["Location"] == "/dashboard/"


def test_a_value_not_on_offer_is_ignored(coordinator_client, world):
    assert len(references(coordinator_client, "stage=nonsense&chair=999999")) == 4
    assert len(references(coordinator_client, "sort=victim_real_name&order=sideways")) == 4


def test_sorting_by_a_column_either_way(coordinator_client, world):
    ascending = references(coordinator_client, "sort=reference")
    assert ascending == sorted(ascending)
    assert references(coordinator_client, "sort=reference&order=desc") == ascending[::-1]
    longest_first = references(coordinator_client, "sort=days_in_stage&order=desc")
    assert longest_first[0] == world.paused.reference  # set-up since 1 February
    assert longest_first[-1] == world.recent.reference


def test_the_default_sort_is_the_next_due_date_with_stopped_clocks_last(coordinator_client, world):
    assert references(coordinator_client) == [
        world.reports.reference,  # 1 May
        world.notified.reference,  # 5 June
        world.recent.reference,  # 20 June
        world.paused.reference,  # clock stopped
    ]
    assert references(coordinator_client, "order=desc")[-1] == world.paused.reference


def test_column_headings_say_how_the_table_is_sorted(coordinator_client, world):
    html = coordinator_client.get(f"{DASHBOARD}?sort=stage&order=desc&stage=notified").content
    html = html.decode()
    sorts = aria_sorts(html)
    headings = page_table(html)[0]
    assert sorts[headings.index("Stage")] == "descending"
    assert {sort for i, sort in enumerate(sorts) if i != headings.index("Stage")} == {"none"}
    # Each heading's link keeps the filters; the current column's link turns the order round.
    assert 'href="?stage=notified&amp;sort=stage&amp;order=asc"' in html
    assert 'href="?stage=notified&amp;sort=reference&amp;order=asc"' in html
    # The filter form keeps the sort.
    assert '<input type="hidden" name="sort" value="stage">' in html


# Counts for the board.
def test_the_counts_a_board_report_quotes(coordinator_client, coordinator, world):
    partnerships = managed_partnerships(coordinator)
    board = dashboard_for(coordinator, partnerships, {"status": "overdue"}, today=TODAY)
    # Counted over every live review, whatever the filters.
    assert board.counts.live == 4
    assert len(board.rows) == 1
    # Overdue: the agency reports of "reports" (due 1 May); its terms of reference were agreed.
    assert board.counts.overdue_deadlines == 1
    assert board.counts.paused == 1
    # Decided on 1 February 2027 and not signed off by 1 August: none yet on 1 June.
    assert board.counts.past_six_months == 0
    later = dashboard_for(coordinator, partnerships, {}, today=date(2027, 8, 2))
    assert later.counts.past_six_months == 2  # "reports" and "paused" (a pause does not count)
    html = coordinator_client.get(DASHBOARD).content.decode()
    assert '<span class="govuk-heading-xl govuk-!-margin-bottom-1" id="count-live">4</span>' in html


# Overdue and due-soon tasks, by agency.
def task_groups(client, query=""):
    html = client.get(f"{DASHBOARD}?{query}").content.decode()
    board = html.split('id="tasks"', 1)[1]
    groups = {}
    for chunk in board.split('<h3 class="govuk-heading-s govuk-!-margin-bottom-2">')[1:]:
        name = chunk.split("</h3>", 1)[0].strip()
        table = chunk.split("<table", 1)[1].split("</table>", 1)[0]
        rows = page_table(f'<table id="t"{table}</table>', "t")[1]
        groups[name] = rows
    return groups


def test_overdue_and_due_soon_tasks_are_grouped_by_agency(coordinator_client, world):
    groups = task_groups(coordinator_client)
    # Most overdue first (one each here, then by name); the partnership's due-soon task last.
    assert list(groups) == [
        "Independent chair",
        "Testshire Health Trust",
        "Testshire Police",
        "Testshire Community Safety Partnership",
    ]
    reference = world.reports.reference
    assert groups["Testshire Police"] == [
        [
            f"{reference} Robin",
            "Say whether your agency knew the people involved",
            "Police Author",
            "1 May 2027",
            "Overdue",
            f"Chase Police Author about “Say whether your agency knew the people involved” "
            f"on {reference}",
        ]
    ]
    assert groups["Testshire Health Trust"][0][2] == "Hana Health"
    assert groups["Independent chair"][0][1] == "Collect every agency's report"
    assert groups["Independent chair"][0][2] == "Independent Chair"
    # The coordinators' due-soon task: both coordinators hold it.
    coordinators = groups["Testshire Community Safety Partnership"]
    assert [row[0] for row in coordinators] == [world.notified.reference]
    assert coordinators[0][3:5] == ["5 June 2027", "Due soon"]
    # Nothing of the paused review (its clock is stopped) nor the on-track one.
    everything = str(groups)
    assert world.paused.reference not in everything
    assert world.recent.reference not in everything


def test_the_tasks_follow_the_filters(coordinator_client, world):
    groups = task_groups(coordinator_client, "status=due_soon")
    assert list(groups) == ["Testshire Community Safety Partnership"]


def test_the_holders_read_in_bulk_are_those_the_reminders_use(world, coordinator):
    """``Holders`` re-implements ``holders.task_holders`` for many tasks at once."""
    reviews = {r.pk: r for r in live_reviews(coordinator, managed_partnerships(coordinator))}
    review_agencies = {ra.pk: ra for ra in ReviewAgency.objects.select_related("agency")}
    bulk = Holders(reviews, review_agencies)
    tasks = open_review_tasks(list(reviews))
    assert len(tasks) >= 5
    for task in tasks:
        review = reviews[task.process.artifact_object_id]
        expected = holders.task_holders(task, review)
        assert {u.pk for u in bulk.of(task, review)} == {u.pk for u in expected}, task


# Chasing.
def chase_url(task) -> str:
    return reverse("dashboard:chase", kwargs={"task_id": task.pk})


def open_task(review, node) -> Task:
    return Task.objects.get(
        process__artifact_object_id=review.pk,
        process__flow_class=ReviewFlow,
        status__in=["NEW", "ASSIGNED", "STARTED"],
        flow_task=getattr(ReviewFlow, node),
    )


def test_chasing_emails_each_holder_of_the_task_once(
    coordinator_client, world, coordinator, django_capture_on_commit_callbacks
):
    second = UserFactory(email="second.coordinator@test.example", full_name="Sol Second")
    MembershipFactory(user=second, partnership=world.notified.partnership, role=Role.COORDINATOR)
    task = open_task(world.notified, STAGE_TASKS[Stage.NOTIFIED])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(chase_url(task), {"query": "status=due_soon"})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?status=due_soon"
    chased = Email.objects.filter(kind="task_chased")
    assert sorted(chased.values_list("to_address", flat=True)) == [
        "coordinator@test.example",
        "second.coordinator@test.example",
    ]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "coordinator@test.example",
        "second.coordinator@test.example",
    ]
    subject = mail.outbox[0].subject
    assert subject.startswith(f"{world.notified.reference}: Coordinator asks you to finish")
    assert "Record the notification" in subject
    banner = coordinator_client.get(response["Location"]).content.decode()
    assert "Email sent to Coordinator, Sol Second about ‘Record the notification" in banner


def test_chasing_an_agency_task_emails_that_agencys_people(
    coordinator_client, world, police_author, django_capture_on_commit_callbacks
):
    task = next(
        t
        for t in open_review_tasks([world.reports.pk])
        if t.flow_task.name == "agency_scoping"
        and ReviewAgency.objects.get(pk=t.data["review_agency"]).agency.name == "Testshire Police"
    )
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(chase_url(task))
    chased = Email.objects.get(kind="task_chased")
    assert chased.recipient == police_author
    assert "31 days overdue" in chased.subject
    assert "Agency: Testshire Police" in chased.text_body
    for name in (VICTIM, PERPETRATOR):
        assert name not in chased.text_body + chased.html_body + chased.subject


@pytest.mark.parametrize("persona", ["outsider", "police_author", "independent_chair"])
def test_chasing_is_refused_to_people_who_manage_no_partnership(
    client, request, world, persona, django_capture_on_commit_callbacks
):
    client.force_login(request.getfixturevalue(persona))
    task = open_task(world.notified, STAGE_TASKS[Stage.NOTIFIED])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(chase_url(task))
    assert response.status_code == 403
    assert not callbacks
    assert not Email.objects.filter(kind="task_chased").exists()


def test_a_task_of_another_partnership_or_a_closed_one_is_not_found(
    coordinator_client, world, django_capture_on_commit_callbacks
):
    other = open_task(world.other, STAGE_TASKS[Stage.NOTIFIED])
    done = Task.objects.filter(
        process__artifact_object_id=world.reports.pk, status="DONE", flow_task_type="HUMAN"
    ).first()
    with django_capture_on_commit_callbacks() as callbacks:
        assert coordinator_client.post(chase_url(other)).status_code == 404
        assert coordinator_client.post(chase_url(done)).status_code == 404
        assert coordinator_client.get(chase_url(other)).status_code == 405
    assert not callbacks


def test_the_way_back_after_chasing_is_only_ever_the_dashboard(coordinator_client, world):
    task = open_task(world.notified, STAGE_TASKS[Stage.NOTIFIED])
    response = coordinator_client.post(chase_url(task), {"query": "https://evil.example/"})
    assert response["Location"].startswith("/dashboard/")


# Scale: the same number of queries at 10 and at 1,000 reviews. The page's 16 worked out (the
# exports' 15, without the change counts) are listed in docs/monitoring-queries.md.
MAX_QUERIES = 16
BULK_STAGES = [
    Stage.NOTIFIED,
    Stage.SCOPING,
    Stage.SETUP,
    Stage.TERMS_OF_REFERENCE,
    Stage.AGENCY_REPORTS,
    Stage.DRAFTING,
    Stage.LOCAL_SIGN_OFF,
    Stage.HOME_OFFICE_QA,
    Stage.PUBLICATION,
    Stage.PAUSED,
    Stage.CLOSED,
]


def bulk_reviews(partnership, count: int, *, first: int, by, chair, agency, author) -> None:
    """``count`` reviews across the stages, with their deadlines, history, agency, people and
    open flow tasks, written with bulk inserts (a test shortcut; the product never does this)."""
    made = Review.objects.bulk_create(
        [_bulk_review(partnership, number, chair) for number in range(first, first + count)]
    )
    review_agencies = ReviewAgency.objects.bulk_create(
        [ReviewAgency(review=review, agency=agency) for review in made]
    )
    Participant.objects.bulk_create(
        Participant(
            review=review,
            user=author,
            role=ParticipantRole.AGENCY_AUTHOR,
            agency=agency,
            added_by=by,
        )
        for review in made
    )
    Deadline.objects.bulk_create(d for review in made for d in _bulk_deadlines(review))
    ReviewHistory.objects.bulk_create(h for review in made for h in _bulk_history(review, by))
    _bulk_tasks(made, review_agencies)


def _bulk_review(partnership, number: int, chair) -> Review:
    stage = BULK_STAGES[number % len(BULK_STAGES)]
    commissioned = stage not in (Stage.NOTIFIED, Stage.SCOPING)
    notified_on = TODAY - timedelta(days=40 + number * 53 % 400)  # some overdue, some not
    decided_on = notified_on + timedelta(days=20) if commissioned else None
    return Review(
        partnership=partnership,
        reference=f"BULK-{number:05d}",
        victim_pseudonym=f"Pseudonym {number}" if commissioned else "",
        victim_real_name=VICTIM,
        perpetrator_real_name=PERPETRATOR,
        referred_by="Testshire Police",
        date_of_death=date(2026, 1, 1),
        notified_on=notified_on,
        stage=stage,
        stage_before_pause=Stage.DRAFTING if stage == Stage.PAUSED else "",
        commissioned=commissioned or None,
        decided_on=decided_on,
        commissioned_on=decided_on,
        independent_chair=chair if commissioned else None,
    )


def _bulk_deadlines(review) -> list[Deadline]:
    common = {"period": "1 month", "source": "Test", "explanation": "Test"}
    decision = Deadline(
        review=review,
        rule="decision",
        title="Decide whether to hold a review",
        starts_on=review.notified_on,
        due_on=review.notified_on + timedelta(days=30),
        met_on=review.decided_on,
        **common,
    )
    if review.commissioned_on is None:
        return [decision]
    completion = Deadline(
        review=review,
        rule="completion",
        title="Complete the review",
        starts_on=review.commissioned_on,
        due_on=None if review.stage == Stage.PAUSED else review.commissioned_on + timedelta(180),
        **common,
    )
    return [decision, completion]


def _bulk_history(review, by) -> list[ReviewHistory]:
    notified = ReviewHistory(
        review=review,
        action="notify",
        to_stage=Stage.NOTIFIED,
        by=by,
        effective_on=review.notified_on,
    )
    if review.stage == Stage.NOTIFIED:
        return [notified]
    entered = ReviewHistory(
        review=review,
        action="test_move",
        from_stage=Stage.NOTIFIED,
        to_stage=review.stage_before_pause or review.stage,
        by=by,
        effective_on=review.decided_on or review.notified_on + timedelta(days=3),
    )
    return [notified, entered]


def _bulk_tasks(reviews, review_agencies) -> None:
    content_type = ContentType.objects.get_for_model(Review)
    processes = Process.objects.bulk_create(
        Process(
            flow_class=ReviewFlow,
            artifact_content_type=content_type,
            artifact_object_id=review.pk,
            status="NEW",
        )
        for review in reviews
    )
    tasks = []
    for review, process, review_agency in zip(reviews, processes, review_agencies, strict=True):
        node = STAGE_TASKS.get(review.working_stage)
        if node is None:
            continue
        deadline = "decision" if review.commissioned_on is None else "completion"
        tasks.append(_bulk_task(process, node, {"role": "coordinator", "deadline": deadline}))
        if review.working_stage == Stage.AGENCY_REPORTS:
            data = {
                "role": "agency_author",
                "deadline": "completion",
                "review_agency": review_agency.pk,
            }
            tasks.append(_bulk_task(process, "agency_scoping", data))
    Task.objects.bulk_create(tasks)


def _bulk_task(process, node: str, data: dict) -> Task:
    return Task(
        process=process,
        flow_task=getattr(ReviewFlow, node),
        flow_task_type="HUMAN",
        status="NEW",
        data=data,
    )


def count_queries(client, url, django_assert_max_num_queries) -> int:
    client.get(url)  # once, so that caches a process keeps (content types) are warm
    # The page worked out, as after any change, not the kept one (``test_dashboard_kept``).
    ChangeCount.objects.update(count=F("count") + 1)
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def bulk(partnership, police, coordinator, independent_chair, police_author):
    def add(count: int, first: int) -> None:
        bulk_reviews(
            partnership,
            count,
            first=first,
            by=coordinator,
            chair=independent_chair,
            agency=police,
            author=police_author,
        )

    return add


URLS = [DASHBOARD, "/dashboard/export.csv", "/dashboard/export.xlsx"]


def test_the_number_of_queries_does_not_grow_with_the_reviews(
    coordinator_client, bulk, django_assert_max_num_queries
):
    bulk(10, first=0)
    at_ten = {
        url: count_queries(coordinator_client, url, django_assert_max_num_queries) for url in URLS
    }
    bulk(990, first=10)
    at_thousand = {
        url: count_queries(coordinator_client, url, django_assert_max_num_queries) for url in URLS
    }
    assert at_ten == at_thousand, (at_ten, at_thousand)
    page = coordinator_client.get(f"{DASHBOARD}?sort=reference").content.decode()
    rows = page_table(page)[1]
    live = [s for s in BULK_STAGES if s != Stage.CLOSED]
    total = sum(1 for n in range(1000) if BULK_STAGES[n % 11] in live)
    # A page at a time on the page; every row in the exports.
    assert len(rows) == PAGE_SIZE
    assert f"Showing all {total} live reviews." in page
    assert rows[0][0] == "BULK-00000"
    exported = coordinator_client.get("/dashboard/export.csv?sort=reference").content
    assert len(exported.decode("utf-8-sig").strip().splitlines()) == total + 1
    print(f"queries at 10 reviews: {at_ten}; at 1,000 reviews: {at_thousand}")


def test_the_bulk_reviews_look_like_real_ones(coordinator_client, bulk):
    """The scale test's data is read as the page reads real reviews: tasks, holders, groups."""
    bulk(22, first=0)
    groups = task_groups(coordinator_client)
    assert "Testshire Police" in groups
    assert groups["Testshire Police"][0][2] == "Police Author"
    assert "Testshire Community Safety Partnership" in groups


# Pages: a coordinator of hundreds of live reviews sees 25 at a time, the most urgent first.
def review_pages(client, url):
    """Every page of the review table from ``url`` on, following the "Next" links."""
    pages = []
    while url:
        html = client.get(url).content.decode()
        pages.append(page_table(html)[1])
        nav = html.partition('aria-label="Pages of live reviews"')[2].partition("</nav>")[0]
        found = re.search(r'<div class="govuk-pagination__next">\s*<a[^>]* href="([^"]+)"', nav)
        url = DASHBOARD + found.group(1).replace("&amp;", "&") if found else None
    return pages


def test_the_reviews_come_a_page_at_a_time_keeping_filters_and_sort(coordinator_client, bulk):
    bulk(300, first=0)
    notified = sorted(
        (f"BULK-{n:05d}" for n in range(300) if BULK_STAGES[n % 11] == Stage.NOTIFIED),
        reverse=True,
    )
    pages = review_pages(
        coordinator_client, f"{DASHBOARD}?stage=notified&sort=reference&order=desc"
    )

    assert [len(rows) for rows in pages] == [PAGE_SIZE, len(notified) - PAGE_SIZE]
    # Page 2 follows page 1 in the chosen order, the filter and the sort kept in its link.
    assert [row[0] for rows in pages for row in rows] == notified
    html = coordinator_client.get(f"{DASHBOARD}?stage=notified&sort=reference&order=desc").content
    assert b'href="?stage=notified&amp;sort=reference&amp;order=desc&amp;page=2"' in html
    assert b'aria-current="page">1</a>' in html
    second = coordinator_client.get(
        f"{DASHBOARD}?stage=notified&sort=reference&order=desc&page=2"
    ).content.decode()
    assert f"Page 2 of 2: reviews 26 to {len(notified)}" in second
    # Sorting again starts at the first page; the filter form sends no page, so neither does it.
    headings = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*href="([^"]+)"', second)
    assert headings and not any("page=" in link for link in headings)


@pytest.mark.parametrize("page", ["99", "0", "-1", "two", ""])
def test_a_page_not_on_offer_shows_the_first(coordinator_client, bulk, page):
    """An old bookmark's page number after reviews closed, or nonsense: the first page, not an
    error, as a filter value no longer on offer is ignored."""
    bulk(60, first=0)
    first = page_table(coordinator_client.get(f"{DASHBOARD}?sort=reference").content.decode())[1]
    response = coordinator_client.get(f"{DASHBOARD}?sort=reference&page={page}", follow=True)
    assert response.status_code == 200
    assert page_table(response.content.decode())[1] == first


def test_the_tasks_come_a_page_at_a_time_with_counts_over_every_page(coordinator_client, bulk):
    bulk(300, first=0)
    board_html = coordinator_client.get(DASHBOARD).content.decode()
    first = task_groups(coordinator_client)
    second = task_groups(coordinator_client, "tasks_page=2")

    assert sum(len(rows) for rows in first.values()) == TASKS_PAGE_SIZE
    first_tasks = {tuple(row) for rows in first.values() for row in rows}
    second_tasks = {tuple(row) for rows in second.values() for row in rows}
    assert second_tasks and not first_tasks & second_tasks
    # The link to the next page keeps the list in view; the review table stays on its page.
    assert 'href="?tasks_page=2#tasks"' in board_html
    assert "Pages of overdue and due-soon tasks" in board_html
    # Most urgent first: page 1's latest due date is no later than page 2's earliest.
    due = [date_of(row[3]) for rows in first.values() for row in rows]
    later = [date_of(row[3]) for rows in second.values() for row in rows]
    assert max(due) <= min(later)
    # Each group's counts are over every page: the same heading on both pages.
    counts = re.findall(r'<p class="govuk-body-s">(\d+ overdue, \d+ due soon)</p>', board_html)
    again = coordinator_client.get(f"{DASHBOARD}?tasks_page=2").content.decode()
    shared = set(first) & set(second)
    for name in shared:
        pattern = re.escape(name) + r'</h3>\s*<p class="govuk-body-s">([^<]+)</p>'
        assert re.search(pattern, board_html).group(1) == re.search(pattern, again).group(1)
    assert counts


def date_of(text: str) -> date:
    from datetime import datetime

    return datetime.strptime(text, "%d %B %Y").date()


def test_a_review_added_today_is_counted_at_once(coordinator_client, world, partnership):
    """The forecasts' stage times are kept for the day; the counts, rows and tasks are worked
    out again as soon as anything they show changes."""
    html = coordinator_client.get(DASHBOARD).content.decode()
    assert 'id="count-live">4</span>' in html
    assert cache.get(TIMES_CACHE_KEY.format(partnership_id=partnership.pk, day=TODAY)) is not None

    added = ReviewFactory(partnership=partnership, stage=Stage.NOTIFIED, notified_on=TODAY)

    html = coordinator_client.get(DASHBOARD).content.decode()
    assert 'id="count-live">5</span>' in html
    assert added.reference in html


def test_sorting_by_the_forecast_orders_every_page(coordinator_client, bulk):
    """The forecast is worked out for the page's rows only, unless the table is sorted by it:
    then for every row, so that page 2 carries on from page 1."""
    bulk(60, first=0)
    pages = review_pages(coordinator_client, f"{DASHBOARD}?sort=completion_on")
    headings = page_table(
        coordinator_client.get(f"{DASHBOARD}?sort=completion_on").content.decode()
    )[0]
    column = headings.index("Forecast completion")
    dates = [row[column] for rows in pages for row in rows]
    known = [date_of(text) for text in dates if text]
    # Every page in date order, the reviews without a forecast (not commissioned yet) last.
    assert len(pages) > 1 and len(known) > PAGE_SIZE
    assert known == sorted(known) and dates[: len(known)] == [t for t in dates if t]
