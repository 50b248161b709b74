"""Each open recommendation as a deadline row, so the reminder ladder chases its owner.

The sweep (``notifications.reminders.reminders_sweep``) reads only ``Deadline`` rows. A
recommendation's row has the rule ``recommendation-<number>``; ``deadlines_recompute`` leaves
such rows alone and ``workflows.holders.deadline_holders`` names the recommendation's owner as
the person chased (the escalation also goes to the coordinators, then the CSP chair).

The row is met on the day the owner marks the recommendation completed with evidence: the work
chased is the owner's. Signing off is the coordinator's own check, and closing the review waits
for it (``workflows.lifecycle.has_all_recommendations_signed_off``). Sending a recommendation
back reopens its row, and the ladder resumes from the rungs not yet fired.
"""

from django.utils import timezone
from django.utils.text import Truncator

from notifications.events import redacted
from notifications.reminders import next_action_on
from workflows.models import Deadline, Recommendation
from workflows.services.deadlines import RECOMMENDATION_RULE_PREFIX
from workflows.templatetags.govuk import govuk_date

SHORT_TEXT_CHARS = 80
SOURCE = "The review's action plan, agreed at local sign-off."


def recommendation_rule(number: int) -> str:
    return f"{RECOMMENDATION_RULE_PREFIX}{number}"


def short_text(recommendation: Recommendation) -> str:
    """The recommendation in a few words, with the review's restricted names withheld: the
    deadline's title goes into reminder emails."""
    text = " ".join(redacted(recommendation.text, recommendation.review).split())
    return Truncator(text).chars(SHORT_TEXT_CHARS)


def recommendation_deadline_sync(*, recommendation: Recommendation) -> Deadline:
    """Create or update the recommendation's deadline row and date its next reminder; call in
    the transaction that changed the recommendation."""
    created_on = timezone.localdate(recommendation.created_at)
    deadline, _ = Deadline.objects.update_or_create(
        review=recommendation.review,
        rule=recommendation_rule(recommendation.number),
        defaults={
            "title": f"Recommendation {recommendation.number}: {short_text(recommendation)}",
            "period": "",
            "statutory": False,
            "source": SOURCE,
            "starts_on": created_on,
            "due_on": recommendation.due_on,
            "met_on": recommendation.completed_on,
            "explanation": (
                "Set by the coordinator for this recommendation, added to the action plan "
                f"on {govuk_date(created_on)}"
            ),
        },
    )
    next_action = next_action_on(deadline)
    if deadline.next_action_on != next_action:
        deadline.next_action_on = next_action
        deadline.save(update_fields=["next_action_on"])
    return deadline
