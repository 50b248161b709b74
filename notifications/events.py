"""Which emails each event causes, to whom, and what each may say.

Every context is built here from plain strings: the reference, the pseudonym, dates, the names
of staff and agencies, links. Nothing here reads a review's restricted facts (real names,
circumstances); free text a person typed (decision reasons) passes through ``redacted`` first.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from workflows import holders
from workflows.flows import TASK_KINDS
from workflows.models import Review
from workflows.qa.selectors import latest_submission, pack_link_expires_at
from workflows.stages import PauseReason, QaOutcome, ReviewType

WITHHELD = "[name withheld]"


@dataclass
class Message:
    """One email to send: its template, its address and what it may say."""

    kind: str
    to_address: str
    context: dict
    recipient: object = None  # the User, when the address is a person's
    digestible: bool = False  # a reminder a person may take in their daily digest instead
    extra: dict = field(default_factory=dict)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def day(value) -> str:
    """A date as GOV.UK writes it: 3 February 2027."""
    return f"{value:%-d %B %Y}" if value else ""


def review_context(review: Review) -> dict:
    """What every email about a review may say about it."""
    return {
        "reference": review.reference,
        "pseudonym": review.victim_pseudonym,
        "review_name": review.display_name,
        "review_type": review.get_review_type_display(),
        "partnership": review.partnership.name,
        "review_link": absolute(reverse("reviews:detail", kwargs={"reference": review.reference})),
        "tasks_link": absolute(reverse("tasks:list")),
    }


def redacted(text: str, review: Review) -> str:
    """``text`` with the review's restricted real names, and each part of them, withheld."""
    names = [review.victim_real_name, review.perpetrator_real_name]
    parts = {part for name in names if name for part in [name, *name.split()] if len(part) > 2}
    for part in sorted(parts, key=len, reverse=True):
        text = _replace_ignoring_case(text, part, WITHHELD)
    return text


def _replace_ignoring_case(text: str, old: str, new: str) -> str:
    lowered, target, start, out = text.lower(), old.lower(), 0, []
    while (index := lowered.find(target, start)) != -1:
        out.append(text[start:index] + new)
        start = index + len(old)
    return "".join(out) + text[start:]


def to_people(kind: str, people, context: dict, **options) -> list[Message]:
    """One message per person (each address once), greeting each by name."""
    messages, seen = [], set()
    for person in people:
        if person is None or not person.is_active or person.email in seen:
            continue
        seen.add(person.email)
        personal = {**context, "recipient_name": person.full_name or person.email}
        messages.append(Message(kind, person.email, personal, recipient=person, **options))
    return messages


def to_address(kind: str, address: str, context: dict) -> list[Message]:
    return [Message(kind, address, {**context, "recipient_name": ""})] if address else []


def contact_for(review: Review) -> str:
    """The address an outside body (Home Office, Commissioner) should reply to."""
    people = holders.coordinators(review)
    return people[0].email if people else settings.DEFAULT_FROM_EMAIL


def review_notified(*, review: Review) -> list[Message]:
    """A death has been notified: the coordinators and CSP chairs must decide within a month."""
    decision = review.deadlines.filter(rule="decision").first()
    context = {
        **review_context(review),
        "notified_on": day(review.notified_on),
        "decision_due_on": day(decision.due_on) if decision else "",
    }
    people = holders.coordinators(review) + holders.csp_chairs(review)
    return to_people("review_notified", people, context)


def decision_recorded(*, review: Review) -> list[Message]:
    """The Home Office is told of every decision, a "no" with its reasons (2016 guidance)."""
    context = {
        **review_context(review),
        "commissioned": bool(review.commissioned),
        "decided_on": day(review.decided_on),
        "reasons": redacted(review.decision_reasons, review),
        "contact": contact_for(review),
    }
    return to_address("decision_recorded", settings.HOME_OFFICE_EMAIL, context)


def review_paused(*, review: Review, resumed: bool) -> list[Message]:
    """The panel hears when the clock stops for parallel proceedings, and when it restarts."""
    pause = review.pauses.order_by("-paused_on", "-pk").first()
    context = {
        **review_context(review),
        "pause_reason": PauseReason(pause.reason).label if pause else "",
        "paused_on": day(pause.paused_on) if pause else "",
        "resumed_on": day(pause.resumed_on) if pause and resumed else "",
    }
    kind = "review_resumed" if resumed else "review_paused"
    return to_people(kind, panel(review), context)


def panel(review: Review) -> list:
    """Everyone working on the review: coordinators, its chair and every active participant."""
    chair = [review.independent_chair] if review.independent_chair_id else []
    return holders.coordinators(review) + chair + holders.participants(review)


def terms_of_reference_agreed(*, review: Review) -> list[Message]:
    """Each agency in scope learns the terms are agreed and when its report is due."""
    reports = review.deadlines.filter(rule="agency_reports").first()
    messages = []
    for review_agency in review.review_agencies.select_related("agency"):
        context = {
            **review_context(review),
            "agency": review_agency.agency.name,
            "agreed_on": day(review.terms_of_reference_agreed_on),
            "reports_due_on": day(reports.due_on) if reports else "",
        }
        people = holders.participants(
            review, "agency_author", "senior_manager", agency_id=review_agency.agency_id
        )
        messages += to_people("terms_of_reference_agreed", people, context)
    return messages


def home_office_submission(*, review: Review) -> list[Message]:
    """The Home Office gets a link to the submission pack, never the documents themselves."""
    context = {
        **review_context(review),
        "submitted_on": day(review.submitted_to_home_office_on),
        "submission_number": review.home_office_submissions,
        "contact": contact_for(review),
        **pack_link_context(review),
    }
    return to_address("home_office_submission", settings.HOME_OFFICE_EMAIL, context)


def pack_link_context(review: Review) -> dict:
    """The link to the latest submission's pack and the day it stops working."""
    submission = latest_submission(review)
    if submission is None:
        return {"pack_link": "", "pack_link_expires_on": ""}
    path = reverse("qa_pack_link", kwargs={"token": submission.token})
    expires_on = timezone.localtime(pack_link_expires_at(submission)).date()
    return {"pack_link": absolute(path), "pack_link_expires_on": day(expires_on)}


def qa_outcome(*, review: Review) -> list[Message]:
    context = {
        **review_context(review),
        "outcome": QaOutcome(review.qa_outcome).label if review.qa_outcome else "",
        "outcome_code": review.qa_outcome,
        "outcome_on": day(review.qa_outcome_on),
    }
    chair = [review.independent_chair] if review.independent_chair_id else []
    return to_people("qa_outcome", chair + holders.coordinators(review), context)


def review_published(*, review: Review) -> list[Message]:
    """Everyone who worked on it hears; the Commissioner (and, for a DARDR, the Secretary of
    State) gets the statutory copy: a link to the published report, never an attachment."""
    context = {
        **review_context(review),
        "published_on": day(review.published_on),
        "public_link": absolute(f"/published/{review.partnership.slug}/"),
        "contact": contact_for(review),
    }
    people = panel(review) + holders.csp_chairs(review)
    messages = to_people("review_published", people, context)
    messages += to_address("commissioner_copy", settings.DOMESTIC_ABUSE_COMMISSIONER_EMAIL, context)
    if review.review_type == ReviewType.DARDR:
        messages += to_address("commissioner_copy", settings.SECRETARY_OF_STATE_EMAIL, context)
    return messages


# The lifecycle steps that cause emails of their own (task emails follow every stage change).
STEP_EMAILS = {
    "decide_to_commission": decision_recorded,
    "decide_not_to_commission": decision_recorded,
    "agree_terms_of_reference": terms_of_reference_agreed,
    "submit_to_home_office": home_office_submission,
    "record_qa_approved": qa_outcome,
    "record_qa_approved_subject_to_changes": qa_outcome,
    "record_qa_resubmit": qa_outcome,
    "publish": review_published,
}


def review_step(*, review: Review, action: str) -> list[Message]:
    if action == "pause":
        return review_paused(review=review, resumed=False)
    if action == "resume":
        return review_paused(review=review, resumed=True)
    builder = STEP_EMAILS.get(action)
    return builder(review=review) if builder else []


def task_created(*, task, review: Review) -> list[Message]:
    """Someone has new work: the task's owner, or everyone in the role's queue."""
    kind = TASK_KINDS.get(task.flow_task.name) if task.flow_task else None
    title = task.data.get("title") or (kind.title if kind else str(task.flow_task))
    deadline = review.deadlines.filter(rule=task.data.get("deadline") or "-").first()
    agency = _task_agency(task)
    context = {
        **review_context(review),
        "task_title": title,
        "agency": agency.agency.name if agency else "",
        "due_on": day(deadline.due_on) if deadline else "",
        "deadline_title": deadline.title if deadline else "",
        "sent_back": _sent_back(task, review, agency),
        "claimed": task.owner_id is not None,
    }
    return to_people("task_assigned", holders.task_holders(task, review), context)


def task_chased(*, task, review: Review, by) -> list[Message]:
    """A manager chases an overdue or due-soon task from the dashboard: the people it waits for
    are asked to finish it, or to say when they will."""
    deadline = review.deadlines.filter(rule=task.data.get("deadline") or "-").first()
    due_on = deadline.due_on if deadline else None
    today = timezone.localdate()
    agency = _task_agency(task)
    context = {
        **review_context(review),
        "task_title": _task_title(task),
        "agency": agency.agency.name if agency else "",
        "due_on": day(due_on),
        "deadline_title": deadline.title if deadline else "",
        "days_overdue": (today - due_on).days if due_on and due_on < today else 0,
        "chased_by": by.full_name or by.email,
        "chased_by_email": by.email,
    }
    return to_people("task_chased", holders.task_holders(task, review), context)


def _task_agency(task):
    from workflows.models import ReviewAgency

    pk = task.data.get("review_agency")
    return ReviewAgency.objects.select_related("agency").filter(pk=pk).first() if pk else None


def _sent_back(task, review: Review, agency) -> bool:
    name = task.flow_task.name if task.flow_task else ""
    if name == "agency_report":
        return bool(agency and agency.times_sent_back)
    if name == "draft_report":
        last = review.history.order_by("-at", "-pk").values_list("action", flat=True).first()
        return last in ("return_to_drafting", "record_qa_resubmit")
    return False


RECOMMENDATION_RULE_PREFIX = "recommendation-"


def deadline_step(*, deadline, step, today, steps=(), book=holders.DATABASE) -> list[Message]:
    """A reminder before a due date, or an escalation after it; ``steps`` is the whole ladder.
    ``book``: where the holders are read from (the sweep reads them for many deadlines at once,
    see ``workflows.holders.HolderBook``)."""
    review = deadline.review
    tasks = holders.deadline_tasks(deadline, book)
    people = holders.deadline_holders(deadline, tasks=tasks, book=book)
    context = {
        **review_context(review),
        "deadline_title": deadline.title,
        "due_on": day(deadline.due_on),
        "explanation": deadline.explanation,
        "statutory": deadline.statutory,
        "days": step.days,
        "days_left": (deadline.due_on - today).days,
        "days_overdue": (today - deadline.due_on).days,
        "task_titles": sorted({_task_title(task) for task in tasks}),
        "holder_names": [person.full_name or person.email for person in people],
        # When the CSP chair will be told if it stays overdue (the escalation says so).
        "chair_told_on": day(_chair_escalation_on(deadline, steps)),
    }
    if deadline.rule.startswith(RECOMMENDATION_RULE_PREFIX):
        # A recommendation's owner may work in an agency outside the review: the action plan
        # is the page they can open, and what they do is record the evidence there.
        link = reverse("reviews:action_plan", kwargs={"reference": review.reference})
        context.update(recommendation=True, review_link=absolute(link))
    if step.kind == "reminder":
        return to_people("reminder", people, context, digestible=True)
    if step.step == "escalation":
        everyone = people + holders.coordinators(review, book)
        return to_people("escalation", everyone, context, digestible=True)
    return to_people("chair_escalation", holders.csp_chairs(review, book), context, digestible=True)


def _chair_escalation_on(deadline, steps):
    return next((s.fires_on for s in steps if s.step == "chair_escalation"), None)


def _task_title(task) -> str:
    kind = TASK_KINDS.get(task.flow_task.name) if task.flow_task else None
    return task.data.get("title") or (kind.title if kind else "")


def delivery_failed(*, email) -> list[Message]:
    """An email to someone on a review could not be delivered: its coordinators must act."""
    review = email.review
    context = {
        **review_context(review),
        "failed_subject": email.subject,
        "failed_to": email.to_address,
        "delivery_status": email.get_delivery_status_display(),
        "emails_link": absolute(reverse("reviews:emails", kwargs={"reference": review.reference})),
        "people_link": absolute(reverse("reviews:people", kwargs={"reference": review.reference})),
    }
    return to_people("delivery_failed", holders.coordinators(review), context)


def password_reset(*, user) -> list[Message]:
    """A link to choose a new password: single use, and it expires."""
    from workflows.services.participants import lifetime_in_words, password_link

    context = {
        "email": user.email,
        "link": password_link(user, "password_reset_confirm"),
        "link_lifetime": lifetime_in_words(settings.PASSWORD_RESET_TIMEOUT),
        "sign_in_url": absolute(reverse("login")),
    }
    return to_people("password_reset", [user], context)


def invitation(*, participant) -> list[Message]:
    from workflows.services.participants import email_context

    context = {**review_context(participant.review), **email_context(participant)}
    return to_people("invitation", [participant.user], context)
