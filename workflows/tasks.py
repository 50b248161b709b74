"""Celery tasks of the review lifecycle. Thin: the work is in services."""

import logging

from celery import shared_task

from workflows.services.deadlines import deadlines_recompute_open

logger = logging.getLogger(__name__)


@shared_task(name="workflows.recompute_open_deadlines")
def recompute_open_deadlines() -> int:
    """Recompute the deadlines of every live review (run daily by beat, and on demand).

    A partnership can add or remove a bank holiday after deadlines were set; this brings every
    open deadline (and its "why this date") up to date with the calendar.
    """
    count = deadlines_recompute_open()
    logger.info("recomputed deadlines of %s live reviews", count)
    return count
