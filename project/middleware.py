"""Every page needs sign-in except the few that are public by design.

Three rules, in the order a request meets them:

1. A session left alone for ``SESSION_IDLE_SECONDS`` (or open longer than
   ``SESSION_COOKIE_AGE`` since sign-in) ends: the person is signed out and told why.
2. Anyone not signed in goes to the sign-in page, except on public paths.
3. Coordinators and chairs who have typed their password but not yet the code from their
   authenticator app go to the two-factor page (``workflows.views.sign_in``), from every page
   but signing out and the public paths (the two-factor pages are under ``/sign-in/``).
"""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from workflows.services.two_factor import authenticator_for, two_factor_required

logger = logging.getLogger(__name__)

PUBLIC_PREFIXES = (
    "/healthz",
    "/sign-in/",
    "/invitation/",
    "/password-reset/",
    "/static/",
    "/anymail/",
    "/webhooks/",
    "/calendar/feed/",  # calendar feeds for Outlook: the secret address is the key
    "/published/",  # the public pages of published reviews
    "/home-office/packs/",  # the Home Office's link to a submission pack: the token is the key
    "/favicon.ico",
)
PUBLIC_PATHS = {"/"}
# Open to someone who has typed their password but still owes the code from their app.
BEFORE_TWO_FACTOR_PATHS = {"/sign-out/"}

# When the session's sign-in started and when it last saw a request. Saved at most once a
# minute (not on every page), so idle time is measured to the minute.
ACTIVITY_KEY = "_activity"
SEEN_EVERY_SECONDS = 60


class LoginRequiredMiddleware:
    """End idle sessions, send anyone not signed in to the sign-in page, and anyone who owes
    the second step of sign-in to the two-factor page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if request.user.is_authenticated:
            _end_stale_session(request)
        if not public and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not public and path not in BEFORE_TWO_FACTOR_PATHS and _owes_two_factor(request.user):
            return redirect(_two_factor_page(request))
        return self.get_response(request)


@receiver(user_logged_in)
def activity_start(sender=None, request=None, **kwargs) -> None:
    """Start the idle and absolute clocks of a session at sign-in (the page, an invitation or
    password link, or a test's ``force_login``)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[ACTIVITY_KEY] = {"since": now, "seen": now}


def _end_stale_session(request) -> None:
    """Sign out a session left alone too long, or signed in too long ago, and say why."""
    activity = request.session.get(ACTIVITY_KEY)
    if not activity:  # signed in before these clocks existed
        activity_start(request=request)
        return
    now = time.time()
    idle = now - activity["seen"]
    if idle > settings.SESSION_IDLE_SECONDS:
        reason = f"you had not done anything for {_duration(settings.SESSION_IDLE_SECONDS)}"
    elif now - activity["since"] > settings.SESSION_COOKIE_AGE:
        reason = f"you signed in more than {_duration(settings.SESSION_COOKIE_AGE)} ago"
    else:
        if idle >= SEEN_EVERY_SECONDS:
            request.session[ACTIVITY_KEY] = {**activity, "seen": now}
        return
    logger.info("user %s was signed out: %d seconds without a request", request.user.pk, idle)
    logout(request)
    messages.info(request, f"You were signed out because {reason}. Sign in again to carry on.")


def _owes_two_factor(user) -> bool:
    return user.is_authenticated and not user.is_verified() and two_factor_required(user)


def _two_factor_page(request) -> str:
    """The code page if the person has set up an authenticator app, else the set-up page;
    either brings them back here afterwards."""
    page = "two_factor_verify" if authenticator_for(request.user) else "two_factor_setup"
    return f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}"


def _duration(seconds: int) -> str:
    """30 minutes, 8 hours, 1 hour."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
