"""What people notice in their browser: the pages, who sees what, and what each form does.

Every page fetched here is also checked for the basics of an accessible GOV.UK page: one ``<h1>``
and ``<html lang="en">``.
"""

import re
from datetime import date

import pytest
from django.test import Client

from tests.factories import MembershipFactory, ParticipantFactory, ReviewFactory, UserFactory
from workflows.models import ParticipantRole, Review, ReviewHistory, Role
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import Stage

REAL_NAME = "Zelda Inventedname"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Sign-in still checks passwords; a cheap hash just keeps the many personas quick to make."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(response, status: int = 200) -> str:
    """The HTML of a page, after checking its status and that it is a well-formed GOV.UK page."""
    assert response.status_code == status, response.content[:500]
    html = response.content.decode()
    assert html.count("<h1") == 1, "a page has exactly one main heading"
    assert '<html lang="en"' in html
    return html


def without_csrf_token(response) -> str:
    """A page's HTML with the (randomly masked) CSRF token of the sign-out form taken out."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page(response, 404))


def date_parts(name: str, day: date) -> dict:
    """A date as the GOV.UK date input posts it: day, month and year in three inputs."""
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def step_url(review: Review, slug: str) -> str:
    return f"/reviews/{review.reference}/steps/{slug}/"


def detail_url(review: Review) -> str:
    return f"/reviews/{review.reference}/"


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def started_review(partnership, police, coordinator):
    """A review started the way the service starts one: notified on 10 January 2027, with its
    decision deadline and its "Notification received" history row, the police in scope."""
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name=REAL_NAME,
        perpetrator_real_name="Quentin Madeupname",
        agencies=[police],
    )


@pytest.fixture
def police_author_takes_part(started_review, police_author, police, coordinator):
    """The police author added to ``started_review`` as its agency report author."""
    return ParticipantFactory(
        review=started_review,
        user=police_author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=coordinator,
    )


# Signed out.


def test_start_page_is_public_and_offers_sign_in(client):
    html = page(client.get("/"))

    assert "govuk-template" in html
    assert 'href="/sign-in/"' in html
    assert "Sign in" in html


def test_start_page_sends_people_already_signed_in_to_their_reviews(client, coordinator):
    response = signed_in(client, coordinator).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/reviews/"


def test_reviews_need_sign_in(client):
    response = client.get("/reviews/")

    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/reviews/"


def test_a_review_page_needs_sign_in_and_comes_back_after_it(client, review):
    response = client.get(detail_url(review))

    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next=/reviews/{review.reference}/"


def test_sign_in_page_renders(client):
    html = page(client.get("/sign-in/"))

    assert 'name="username"' in html
    assert 'type="password"' in html


def test_signing_in_with_email_and_password_opens_the_reviews(client, police_author):
    # An agency author: coordinators and chairs type a code next (tests/test_two_factor.py).
    response = client.post(
        "/sign-in/", {"username": "police.author@test.example", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/reviews/"
    page(client.get("/reviews/"))


def test_signing_in_returns_to_the_page_asked_for(client, coordinator, review):
    response = client.post(
        "/sign-in/",
        {
            "username": "coordinator@test.example",
            "password": PASSWORD,
            "next": detail_url(review),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(review)


def test_wrong_password_shows_a_govuk_error_and_stays_on_the_page(client, coordinator):
    response = client.post(
        "/sign-in/", {"username": "coordinator@test.example", "password": "wrong-horse-battery"}
    )

    html = page(response)
    assert "govuk-error-summary" in html
    assert "There is a problem" in html
    assert "Please enter a correct email address and password" in html
    assert "<title>Error: Sign in" in html
    assert "_auth_user_id" not in client.session


# The list of reviews.


@pytest.fixture
def review_without_police(partnership, health):
    made = ReviewFactory(partnership=partnership)
    made.review_agencies.create(agency=health)
    return made


@pytest.mark.parametrize("persona", ["coordinator", "csp_chair"])
def test_partnership_roles_see_every_review_of_their_partnership(
    client, request, persona, review, review_without_police
):
    html = page(signed_in(client, request.getfixturevalue(persona)).get("/reviews/"))

    assert review.reference in html
    assert review_without_police.reference in html


def test_agency_author_sees_only_the_reviews_they_take_part_in(
    client, police_author, police, review, police_participant, review_without_police
):
    police_not_added = ReviewFactory(partnership=review.partnership)
    police_not_added.review_agencies.create(agency=police)

    html = page(signed_in(client, police_author).get("/reviews/"))

    assert review.reference in html
    assert review_without_police.reference not in html
    assert police_not_added.reference not in html, "their agency in scope is not enough"


def test_independent_chair_sees_only_the_reviews_they_chair(
    client, independent_chair, review, review_at
):
    chaired = review_at(Stage.SETUP)

    html = page(signed_in(client, independent_chair).get("/reviews/"))

    assert chaired.reference in html
    assert review.reference not in html


def test_outsider_sees_no_reviews_and_cannot_start_one(client, outsider, review):
    html = page(signed_in(client, outsider).get("/reviews/"))

    assert review.reference not in html
    assert "There are no reviews you can see." in html
    assert "Start a review" not in html


def test_coordinator_is_offered_start_a_review(client, coordinator):
    html = page(signed_in(client, coordinator).get("/reviews/"))

    assert "Start a review" in html
    assert 'href="/reviews/start/"' in html


def test_agency_author_is_not_offered_start_a_review(client, police_author, review):
    html = page(signed_in(client, police_author).get("/reviews/"))

    assert "Start a review" not in html


# A review's page.


@pytest.mark.parametrize("persona", ["outsider", "health_author", "police_author"])
def test_people_without_access_get_page_not_found(client, request, persona, started_review):
    response = signed_in(client, request.getfixturevalue(persona)).get(detail_url(started_review))

    html = page(response, status=404)
    assert "Page not found" in html
    assert REAL_NAME not in html


def test_a_hidden_review_looks_the_same_as_one_that_does_not_exist(
    client, outsider, started_review
):
    signed_in(client, outsider)

    hidden = client.get(detail_url(started_review))
    missing = client.get("/reviews/TEST-2027-99/")

    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_token(hidden) == without_csrf_token(missing)


@pytest.mark.parametrize("persona", ["coordinator", "csp_chair"])
def test_partnership_roles_see_the_real_name(client, request, persona, started_review):
    html = page(signed_in(client, request.getfixturevalue(persona)).get(detail_url(started_review)))

    assert REAL_NAME in html
    assert "Quentin Madeupname" in html


def test_the_reviews_independent_chair_sees_the_real_name(client, independent_chair, review_at):
    chaired = review_at(Stage.SETUP)

    html = page(signed_in(client, independent_chair).get(detail_url(chaired)))

    assert REAL_NAME in html


def test_agency_author_never_sees_the_real_names(
    client, police_author, started_review, police_author_takes_part
):
    html = page(signed_in(client, police_author).get(detail_url(started_review)))

    assert started_review.reference in html
    assert REAL_NAME not in html
    assert "Quentin Madeupname" not in html
    assert "(restricted)" not in html


def test_review_page_shows_stages_deadline_and_history(client, coordinator, started_review):
    html = page(signed_in(client, coordinator).get(detail_url(started_review)))

    assert "govuk-task-list" in html
    assert "Decide whether to hold a review" in html
    assert "Why this date" in html
    assert "1 month from notification on 10 January 2027" in html
    assert "10 February 2027" in html
    assert "moj-timeline" in html
    assert "Notification received" in html


def test_coordinator_at_notified_can_start_scoping_or_record_the_decision(
    client, coordinator, started_review
):
    html = page(signed_in(client, coordinator).get(detail_url(started_review)))

    assert "What you can do" in html
    assert f'href="{step_url(started_review, "start-scoping")}"' in html
    assert f'href="{step_url(started_review, "decide")}"' in html
    assert "Start scoping" in html
    assert "Record the decision" in html


def test_csp_chair_can_record_the_decision_but_not_start_scoping(client, csp_chair, started_review):
    html = page(signed_in(client, csp_chair).get(detail_url(started_review)))

    assert f'href="{step_url(started_review, "decide")}"' in html
    assert "Record the decision" in html
    assert step_url(started_review, "start-scoping") not in html
    assert "Start scoping" not in html


def test_agency_author_is_offered_no_steps(
    client, police_author, started_review, police_author_takes_part
):
    html = page(signed_in(client, police_author).get(detail_url(started_review)))

    assert "What you can do" not in html
    assert "/steps/" not in html


# Starting a review.


def start_form(**overrides) -> dict:
    """A complete, valid notification of a death for the Start a review form."""
    data = {
        "referred_by": "Testshire Police",
        **date_parts("date_of_death", date(2027, 5, 10)),
        **date_parts("notified_on", date(2027, 5, 15)),
        "victim_real_name": "Yvonne Inventedperson",
        "perpetrator_real_name": "",
        "circumstances": "",
        "review_type": "dhr",
        "guidance_version": "2016",
    }
    data.update(overrides)
    return data


@pytest.fixture
def coordinator_client(client, coordinator, partnership):
    return signed_in(client, coordinator)


def test_coordinator_can_open_start_a_review(coordinator_client):
    html = page(coordinator_client.get("/reviews/start/"))

    assert 'name="date_of_death_0"' in html
    assert 'name="notified_on_2"' in html


@pytest.mark.parametrize("persona", ["police_author", "outsider"])
def test_others_cannot_open_start_a_review(client, request, persona):
    html = page(signed_in(client, request.getfixturevalue(persona)).get("/reviews/start/"), 403)

    assert "You do not have permission to see this page" in html


def test_starting_a_review_records_it_and_its_decision_deadline(
    coordinator_client, partnership, coordinator
):
    response = coordinator_client.post(
        "/reviews/start/", start_form(partnership=str(partnership.pk))
    )

    review = Review.objects.get()
    assert review.reference == "TEST-2027-01"
    assert response.status_code == 302
    assert response["Location"] == "/reviews/TEST-2027-01/"
    assert review.stage == Stage.NOTIFIED
    notified = review.history.get()
    assert (notified.action, notified.by, notified.to_stage) == ("notify", coordinator, "notified")
    decision = review.deadlines.get(rule="decision")
    assert (decision.starts_on, decision.due_on) == (date(2027, 5, 15), date(2027, 6, 15))

    html = page(coordinator_client.get(response["Location"]))
    assert "Review TEST-2027-01 started." in html
    assert "Yvonne Inventedperson" in html
    assert "15 June 2027" in html


def test_references_count_up_within_the_year(coordinator_client, partnership):
    coordinator_client.post("/reviews/start/", start_form(partnership=str(partnership.pk)))
    coordinator_client.post("/reviews/start/", start_form(partnership=str(partnership.pk)))

    assert sorted(Review.objects.values_list("reference", flat=True)) == [
        "TEST-2027-01",
        "TEST-2027-02",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            date_parts("date_of_death", date(2027, 5, 20)),
            "notified_on",
            "Date of notification must be on or after the date of death",
            id="death-after-notification",
        ),
        pytest.param(
            {
                **date_parts("date_of_death", date(2027, 6, 2)),
                **date_parts("notified_on", date(2027, 6, 3)),
            },
            "date_of_death",
            "Date of death must be today or in the past",
            id="future-date",
        ),
        pytest.param(
            {"date_of_death_0": "31", "date_of_death_1": "2", "date_of_death_2": "2027"},
            "date_of_death",
            "Date of death must be a real date",
            id="impossible-date",
        ),
    ],
)
def test_start_a_review_rejects_wrong_dates(
    coordinator_client, partnership, overrides, field, message
):
    response = coordinator_client.post(
        "/reviews/start/", start_form(partnership=str(partnership.pk), **overrides)
    )

    html = page(response)
    assert "There is a problem" in html
    assert message in html
    assert f'href="#id_{field}_0"' in html, "the error summary links to the date that is wrong"
    assert "govuk-form-group--error" in html
    assert Review.objects.count() == 0
    assert ReviewHistory.objects.count() == 0


def test_start_a_review_empty_form_lists_every_problem(coordinator_client, partnership, review):
    before = Review.objects.count()

    # A browser posts every field, empty ones included.
    empty = dict.fromkeys(start_form(), "")
    empty["partnership"] = str(partnership.pk)

    html = page(coordinator_client.post("/reviews/start/", empty))

    assert "There is a problem" in html
    assert "<title>Error: Start a review" in html
    assert "Enter the date of death" in html
    assert "Enter the date of notification" in html
    assert Review.objects.count() == before


# Steps.


def test_step_page_shows_a_form_with_todays_date(coordinator_client, started_review):
    html = page(coordinator_client.get(step_url(started_review, "decide")))

    assert "Record the decision" in html
    assert 'name="commissioned"' in html
    assert 'name="stage" value="notified"' in html
    assert 'name="on_0" value="1"' in html
    assert 'name="on_1" value="6"' in html


def test_recording_the_decision_to_hold_a_review_moves_it_to_set_up(
    coordinator_client, coordinator, started_review
):
    response = coordinator_client.post(
        step_url(started_review, "decide"),
        {
            "commissioned": "yes",
            **date_parts("on", date(2027, 2, 1)),
            "stage": "notified",
            "reason": "The criteria are met.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(started_review)
    started_review.refresh_from_db()
    assert started_review.stage == Stage.SETUP
    assert started_review.decided_on == date(2027, 2, 1)
    entry = started_review.history.get(action="decide_to_commission")
    assert (entry.from_stage, entry.to_stage, entry.by) == ("notified", "setup", coordinator)
    assert entry.reason == "The criteria are met."

    html = page(coordinator_client.get(response["Location"]))
    assert "Record the decision: done." in html
    assert "Decided to hold a review" in html


def test_a_decision_not_to_hold_a_review_needs_reasons(coordinator_client, started_review):
    response = coordinator_client.post(
        step_url(started_review, "decide"),
        {"commissioned": "no", **date_parts("on", date(2027, 2, 1)), "stage": "notified"},
    )

    html = page(response)
    assert "There is a problem" in html
    assert "Enter the reasons for not holding a review" in html
    started_review.refresh_from_db()
    assert started_review.stage == Stage.NOTIFIED
    assert started_review.decided_on is None
    assert started_review.history.count() == 1


@pytest.fixture
def second_coordinator(partnership):
    user = UserFactory(email="second.coordinator@test.example", full_name="Second Coordinator")
    MembershipFactory(user=user, partnership=partnership, role=Role.COORDINATOR)
    return user


def test_a_step_on_a_review_someone_else_moved_is_refused(
    coordinator_client, second_coordinator, started_review
):
    # The coordinator opens the decision form while the review is at "Notified"...
    form = page(coordinator_client.get(step_url(started_review, "decide")))
    assert 'name="stage" value="notified"' in form
    # ...and meanwhile a colleague starts scoping.
    review_transition(
        review=started_review, action="start_scoping", by=second_coordinator, on=date(2027, 1, 20)
    )

    response = coordinator_client.post(
        step_url(started_review, "decide"),
        {
            "commissioned": "yes",
            **date_parts("on", date(2027, 2, 1)),
            "stage": "notified",
            "reason": "The criteria are met.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(started_review)
    html = page(coordinator_client.get(response["Location"]))
    assert "Someone else changed this review" in html
    assert "It is now at Scoping." in html
    started_review.refresh_from_db()
    assert started_review.stage == Stage.SCOPING
    assert started_review.decided_on is None
    assert not started_review.history.filter(action="decide_to_commission").exists()


def test_a_step_someone_else_made_unavailable_says_the_review_changed(
    coordinator_client, second_coordinator, started_review
):
    # The coordinator opens "Start scoping"; meanwhile a colleague records the decision, after
    # which scoping is no longer a step this review offers.
    page(coordinator_client.get(step_url(started_review, "start-scoping")))
    review_transition(
        review=started_review,
        action="decide_to_commission",
        by=second_coordinator,
        on=date(2027, 2, 1),
        reason="The criteria are met.",
    )

    response = coordinator_client.post(
        step_url(started_review, "start-scoping"),
        {**date_parts("on", date(2027, 2, 2)), "stage": "notified"},
    )

    started_review.refresh_from_db()
    assert started_review.stage == Stage.SETUP
    assert started_review.scoping_started_on is None
    assert response.status_code == 302
    assert response["Location"] == detail_url(started_review)
    html = page(coordinator_client.get(detail_url(started_review)))
    assert "Someone else changed this review" in html


@pytest.mark.parametrize("slug", ["publish", "resume", "no-such-step"])
def test_a_step_not_available_at_the_stage_is_not_found(coordinator_client, started_review, slug):
    page(coordinator_client.get(step_url(started_review, slug)), status=404)


def test_an_agency_author_cannot_open_or_post_a_step(
    client, police_author, started_review, police_author_takes_part
):
    signed_in(client, police_author)

    page(client.get(step_url(started_review, "decide")), status=404)
    response = client.post(
        step_url(started_review, "decide"),
        {"commissioned": "yes", **date_parts("on", date(2027, 2, 1)), "stage": "notified"},
    )

    assert response.status_code == 404
    started_review.refresh_from_db()
    assert started_review.stage == Stage.NOTIFIED


@pytest.fixture
def commissioned_without_chair(started_review, coordinator):
    """Decided on 1 February 2027 to hold a review; no independent chair appointed yet."""
    return review_transition(
        review=started_review,
        action="decide_to_commission",
        by=coordinator,
        on=date(2027, 2, 1),
        reason="The criteria are met.",
    )


def test_a_step_blocked_by_a_condition_says_why_instead_of_showing_a_form(
    coordinator_client, commissioned_without_chair
):
    html = page(coordinator_client.get(step_url(commissioned_without_chair, "complete-setup")))

    assert "Complete set-up" in html
    assert "You cannot do this yet" in html
    assert "Appoint an independent chair first." in html
    assert 'name="on_0"' not in html, "no form to fill in while the step is blocked"


def test_review_page_says_why_a_step_is_not_yet_possible(
    coordinator_client, commissioned_without_chair
):
    html = page(coordinator_client.get(detail_url(commissioned_without_chair)))

    assert "Complete set-up: not yet" in html
    assert "Appoint an independent chair first." in html
    assert f'href="{step_url(commissioned_without_chair, "appoint-chair")}"' in html


def test_posting_a_blocked_step_changes_nothing(coordinator_client, commissioned_without_chair):
    response = coordinator_client.post(
        step_url(commissioned_without_chair, "complete-setup"),
        {**date_parts("on", date(2027, 3, 1)), "stage": "setup"},
    )

    page(response, status=response.status_code)
    assert response.status_code != 302
    commissioned_without_chair.refresh_from_db()
    assert commissioned_without_chair.stage == Stage.SETUP
    assert commissioned_without_chair.setup_completed_on is None
    assert not commissioned_without_chair.history.filter(action="complete_setup").exists()


def test_pausing_for_another_reason_needs_details(coordinator_client, review_at):
    working = review_at(Stage.AGENCY_REPORTS)

    response = coordinator_client.post(
        step_url(working, "pause"),
        {
            "pause_reason": "other",
            "reason": "",
            **date_parts("on", date(2027, 5, 1)),
            "stage": "agency_reports",
        },
    )

    html = page(response)
    assert "There is a problem" in html
    assert "Enter the reason for pausing the review" in html
    working.refresh_from_db()
    assert working.stage == Stage.AGENCY_REPORTS
    assert not working.pauses.exists()


def test_pausing_then_resuming_moves_the_completion_deadline_by_the_days_paused(
    coordinator_client, review_at
):
    working = review_at(Stage.AGENCY_REPORTS)  # commissioned on 1 February 2027

    paused = coordinator_client.post(
        step_url(working, "pause"),
        {
            "pause_reason": "inquest",
            "reason": "Inquest opened and adjourned.",
            **date_parts("on", date(2027, 5, 1)),
            "stage": "agency_reports",
        },
    )
    assert paused.status_code == 302
    html = page(coordinator_client.get(detail_url(working)))
    assert "Paused since 1 May 2027 for inquest." in html
    assert "Clock stopped while paused" in html
    working.refresh_from_db()
    assert working.stage == Stage.PAUSED
    assert working.deadlines.get(rule="completion").due_on is None

    resumed = coordinator_client.post(
        step_url(working, "resume"),
        {**date_parts("on", date(2027, 6, 1)), "stage": "paused"},
    )
    assert resumed.status_code == 302

    working.refresh_from_db()
    assert working.stage == Stage.AGENCY_REPORTS
    completion = working.deadlines.get(rule="completion")
    # Six months from 1 February 2027 is 1 August 2027; paused 1 May to 1 June is 31 days.
    assert completion.due_on == date(2027, 9, 1)
    html = page(coordinator_client.get(detail_url(working)))
    assert "1 September 2027" in html
    assert "plus 31 days paused for inquest" in html
    assert "Paused since" not in html
    assert [row.action for row in working.history.order_by("at", "pk")] == ["pause", "resume"]


# Security.


def test_a_post_without_a_csrf_token_is_refused(coordinator, partnership):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)

    response = client.post("/reviews/start/", start_form(partnership=str(partnership.pk)))

    page(response, status=403)
    assert Review.objects.count() == 0
