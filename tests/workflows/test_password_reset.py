"""Forgotten passwords: a single-use link by email, and no clue who has an account."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.models import Email


def ask_for_link(client, address, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("password_reset"), {"email": address})


def test_a_person_chooses_a_new_password_from_the_emailed_link(
    client, coordinator, django_capture_on_commit_callbacks
):
    response = ask_for_link(client, "Coordinator@Test.example ", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_sent")
    email = Email.objects.get(kind="password_reset")
    assert (email.to_address, email.status, email.review) == (coordinator.email, "sent", None)
    link = re.search(r"http\S+/password-reset/\S+/\S+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[-1]

    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new_password = "a-long-invented-passphrase-2027"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302 and done["Location"] == reverse("reviews:list")
    coordinator.refresh_from_db()
    assert coordinator.check_password(new_password)

    client.logout()
    again = client.get(path, follow=True)
    assert "This link has expired or has already been used" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client, coordinator, django_capture_on_commit_callbacks
):
    known = ask_for_link(client, coordinator.email, django_capture_on_commit_callbacks)
    unknown = ask_for_link(client, "nobody@test.example", django_capture_on_commit_callbacks)
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert list(Email.objects.values_list("to_address", flat=True)) == [coordinator.email]


def test_a_switched_off_account_gets_no_link(
    client, coordinator, django_capture_on_commit_callbacks
):
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    ask_for_link(client, coordinator.email, django_capture_on_commit_callbacks)
    assert not Email.objects.exists() and mail.outbox == []


def test_a_bad_address_is_refused_with_a_message(client, db):
    response = client.post(reverse("password_reset"), {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()
    assert not Email.objects.exists()


def reset_form(client, person) -> str:
    """Open a reset link for ``person``; the address of the form it leads to."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    opened = client.get(f"/password-reset/{uid}/{default_token_generator.make_token(person)}/")
    assert opened.status_code == 302, "the token moves out of the address first"
    return opened["Location"]


def test_the_link_expires(client, coordinator, settings, _fixed_today):
    uid = urlsafe_base64_encode(force_bytes(coordinator.pk))
    link = f"/password-reset/{uid}/{default_token_generator.make_token(coordinator)}/"
    assert settings.PASSWORD_RESET_TIMEOUT == 3 * 24 * 60 * 60
    _fixed_today.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))

    html = client.get(link, follow=True).content.decode()

    assert "This link has expired or has already been used" in html
    assert 'name="new_password1"' not in html


def test_a_link_is_spent_by_any_change_of_password(client, coordinator):
    """A link sent before the password changed (here by another link) no longer works."""
    uid = urlsafe_base64_encode(force_bytes(coordinator.pk))
    earlier = f"/password-reset/{uid}/{default_token_generator.make_token(coordinator)}/"
    coordinator.set_password("a-long-invented-passphrase-2027")
    coordinator.save()

    html = client.get(earlier, follow=True).content.decode()

    assert "This link has expired or has already been used" in html


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pass1", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("583920174652", "This password is entirely numeric."),
        ("coordinator@test", "The password is too similar to the email address."),
    ],
)
def test_the_password_rules_apply_to_a_new_password(client, coordinator, password, message):
    form_url = reset_form(client, coordinator)

    response = client.post(form_url, {"new_password1": password, "new_password2": password})

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    coordinator.refresh_from_db()
    assert coordinator.check_password("correct-horse-battery"), "the old password still works"
    assert "_auth_user_id" not in client.session
