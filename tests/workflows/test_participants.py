"""People and roles, and need to know: who is invited, who sees a review, who sees real names."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ParticipantFactory, ReviewFactory, UserFactory
from workflows.models import Participant, ParticipantRole, User
from workflows.services.participants import (
    ParticipantRefused,
    participant_end,
    participant_invite,
)
from workflows.stages import Stage

REAL_NAME = "Zelda Inventedname"
PERPETRATOR = "Quentin Madeupname"
NEW_PASSWORD = "plum-orchard-lantern-42"
LINK = re.compile(r"https://reviews\.example/invitation/[\w-]+/[\w-]+/")


@pytest.fixture(autouse=True)
def outbox(db, settings):
    """Emails sent in the test; asking for ``db`` first, as its set-up replaces the outbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://reviews.example"
    return mail.outbox


@pytest.fixture
def working_review(review_at):
    """A review at agency reports, chaired, pseudonym "Robin", the police in scope."""
    return review_at(Stage.AGENCY_REPORTS)


def people_url(review) -> str:
    return f"/reviews/{review.reference}/people/"


def detail_url(review) -> str:
    return f"/reviews/{review.reference}/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite_form(**overrides) -> dict:
    data = {
        "email": "Nia.Newcomer@Testshire.example",
        "full_name": "Nia Newcomer",
        "role": ParticipantRole.PANEL_MEMBER,
        "agency": "",
    }
    return {**data, **overrides}


def invite(client, review, capture, **overrides):
    with capture(execute=True):
        return client.post(people_url(review), invite_form(**overrides))


# Inviting someone new, and their link.


def test_coordinator_invites_a_new_person_who_gets_an_email_without_real_names(
    coordinator, working_review, outbox, django_capture_on_commit_callbacks
):
    response = invite(signed_in(coordinator), working_review, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == people_url(working_review)
    person = User.objects.get(email="nia.newcomer@testshire.example")
    assert not person.has_usable_password()
    participant = Participant.objects.get(user=person)
    assert (participant.review, participant.role) == (working_review, "panel_member")
    assert participant.added_by == coordinator
    [email] = outbox
    assert email.to == ["nia.newcomer@testshire.example"]
    assert email.subject == f"You have been invited to review {working_review.reference}"
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert working_review.reference in body
        assert "Robin" in body
        assert "review panel member" in body
        assert "3 days" in body
        assert LINK.search(body)
        assert REAL_NAME not in body
        assert PERPETRATOR not in body
    assert REAL_NAME not in email.subject


def test_an_email_for_a_review_without_a_pseudonym_says_a_review(
    coordinator, review, outbox, django_capture_on_commit_callbacks
):
    invite(signed_in(coordinator), review, django_capture_on_commit_callbacks)

    [email] = outbox
    assert "has added you to a review, reference" in email.body
    assert REAL_NAME not in email.body


def test_nothing_is_sent_when_the_invitation_is_refused(
    coordinator, working_review, outbox, django_capture_on_commit_callbacks
):
    invite(
        signed_in(coordinator),
        working_review,
        django_capture_on_commit_callbacks,
        role=ParticipantRole.AGENCY_AUTHOR,
    )

    assert outbox == []
    assert not User.objects.filter(email="nia.newcomer@testshire.example").exists()


def link_from(outbox) -> str:
    return LINK.search(outbox[-1].body).group(0).removeprefix("https://reviews.example")


def create_password(client, link, password=NEW_PASSWORD):
    opened = client.get(link)
    assert opened.status_code == 302, "the token moves out of the address first"
    form_url = opened["Location"]
    assert form_url.endswith("/set-password/")
    assert "Create your password" in client.get(form_url).content.decode()
    return client.post(form_url, {"new_password1": password, "new_password2": password})


@pytest.fixture
def invited(coordinator, working_review, outbox, django_capture_on_commit_callbacks):
    invite(signed_in(coordinator), working_review, django_capture_on_commit_callbacks)
    return link_from(outbox)


def test_the_link_lets_them_create_a_password_and_see_only_that_review(
    invited, working_review, partnership
):
    other = ReviewFactory(partnership=partnership)
    client = Client()

    response = create_password(client, invited)

    assert response.status_code == 302
    assert response["Location"] == "/reviews/"
    person = User.objects.get(email="nia.newcomer@testshire.example")
    assert person.check_password(NEW_PASSWORD)
    listing = client.get("/reviews/").content.decode()
    assert working_review.reference in listing
    assert other.reference not in listing
    assert "Your password has been created" in listing
    page = client.get(detail_url(working_review)).content.decode()
    assert "Robin" in page
    assert REAL_NAME not in page
    assert client.get(detail_url(other)).status_code == 404
    # And they can sign in again later with the password they chose.
    assert Client().login(username=person.email, password=NEW_PASSWORD)


def test_the_link_works_only_once(invited):
    create_password(Client(), invited)

    response = Client().get(invited)

    html = response.content.decode()
    assert "This link has expired or has already been used" in html
    assert 'name="new_password1"' not in html
    assert 'href="/sign-in/"' in html


def test_the_link_expires(invited, settings, _fixed_today):
    _fixed_today.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))

    html = Client().get(invited).content.decode()

    assert "This link has expired or has already been used" in html


def test_the_link_still_works_just_before_it_expires(invited, settings, _fixed_today):
    _fixed_today.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60))

    assert Client().get(invited).status_code == 302


def test_a_made_up_link_shows_the_expired_page():
    html = Client().get("/invitation/MQ/not-a-token/").content.decode()

    assert "This link has expired or has already been used" in html


def test_a_short_password_is_refused_with_a_govuk_error(invited):
    client = Client()

    response = create_password(client, invited, password="short")

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "at least 12 characters" in html
    assert "<title>Error: Create your password" in html
    assert "_auth_user_id" not in client.session


def test_mismatched_passwords_are_refused(invited):
    client = Client()
    form_url = client.get(invited)["Location"]

    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )

    assert "The passwords do not match" in response.content.decode()


def test_someone_who_already_signs_in_is_told_they_were_added(
    coordinator, working_review, health_author, outbox, django_capture_on_commit_callbacks
):
    invite(
        signed_in(coordinator),
        working_review,
        django_capture_on_commit_callbacks,
        email=health_author.email,
        full_name="Ignored Name",
    )

    [email] = outbox
    assert email.subject == f"You have been added to review {working_review.reference}"
    assert f"https://reviews.example/reviews/{working_review.reference}/" in email.body
    assert "/invitation/" not in email.body
    health_author.refresh_from_db()
    assert health_author.has_usable_password()
    assert signed_in(health_author).get(detail_url(working_review)).status_code == 200


def test_an_invitation_can_be_sent_again(
    coordinator, working_review, invited, outbox, django_capture_on_commit_callbacks
):
    participant = Participant.objects.get(user__email="nia.newcomer@testshire.example")
    client = signed_in(coordinator)
    assert "Send invitation again" in client.get(people_url(working_review)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:invitation_resend", args=[working_review.reference, participant.pk])
        )

    assert response.status_code == 302
    assert len(outbox) == 2
    assert LINK.search(outbox[-1].body)


# Removing someone.


def test_removing_a_participant_hides_the_review_from_them(
    coordinator, review, police_author, police_participant
):
    author = signed_in(police_author)
    assert author.get(detail_url(review)).status_code == 200
    remove_url = reverse(
        "reviews:participant_remove", args=[review.reference, police_participant.pk]
    )
    client = signed_in(coordinator)
    assert "Why is this person leaving the review?" in client.get(remove_url).content.decode()

    response = client.post(remove_url, {"reason": "Moved to another force."})

    assert response.status_code == 302
    police_participant.refresh_from_db()
    assert police_participant.ended_on == timezone.localdate()
    assert police_participant.ended_by == coordinator
    assert police_participant.end_reason == "Moved to another force."
    assert author.get(detail_url(review)).status_code == 404
    assert review.reference not in author.get("/reviews/").content.decode()


def test_removing_needs_a_reason(coordinator, review, police_participant):
    url = reverse("reviews:participant_remove", args=[review.reference, police_participant.pk])

    html = signed_in(coordinator).post(url, {"reason": " "}).content.decode()

    assert "Enter why this person is leaving the review" in html
    police_participant.refresh_from_db()
    assert police_participant.is_active


def test_only_the_coordinator_may_remove(review, police_participant, csp_chair, police_author):
    url = reverse("reviews:participant_remove", args=[review.reference, police_participant.pk])

    assert signed_in(csp_chair).post(url, {"reason": "No."}).status_code == 403
    assert signed_in(police_author).post(url, {"reason": "No."}).status_code == 403
    with pytest.raises(PermissionDenied):
        participant_end(participant=police_participant, by=csp_chair, reason="No.")
    police_participant.refresh_from_db()
    assert police_participant.is_active


def test_someone_removed_can_be_added_again(coordinator, review, police_participant, police):
    participant_end(participant=police_participant, by=coordinator, reason="Left.")

    again = participant_invite(
        review=review,
        email=police_participant.user.email,
        full_name="",
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        by=coordinator,
    )

    assert again.is_active
    assert review.participants.count() == 2


# What the invitation form refuses.


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"email": "not-an-email"},
            "Enter an email address in the correct format, like name@example.com",
            id="bad-email",
        ),
        pytest.param({"email": ""}, "Enter an email address", id="no-email"),
        pytest.param({"full_name": ""}, "Enter the person&#x27;s full name", id="no-name"),
        pytest.param({"role": ""}, "Select the person&#x27;s role on this review", id="no-role"),
        pytest.param(
            {"role": ParticipantRole.AGENCY_AUTHOR},
            "Select the agency this person works for",
            id="agency-role-without-agency",
        ),
        pytest.param(
            {"role": ParticipantRole.SENIOR_MANAGER},
            "Select the agency this person works for",
            id="senior-manager-without-agency",
        ),
    ],
)
def test_the_invitation_form_shows_govuk_errors(coordinator, working_review, overrides, message):
    response = signed_in(coordinator).post(people_url(working_review), invite_form(**overrides))

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error: People" in html
    assert not Participant.objects.exists()


def test_an_agency_not_in_scope_is_refused(coordinator, working_review, health):
    data = invite_form(role=ParticipantRole.AGENCY_AUTHOR, agency=str(health.pk))

    html = signed_in(coordinator).post(people_url(working_review), data).content.decode()

    assert "Select an agency in the scope of this review" in html
    assert not Participant.objects.exists()
    with pytest.raises(ParticipantRefused, match="scope"):
        participant_invite(
            review=working_review,
            email="someone@test.example",
            full_name="Someone",
            role=ParticipantRole.AGENCY_AUTHOR,
            agency=health,
            by=coordinator,
        )


def test_the_agency_list_offers_only_the_agencies_in_scope(coordinator, working_review, health):
    html = signed_in(coordinator).get(people_url(working_review)).content.decode()

    assert "Testshire Police" in html
    assert "Testshire Health Trust" not in html


def test_someone_already_in_that_role_is_refused(coordinator, review, police_participant, police):
    data = invite_form(
        email=police_participant.user.email,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=str(police.pk),
    )

    html = signed_in(coordinator).post(people_url(review), data).content.decode()

    assert "already takes part as agency report (IMR) author for Testshire Police" in html
    assert review.participants.count() == 1


def test_a_person_may_hold_a_second_role_on_the_same_review(
    coordinator, review, police_participant
):
    data = invite_form(email=police_participant.user.email, role=ParticipantRole.PANEL_MEMBER)

    response = signed_in(coordinator).post(people_url(review), data)

    assert response.status_code == 302
    assert set(review.participants.values_list("role", flat=True)) == {
        "agency_author",
        "panel_member",
    }


@pytest.mark.parametrize(("persona", "status"), [("csp_chair", 403), ("outsider", 404)])
def test_only_the_coordinator_may_invite(request, review, police_participant, persona, status):
    user = request.getfixturevalue(persona)

    response = signed_in(user).post(people_url(review), invite_form())

    assert response.status_code == status
    assert review.participants.count() == 1


def test_a_participant_may_not_invite(review, police_author, police_participant):
    client = signed_in(police_author)

    assert "Invite someone" not in client.get(people_url(review)).content.decode()
    assert client.post(people_url(review), invite_form()).status_code == 403
    with pytest.raises(PermissionDenied):
        participant_invite(
            review=review,
            email="friend@test.example",
            full_name="Friend",
            role=ParticipantRole.PANEL_MEMBER,
            by=police_author,
        )
    assert review.participants.count() == 1


def test_the_database_refuses_an_agency_role_without_an_agency(review, police_author):
    with pytest.raises(IntegrityError):
        ParticipantFactory(review=review, user=police_author, role=ParticipantRole.AGENCY_AUTHOR)


def test_the_database_refuses_a_second_active_row_for_the_same_role(review, police_author):
    ParticipantFactory(review=review, user=police_author, role=ParticipantRole.PANEL_MEMBER)

    with pytest.raises(IntegrityError):
        ParticipantFactory(review=review, user=police_author, role=ParticipantRole.PANEL_MEMBER)


# The people page and its summary.


def test_the_people_page_lists_the_chair_and_participants(
    working_review, independent_chair, police_author, police, coordinator
):
    ParticipantFactory(
        review=working_review,
        user=police_author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=coordinator,
    )

    html = signed_in(police_author).get(people_url(working_review)).content.decode()

    assert html.count("<h1") == 1
    assert independent_chair.email in html
    assert police_author.email in html
    assert "Agency report (IMR) author" in html
    assert "Testshire Police" in html
    assert REAL_NAME not in html
    assert "Remove" not in html


def test_the_people_summary_counts_the_people_taking_part(review, police_participant):
    html = render_to_string("reviews/_people_summary.html", {"review": review})

    assert "People" in html
    assert "Not appointed yet" in html
    assert "1 person" in html
    assert f'href="/reviews/{review.reference}/people/"' in html


# Need to know: who sees the review, and who sees the real names.


@pytest.fixture
def panel_member(db):
    return UserFactory(email="panel.member@test.example", full_name="Panel Member")


@pytest.fixture
def matrix_review(working_review, police_author, police, panel_member, coordinator):
    for user, role, agency in [
        (police_author, ParticipantRole.AGENCY_AUTHOR, police),
        (panel_member, ParticipantRole.PANEL_MEMBER, None),
    ]:
        ParticipantFactory(
            review=working_review, user=user, role=role, agency=agency, added_by=coordinator
        )
    return working_review


@pytest.mark.parametrize(
    ("persona", "sees_review", "sees_real_names"),
    [
        ("outsider", False, False),
        ("health_author", False, False),
        ("police_author", True, False),
        ("panel_member", True, False),
        ("independent_chair", True, True),
        ("coordinator", True, True),
        ("csp_chair", True, True),
    ],
)
def test_who_sees_the_review_and_its_real_names(
    request, matrix_review, persona, sees_review, sees_real_names
):
    client = signed_in(request.getfixturevalue(persona))

    response = client.get(detail_url(matrix_review))
    listing = client.get("/reviews/").content.decode()
    people = client.get(people_url(matrix_review))

    html = response.content.decode()
    assert response.status_code == (200 if sees_review else 404)
    assert people.status_code == (200 if sees_review else 404)
    assert (matrix_review.reference in listing) is sees_review
    assert (REAL_NAME in html) is sees_real_names
    assert (PERPETRATOR in html) is sees_real_names


def test_signed_out_people_are_sent_to_sign_in(matrix_review):
    for url in (detail_url(matrix_review), people_url(matrix_review)):
        response = Client().get(url)

        assert response.status_code == 302
        assert response["Location"] == f"/sign-in/?next={url}"


def test_a_chair_of_another_review_does_not_see_this_one(matrix_review, partnership):
    other_chair = UserFactory(email="other.chair@test.example")
    ReviewFactory(partnership=partnership, independent_chair=other_chair)

    assert signed_in(other_chair).get(detail_url(matrix_review)).status_code == 404
