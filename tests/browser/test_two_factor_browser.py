"""A coordinator sets up two-factor sign-in in Chromium (reading the secret key off the page, as
they would type it into their app), then signs in again with a code; the pages pass axe. Also
the page shown after too many wrong passwords."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, assert_accessible
from tests.conftest import authenticator_code

pytestmark = pytest.mark.browser


def app_code(secret_key: str, steps_away: int = 0) -> str:
    """What an authenticator app given ``secret_key`` shows now (or ``steps_away`` times 30
    seconds from now)."""
    totp = TOTP(b32decode(secret_key.replace(" ", "")))
    totp.time += steps_away * 30
    return f"{totp.token():06d}"


def type_password(page, url, email, password=PASSWORD):
    page.goto(f"{url}/sign-in/")
    page.locator("input[name='username']").fill(email)
    page.locator("input[name='password']").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()


def test_a_coordinator_sets_up_two_factor_then_signs_in_with_a_code(page, live_server, coordinator):
    url = live_server.url
    type_password(page, url, coordinator.email)

    page.wait_for_url(f"{url}/sign-in/two-factor/set-up/?next=%2Freviews%2F")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu")).not_to_contain_text("My tasks")
    assert_accessible(page)

    secret_key = page.locator("#secret-key").inner_text()
    near = {app_code(secret_key, steps) for steps in (-1, 0, 1)}
    page.get_by_label("Security code").fill(next(c for c in ("000000", "111111") if c not in near))
    page.locator("main").get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The security code is not right")
    expect(page).to_have_title(
        "Error: Set up two-factor sign-in - Manage domestic homicide reviews - GOV.UK"
    )
    assert_accessible(page)

    time.sleep(1.1)  # django-otp makes the next try after a wrong code wait a second
    assert page.locator("#secret-key").inner_text() == secret_key, "the same app as before"
    page.get_by_label("Security code").fill(app_code(secret_key))
    page.locator("main").get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/reviews/")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Two-factor sign-in is set up"
    )
    device = TOTPDevice.objects.get(user=coordinator)
    assert device.confirmed

    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{url}/sign-in/")
    type_password(page, url, coordinator.email)
    page.wait_for_url(f"{url}/sign-in/two-factor/?next=%2Freviews%2F")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    assert_accessible(page)
    page.get_by_label("Security code").fill(authenticator_code(device))
    page.locator("main").get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/reviews/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reviews")


def test_the_lockout_page_after_too_many_wrong_passwords(page, live_server, police_author):
    for _ in range(5):
        type_password(page, live_server.url, police_author.email, "not-the-password")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You entered the wrong password too many times"
    )
    expect(page.locator("main")).to_contain_text("You can try again at")
    assert_accessible(page)
    page.get_by_role("link", name="reset your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
