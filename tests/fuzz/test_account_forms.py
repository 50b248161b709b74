"""Fuzzing the forms about a person and their partnership: signing in, passwords, invitations,
email preferences, calendar feeds, the reminder ladder and cover."""

import pytest
from django.urls import reverse

from tests.fuzz.harness import FormCase, fuzz_form

pytestmark = pytest.mark.postgres

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Lantern-Orchard-Velvet-42"


def test_sign_in(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="sign in",
        url=reverse("login"),
        user=None,
        valid={"username": world.users["police_author"].email, "password": PASSWORD},
        pages=(reverse("reviews:list"),),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_password_reset_request(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="password reset request",
        url=reverse("password_reset"),
        user=None,
        valid={"email": world.users["police_author"].email},
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def _follow_link(name, world):
    """Open the emailed link: Django moves its token into the session and redirects."""

    def prepare(client):
        response = client.get(reverse(name, kwargs=world.invitation))
        assert response.status_code == 302, response.status_code
        prepare.url = response["Location"]

    return prepare


@pytest.mark.parametrize(
    ("name", "label"),
    [("invitation", "invitation password"), ("password_reset_confirm", "new password from link")],
)
def test_choosing_a_password_from_a_link(
    world, db, django_capture_on_commit_callbacks, name, label
):
    prepare = _follow_link(name, world)
    # The address the link redirects to, with the token now in the session.
    set_password = reverse(name, kwargs={**world.invitation, "token": "set-password"})
    case = FormCase(
        name=label,
        url=set_password,
        user=None,
        valid={"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        prepare=prepare,
        pages=(reverse("reviews:list"),),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)
    assert prepare.url == set_password


def test_email_preferences(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="email preferences",
        url=reverse("email_preferences"),
        user=world.users["police_author"],
        valid={"daily_digest": "yes"},
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_calendar_feeds(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="calendar feed",
        url=reverse("calendar:feeds"),
        user=world.users["coordinator"],
        valid={"deadlines": str(world.partnerships["testshire"].pk)},
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


def test_reminder_ladder(world, db, django_capture_on_commit_callbacks):
    case = FormCase(
        name="reminder ladder",
        url=reverse("reminder_ladder", kwargs={"slug": "testshire"}),
        user=world.users["coordinator"],
        valid={
            "reminder_days": "21, 7",
            "escalate_after_days": "0",
            "chair_escalate_after_days": "5",
        },
    )
    fuzz_form(case, django_capture_on_commit_callbacks)


@pytest.mark.parametrize("persona", ["coordinator", "panel_member"])
def test_cover(world, db, django_capture_on_commit_callbacks, persona):
    """The coordinator arranges anyone's cover (here the panel member's: an agency's work is
    covered only from inside the agency); anyone else only their own (no person field)."""
    case = FormCase(
        name=f"cover ({persona})",
        url=reverse("tasks:cover"),
        user=world.users[persona],
        valid={
            "partnership": str(world.partnerships["testshire"].pk),
            "person": str(world.users["panel_member"].pk),
            "delegate": str(world.colleague.pk),
            "starts_on": ["8", "6", "2027"],
            "ends_on": ["15", "6", "2027"],
            "reason": "Annual leave",
        },
        pages=(reverse("tasks:list"),),
    )
    fuzz_form(case, django_capture_on_commit_callbacks)
