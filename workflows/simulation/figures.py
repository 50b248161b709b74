"""What a simulation did, counted from the database, and the invariants it must keep.

Only simulated rows are counted (partnerships whose slug starts ``sim-``, addresses at
``sim.example``), so the figures mean the same whatever else the database holds.

The invariants:

- a reminder sent twice: one rung (deadline, step, due date) recorded twice, one email recorded
  for two rungs, or one rung emailing the same address twice;
- an overdue deadline never escalated: an open deadline whose escalation day is more than
  ``grace_days`` before the end, with no escalation for its current due date;
- an email without an end state: not sent and not failed, or held for a digest that was never
  sent.
"""

from collections import Counter
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Q
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from notifications.ladder import ESCALATION
from notifications.models import Email, EmailStatus, ReminderStep, StepKind
from notifications.reminders import ladder_for
from workflows.models import Deadline, Pause, Review, ReviewHistory
from workflows.simulation.world import EMAIL_DOMAIN, SLUG_PREFIX

END_STATES = [EmailStatus.SENT, EmailStatus.FAILED]


def simulated_reviews():
    return Review.objects.filter(partnership__slug__startswith=SLUG_PREFIX)


def simulated_emails():
    return Email.objects.filter(
        Q(review__partnership__slug__startswith=SLUG_PREFIX)
        | Q(to_address__iendswith=f"@{EMAIL_DOMAIN}")
    )


def figures_compute(*, end: date, grace_days: int = 1) -> dict:
    """Every figure of the simulation that ended on ``end``, and its invariant violations."""
    reviews = simulated_reviews()
    steps = ReminderStep.objects.filter(deadline__review__in=reviews, skipped=False)
    return {
        "reviews": reviews.count(),
        "by_stage": dict(sorted(Counter(reviews.values_list("stage", flat=True)).items())),
        "not_commissioned": reviews.filter(commissioned=False, decided_on__isnull=False).count(),
        "paused_ever": Pause.objects.filter(review__in=reviews).values("review").distinct().count(),
        "paused_at_end": reviews.filter(stage="paused").count(),
        "home_office_asked_to_resubmit": ReviewHistory.objects.filter(
            review__in=reviews, action="record_qa_resubmit"
        ).count(),
        "home_office_resubmissions": reviews.filter(home_office_submissions__gt=1).count(),
        "tasks": _tasks(reviews),
        "emails": _emails(),
        "reminders": steps.filter(kind=StepKind.REMINDER).count(),
        "reminders_passed_over": ReminderStep.objects.filter(
            deadline__review__in=reviews, skipped=True
        ).count(),
        "escalations": steps.filter(kind=StepKind.ESCALATION).count(),
        "deadlines": _deadlines(reviews, end),
        "invariant_violations": {
            "reminder_sent_twice": reminders_sent_twice(reviews),
            "overdue_never_escalated": len(overdue_never_escalated(reviews, end, grace_days)),
            "email_without_end_state": emails_without_end_state().count(),
        },
    }


def _tasks(reviews) -> dict:
    processes = Process.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(Review),
        artifact_object_id__in=reviews.values("pk"),
    )
    # People's tasks only: viewflow also records its gateways (splits, joins) as tasks.
    human = Task.objects.filter(process__in=processes, flow_task_type="HUMAN")
    statuses = Counter(human.values_list("status", flat=True))
    return {
        "created": sum(statuses.values()),
        "completed": statuses[STATUS.DONE],
        "open": sum(statuses[status] for status in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)),
        "cancelled": statuses[STATUS.CANCELED],
    }


def _emails() -> dict:
    emails = simulated_emails()
    statuses = Counter(emails.values_list("status", flat=True))
    return {
        "total": sum(statuses.values()),
        "sent": statuses[EmailStatus.SENT],
        "failed": statuses[EmailStatus.FAILED],
        "in_digest": statuses[EmailStatus.IN_DIGEST],
        "by_kind": dict(sorted(Counter(emails.values_list("kind", flat=True)).items())),
    }


def _deadlines(reviews, end: date) -> dict:
    deadlines = Deadline.objects.filter(review__in=reviews)
    met = deadlines.filter(met_on__isnull=False)
    still_open = deadlines.filter(met_on__isnull=True)
    return {
        "met": met.filter(Q(due_on__isnull=True) | Q(met_on__lte=F("due_on"))).count(),
        "met_late": met.filter(met_on__gt=F("due_on")).count(),
        "missed": still_open.filter(due_on__lt=end).count(),
        "open": still_open.filter(Q(due_on__isnull=True) | Q(due_on__gte=end)).count(),
    }


def reminders_sent_twice(reviews) -> int:
    """Rungs recorded twice, emails recorded for two rungs, and rungs that emailed an address
    twice: each is a reminder someone received twice."""
    steps = ReminderStep.objects.filter(deadline__review__in=reviews)
    same_rung = (
        steps.values("deadline", "step", "due_on").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    links = ReminderStep.emails.through.objects.filter(reminderstep__in=steps)
    one_email_two_rungs = (
        links.values("email").annotate(n=Count("reminderstep")).filter(n__gt=1).count()
    )
    same_address = (
        links.values("reminderstep", "email__to_address")
        .annotate(n=Count("email"))
        .filter(n__gt=1)
        .count()
    )
    return same_rung + one_email_two_rungs + same_address


def overdue_never_escalated(reviews, end: date, grace_days: int) -> list[Deadline]:
    """Open deadlines whose first escalation fell more than ``grace_days`` before ``end`` and
    that have no escalation for their current due date."""
    escalated = ReminderStep.objects.filter(
        deadline=OuterRef("pk"), step=ESCALATION, due_on=OuterRef("due_on"), skipped=False
    )
    candidates = (
        Deadline.objects.filter(review__in=reviews, met_on__isnull=True, due_on__isnull=False)
        .exclude(Exists(escalated))
        .select_related("review")
    )
    ladders = {}
    missed = []
    for deadline in candidates:
        partnership_id = deadline.review.partnership_id
        if partnership_id not in ladders:
            ladders[partnership_id] = ladder_for(partnership_id)
        escalates_on = deadline.due_on + timedelta(days=ladders[partnership_id].escalate_after_days)
        if escalates_on < end - timedelta(days=grace_days):
            missed.append(deadline)
    return missed


def emails_without_end_state():
    """Emails neither sent nor failed; one gathered into a digest counts as its digest does."""
    digest_finished = Q(status=EmailStatus.IN_DIGEST, digest__status__in=END_STATES)
    return simulated_emails().exclude(Q(status__in=END_STATES) | digest_finished)
