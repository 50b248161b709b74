"""Sessions end after inactivity (``SESSION_IDLE_SECONDS``, 30 minutes) and, however busy, a
fixed time after sign-in (``SESSION_COOKIE_AGE``, 8 hours): the next request signs the person
out and the sign-in page says why."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

IDLE = "You were signed out because you had not done anything for 30 minutes."


@pytest.fixture
def signed_in(police_author):
    client = Client()
    client.force_login(police_author)
    assert client.get("/reviews/").status_code == 200
    return client


def test_thirty_minutes_without_a_request_signs_the_person_out(signed_in, _fixed_today, caplog):
    _fixed_today.shift(timedelta(minutes=30, seconds=30))

    with caplog.at_level(logging.INFO, logger="project"):
        response = signed_in.get("/tasks/")

    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/tasks/"
    assert SESSION_KEY not in signed_in.session
    page = signed_in.get(response["Location"]).content.decode()
    assert IDLE in page
    assert "govuk-notification-banner" in page
    assert signed_in.get("/reviews/")["Location"] == "/sign-in/?next=/reviews/"
    assert "was signed out: 18" in caplog.text and "author" not in caplog.text.lower()


def test_any_request_keeps_the_session_going(signed_in, _fixed_today):
    for _ in range(4):  # two hours in all, never 30 minutes apart
        _fixed_today.shift(timedelta(minutes=29))
        assert signed_in.get("/reviews/").status_code == 200


def test_a_busy_session_still_ends_eight_hours_after_sign_in(signed_in, _fixed_today, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    for _ in range(16):  # a request every 29 minutes: 7 hours 44 minutes
        _fixed_today.shift(timedelta(minutes=29))
        assert signed_in.get("/tasks/").status_code == 200

    _fixed_today.shift(timedelta(minutes=17))
    response = signed_in.get("/tasks/", follow=True)

    assert "You were signed out because you signed in more than 8 hours ago." in (
        response.content.decode()
    )


def test_the_idle_time_is_a_setting(signed_in, _fixed_today, settings):
    settings.SESSION_IDLE_SECONDS = 10 * 60
    _fixed_today.shift(timedelta(minutes=9))
    assert signed_in.get("/reviews/").status_code == 200

    _fixed_today.shift(timedelta(minutes=10, seconds=30))
    response = signed_in.get("/reviews/", follow=True)

    assert "because you had not done anything for 10 minutes" in response.content.decode()


def test_signing_in_again_starts_afresh(signed_in, police_author, _fixed_today):
    _fixed_today.shift(timedelta(hours=2))
    signed_in.force_login(police_author)

    assert signed_in.get("/reviews/").status_code == 200


def test_signing_in_on_the_page_starts_afresh(police_author, _fixed_today):
    client = Client()
    client.post("/sign-in/", {"username": police_author.email, "password": "correct-horse-battery"})
    _fixed_today.shift(timedelta(minutes=31))
    client.post("/sign-in/", {"username": police_author.email, "password": "correct-horse-battery"})

    assert client.get("/reviews/").status_code == 200


def test_coordinators_signed_out_for_idling_need_their_code_again(coordinator, _fixed_today):
    client = Client()
    client.force_login(coordinator)  # verified with the authenticator app
    _fixed_today.shift(timedelta(minutes=31))
    client.get("/reviews/")

    client.post("/sign-in/", {"username": coordinator.email, "password": "correct-horse-battery"})

    assert client.get("/reviews/")["Location"].startswith("/sign-in/two-factor/")


def test_public_pages_stay_open_after_the_session_ends(signed_in, _fixed_today):
    _fixed_today.shift(timedelta(minutes=31))

    response = signed_in.get("/password-reset/")

    assert response.status_code == 200
    assert IDLE in response.content.decode()
    assert SESSION_KEY not in signed_in.session


def test_the_session_is_saved_once_a_minute_not_on_every_page(signed_in, _fixed_today):
    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            signed_in.get("/reviews/")
        return sum('UPDATE "django_session"' in query["sql"] for query in queries)

    assert session_writes() == 0
    _fixed_today.shift(timedelta(seconds=61))
    assert session_writes() == 1
    assert session_writes() == 0
