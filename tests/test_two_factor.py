"""Two-factor sign-in: coordinators and chairs type a code from an authenticator app after their
password; everyone else signs in with a password alone.

These tests sign in through the real pages, without the suite's shortcut (tests/conftest.py):
the password on the sign-in page, then the code (worked out from the device's secret, as the
person's app would) on the two-factor pages.
"""

import logging
import re
from base64 import b32decode
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import authenticator, authenticator_code
from tests.factories import MembershipFactory, ReviewFactory, UserFactory
from workflows.models import Role

PASSWORD = "correct-horse-battery"  # UserFactory's password
VERIFY = "/sign-in/two-factor/"
SETUP = "/sign-in/two-factor/set-up/"
ERROR_SUMMARY = re.compile(r'govuk-error-summary__list">(.*?)</ul>', re.S)


def password_sign_in(client: Client, user, **extra) -> None:
    response = client.post("/sign-in/", {"username": user.email, "password": PASSWORD}, **extra)
    assert response.status_code == 302, "the password is right"
    assert client.session[SESSION_KEY] == str(user.pk)


def errors(response) -> str:
    found = ERROR_SUMMARY.search(response.content.decode())
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def code_at(device: TOTPDevice, step_offset: int = 0) -> str:
    """The code the device's app shows now, or ``step_offset`` steps (30 seconds) away."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += step_offset * device.step
    return f"{totp.token():06d}"


def a_wrong_code(device: TOTPDevice) -> str:
    near = {code_at(device, offset) for offset in (-2, -1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222") if code not in near)


@pytest.fixture
def review_chair(partnership):
    """An independent chair appointed on a review, with no partnership role at all."""
    chair = UserFactory(email="appointed.chair@test.example")
    ReviewFactory(partnership=partnership, independent_chair=chair)
    return chair


@pytest.fixture
def panel_member(partnership):
    member = UserFactory(email="panel.member@test.example")
    MembershipFactory(user=member, partnership=partnership, role=Role.PANEL_MEMBER)
    return member


# Who needs it.
@pytest.mark.parametrize(
    "persona", ["coordinator", "csp_chair", "independent_chair", "review_chair"]
)
def test_coordinators_and_chairs_are_sent_to_set_up_two_factor_after_their_password(
    request, persona
):
    person = request.getfixturevalue(persona)
    client = Client()
    password_sign_in(client, person)

    response = client.get("/reviews/")

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Freviews%2F"


@pytest.mark.parametrize("persona", ["police_author", "panel_member", "outsider"])
def test_everyone_else_signs_in_with_a_password_alone(request, persona):
    person = request.getfixturevalue(persona)
    client = Client()
    password_sign_in(client, person)

    assert client.get("/reviews/").status_code == 200
    assert client.get(VERIFY)["Location"] == "/reviews/", "the code pages are not for them"
    assert not TOTPDevice.objects.filter(user=person).exists()


def test_staff_who_can_open_the_admin_site_need_it_too(db):
    staff = UserFactory(email="service.admin@test.example", is_staff=True)
    client = Client()
    password_sign_in(client, staff)

    assert client.get("/admin/")["Location"].startswith(SETUP)


# Setting up an authenticator app.
def test_the_set_up_page_shows_a_qr_code_and_the_secret_key_without_inline_script(coordinator):
    client = Client()
    password_sign_in(client, coordinator)

    page = client.get(f"{SETUP}?next=/reviews/").content.decode()

    device = TOTPDevice.objects.get(user=coordinator)
    assert not device.confirmed
    svg = re.search(r"<svg[^>]*aria-label=\"QR code[^\"]*\"[^>]*>", page)
    assert svg and 'role="img"' in svg.group(0)
    shown_key = re.search(r'id="secret-key">([A-Z2-7 ]+)</p>', page).group(1)
    assert b32decode(shown_key.replace(" ", "")) == device.bin_key
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == [], "no inline script"
    assert 'name="otp_token"' in page and 'autocomplete="one-time-code"' in page
    assert 'name="next" value="/reviews/"' in page
    # Reloading shows the same secret: an app that scanned the first page still works.
    again = client.get(SETUP).content.decode()
    assert shown_key in again
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_the_first_right_code_confirms_the_app_and_signs_in(coordinator, caplog):
    client = Client()
    password_sign_in(client, coordinator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=coordinator)
    half_signed_in_key = client.session.session_key

    with caplog.at_level(logging.INFO, logger="workflows"):
        response = client.post(SETUP, {"otp_token": code_at(device), "next": "/tasks/"})

    assert response.status_code == 302 and response["Location"] == "/tasks/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != half_signed_in_key, "a new session key for the trust"
    listing = client.get("/reviews/").content.decode()
    assert "Two-factor sign-in is set up" in listing
    # The log says who by id only: no email address, no name.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"user {coordinator.pk} set up two-factor sign-in" in logged
    assert f"user {coordinator.pk} signed in with two-factor" in logged
    assert coordinator.email not in logged and "Coordinator" not in logged


def test_a_wrong_code_at_set_up_leaves_the_app_unconfirmed(coordinator):
    client = Client()
    password_sign_in(client, coordinator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=coordinator)

    response = client.post(SETUP, {"otp_token": a_wrong_code(device)})

    assert response.status_code == 200
    assert errors(response).startswith("The security code is not right")
    assert "<title>Error: Set up two-factor sign-in" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/reviews/")["Location"].startswith(SETUP)


def test_a_second_app_cannot_be_added_with_a_password_alone(coordinator):
    """Otherwise a stolen password would be enough to add a thief's app."""
    authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)

    response = client.get(f"{SETUP}?next=/tasks/")

    assert response["Location"] == f"{VERIFY}?next=%2Ftasks%2F"
    assert client.post(SETUP, {"otp_token": "123456"})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


# Signing in with the app.
def test_with_an_app_set_up_the_code_page_comes_after_the_password(csp_chair):
    device = authenticator(csp_chair)
    client = Client()
    password_sign_in(client, csp_chair)

    response = client.get("/dashboard/")
    assert response["Location"] == f"{VERIFY}?next=%2Fdashboard%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Enter your security code" in page

    done = client.post(VERIFY, {"otp_token": authenticator_code(device), "next": "/dashboard/"})

    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the security code from your authenticator app"),
        ("12ab56", "Enter the security code as 6 digits, like 123456"),
        ("12345", "Enter the security code as 6 digits, like 123456"),
        ("1" * 40, "Enter the security code as 6 digits, like 123456"),
    ],
)
def test_a_code_in_the_wrong_form_is_refused_with_a_govuk_error(coordinator, typed, message):
    authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)

    response = client.post(VERIFY, {"otp_token": typed})

    assert response.status_code == 200
    assert errors(response) == message
    assert '<p id="id_otp_token-error" class="govuk-error-message">' in response.content.decode()
    assert client.get("/reviews/")["Location"].startswith(VERIFY)


def test_spaces_in_a_code_are_ignored(coordinator):
    device = authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)
    code = code_at(device)

    response = client.post(VERIFY, {"otp_token": f" {code[:3]} {code[3:]} "})

    assert response.status_code == 302


def test_a_wrong_code_is_refused_and_the_next_try_waits(coordinator, _fixed_today):
    device = authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)

    wrong = client.post(VERIFY, {"otp_token": a_wrong_code(device)})
    assert errors(wrong) == (
        "The security code is not right. Enter the code your authenticator app shows now"
    )
    # django-otp's throttling: straight after a wrong code, even the right one must wait.
    hurried = client.post(VERIFY, {"otp_token": code_at(device)})
    assert errors(hurried) == (
        "You have entered a wrong security code too many times. Wait 1 second, then enter the "
        "code your authenticator app shows"
    )
    assert client.get("/reviews/")["Location"].startswith(VERIFY)

    _fixed_today.shift(timedelta(seconds=2))
    assert client.post(VERIFY, {"otp_token": code_at(device)}).status_code == 302


def test_each_wrong_code_doubles_the_wait(coordinator, _fixed_today):
    device = authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)
    for wait in (1, 2, 4, 8, 16, 32):
        client.post(VERIFY, {"otp_token": a_wrong_code(device)})
        _fixed_today.shift(timedelta(seconds=wait - 0.5))
        refused = client.post(VERIFY, {"otp_token": code_at(device)})
        assert "Wait 1 second" in errors(refused), wait
        _fixed_today.shift(timedelta(seconds=1))

    device.refresh_from_db()
    assert device.throttling_failure_count == 6
    assert client.post(VERIFY, {"otp_token": a_wrong_code(device)}).status_code == 200
    assert "Wait 64 seconds" in errors(client.post(VERIFY, {"otp_token": code_at(device)}))


def test_a_code_is_taken_only_once(coordinator):
    device = authenticator(coordinator)
    first, second = Client(), Client()
    password_sign_in(first, coordinator)
    password_sign_in(second, coordinator)
    code = code_at(device)

    assert first.post(VERIFY, {"otp_token": code}).status_code == 302
    reused = second.post(VERIFY, {"otp_token": code})

    assert errors(reused) == (
        "That security code has already been used. Wait for your authenticator app to show a "
        "new code, then enter it"
    )
    assert second.get("/reviews/")["Location"].startswith(VERIFY)


def test_a_code_from_a_minute_ago_is_refused(coordinator):
    device = authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)

    response = client.post(VERIFY, {"otp_token": code_at(device, step_offset=-3)})

    assert errors(response).startswith("The security code is not right")


def test_signing_out_ends_the_two_factor_sign_in_too(coordinator):
    device = authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)
    client.post(VERIFY, {"otp_token": code_at(device)})

    client.post("/sign-out/")
    password_sign_in(client, coordinator)

    assert client.get("/reviews/")["Location"].startswith(VERIFY)


# Until the code is typed.
ALWAYS_REDIRECTED = [
    "/reviews/",
    "/reviews/start/",
    "/tasks/",
    "/dashboard/",
    "/statistics/",
    "/calendar/",
    "/account/emails/",
    "/partnerships/testshire/reminders/",
    "/admin/",
    "/",
    "/sign-in/",
    "/no-such-page/",
]


def test_every_page_but_sign_out_and_the_two_factor_pages_waits_for_the_code(coordinator, review):
    authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)

    for path in [*ALWAYS_REDIRECTED, f"/reviews/{review.reference}/"]:
        response = client.get(path, follow=True)
        assert response.redirect_chain, path
        assert response.redirect_chain[-1][0].startswith(VERIFY), path
        assert "Enter your security code" in response.content.decode(), path
    posted = client.post(f"/reviews/{review.reference}/steps/pause/", {"reason": "x"})
    assert posted["Location"].startswith(VERIFY)
    page = client.get(VERIFY).content.decode()
    assert "Sign out" in page and 'href="/reviews/"' not in page, "no menu but signing out"
    assert client.get("/static/css/app.css").status_code == 200
    assert client.post("/sign-out/")["Location"] == "/sign-in/"
    assert SESSION_KEY not in client.session


def test_anonymous_people_are_sent_to_sign_in_first(db):
    for page in (VERIFY, SETUP):
        response = Client().get(page)
        assert response["Location"] == f"/sign-in/?next={page}"


def test_people_already_verified_go_straight_on(coordinator):
    client = Client()
    client.force_login(coordinator)  # verified, as the suite's sign-ins are

    assert client.get(f"{VERIFY}?next=/tasks/")["Location"] == "/tasks/"
    assert client.get(SETUP)["Location"] == "/reviews/"


def test_next_only_leads_to_pages_of_this_service(coordinator):
    device = authenticator(coordinator)
    client = Client()
    password_sign_in(client, coordinator)

    response = client.post(
        VERIFY, {"otp_token": code_at(device), "next": "https://elsewhere.example/"}
    )

    assert response["Location"] == "/reviews/"


def test_the_password_page_itself_is_unchanged_by_two_factor(coordinator):
    """A wrong password still gets the sign-in form's own error and no session."""
    client = Client()
    response = client.post("/sign-in/", {"username": coordinator.email, "password": "wrong"})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_a_new_coordinator_from_a_password_link_sets_up_two_factor_next(coordinator):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(coordinator.pk))
    token = default_token_generator.make_token(coordinator)
    client = Client()
    form_url = client.get(f"/password-reset/{uid}/{token}/")["Location"]
    new_password = "an-invented-passphrase-for-2027"

    done = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})

    assert done["Location"] == "/reviews/"
    assert client.get("/reviews/")["Location"].startswith(SETUP)


def test_the_review_chair_needs_it_only_while_appointed(partnership, db):
    chair = UserFactory(email="former.chair@test.example")
    review = ReviewFactory(partnership=partnership, independent_chair=chair)
    client = Client()
    password_sign_in(client, chair)
    assert client.get("/reviews/")["Location"].startswith(SETUP)

    review.independent_chair = None
    review.save(update_fields=["independent_chair"])

    assert client.get("/reviews/").status_code == 200
