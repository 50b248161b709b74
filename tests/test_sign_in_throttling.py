"""Sign-in throttling (django-axes): five wrong passwords for one email address from one IP
address lock that pair out for 15 minutes, with a page that says when to try again and how to
reset the password; a new password ends the lockout at once.
"""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

PASSWORD = "correct-horse-battery"  # UserFactory's password
LOCKED = "You entered the wrong password too many times"


def sign_in(client, email, password, address="192.0.2.10"):
    return client.post("/sign-in/", {"username": email, "password": password}, REMOTE_ADDR=address)


def fail(client, email, times, address="192.0.2.10"):
    return [sign_in(client, email, "not-the-password", address) for _ in range(times)]


@pytest.fixture
def author(police_author):
    return police_author


def test_four_wrong_passwords_only_get_the_form_again(author, settings):
    client = Client()
    answers = fail(client, author.email, settings.AXES_FAILURE_LIMIT - 1)

    assert [answer.status_code for answer in answers] == [200] * 4
    assert all(LOCKED not in answer.content.decode() for answer in answers)
    assert sign_in(client, author.email, PASSWORD).status_code == 302


def test_the_fifth_locks_that_sign_in_out_with_a_page_saying_when_and_what_to_do(author, settings):
    client = Client()
    *_, fifth = fail(client, author.email, 5)

    page = fifth.content.decode()
    assert fifth.status_code == 429
    assert f'<h1 class="govuk-heading-l">{LOCKED}</h1>' in page
    assert f"<title>{LOCKED} - " in page
    assert "for 15 minutes" in page
    last_failure = AccessAttempt.objects.get(username=author.email).attempt_time
    at = timezone.localtime(last_failure + settings.AXES_COOLOFF_TIME)
    assert f"You can try again at <strong>{at:%-I:%M}{at:%p}".lower() in page.lower()
    assert 'href="/password-reset/"' in page
    # Locked out: even the right password does not sign in.
    right = sign_in(client, author.email, PASSWORD)
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert SESSION_KEY not in client.session


def test_tries_while_locked_out_do_not_move_the_time_to_try_again(author, _fixed_today):
    client = Client()
    fail(client, author.email, 5)
    _fixed_today.shift(timedelta(minutes=10))

    still = sign_in(client, author.email, "not-the-password")

    assert "for 5 minutes" in still.content.decode()
    _fixed_today.shift(timedelta(minutes=5, seconds=5))
    assert sign_in(client, author.email, PASSWORD).status_code == 302


def test_after_the_cool_off_the_right_password_signs_in(author, _fixed_today, settings):
    client = Client()
    fail(client, author.email, 5)
    _fixed_today.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=30))
    assert sign_in(client, author.email, PASSWORD).status_code == 429

    _fixed_today.shift(timedelta(seconds=31))

    assert sign_in(client, author.email, PASSWORD).status_code == 302
    assert client.get("/reviews/").status_code == 200


def test_the_lockout_is_for_that_email_address_from_that_ip_address(author, health_author):
    fail(Client(), author.email, 5, address="192.0.2.10")

    assert sign_in(Client(), author.email, PASSWORD, address="192.0.2.10").status_code == 429
    # The same person from elsewhere, and someone else from the same place, are not locked.
    assert sign_in(Client(), author.email, PASSWORD, address="198.51.100.7").status_code == 302
    assert sign_in(Client(), health_author.email, PASSWORD).status_code == 302


def test_a_right_password_clears_the_count(author):
    client = Client()
    fail(client, author.email, 4)
    assert sign_in(client, author.email, PASSWORD).status_code == 302
    client.post("/sign-out/")

    answers = fail(client, author.email, 4)

    assert [answer.status_code for answer in answers] == [200] * 4


def test_a_new_password_from_a_reset_link_ends_the_lockout(author):
    client = Client()
    fail(client, author.email, 5)
    assert AccessAttempt.objects.filter(username=author.email).exists()
    uid = urlsafe_base64_encode(force_bytes(author.pk))
    form_url = client.get(f"/password-reset/{uid}/{default_token_generator.make_token(author)}/")[
        "Location"
    ]
    new_password = "an-invented-passphrase-for-2027"

    done = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})

    assert done.status_code == 302 and done["Location"] == "/reviews/"
    assert client.get("/reviews/").status_code == 200
    client.post("/sign-out/")
    assert not AccessAttempt.objects.filter(username=author.email).exists()
    assert sign_in(client, author.email, new_password).status_code == 302


def test_unknown_addresses_are_locked_out_the_same_way(db):
    """The page does not tell someone guessing whether an address has an account."""
    *_, fifth = fail(Client(), "nobody@test.example", 5)

    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()


def test_the_test_client_can_still_sign_in(author):
    client = Client()

    assert client.login(username=author.email, password=PASSWORD)
    assert client.get("/reviews/").status_code == 200
    assert not Client().login(username=author.email, password="not-the-password")


def test_the_logs_hold_no_email_address_or_password(author, caplog):
    with caplog.at_level(logging.DEBUG):
        client = Client()
        fail(client, author.email, 6)
        sign_in(Client(), author.email, PASSWORD, address="198.51.100.7")

    logged = "\n".join(
        f"{record.getMessage()} {record.args!r}" for record in caplog.records
    ).lower()
    assert "axes" in logged, "django-axes logged the failures and the lockout"
    for secret in (author.email, "police.author", "not-the-password", PASSWORD):
        assert secret not in logged
