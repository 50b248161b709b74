"""Deadline rows: computed from the review's facts, its pauses and the rules of its guidance."""

from django.db import transaction

from notifications.reminders import next_action_on
from workflows import timescales
from workflows.models import Deadline, Review
from workflows.rules import Rule, rules_for

RECOMMENDATION_RULE_PREFIX = "recommendation-"


def deadlines_recompute(*, review: Review) -> list[Deadline]:
    """Bring every deadline of ``review`` up to date; call inside the transaction that changed it.

    A rule whose start date is not yet known has no row. Pauses move every open deadline.
    """
    pauses = list(review.pauses.order_by("paused_on", "pk"))
    holidays = _holiday_changes(review)
    kept = []
    for rule in rules_for(review):
        starts_on = getattr(review, rule.starts_from)
        if starts_on is None:
            continue
        kept.append(_save_deadline(review, rule, starts_on, pauses, holidays))
    # Recommendations' deadlines are set by the coordinator, not by a rule: the action plan's
    # services keep them (workflows.action_plan.reminders).
    stale = review.deadlines.exclude(rule__in=[deadline.rule for deadline in kept])
    stale.exclude(rule__startswith=RECOMMENDATION_RULE_PREFIX).delete()
    return kept


def _save_deadline(review, rule: Rule, starts_on, pauses, holidays) -> Deadline:
    # Pauses that began before this obligation started did not hold it up.
    relevant = [p for p in pauses if p.resumed_on is None or p.resumed_on >= starts_on]
    spans = [(pause.paused_on, pause.resumed_on) for pause in relevant]
    options = {"region": review.partnership.bank_holiday_region, **holidays}
    due_on = timescales.due_date(starts_on, rule.period, spans, **options)
    explanation = timescales.explain_due_date(
        starts_on,
        rule.period,
        spans,
        start_label=rule.start_label,
        pause_reasons=[pause.reason_text for pause in relevant],
        **options,
    )
    deadline, _ = Deadline.objects.update_or_create(
        review=review,
        rule=rule.code,
        defaults={
            "title": rule.title,
            "period": rule.period,
            "statutory": rule.statutory,
            "source": rule.source,
            "starts_on": starts_on,
            "due_on": due_on,
            "met_on": getattr(review, rule.met_by),
            "explanation": explanation,
        },
    )
    # The next reminder or escalation, for the sweep's indexed query; None while paused or met.
    next_action = next_action_on(deadline)
    if deadline.next_action_on != next_action:
        deadline.next_action_on = next_action
        deadline.save(update_fields=["next_action_on"])
    return deadline


def _holiday_changes(review: Review) -> dict:
    changes = list(review.partnership.bank_holiday_changes.all())
    return {
        "extra_holidays": [change.day for change in changes if change.is_holiday],
        "removed_holidays": [change.day for change in changes if not change.is_holiday],
    }


def deadlines_recompute_open() -> int:
    """Recompute the deadlines of every review that still has an open one; returns how many."""
    live = Review.objects.filter(deadlines__met_on__isnull=True).values_list("pk", flat=True)
    count = 0
    for pk in sorted(set(live)):
        with transaction.atomic():
            # Lock as a transition does, so a step taken meanwhile is never overwritten.
            review = Review.objects.select_for_update().select_related("partnership").get(pk=pk)
            deadlines_recompute(review=review)
        count += 1
    return count
