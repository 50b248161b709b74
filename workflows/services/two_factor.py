"""Two-factor sign-in: who needs it, their authenticator app, and checking its codes.

Coordinators and chairs see the real names of victims and perpetrators and every document of a
review, so a password alone is not enough for them: after the password they type the 6-digit
code their authenticator app shows (TOTP, RFC 6238, through django-otp). Everyone else signs in
with a password alone.

A person has one authenticator app (one ``TOTPDevice``). It is created unconfirmed when they
first see the set-up page and confirmed by the first code they type from it. django-otp refuses
a code already used (``last_t``) and makes each wrong code wait twice as long as the one before
(``OTP_TOTP_THROTTLE_FACTOR``).
"""

import enum
import logging
import math
import time
import xml.etree.ElementTree as ElementTree
from base64 import b32encode
from dataclasses import dataclass

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from workflows.models.people import Role

logger = logging.getLogger(__name__)

# Roles that see real names and every document of a review (see workflows.permissions).
TWO_FACTOR_ROLES = (Role.COORDINATOR, Role.CSP_CHAIR, Role.INDEPENDENT_CHAIR)
APP_NAME = "Authenticator app"


def two_factor_required(user) -> bool:
    """Whether ``user`` must type a code from an authenticator app after their password.

    Coordinators and chairs of any partnership, the independent chair of any review, and the
    staff who can open the admin site.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(
            Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(memberships__role__in=TWO_FACTOR_ROLES)
            | Q(reviews_chaired__isnull=False)
        )
        .exists()
    )


def authenticator_for(user) -> TOTPDevice | None:
    """The person's confirmed authenticator app, or None before they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def authenticator_setup_start(*, user) -> TOTPDevice:
    """The unconfirmed authenticator app the set-up page shows, made on the first visit.

    The same one is shown again on every visit until a code confirms it, so a person who
    scanned the QR code and then reloaded the page still has the right secret in their app.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


class CodeCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    ALREADY_USED = "already_used"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class CodeOutcome:
    check: CodeCheck
    wait_seconds: int = 0  # for TOO_MANY_TRIES: how long until the next code is looked at


def code_check(*, user, device: TOTPDevice, code: str) -> CodeOutcome:
    """Check a 6-digit ``code`` against ``device`` with django-otp (under a row lock, so the
    same code posted twice at once is accepted once). A right code spends it; a wrong or used
    one counts towards the wait before the next try."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return CodeOutcome(CodeCheck.TOO_MANY_TRIES, _seconds_until(details["locked_until"]))
    if django_otp.verify_token(user, device.persistent_id, code) is not None:
        return CodeOutcome(CodeCheck.RIGHT)
    device.refresh_from_db()
    logger.info("user %s typed a wrong two-factor code (device %s)", user.pk, device.pk)
    if _was_valid_now(device, code):
        return CodeOutcome(CodeCheck.ALREADY_USED)
    return CodeOutcome(CodeCheck.WRONG)


def authenticator_confirm(*, request, device: TOTPDevice) -> None:
    """Confirm a newly set-up authenticator app (its first right code has been checked) and
    finish the person's sign-in with it."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    logger.info("user %s set up two-factor sign-in (device %s)", device.user_id, device.pk)
    two_factor_sign_in(request=request, device=device)


def two_factor_sign_in(*, request, device: TOTPDevice) -> None:
    """Mark the session as signed in with two factors. The session gets a new key: the one a
    password alone opened must not carry the extra trust."""
    request.session.cycle_key()
    django_otp.login(request, device)
    logger.info("user %s signed in with two-factor (device %s)", device.user_id, device.pk)


def secret_key_text(device: TOTPDevice) -> str:
    """The secret in the form authenticator apps ask for (base 32), in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[start : start + 4] for start in range(0, len(key), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` address as an inline SVG QR code, labelled for screen
    readers. Made by the server: the page needs no script."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4
    )
    svg = image.get_image()
    svg.attrib.update(
        {
            "width": "200",
            "height": "200",
            "role": "img",
            "focusable": "false",
            "aria-label": "QR code to scan with your authenticator app",
        }
    )
    ElementTree.register_namespace("", "http://www.w3.org/2000/svg")
    return ElementTree.tostring(svg, encoding="unicode")


def _seconds_until(moment) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def _was_valid_now(device: TOTPDevice, code: str) -> bool:
    """Whether ``code`` is one the app shows about now, refused only because it was used."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    try:
        return totp.verify(int(code), device.tolerance)
    except ValueError:
        return False
