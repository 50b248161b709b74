"""``/dashboard/``: the managers' view of every live review, its exports, and chasing a task.

The page's content is kept as HTML for each person, query and day until anything it shows
changes: the database counts every such change (``workflows.change_counts``), and the key holds
the counts read before the page is worked out (ADR 12)."""

import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from project.context_processors import navigation_of
from workflows.change_counts import change_counts
from workflows.monitoring import exports
from workflows.monitoring.dashboard import (
    Dashboard,
    chaseable_task,
    dashboard_for,
    managed_partnerships,
    task_chase,
    task_title,
)
from workflows.views.dashboard_rows import review_rows_html, task_groups_html


def managers_only(view):
    """Coordinators and CSP chairs only; the view gets the partnerships they manage. Anyone else
    is told why, rather than shown the generic 403 page: they may simply hold another role."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        partnerships = managed_partnerships(request.user)
        if not partnerships:
            return render(request, "dashboard/not_a_manager.html", status=403)
        return view(request, partnerships, *args, **kwargs)

    return wrapped


def _exported(request, partnerships) -> Dashboard:
    """Every row the filters keep, for the exports (the page is ``_body_worked_out``)."""
    return dashboard_for(request.user, partnerships, request.GET, today=timezone.localdate())


@require_safe
@managers_only
def dashboard(request, partnerships):
    """Every live review of the partnerships I manage, filtered and sorted by the query string,
    a page of reviews and a page of urgent tasks at a time (a page number not on offer shows the
    first page; see ``Pager``)."""
    if "" in request.GET.values():
        # The filter form sends its unchosen selects too: keep the address short to bookmark.
        chosen = urlencode({name: value for name, value in request.GET.items() if value})
        return redirect(f"{request.path}?{chosen}" if chosen else request.path)
    today = timezone.localdate()
    # The counts first: a change committed while the page is worked out is then seen by the
    # next request, under its own count, rather than kept under the count before it.
    key = dashboard_cache_key(request.user, partnerships, request.GET, today)
    body = cache.get(key)
    if body is None:
        body = _body_worked_out(request, partnerships, today)
        cache.set(key, body, settings.DASHBOARD_CACHE_SECONDS)
    # Each request gets its own masked token: the kept HTML holds only a placeholder.
    body = mark_safe(body.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308
    # Whoever sees the dashboard manages a partnership (``managers_only``): the menu follows from
    # that, without the query ``project.context_processors`` would make to find it out.
    navigation = navigation_of(manages=True, regional=False)
    return render(request, "dashboard/index.html", {"body": body, "navigation": navigation})


# What the kept HTML holds where each chase form's CSRF token goes.
CSRF_PLACEHOLDER = "dashboard-csrf-token-placeholder"


def dashboard_cache_key(user, partnerships: dict[int, str], params, today) -> str:
    """The key of one person's dashboard for these partnerships, query and day, under the
    change counts of the partnerships as they are now (``change_counts``)."""
    counts = ",".join(f"{pk}:{count}" for pk, count in change_counts(partnerships))
    query = hashlib.sha256(urlencode(sorted(params.lists()), doseq=True).encode()).hexdigest()[:32]
    return f"dashboard:{user.pk}:{today.isoformat()}:{counts}:{query}"


def _body_worked_out(request, partnerships, today) -> str:
    """Work the dashboard out and render its content (see ``templates/dashboard/_body.html``)."""
    board = dashboard_for(request.user, partnerships, request.GET, today=today, paged=True)
    query = board.filters.query_string()
    context = {
        "dashboard": board,
        "review_rows": review_rows_html(board),
        "task_groups": task_groups_html(board, query, CSRF_PLACEHOLDER),
        # The exports hold every row, whatever page the link is on.
        "export_query": board.filters.query_string(page=1, tasks_page=1),
    }
    return str(render_to_string("dashboard/_body.html", context))


@require_safe
@managers_only
def dashboard_csv(request, partnerships):
    board = _exported(request, partnerships)
    return _attachment(exports.dashboard_csv(board), exports.CSV_TYPE, board, "csv")


@require_safe
@managers_only
def dashboard_xlsx(request, partnerships):
    board = _exported(request, partnerships)
    return _attachment(exports.dashboard_xlsx(board), exports.XLSX_TYPE, board, "xlsx")


def _attachment(content: bytes, content_type: str, board: Dashboard, extension: str):
    response = HttpResponse(content, content_type=content_type)
    name = exports.file_name(board, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@managers_only
def task_chase_view(request, partnerships, task_id: int):
    """Email the people an open task waits for, then go back to the dashboard as it was."""
    found = chaseable_task(request.user, partnerships, task_id)
    if found is None:
        raise Http404("No open task found")
    task, review = found
    emails = task_chase(task=task, review=review, by=request.user)
    title = task_title(task)
    if emails:
        names = ", ".join(email.recipient.full_name or email.to_address for email in emails)
        messages.success(request, f"Email sent to {names} about ‘{title}’ on {review.reference}.")
    else:
        messages.error(
            request,
            f"Nobody holds the task ‘{title}’ on {review.reference} yet, so no email was sent. "
            "Add the people for this role to the review first.",
        )
    return redirect(_back(request.POST.get("query", "")))


def _back(query: str) -> str:
    """The dashboard with the filters it was posted from: a query string, never another URL."""
    clean = QueryDict(query).urlencode()
    url = reverse("dashboard:index")
    return f"{url}?{clean}" if clean else url
