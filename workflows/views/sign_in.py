"""The second step of signing in (a code from an authenticator app) for coordinators and chairs,
and the page shown when too many wrong passwords have locked a sign-in for a while.

``project.middleware.LoginRequiredMiddleware`` sends a person who still owes the second step
here from every other page; these pages send them back where they were going (``next``).
"""

import math
import re

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods

from workflows.services.two_factor import (
    CodeCheck,
    authenticator_confirm,
    authenticator_for,
    authenticator_setup_start,
    code_check,
    qr_code_svg,
    secret_key_text,
    two_factor_required,
    two_factor_sign_in,
)

CODE = re.compile(r"\d{6}")
CODE_REFUSED = {
    CodeCheck.WRONG: "The security code is not right. Enter the code your authenticator app "
    "shows now",
    CodeCheck.ALREADY_USED: "That security code has already been used. Wait for your "
    "authenticator app to show a new code, then enter it",
    CodeCheck.TOO_MANY_TRIES: "You have entered a wrong security code too many times. Wait "
    "{wait}, then enter the code your authenticator app shows",
}


class SecurityCodeForm(forms.Form):
    """The 6-digit code from the person's authenticator app, checked against ``device``."""

    otp_token = forms.CharField(
        label="Security code",
        help_text="The 6-digit code your authenticator app shows for Manage domestic homicide "
        "reviews.",
        max_length=20,
        error_messages={
            "required": "Enter the security code from your authenticator app",
            "max_length": "Enter the security code as 6 digits, like 123456",
        },
        widget=forms.TextInput(
            attrs={
                "class": "govuk-input--width-10 govuk-input--extra-letter-spacing",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, user, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.device = user, device

    def clean_otp_token(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["otp_token"])
        if not CODE.fullmatch(code):
            raise ValidationError("Enter the security code as 6 digits, like 123456")
        outcome = code_check(user=self.user, device=self.device, code=code)
        if outcome.check is not CodeCheck.RIGHT:
            wait = _duration(outcome.wait_seconds)
            raise ValidationError(CODE_REFUSED[outcome.check].format(wait=wait))
        return code


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """Type the code from the authenticator app set up before."""
    elsewhere = _not_for_this_person(request)
    if elsewhere:
        return elsewhere
    device = authenticator_for(request.user)
    if device is None:
        return redirect(_with_next("two_factor_setup", request))
    form = SecurityCodeForm(request.POST or None, user=request.user, device=device)
    if request.method == "POST" and form.is_valid():
        two_factor_sign_in(request=request, device=device)
        return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return render(request, "registration/two_factor_verify.html", context)


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Add the service to an authenticator app (QR code or secret key), then type its code."""
    elsewhere = _not_for_this_person(request)
    if elsewhere:
        return elsewhere
    if authenticator_for(request.user) is not None:
        # A second app may be added only by an administrator removing the first: otherwise a
        # stolen password would be enough to add a thief's app.
        return redirect(_with_next("two_factor_verify", request))
    device = authenticator_setup_start(user=request.user)
    form = SecurityCodeForm(request.POST or None, user=request.user, device=device)
    if request.method == "POST" and form.is_valid():
        authenticator_confirm(request=request, device=device)
        messages.success(
            request,
            "Two-factor sign-in is set up. Each time you sign in, you will need a code from "
            "your authenticator app.",
        )
        return redirect(_next_url(request))
    context = {
        "form": form,
        "next": _next_url(request),
        "qr_code": qr_code_svg(device),
        "secret_key": secret_key_text(device),
    }
    return render(request, "registration/two_factor_setup.html", context)


def locked_out(request, original_response=None, credentials=None):
    """django-axes's answer to a sign-in while locked out (``AXES_LOCKOUT_CALLABLE``): when to
    try again and how to reset the password instead."""
    username = get_client_username(request, credentials)
    last_failure = AccessAttempt.objects.filter(
        username=username, ip_address=request.axes_ip_address
    ).aggregate(at=Max("attempt_time"))["at"]
    try_again_at = (last_failure or timezone.now()) + get_cool_off(request)
    minutes = max(1, math.ceil((try_again_at - timezone.now()).total_seconds() / 60))
    context = {"try_again_at": timezone.localtime(try_again_at), "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


def _not_for_this_person(request):
    """Where to send someone these pages are not for now, or None if they are."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_verified() or not two_factor_required(request.user):
        return redirect(_next_url(request))
    return None


def _next_url(request) -> str:
    """Where the person was going (a page of this service only), else the list of reviews."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, request) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
