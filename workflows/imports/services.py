"""Importing checked rows: each review started through the same services as one entered by hand."""

import logging
from dataclasses import dataclass

from django.db import transaction

from workflows.imports.errors import ImportRefused
from workflows.imports.reading import RawRow
from workflows.imports.validation import ReviewRow, rows_check
from workflows.models import Partnership, Review, Role
from workflows.services.lifecycle import TransitionRefused, review_transition
from workflows.services.reviews import review_start

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportedReview:
    number: int  # the row of the file it came from
    review: Review


def reviews_import(*, partnership: Partnership, by, raw_rows: list[RawRow]) -> list[ImportedReview]:
    """Start a review for every row of an import file, all or nothing.

    ``by`` must be a coordinator of ``partnership``. The rows are checked again under a lock on
    the partnership (the lock ``review_start`` takes), so two imports of the same file at once
    cannot both pass the duplicate check: the second is refused. Each row goes through
    ``review_start`` and, where it records a decision, the decision step, exactly as if entered
    by hand: deadlines, flow tasks, history and emails follow (emails once the transaction
    commits). Any refusal rolls every row back and raises ``ImportRefused``.
    """
    if not partnership.memberships.filter(user=by, role=Role.COORDINATOR).exists():
        raise ImportRefused([f"Only a coordinator of {partnership.name} can import its reviews"])
    with transaction.atomic():
        Partnership.objects.select_for_update().get(pk=partnership.pk)
        rows = rows_check(raw_rows, partnership=partnership)
        # Oldest notification first, so each year's references follow the order of notification.
        ordered = sorted(rows, key=lambda row: (row.notified_on, row.number))
        imported = [_import_row(row, partnership=partnership, by=by) for row in ordered]
    logger.info(
        "imported %d reviews into partnership %s by user %s", len(imported), partnership.slug, by.pk
    )
    return sorted(imported, key=lambda done: done.number)


def reviews_count(count: int) -> str:
    """How many reviews, in words: "1 review", "3 reviews"."""
    return f"{count} review{'' if count == 1 else 's'}"


def _import_row(row: ReviewRow, *, partnership: Partnership, by) -> ImportedReview:
    try:
        review = review_start(partnership=partnership, by=by, **row.start_arguments())
        if row.commissioned is not None:
            review = review_transition(
                review=review,
                action="decide_to_commission" if row.commissioned else "decide_not_to_commission",
                by=by,
                on=row.decided_on,
                reason=row.decision_reasons,
            )
    except TransitionRefused as refused:
        # The checks mirror the services' rules, so this is a rule the checks do not know yet:
        # say which row, and leave the transaction to roll every row back.
        raise ImportRefused(
            [f"Row {row.number}: {message}" for message in refused.messages]
        ) from refused
    return ImportedReview(number=row.number, review=review)
