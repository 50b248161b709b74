"""Statistics pages: the figures of a hand-built partnership, who may see which page, what a
regional lead never sees, small-number suppression and a constant number of queries."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.conftest import TODAY
from tests.factories import (
    MembershipFactory,
    ParticipantFactory,
    PartnershipFactory,
    ReviewFactory,
    UserFactory,
)
from workflows.models import (
    Deadline,
    ParticipantRole,
    Partnership,
    Pause,
    Region,
    RegionalAccess,
    Review,
    Role,
)
from workflows.monitoring import statistics
from workflows.monitoring.statistics import (
    HIDDEN,
    figure,
    figures_of_group,
    statistics_for,
)
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import QaOutcome, Stage

pytestmark = pytest.mark.django_db

CIRCUMSTANCES = "Found at the foot of the stairs by a neighbour"


def build(partnership, reference, stage, *, notified_on, pseudonym="", **facts) -> Review:
    review = ReviewFactory(
        partnership=partnership,
        reference=reference,
        notified_on=notified_on,
        date_of_death=notified_on - timedelta(days=3),
        victim_pseudonym=pseudonym,
        circumstances=CIRCUMSTANCES,
    )
    # The stage field is protected: set it as the conftest builder does (a test shortcut).
    Review.objects.filter(pk=review.pk).update(stage=stage, **facts)
    return Review.objects.get(pk=review.pk)


def deadline(review, title, due_on, met_on=None) -> Deadline:
    return Deadline.objects.create(
        review=review,
        rule=title.lower().replace(" ", "_")[:40],
        title=title,
        period="1 month",
        source="Test",
        starts_on=review.notified_on,
        due_on=due_on,
        met_on=met_on,
        explanation="Test",
    )


DECIDE = "Decide whether to hold a review"
COMPLETE = "Complete the review"
TERMS = "Agree the terms of reference"
SUBMIT = "Submit the report to the Home Office"


@pytest.fixture
def reviews(partnership, independent_chair):
    """Five reviews of Testshire with known dates, deadlines and pauses (today: 1 June 2027)."""
    signing_off = build(
        partnership,
        "TEST-2027-01",
        Stage.LOCAL_SIGN_OFF,
        notified_on=date(2027, 1, 10),
        pseudonym="Wren",
        decided_on=date(2027, 1, 30),  # 20 days
        commissioned=True,
        commissioned_on=date(2027, 1, 30),
        signed_off_on=date(2027, 5, 30),  # 120 days
        independent_chair=independent_chair,
    )
    published = build(
        partnership,
        "TEST-2027-02",
        Stage.ACTION_PLAN,
        notified_on=date(2027, 1, 10),
        pseudonym="Robin",
        decided_on=date(2027, 2, 9),  # 30 days
        commissioned=True,
        commissioned_on=date(2027, 2, 9),
        signed_off_on=date(2027, 3, 11),  # 30 days
        qa_outcome=QaOutcome.APPROVED,
        qa_outcome_on=date(2027, 4, 10),  # 30 days
        published_on=date(2027, 5, 10),  # 30 days
    )
    not_commissioned = build(
        partnership,
        "TEST-2027-03",
        Stage.NOT_COMMISSIONED,
        notified_on=date(2027, 2, 1),
        decided_on=date(2027, 3, 13),  # 40 days
        commissioned=False,
    )
    notified = build(partnership, "TEST-2027-04", Stage.NOTIFIED, notified_on=date(2027, 5, 1))
    paused = build(
        partnership,
        "TEST-2026-01",
        Stage.PAUSED,
        notified_on=date(2026, 3, 1),
        pseudonym="Starling",
        decided_on=date(2026, 3, 11),  # 10 days
        commissioned=True,
        commissioned_on=date(2026, 3, 11),
        stage_before_pause=Stage.SETUP,
    )
    deadline(signing_off, DECIDE, date(2027, 2, 10), date(2027, 1, 30))  # met
    deadline(published, DECIDE, date(2027, 2, 10), date(2027, 2, 9))  # met
    deadline(not_commissioned, DECIDE, date(2027, 3, 1), date(2027, 3, 13))  # met late
    deadline(notified, DECIDE, date(2027, 6, 1))  # due today: not counted yet
    deadline(signing_off, COMPLETE, date(2027, 7, 30), date(2027, 5, 30))  # met
    deadline(paused, DECIDE, date(2026, 4, 1), date(2026, 3, 11))  # met
    deadline(paused, COMPLETE, None)  # clock stopped
    deadline(published, TERMS, date(2027, 3, 1), date(2027, 3, 5))  # met late
    deadline(signing_off, SUBMIT, date(2027, 5, 31))  # overdue
    Pause.objects.create(
        review=paused,
        reason="criminal_proceedings",
        stage=Stage.SETUP,
        paused_on=date(2026, 6, 1),
        resumed_on=date(2026, 7, 1),
        paused_by=independent_chair,
    )
    Pause.objects.create(
        review=paused,
        reason="inquest",
        stage=Stage.SETUP,
        paused_on=date(2027, 5, 2),
        paused_by=independent_chair,
    )
    return {
        "signing_off": signing_off,
        "published": published,
        "not_commissioned": not_commissioned,
        "notified": notified,
        "paused": paused,
    }


def figures_of(partnership, **options):
    return statistics_for(Partnership.objects.filter(pk=partnership.pk), today=TODAY, **options)


# The figures.


def test_reviews_by_stage(partnership, reviews):
    figures = figures_of(partnership)

    stages = {label: count.value for label, count in figures.stages}
    assert figures.reviews.value == 5
    assert stages == {
        **dict.fromkeys(Stage.labels, 0),
        "Local sign-off": 1,
        "Action plan monitoring": 1,
        "Not commissioned": 1,
        "Notified": 1,
        "Paused": 1,
    }


def test_medians_and_their_samples(partnership, reviews):
    figures = figures_of(partnership)

    medians = {i.label: (i.median, i.sample.value) for i in figures.intervals}
    assert medians == {
        "Notification to decision": (25, 4),  # 10, 20, 30, 40
        "Decision to completion": (75, 2),  # 30, 120
        "Completion to QA outcome": (30, 1),
        "QA outcome to publication": (30, 1),
    }
    assert figures.intervals[0].median_text == "25 days"


@pytest.mark.postgres
def test_the_databases_medians_are_pythons(partnership, reviews, monkeypatch):
    """PostgreSQL's ``percentile_cont`` gives the figures the Python fallback (SQLite's) gives,
    for the whole set and for each partnership's row."""
    other = PartnershipFactory(name="Otherton Community Safety Partnership")
    for number, days in enumerate((3, 8, 13)):
        notified_on = date(2027, 1, 1)
        decided_on = notified_on + timedelta(days=days)
        build(other, f"OTH-{number}", Stage.DRAFTING, notified_on=notified_on,
              decided_on=decided_on, commissioned_on=decided_on)  # fmt: skip
    both = Partnership.objects.filter(pk__in=[partnership.pk, other.pk])

    def figures():
        found = statistics_for(both, today=TODAY, rows_for=list(both.order_by("pk")))
        rows = [
            (r.published, [(i.median, i.sample.value) for i in r.intervals])
            for r in found.partnerships
        ]
        return [(i.median, i.sample.value) for i in found.intervals], rows

    in_sql = figures()
    monkeypatch.setattr(  # SQLite's path: the dates read, the medians taken in Python
        statistics,
        "_interval_samples",
        lambda reviews, **_: list(reviews.values_list(*statistics.DATE_FIELDS, named=True)),
    )
    assert figures() == in_sql
    assert in_sql[0][0] == (13, 7)  # 3, 8, 10, 13, 20, 30, 40
    assert in_sql[1][1][1][0] == (8, 3)  # Otherton's own: 3, 8, 13


def test_a_median_can_fall_between_two_days(partnership, reviews):
    signing_off = Review.objects.filter(pk=reviews["signing_off"].pk)
    signing_off.update(decided_on=date(2027, 1, 31))  # 21 days: 10, 21, 30, 40

    assert figures_of(partnership).intervals[0].median_text == "25.5 days"


def test_a_resubmitted_report_waiting_for_its_new_outcome_is_not_an_interval(partnership, reviews):
    # Signed off again after the Home Office asked for a resubmission: the last QA outcome
    # came before the new sign-off.
    Review.objects.filter(pk=reviews["signing_off"].pk).update(qa_outcome_on=date(2027, 4, 1))

    completion_to_qa = figures_of(partnership).intervals[2]

    assert (completion_to_qa.median, completion_to_qa.sample.value) == (30, 1)


def test_share_of_deadlines_met(partnership, reviews):
    figures = figures_of(partnership)

    outcomes = {o.label: (o.count.value, o.share) for o in figures.outcomes}
    assert figures.deadlines.value == 8  # the one due today is not counted
    assert outcomes == {
        "Met on time": (4, "50%"),
        "Met late": (2, "25%"),
        "Overdue": (1, "12%"),
        "Clock stopped (paused)": (1, "12%"),
    }
    assert figures.met_on_time == "50%"


def test_delays_by_deadline_most_overdue_first(partnership, reviews):
    delays = [(d.title, d.overdue.value, d.met_late.value) for d in figures_of(partnership).delays]

    assert delays == [(SUBMIT, 1, 0), (TERMS, 0, 1), (DECIDE, 0, 1)]


def test_reasons_for_pauses_with_the_days_paused(partnership, reviews):
    pauses = [
        (p.label, p.pauses.value, p.still_paused.value, p.days)
        for p in figures_of(partnership).pauses
    ]

    # The inquest's pause is still running: 2 May to today (1 June) is 30 days.
    assert pauses == [("Criminal proceedings", 1, 0, "30"), ("Inquest", 1, 1, "30")]


def test_the_library_lists_published_reviews_only(partnership, reviews):
    assert figures_of(partnership).library == ["Robin - Testshire - 2027/b - DHR"]


def test_filter_by_year_of_notification(partnership, reviews):
    figures = figures_of(partnership, year=2026)

    assert figures.reviews.value == 1
    assert [i.sample.value for i in figures.intervals] == [1, 0, 0, 0]
    assert figures.deadlines.value == 2  # the 2026 review's met decision and paused completion
    assert [p.label for p in figures.pauses] == ["Criminal proceedings", "Inquest"]
    assert figures.library == []
    assert figures_of(partnership, year=2027).intervals[0].median == 30  # 20, 30, 40


def test_figures_follow_a_review_driven_through_the_real_services(partnership, coordinator):
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )
    review_transition(
        review=review, action="decide_to_commission", by=coordinator, on=date(2027, 1, 25)
    )

    figures = figures_of(partnership)

    assert {label: c.value for label, c in figures.stages}["Set-up"] == 1
    assert (figures.intervals[0].median, figures.intervals[0].sample.value) == (15, 1)
    assert figures.outcomes[0].count.value == 1  # the decision, within its month


def test_no_reviews_gives_empty_figures(partnership):
    figures = figures_of(partnership)

    assert figures.reviews.value == 0
    assert figures.met_on_time == "-"
    assert [i.median_text for i in figures.intervals] == ["No reviews yet"] * 4


# Small-number suppression.


def test_counts_of_1_or_2_are_hidden_only_when_suppressing():
    assert [str(figure(n, suppress=True)) for n in (0, 1, 2, 3, 1234)] == [
        "0",
        HIDDEN,
        HIDDEN,
        "3",
        "1,234",
    ]
    assert str(figure(1, suppress=False)) == "1"


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ({"a": 0, "b": 4, "c": 9}, set()),
        # One small count could be worked out from the total: the next smallest goes too.
        ({"a": 1, "b": 5, "c": 7}, {"a", "b"}),
        # Two hidden counts adding up to 2 would both be known to be 1: hide another.
        ({"a": 1, "b": 1, "c": 5, "d": 9}, {"a", "b", "c"}),
        ({"a": 1, "b": 2, "c": 5}, {"a", "b"}),
        # Nothing else to hide: the total is itself fewer than 3, and hidden wherever shown.
        ({"a": 2, "b": 0}, {"a"}),
    ],
)
def test_suppression_of_a_group_that_adds_up_to_a_total(counts, hidden):
    figures = figures_of_group(counts, suppress=True)

    assert {key for key, shown in figures.items() if shown.hidden} == hidden
    assert all(str(figures[key]) == HIDDEN for key in hidden)
    assert not any(shown.hidden for shown in figures_of_group(counts, suppress=False).values())


def test_suppressed_figures_hide_small_counts_medians_and_shares(partnership, reviews):
    figures = figures_of(partnership, suppress=True)

    assert figures.reviews.value == 5 and not figures.reviews.hidden
    assert all(count.hidden for label, count in figures.stages if count.value)
    assert [i.median_text for i in figures.intervals] == ["25 days", HIDDEN, HIDDEN, HIDDEN]
    assert {o.label: str(o.count) for o in figures.outcomes} == {
        "Met on time": "4",
        "Met late": HIDDEN,
        "Overdue": HIDDEN,
        "Clock stopped (paused)": HIDDEN,
    }
    assert [p.days for p in figures.pauses] == [HIDDEN, HIDDEN]
    # Published reviews are public: their titles are never hidden.
    assert figures.library == ["Robin - Testshire - 2027/b - DHR"]


# Who may see which page.


@pytest.fixture
def regions(partnership):
    north = Region.objects.create(name="North Testland", slug="north")
    north.partnerships.add(partnership)
    south = Region.objects.create(name="South Testland", slug="south")
    south.partnerships.add(PartnershipFactory(name="Southborough Community Safety Partnership"))
    return {"north": north, "south": south}


def lead(email, region=None):
    user = UserFactory(email=email, full_name="Lee " + email.split("@")[0].title())
    RegionalAccess.objects.create(user=user, region=region)
    return user


@pytest.fixture
def people(coordinator, csp_chair, independent_chair, police_author, outsider, regions, review):
    panel_member = UserFactory(email="panel.member@test.example", full_name="Pat Panel")
    ParticipantFactory(
        review=review, user=panel_member, role=ParticipantRole.PANEL_MEMBER, added_by=coordinator
    )
    return {
        "coordinator": coordinator,
        "csp_chair": csp_chair,
        "independent_chair": independent_chair,
        "police_author": police_author,
        "panel_member": panel_member,
        "outsider": outsider,
        "north_lead": lead("north.lead@test.example", regions["north"]),
        "south_lead": lead("south.lead@test.example", regions["south"]),
        "national_lead": lead("national.lead@test.example"),
    }


URLS = {
    "index": reverse("statistics:index"),
    "partnership": reverse("statistics:partnership", args=["testshire"]),
    "north": reverse("statistics:region", args=["north"]),
    "south": reverse("statistics:region", args=["south"]),
    "national": reverse("statistics:national"),
}
#             persona:       index partnership north south national
ACCESS = {
    "coordinator": "200 200 403 403 403",
    "csp_chair": "200 200 403 403 403",
    "independent_chair": "403 403 403 403 403",
    "police_author": "403 403 403 403 403",
    "panel_member": "403 403 403 403 403",
    "outsider": "403 403 403 403 403",
    "north_lead": "200 200 200 403 403",
    "south_lead": "200 403 403 200 403",
    "national_lead": "200 200 200 200 200",
}


@pytest.mark.parametrize("persona", ACCESS)
def test_who_may_see_each_page(client, people, persona):
    client.force_login(people[persona])

    statuses = " ".join(str(client.get(url).status_code) for url in URLS.values())

    assert statuses == ACCESS[persona]


def test_a_refusal_says_who_the_statistics_are_for(client, people):
    client.force_login(people["police_author"])

    response = client.get(URLS["partnership"])

    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have permission to see these statistics" in html
    assert "coordinators and its Community Safety Partnership chair" in html


def test_unknown_partnership_or_region_is_not_found(client, people):
    client.force_login(people["national_lead"])

    assert client.get(reverse("statistics:partnership", args=["nowhere"])).status_code == 404
    assert client.get(reverse("statistics:region", args=["nowhere"])).status_code == 404


def test_signing_in_is_needed(client, regions):
    for url in URLS.values():
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/sign-in/")


def test_the_landing_page_lists_what_each_person_may_see(client, people, regions):
    client.force_login(people["coordinator"])
    html = client.get(URLS["index"]).content.decode()
    assert URLS["partnership"] in html
    assert URLS["north"] not in html and URLS["national"] not in html

    client.force_login(people["north_lead"])
    html = client.get(URLS["index"]).content.decode()
    assert URLS["north"] in html
    assert URLS["south"] not in html and URLS["national"] not in html

    client.force_login(people["national_lead"])
    html = client.get(URLS["index"]).content.decode()
    assert all(URLS[key] in html for key in ("north", "south", "national"))


# What the pages show.


def test_the_partnership_page_shows_its_figures_and_charts(client, coordinator, reviews):
    client.force_login(coordinator)

    html = client.get(URLS["partnership"]).content.decode()

    assert html.count('<svg class="app-chart" role="img"') == 3
    for chart, title in [
        ("stages", "Reviews by stage"),
        ("medians", "Median days between milestones"),
        ("deadlines", "Deadlines met, met late, overdue and paused"),
    ]:
        assert f'<title id="chart-{chart}-title">{title}</title>' in html
    assert "25 days" in html and "75 days" in html
    assert "50%" in html
    assert "Robin - Testshire - 2027/b - DHR" in html
    assert HIDDEN not in html  # the coordinator sees every figure


def test_the_year_filter(client, coordinator, reviews):
    client.force_login(coordinator)

    html = client.get(URLS["partnership"], {"year": "2026"}).content.decode()
    assert "Statistics for reviews notified in 2026" in html
    assert '<option value="2026" selected>' in html

    ignored = client.get(URLS["partnership"], {"year": "1999"}).content.decode()
    assert "Statistics for reviews notified in" not in ignored


def restricted_strings(reviews, people) -> list[str]:
    """What a regional or national lead must never see: references, real names, circumstances,
    people's names, and the pseudonyms of reviews not yet published."""
    strings = [CIRCUMSTANCES, "Wren", "Starling"]
    for review in reviews.values():
        strings += [review.reference, review.victim_real_name, review.perpetrator_real_name]
    for key in ("coordinator", "csp_chair", "independent_chair", "police_author"):
        strings += [people[key].full_name, people[key].email]
    return strings


@pytest.mark.parametrize(
    ("persona", "url"), [("north_lead", "north"), ("national_lead", "national")]
)
def test_area_pages_show_aggregates_only(client, people, reviews, persona, url):
    client.force_login(people[persona])

    html = client.get(URLS[url]).content.decode()

    assert [s for s in restricted_strings(reviews, people) if s in html] == []
    assert "Robin - Testshire - 2027/b - DHR" in html  # published: public
    assert "Testshire Community Safety Partnership" in html  # its row of counts and medians
    assert HIDDEN in html
    assert "a count of 1 or 2 is not shown" in html


def test_small_counts_on_a_regional_page_read_not_shown(client, people, reviews):
    client.force_login(people["north_lead"])

    html = client.get(URLS["north"]).content.decode()

    notified_row = html[html.index(">Notified</th>") :][:200]
    assert HIDDEN in notified_row and ">1<" not in notified_row
    assert "25 days" in html  # a median of 4 reviews is shown
    assert "75 days" not in html  # a median of 2 is not


def test_a_regional_lead_sees_a_partnership_page_with_small_numbers_hidden(client, people, reviews):
    client.force_login(people["north_lead"])

    html = client.get(URLS["partnership"]).content.decode()

    assert HIDDEN in html
    assert [s for s in restricted_strings(reviews, people) if s in html] == []


# Queries: a constant number, however many reviews.


def many_reviews(partnerships, count: int, chair) -> None:
    """``count`` reviews spread across ``partnerships``, each with deadlines and a pause."""
    made = Review.objects.bulk_create(
        Review(
            partnership=partnerships[index % len(partnerships)],
            reference=f"BULK-{index:04d}",
            stage=list(Stage)[index % len(Stage)],
            victim_real_name="Zelda Inventedname",
            victim_pseudonym=f"Bird {index}",
            referred_by="Testshire Police",
            date_of_death=date(2026, 1, 1) + timedelta(days=index % 300),
            notified_on=date(2026, 1, 5) + timedelta(days=index % 300),
            decided_on=date(2026, 2, 1) + timedelta(days=index % 300),
            commissioned=True,
            commissioned_on=date(2026, 2, 1) + timedelta(days=index % 300),
            published_on=date(2027, 5, 1) if index % 5 == 0 else None,
        )
        for index in range(count)
    )
    Deadline.objects.bulk_create(
        Deadline(
            review=review,
            rule=rule,
            title=rule.title(),
            period="1 month",
            source="Test",
            starts_on=review.notified_on,
            due_on=review.notified_on + timedelta(days=30),
            met_on=review.decided_on if rule == "decision" else None,
            explanation="Test",
        )
        for review in made
        for rule in ("decision", "completion")
    )
    Pause.objects.bulk_create(
        Pause(
            review=review,
            reason="inquest",
            stage=Stage.SETUP,
            paused_on=review.notified_on,
            resumed_on=review.notified_on + timedelta(days=10),
            paused_by=chair,
        )
        for review in made
    )


@pytest.mark.parametrize("count", [10, 200])
def test_pages_take_a_constant_number_of_queries(
    client, people, regions, independent_chair, count, django_assert_max_num_queries
):
    more = [PartnershipFactory() for _ in range(2)]
    regions["north"].partnerships.add(*more)
    many_reviews([Partnership.objects.get(slug="testshire"), *more], count, independent_chair)
    MembershipFactory(user=people["coordinator"], partnership=more[0], role=Role.COORDINATOR)

    for persona, url in [
        ("coordinator", "partnership"),
        ("coordinator", "index"),
        ("north_lead", "north"),
        ("north_lead", "partnership"),
        ("national_lead", "national"),
    ]:
        client.force_login(people[persona])
        with django_assert_max_num_queries(14):  # 13, and the two-factor check (django-otp)
            response = client.get(URLS[url])
        assert response.status_code == 200, (persona, url)


# The figures are kept for a few minutes, and shared only where they would be the same.


def figures_on(response) -> str:
    """The page's main content (the rest carries a fresh form token on each response)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_figures_are_kept_for_a_while_and_say_when_they_were_worked_out(
    client, people, reviews, settings, django_assert_max_num_queries
):
    client.force_login(people["north_lead"])
    first = figures_on(client.get(URLS["north"]))
    assert "Figures worked out at" in first
    assert "at most every 10 minutes" in first
    build(Partnership.objects.get(slug="testshire"), "TS-2027-99", Stage.SCOPING,
          notified_on=date(2027, 5, 30))  # fmt: skip
    # Only who may see the page is asked; the figures come from the kept copy, unchanged.
    with django_assert_max_num_queries(6):
        again = figures_on(client.get(URLS["north"]))
    assert again == first
    settings.STATISTICS_CACHE_SECONDS = 0  # kept no longer: the new review is counted
    from django.core.cache import cache

    cache.clear()
    assert figures_on(client.get(URLS["north"])) != first


def test_whoever_may_not_see_an_area_is_refused_even_when_its_figures_are_kept(
    client, people, reviews
):
    client.force_login(people["north_lead"])
    assert client.get(URLS["north"]).status_code == 200
    client.force_login(people["south_lead"])
    response = client.get(URLS["north"])
    assert response.status_code == 403
    assert "Figures worked out" not in response.content.decode()


def test_full_figures_are_never_served_to_someone_who_sees_small_numbers_hidden(
    client, people, reviews
):
    client.force_login(people["coordinator"])
    full = client.get(URLS["partnership"]).content.decode()
    assert HIDDEN not in full
    client.force_login(people["north_lead"])
    assert HIDDEN in client.get(URLS["partnership"]).content.decode()


def test_each_year_has_its_own_kept_figures(client, coordinator, reviews):
    client.force_login(coordinator)
    every_year = figures_on(client.get(URLS["partnership"]))
    one_year = figures_on(client.get(URLS["partnership"] + "?year=2026"))
    assert every_year != one_year
    assert figures_on(client.get(URLS["partnership"] + "?year=2026")) == one_year
