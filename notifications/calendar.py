"""Calendar feeds: a person's deadlines, or a partnership's, as an iCalendar file for Outlook.

A feed lives at a secret address. The address's token is made once, shown once and kept only as
its SHA-256 hash, so a copy of the database cannot be used to read anyone's calendar. Each fetch
checks again that the owner may still have the feed: a switched-off account, or a partnership
feed whose owner no longer manages the partnership, answers as if the feed never existed.

The calendar carries references, pseudonyms, deadline titles and the explanation of each date,
never a real name or the circumstances of a death.
"""

import hashlib
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event
from viewflow.workflow.models import Task

from notifications.models import CalendarFeed, CalendarFeedKind
from workflows.flows import WORK_FLOWS
from workflows.models import Deadline, Membership, Partnership, Role
from workflows.selectors import partnerships_managed_by, reviews_visible_to
from workflows.services.tasks import OPEN
from workflows.task_selectors import open_task_rows

logger = logging.getLogger(__name__)

# How often calendar programs are asked to fetch the feed again.
REFRESH_INTERVAL = timedelta(hours=4)
# The reminder: 9am on the day before an all-day event (which starts at midnight).
REMINDER_BEFORE = timedelta(hours=15)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_create(*, owner, kind: str, partnership: Partnership | None = None) -> str:
    """Make a feed for ``owner`` and return its secret token: the only time it is known.

    A partnership's feed needs an owner who manages that partnership.
    """
    if kind == CalendarFeedKind.PARTNERSHIP:
        managed = partnerships_managed_by(owner)
        if partnership is None or not managed.filter(pk=partnership.pk).exists():
            raise PermissionDenied(
                "Only the partnership's coordinators and CSP chair have its feed."
            )
    else:
        partnership = None
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        owner=owner, kind=kind, partnership=partnership, token_hash=token_hash(token)
    )
    logger.info("calendar feed %s (%s) created by user %s", feed.pk, kind, owner.pk)
    return token


def calendar_feed_revoke(*, feed: CalendarFeed, by) -> None:
    """Stop a feed working for good; its address answers "not found" from now on."""
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        logger.info("calendar feed %s revoked by user %s", feed.pk, by.pk)


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed at this token's address, or None when there is none the owner may still
    have (unknown or revoked, owner switched off, or no longer managing the partnership)."""
    feed = (
        CalendarFeed.objects.active()
        .filter(token_hash=token_hash(token), owner__is_active=True)
        .select_related("owner", "partnership")
        .first()
    )
    if feed is None:
        return None
    if feed.kind == CalendarFeedKind.PARTNERSHIP and not (
        partnerships_managed_by(feed.owner).filter(pk=feed.partnership_id).exists()
    ):
        return None
    return feed


def calendar_feed_used(*, feed: CalendarFeed) -> None:
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())


def open_deadlines():
    """Deadlines still to be met that have a date: a paused clock has none, so it is left out."""
    return Deadline.objects.filter(met_on__isnull=True, due_on__isnull=False).select_related(
        "review"
    )


def partnership_deadlines(partnership: Partnership) -> list[Deadline]:
    return list(open_deadlines().filter(review__partnership=partnership).order_by("due_on", "pk"))


def my_deadlines(user) -> list[Deadline]:
    """The deadlines of the work ``user`` holds, as on their task list: tasks they have claimed,
    tasks waiting in the queue of a role they hold, and tasks of people they cover for. As for
    reminders (``workflows.holders.deadline_holders``), a deadline no open task waits on is the
    coordinators' to keep."""
    visible = open_deadlines().filter(review__in=reviews_visible_to(user))
    deadlines = list(visible.order_by("due_on", "pk"))
    held = _held_by(user) | _left_to_coordinator(user, deadlines)
    return [deadline for deadline in deadlines if (deadline.review_id, deadline.rule) in held]


def _held_by(user) -> set[tuple[int, str]]:
    """(review, deadline rule) for every open task on ``user``'s task list."""
    mine, queue, covering = open_task_rows(user)
    return {(row.review.pk, row.task.data.get("deadline")) for row in (*mine, *queue, *covering)}


def _left_to_coordinator(user, deadlines: list[Deadline]) -> set[tuple[int, str]]:
    """(review, deadline rule) for the deadlines no open task waits on, in the partnerships
    ``user`` coordinates."""
    coordinated = set(
        Membership.objects.filter(
            user=user, role=Role.COORDINATOR, agency__isnull=True
        ).values_list("partnership_id", flat=True)
    )
    theirs = [deadline for deadline in deadlines if deadline.review.partnership_id in coordinated]
    waited_on = _deadlines_waited_on([deadline.review_id for deadline in theirs])
    return {(deadline.review_id, deadline.rule) for deadline in theirs} - waited_on


def _deadlines_waited_on(review_ids: list[int]) -> set[tuple[int, str]]:
    """(review, deadline rule) for every open task that holds a deadline up; panel comments
    never do (``workflows.holders.deadline_tasks``)."""
    tasks = Task.objects.filter(
        process__flow_class__in=WORK_FLOWS,
        process__artifact_object_id__in=review_ids,
        flow_task_type="HUMAN",
        status__in=OPEN,
    ).values_list("process__artifact_object_id", "data")
    return {
        (int(review_id), data.get("deadline"))
        for review_id, data in tasks
        if data.get("role") != "panel_member"
    }


def feed_deadlines(feed: CalendarFeed) -> list[Deadline]:
    if feed.kind == CalendarFeedKind.PARTNERSHIP:
        return partnership_deadlines(feed.partnership)
    return my_deadlines(feed.owner)


def calendar_ics(feed: CalendarFeed, deadlines: list[Deadline]) -> bytes:
    """The feed as an iCalendar file: one all-day event on each deadline's due date."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    calendar = Calendar.new(
        name=feed.name,
        description="Deadlines of domestic homicide reviews, from Manage domestic homicide reviews",
        prodid="-//Manage domestic homicide reviews//Deadlines//EN",
        method="PUBLISH",
        calscale="GREGORIAN",
        uid=f"calendar-feed-{feed.pk}@{host}",
    )
    # RFC 7986's refresh interval, and the older name Outlook reads.
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    stamp = timezone.now()
    for deadline in deadlines:
        calendar.add_component(deadline_event(deadline, host=host, stamp=stamp))
    return calendar.to_ical()


def deadline_event(deadline: Deadline, *, host: str, stamp) -> Event:
    """A deadline as an all-day event. Its UID names the deadline alone, so when a pause moves
    the date, calendars move the event rather than keep the old date beside the new one."""
    review = deadline.review
    link = settings.SITE_URL.rstrip("/") + reverse(
        "reviews:detail", kwargs={"reference": review.reference}
    )
    # ``display_name`` is the reference and pseudonym: never a real name.
    summary = f"{review.display_name}: {deadline.title}"
    event = Event.new(
        uid=f"deadline-{deadline.pk}@{host}",
        stamp=stamp,
        start=deadline.due_on,
        end=deadline.due_on + timedelta(days=1),
        summary=summary,
        description=f"{deadline.explanation}\n\nOpen the review: {link}",
        url=link,
        transparency="TRANSPARENT",
    )
    reminder = Alarm.new(description=f"Due tomorrow: {summary}")
    reminder.add("action", "DISPLAY")
    reminder.add("trigger", -REMINDER_BEFORE)
    event.add_component(reminder)
    return event
