"""``/tasks/``: each person's work across every review, and the queues of their roles."""

from html import escape

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from workflows import permissions, selectors
from workflows.flows import WORK_FLOWS
from workflows.services.tasks import TaskRefused, task_claim, task_release
from workflows.task_selectors import TaskRow, task_lists
from workflows.templatetags.govuk import govuk_date


def task_list(request):
    """My tasks (sorted by due date), the unclaimed tasks I could take and those of people I
    cover for."""
    mine, queue, covering, held, person = task_lists(request.user)
    reassignable = {
        row.review.pk
        for row in [*mine, *queue, *covering]
        if permissions.is_coordinator(row.review, request.user)
    }
    csrf = csrf_input(request)
    context = {
        "mine": _rows_html(mine, _release_cell, csrf, reassignable),
        "queue": _rows_html(queue, _claim_cell, csrf, reassignable),
        "covering": _rows_html(covering, _covering_cell, csrf, reassignable),
        # ``coordinated_partnerships(user).exists()``, from the memberships the list has read.
        "can_bulk_reassign": held.coordinates_somewhere(),
        # The menu's pages, as ``project.context_processors`` would find them (this overrides
        # its ``navigation``), from what the list has read of the person: not a query more.
        "navigation": person.navigation(),
    }
    return render(request, "tasks/list.html", context)


# The tables' rows are written here rather than by the template: a person may have hundreds of
# tasks, and a template pays a variable lookup for every dot and an include for every row, which
# took longer than reading the tasks. Every value is escaped here as the template would escape it
# (``html.escape`` is what Django's ``escape`` runs); the template writes the tables around them.


def _rows_html(rows: list[TaskRow], action, csrf: str, reassignable: set[int]) -> SafeString:
    """Each row: its review, task, due date and status, then the ``action`` cell."""
    return mark_safe("".join(_row_html(row, action(row, csrf, reassignable)) for row in rows))


def _row_html(row: TaskRow, action: str) -> str:
    review = row.review
    reference = escape(review.reference)
    pseudonym = review.victim_pseudonym
    agency = row.agency_name
    if row.due_on:
        due = escape(govuk_date(row.due_on))
    else:
        due = "Clock stopped" if row.status == "paused" else "No fixed date"
    return (
        '\n    <tr class="govuk-table__row">\n      <th scope="row" class="govuk-table__header">'
        f'<a class="govuk-link" href="{escape(row.review_url)}">{reference}</a>'
        + (f'<br><span class="govuk-body-s">{escape(pseudonym)}</span>' if pseudonym else "")
        + '</th>\n<td class="govuk-table__cell">'
        f'<a class="govuk-link" href="{escape(row.url)}">{escape(str(row.title))}</a>'
        + (f'<br><span class="govuk-body-s">{escape(agency)}</span>' if agency else "")
        + f'</td>\n<td class="govuk-table__cell">{due}</td>\n'
        f'<td class="govuk-table__cell"><strong class="govuk-tag {escape(row.tag_class)}">'
        f"{escape(row.status_label)}</strong></td>\n{action}\n    </tr>"
    )


def _hidden_label(row: TaskRow) -> str:
    """Which task a button or link is for, for screen readers."""
    return (
        f'<span class="govuk-visually-hidden"> {escape(str(row.task.title))} '
        f"for {escape(row.review.reference)}</span>"
    )


def _reassign_link(row: TaskRow, reassignable: set[int]) -> str:
    if row.review.pk not in reassignable:
        return ""
    return (
        '<p class="govuk-body-s govuk-!-margin-top-2 govuk-!-margin-bottom-0">'
        f'<a class="govuk-link" href="{escape(row.reassign_url)}">Reassign{_hidden_label(row)}'
        "</a></p>"
    )


def _button_cell(url: str, button: str, row: TaskRow, csrf: str, reassignable: set[int]) -> str:
    return (
        '      <td class="govuk-table__cell">\n'
        f'        <form method="post" action="{escape(url)}">\n          {csrf}\n'
        f"          {button}{_hidden_label(row)}</button>\n        </form>\n"
        f"        {_reassign_link(row, reassignable)}\n      </td>"
    )


def _release_cell(row: TaskRow, csrf: str, reassignable: set[int]) -> str:
    button = (
        '<button type="submit" class="govuk-button govuk-button--secondary '
        'govuk-!-margin-bottom-0" data-module="govuk-button">Release'
    )
    return _button_cell(row.release_url, button, row, csrf, reassignable)


def _claim_cell(row: TaskRow, csrf: str, reassignable: set[int]) -> str:
    button = (
        '<button type="submit" class="govuk-button govuk-!-margin-bottom-0" '
        'data-module="govuk-button">Claim'
    )
    return _button_cell(row.claim_url, button, row, csrf, reassignable)


def _covering_cell(row: TaskRow, csrf: str, reassignable: set[int]) -> str:
    """Whom the task is for, and whether it waits for their role rather than being theirs."""
    waiting = (
        '<br><span class="govuk-body-s">Waiting for their role</span>'
        if row.task.owner_id != row.covering_for.pk
        else ""
    )
    return (
        f'      <td class="govuk-table__cell">{escape(str(row.covering_for))}{waiting}'
        f"{_reassign_link(row, reassignable)}</td>"
    )


def _task_and_review(request, task_id: int):
    task = Task.objects.filter(pk=task_id, process__flow_class__in=WORK_FLOWS).first()
    if task is None:
        raise Http404("No task found")
    visible = selectors.reviews_visible_to(request.user)
    review = visible.filter(pk=task.process.artifact_object_id).first()
    if review is None:
        raise Http404("No task found")
    return task, review


@require_POST
def task_claim_view(request, task_id: int):
    task, review = _task_and_review(request, task_id)
    try:
        task_claim(task=task, review=review, user=request.user)
    except TaskRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"You have claimed: {task.title}.")
    return redirect("tasks:list")


@require_POST
def task_release_view(request, task_id: int):
    task, _review = _task_and_review(request, task_id)
    try:
        task_release(task=task, user=request.user)
    except TaskRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Released to the queue: {task.title}.")
    return redirect("tasks:list")
