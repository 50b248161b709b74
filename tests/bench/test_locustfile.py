"""The load generator's sign-in helpers (untimed): the authenticator codes it types must be the
ones an authenticator app shows, and it must find the sign-in form's hidden fields.

``bench.locustfile`` imports locust (and gevent's patching) only when a load runs, so importing it
here, next to Django, is safe.
"""

import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.locustfile import form_fields, totp_code

# RFC 6238, appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
RFC_6238_KEY = b"12345678901234567890".hex()


def test_codes_are_rfc_6238s_test_vectors():
    # The RFC lists 8-digit codes; an authenticator app shows the last 6 of each.
    vectors = {
        59: "94287082",
        1111111109: "07081804",
        1111111111: "14050471",
        1234567890: "89005924",
        2000000000: "69279037",
        20000000000: "65353130",
    }
    for at, code in vectors.items():
        assert totp_code(RFC_6238_KEY, at=at) == code[-6:]
        assert totp_code(RFC_6238_KEY, at=at, digits=8) == code


def test_codes_are_the_ones_django_otp_accepts_now():
    key = "8f1c3b5e0a9d7c2e4f6a8b0c1d3e5f7a9b2c4d6e"
    with time_machine.travel("2027-06-01 09:00:10Z", tick=False):
        assert totp_code(key) == f"{totp(bytes.fromhex(key)):06d}"
    with time_machine.travel("2027-06-01 09:00:40Z", tick=False):
        assert totp_code(key) == f"{totp(bytes.fromhex(key)):06d}"


def test_the_sign_in_forms_hidden_fields_are_found(client):
    page = client.get(reverse("login") + "?next=/tasks/")

    action, fields = form_fields(page.content.decode(), "password")

    assert action == reverse("login")
    assert fields["csrfmiddlewaretoken"]
    assert fields["next"] == "/tasks/"


def test_a_coordinator_signs_in_with_the_code_the_load_generator_types(client, coordinator):
    coordinator.set_password("a-long-bench-password")
    coordinator.save()
    device = TOTPDevice.objects.create(user=coordinator, name="Bench app", confirmed=True)
    page = client.get(reverse("login"))
    action, fields = form_fields(page.content.decode(), "password")
    fields.update({"username": coordinator.email, "password": "a-long-bench-password"})

    landing = client.post(action, fields, follow=True)
    # The two-factor page also carries the header's "Sign out" form: the code's form is found.
    action, fields = form_fields(landing.content.decode(), "otp_token")
    fields["otp_token"] = totp_code(device.key)
    answer = client.post(action, fields)

    assert landing.request["PATH_INFO"] == reverse("two_factor_verify")
    assert answer.status_code == 302
    assert not answer["Location"].startswith("/sign-in/")
    assert client.get(reverse("tasks:list")).status_code == 200
