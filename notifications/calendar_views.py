"""Calendar feeds: the page where people make and revoke them, and the feed Outlook fetches.

The feed's address holds its secret token, so nothing here logs a path: Django's request logger
would write "Not Found: /calendar/feed/<token>.ics" for a revoked feed, and its CSRF check would
write the path of a refused POST, so the feed view answers those itself and is exempt from CSRF
(it changes nothing).
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.calendar import (
    calendar_feed_create,
    calendar_feed_revoke,
    calendar_feed_used,
    calendar_ics,
    feed_deadlines,
    feed_for_token,
    partnerships_managed_by,
    token_hash,
)
from notifications.models import CalendarFeed, CalendarFeedKind

logger = logging.getLogger(__name__)

# The new feed's token goes from the POST to the page that shows it in a short-lived signed
# cookie, kept by the person's own browser: never in the session table, so the database never
# holds it.
NEW_FEED_COOKIE = "calendar_feed_new"
NEW_FEED_SALT = "notifications.calendar.new-feed"
NEW_FEED_MAX_AGE = 600


class CalendarFeedForm(forms.Form):
    deadlines = forms.ChoiceField(
        label="Which deadlines do you want in the calendar?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which deadlines you want in the calendar"},
    )

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnerships = {str(partnership.pk): partnership for partnership in partnerships}
        choices = [(CalendarFeedKind.MY_DEADLINES.value, "My deadlines: the work I hold")]
        choices += [
            (key, f"Every deadline of {partnership.name}")
            for key, partnership in self.partnerships.items()
        ]
        field = self.fields["deadlines"]
        field.choices = choices
        field.help_text = (
            "Your deadlines are those of the work you hold: your tasks, and the tasks waiting "
            "for someone in your role. A partnership’s feed holds every open deadline of its "
            "reviews."
        )
        if len(choices) == 1:
            # Nothing to choose: the page says what the feed holds.
            field.widget = forms.HiddenInput()
            field.initial = CalendarFeedKind.MY_DEADLINES.value

    def feed(self) -> dict:
        """The arguments of ``calendar_feed_create`` for the choice made."""
        choice = self.cleaned_data["deadlines"]
        if choice == CalendarFeedKind.MY_DEADLINES:
            return {"kind": CalendarFeedKind.MY_DEADLINES}
        return {"kind": CalendarFeedKind.PARTNERSHIP, "partnership": self.partnerships[choice]}


def calendar_feeds(request):
    """A person's calendar feeds: make one, see the new one's address once, revoke one."""
    partnerships = list(partnerships_managed_by(request.user).order_by("name"))
    data = request.POST if request.method == "POST" else None
    form = CalendarFeedForm(data, partnerships=partnerships)
    if request.method == "POST" and form.is_valid():
        token = calendar_feed_create(owner=request.user, **form.feed())
        messages.success(request, "Your calendar feed has been created.")
        response = redirect("calendar:feeds")
        response.set_signed_cookie(
            NEW_FEED_COOKIE,
            token,
            salt=NEW_FEED_SALT,
            max_age=NEW_FEED_MAX_AGE,
            path=reverse("calendar:feeds"),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response
    new_feed, token = _new_feed(request)
    context = {
        "form": form,
        "feeds": _feeds_of(request.user, partnerships),
        "new_feed": new_feed,
        "new_feed_url": feed_url(token) if new_feed else "",
    }
    response = render(request, "calendar/feeds.html", context)
    if request.COOKIES.get(NEW_FEED_COOKIE):
        # Shown once: the token is forgotten, and the page is not kept by the browser.
        response.delete_cookie(NEW_FEED_COOKIE, path=reverse("calendar:feeds"))
        add_never_cache_headers(response)
    return response


@require_POST
def calendar_feed_revoke_view(request, feed_id: int):
    """Revoke one of the person's own feeds; anyone else's is "not found"."""
    feed = get_object_or_404(
        CalendarFeed.objects.active().select_related("partnership"),
        pk=feed_id,
        owner=request.user,
    )
    calendar_feed_revoke(feed=feed, by=request.user)
    messages.success(request, f"The calendar feed “{feed.name}” has been revoked.")
    return redirect("calendar:feeds")


@csrf_exempt
def calendar_feed(request, token: str):
    """The feed itself, for Outlook: public, the secret address is the key."""
    if request.method not in ("GET", "HEAD"):
        return _quietly(HttpResponse("Only GET\n", status=405, content_type="text/plain"))
    feed = feed_for_token(token)
    if feed is None:
        return _quietly(HttpResponse("Not found\n", status=404, content_type="text/plain"))
    body = calendar_ics(feed, feed_deadlines(feed))
    calendar_feed_used(feed=feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def feed_url(token: str) -> str:
    """The full address of the feed with this token: the secret, shown once."""
    return settings.SITE_URL.rstrip("/") + reverse("calendar:feed", kwargs={"token": token})


def _quietly(response: HttpResponse) -> HttpResponse:
    # Django's request logger writes the path of every 4xx answer; this one holds the token.
    response._has_been_logged = True
    logger.info("calendar feed answered %s", response.status_code)
    return response


def _new_feed(request) -> tuple[CalendarFeed | None, str]:
    """The feed just made by this person, and its token, read from the cookie once."""
    try:
        token = request.get_signed_cookie(
            NEW_FEED_COOKIE, salt=NEW_FEED_SALT, max_age=NEW_FEED_MAX_AGE
        )
    except (KeyError, signing.BadSignature):
        return None, ""
    feed = (
        CalendarFeed.objects.active()
        .filter(owner=request.user, token_hash=token_hash(token))
        .select_related("partnership")
        .first()
    )
    return feed, token if feed else ""


def _feeds_of(user, partnerships) -> list[CalendarFeed]:
    """The person's live feeds, each marked ``stopped`` if its partnership is no longer theirs."""
    managed = {partnership.pk for partnership in partnerships}
    feeds = list(CalendarFeed.objects.active().filter(owner=user).select_related("partnership"))
    for feed in feeds:
        feed.stopped = feed.kind == CalendarFeedKind.PARTNERSHIP and (
            feed.partnership_id not in managed
        )
    return feeds
