"""Forgotten passwords: a single-use link by email, and no clue who has an account."""

import re

from django.core import mail
from django.urls import reverse

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
