"""Every kind of email the service sends, rendered from reviews whose restricted facts are
sentinels: no real name, no part of one and nothing of the circumstances may appear in any
subject or body, and each kind must be a complete, plain email with a way in.

The data is built by the real services (``review_start``, ``review_transition``, the agency
branches), then every builder in ``notifications.events`` is called and each message rendered.
"""

import copy
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string

from notifications import events
from notifications.digest import digests_send
from notifications.ladder import CHAIR_ESCALATION, ESCALATION, Step
from notifications.models import Email, EmailPreference, EmailStatus, StepKind
from notifications.outbox import email_queue, email_render
from tests.factories import UserFactory
from workflows import holders
from workflows.models import Participant, ParticipantRole, Review
from workflows.publication.samples import publication_ready
from workflows.qa.samples import qa_letter_upload, submission_documents_upload
from workflows.services.agency_reports import agency_task_complete
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import QaOutcome

# Every kind of email, each with templates/emails/<kind>_subject.txt, <kind>.txt and <kind>.html.
ALL_KINDS = [
    "review_notified",
    "decision_recorded",
    "review_paused",
    "review_resumed",
    "terms_of_reference_agreed",
    "home_office_submission",
    "qa_outcome",
    "review_published",
    "commissioner_copy",
    "task_assigned",
    "task_chased",
    "reminder",
    "escalation",
    "chair_escalation",
    "delivery_failed",
    "daily_digest",
    "invitation",
    "password_reset",
]
# Sent to an organisation's address (Home Office, Commissioner): no account, so no sign-in link.
ORGANISATION_KINDS = {"decision_recorded", "home_office_submission", "commissioner_copy"}
# Subjects that do not start with the reference: the digest covers several reviews, and the
# invitation's wording is pinned by tests/workflows/test_participants.py.
SUBJECT_STARTS = {"daily_digest": "Your daily", "password_reset": "Choose a new password"}
# About a person's account, not a review: no reference, pseudonym or review link.
ACCOUNT_KINDS = {"daily_digest", "password_reset"}

VICTIM = "Zebedee Sentinelvictim"
PERPETRATOR = "Quentin Sentinelperp"
CIRCUMSTANCES = "Found by a neighbour at Sentinelcircs Farm after Yarrowby called for help."
FORBIDDEN = sorted(
    {part.lower() for name in (VICTIM, PERPETRATOR) for part in (name, *name.split())}
    | {"sentinelcircs", "yarrowby", "sentinel"}
)
REASONS = (
    "Zebedee Sentinelvictim died at home. QUENTIN SENTINELPERP was known to the police, "
    "and zebedee had contact with her GP."
)
MISSING = "@@missing variable@@"
EMAILS_DIR = Path(django_settings.BASE_DIR) / "templates" / "emails"


@dataclass
class Rendered:
    kind: str
    context: dict
    subject: str
    text: str
    html: str


@dataclass
class Journey:
    emails: list[Rendered] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)  # review_step action: messages built

    def add(self, messages) -> int:
        for message in messages:
            subject, text, html = email_render(message.kind, message.context)
            self.emails.append(Rendered(message.kind, message.context, subject, text, html))
        return len(messages)

    def step(self, review, action: str) -> None:
        built = self.add(events.review_step(review=review, action=action))
        self.steps[action] = self.steps.get(action, 0) + built

    def tasks(self, review) -> None:
        for task in holders.open_tasks(review):
            self.add(events.task_created(task=task, review=review))

    def ladder(self, review, rule: str, step: Step, today: date) -> None:
        deadline = review.deadlines.get(rule=rule)
        self.add(events.deadline_step(deadline=deadline, step=step, today=today))


def reminder(days: int) -> Step:
    return Step(f"reminder_{days}", StepKind.REMINDER, date(2027, 1, 1), days)


ESCALATE = Step(ESCALATION, StepKind.ESCALATION, date(2027, 1, 1), 0)
CHAIR_ESCALATE = Step(CHAIR_ESCALATION, StepKind.ESCALATION, date(2027, 1, 1), 7)


@pytest.fixture
def strict_templates(settings):
    """A variable a template names but its context lacks shows, instead of rendering empty."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = MISSING
    settings.TEMPLATES = templates
    settings.SITE_URL = "https://reviews.example"


def started(partnership, coordinator, agencies):
    return review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name=VICTIM,
        perpetrator_real_name=PERPETRATOR,
        circumstances=CIRCUMSTANCES,
        agencies=agencies,
    )


def move(review, action: str, by, on: date, **details) -> Review:
    return review_transition(review=review, action=action, by=by, on=on, **details)


def take_part(review, user, role: str, agency, coordinator) -> Participant:
    return Participant.objects.create(
        review=review, user=user, role=role, agency=agency, added_by=coordinator
    )


def scoping_answer(review, agency, by, on: date) -> None:
    task = next(
        task
        for task in holders.open_tasks(review)
        if task.flow_task.name == "agency_scoping"
        and review.review_agencies.get(pk=task.data["review_agency"]).agency == agency
    )
    agency_task_complete(task=task, review=review, by=by, on=on, answer="not_involved")


@pytest.fixture
def journey(
    strict_templates,
    settings,
    tmp_path,
    partnership,
    police,
    health,
    coordinator,
    csp_chair,
    independent_chair,
    police_author,
    health_author,
):
    """Two reviews taken through their lives, every builder called at the point it fires."""
    settings.MEDIA_ROOT = tmp_path
    sent = Journey()
    police_manager = UserFactory(email="police.manager@test.example", full_name="Pat Manager")
    newcomer = UserFactory(email="nia.newcomer@test.example", full_name="Nia Newcomer")
    newcomer.set_unusable_password()
    newcomer.save()

    # Notified: the decision clock runs, the coordinators' task waits in their queue.
    review = started(partnership, coordinator, [police, health])
    sent.add(events.review_notified(review=review))
    sent.tasks(review)
    decision_due = review.deadlines.get(rule="decision").due_on
    sent.ladder(review, "decision", reminder(7), decision_due - timedelta(days=7))
    sent.ladder(review, "decision", reminder(1), decision_due - timedelta(days=1))
    sent.ladder(review, "decision", ESCALATE, decision_due)

    # Paused for an IOPC investigation and resumed; then a "yes" with reasons naming names.
    review = move(review, "start_scoping", coordinator, date(2027, 1, 11))
    review = move(review, "pause", csp_chair, date(2027, 1, 20), pause_reason="iopc")
    sent.step(review, "pause")
    review = move(review, "resume", csp_chair, date(2027, 2, 1))
    sent.step(review, "resume")
    review = move(review, "decide_to_commission", csp_chair, date(2027, 2, 5), reason=REASONS)
    sent.step(review, "decide_to_commission")

    # A second review the partnership decides not to hold, with the same reasons.
    other = started(partnership, coordinator, [police])
    other = move(other, "decide_not_to_commission", csp_chair, date(2027, 2, 8), reason=REASONS)
    sent.step(other, "decide_not_to_commission")

    # Set-up: the chair, the pseudonym and the people taking part (one new to the service).
    review = move(
        review,
        "appoint_independent_chair",
        coordinator,
        date(2027, 2, 10),
        chair=independent_chair,
        victim_pseudonym="Robin",
    )
    review = move(review, "complete_setup", coordinator, date(2027, 2, 12))
    sent.tasks(review)  # the terms of reference, claimed by the chair
    author = ParticipantRole.AGENCY_AUTHOR
    take_part(review, police_author, author, police, coordinator)
    take_part(review, health_author, author, health, coordinator)
    manager = take_part(review, police_manager, ParticipantRole.SENIOR_MANAGER, police, coordinator)
    panel = take_part(review, newcomer, ParticipantRole.PANEL_MEMBER, None, coordinator)
    sent.add(events.invitation(participant=panel))
    sent.add(events.invitation(participant=manager))
    sent.add(events.password_reset(user=police_author))

    # Agency reports: each agency's branch, its reminders, a digest and the escalations.
    review = move(review, "agree_terms_of_reference", independent_chair, date(2027, 3, 1))
    sent.step(review, "agree_terms_of_reference")
    sent.tasks(review)
    reports_due = review.deadlines.get(rule="agency_reports").due_on
    sent.ladder(review, "agency_reports", reminder(14), reports_due - timedelta(days=14))
    sent.ladder(review, "agency_reports", ESCALATE, reports_due + timedelta(days=2))
    sent.ladder(review, "agency_reports", CHAIR_ESCALATE, reports_due + timedelta(days=7))
    EmailPreference.objects.create(user=police_author, daily_digest=True)
    deadline = review.deadlines.get(rule="agency_reports")
    for days in (14, 7):
        email_queue(
            "deadline_step",
            deadline=deadline,
            step=reminder(days),
            today=reports_due - timedelta(days=days),
        )
    held = Email.objects.filter(status=EmailStatus.HELD, recipient=police_author)
    assert held.count() == 2, "the police author's reminders wait for the digest"
    for digest in digests_send():
        sent.emails.append(
            Rendered(digest.kind, {}, digest.subject, digest.text_body, digest.html_body)
        )
    # The coordinator chases the health scoping answer from the dashboard (it is overdue).
    health_scoping = next(
        task
        for task in holders.open_tasks(review)
        if task.flow_task.name == "agency_scoping"
        and review.review_agencies.get(pk=task.data["review_agency"]).agency == health
    )
    assert sent.add(events.task_chased(task=health_scoping, review=review, by=coordinator)) == 1
    scoping_answer(review, police, police_author, date(2027, 3, 10))
    scoping_answer(review, health, health_author, date(2027, 3, 11))
    review = move(review, "complete_agency_reports", independent_chair, date(2027, 3, 20))

    # Drafting, sign-off, the Home Office, a resubmission and the work sent back.
    sent.tasks(review)
    completion_due = review.deadlines.get(rule="completion").due_on
    sent.ladder(review, "completion", CHAIR_ESCALATE, completion_due + timedelta(days=9))
    submission_documents_upload(review=review, by=coordinator)  # the Home Office's pack
    review = move(review, "complete_draft", independent_chair, date(2027, 4, 1))
    review = move(review, "sign_off", csp_chair, date(2027, 4, 5))
    review = move(review, "submit_to_home_office", coordinator, date(2027, 4, 6))
    sent.step(review, "submit_to_home_office")
    qa_letter_upload(review=review, by=coordinator)
    review = move(review, "record_qa_resubmit", coordinator, date(2027, 4, 20))
    sent.step(review, "record_qa_resubmit")
    sent.tasks(review)  # the draft, back with its author
    review = move(review, "complete_draft", independent_chair, date(2027, 4, 25))
    review = move(review, "sign_off", csp_chair, date(2027, 4, 28))
    review = move(review, "submit_to_home_office", coordinator, date(2027, 4, 29))
    sent.step(review, "submit_to_home_office")
    qa_letter_upload(review=review, by=coordinator)
    review = move(review, "record_qa_approved", coordinator, date(2027, 5, 10))
    sent.step(review, "record_qa_approved")
    # The other approval, built from the same review as it would read had the panel said so.
    changes = Review.objects.get(pk=review.pk)
    changes.qa_outcome = QaOutcome.APPROVED_SUBJECT_TO_CHANGES
    sent.step(changes, "record_qa_approved_subject_to_changes")

    # Publication, the Commissioner's copy, and a bounced email for the coordinators.
    publication_ready(review=review, by=coordinator, on=date(2027, 5, 18))  # the gate
    review = move(review, "publish", coordinator, date(2027, 5, 20))
    sent.step(review, "publish")
    bounced = Email.objects.filter(review=review, kind="task_assigned").first()
    bounced.delivery_status = "bounced"
    bounced.save(update_fields=["delivery_status"])
    sent.add(events.delivery_failed(email=bounced))
    return sent


def test_no_real_name_or_circumstance_appears_in_any_email(journey):
    assert Review.objects.filter(victim_real_name=VICTIM, perpetrator_real_name=PERPETRATOR)
    for email in journey.emails:
        for part, body in [("subject", email.subject), ("text", email.text), ("html", email.html)]:
            found = [word for word in FORBIDDEN if word in body.lower()]
            assert not found, f"{email.kind} {part} says {found}"


def test_the_redacted_reasons_reach_the_home_office(journey):
    decisions = [email for email in journey.emails if email.kind == "decision_recorded"]
    assert {email.context["commissioned"] for email in decisions} == {True, False}
    for email in decisions:
        assert "[name withheld] died at home" in email.text
        assert "[name withheld] died at home" in email.html


def test_every_kind_and_every_step_email_is_rendered(journey):
    assert sorted({email.kind for email in journey.emails}) == sorted(ALL_KINDS)
    for action in [*events.STEP_EMAILS, "pause", "resume"]:
        assert journey.steps.get(action), f"review_step {action!r} built no email"
    task_emails = [email.context for email in journey.emails if email.kind == "task_assigned"]
    assert {(context["claimed"], context["sent_back"]) for context in task_emails} >= {
        (False, False),
        (True, False),
        (True, True),
    }
    outcomes = {e.context["outcome_code"] for e in journey.emails if e.kind == "qa_outcome"}
    assert outcomes == {choice.value for choice in QaOutcome}


def test_every_template_names_only_what_its_context_holds(journey):
    for email in journey.emails:
        for body in (email.subject, email.text, email.html):
            assert MISSING not in body, f"{email.kind} names a variable its context lacks"


def test_each_html_email_is_a_plain_accessible_page(journey):
    for email in journey.emails:
        html = email.html
        assert html.lstrip().startswith("<!DOCTYPE html>"), email.kind
        assert '<html lang="en">' in html, email.kind
        title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
        assert title and title.group(1).strip(), f"{email.kind} has no title"
        assert "<img" not in html.lower(), f"{email.kind} has an image"
        assert "click here" not in (html + email.text).lower(), email.kind
        assert 'href="http' in html or 'href="mailto:' in html, f"{email.kind} has no link"


def test_each_subject_is_one_line_and_starts_with_the_reference(journey):
    for email in journey.emails:
        if email.kind in ACCOUNT_KINDS:
            assert email.subject.startswith(SUBJECT_STARTS[email.kind])
            continue
        raw = render_to_string(f"emails/{email.kind}_subject.txt", email.context).strip()
        assert "\n" not in raw, f"{email.kind} subject is more than one line"
        reference = email.context["reference"]
        if email.kind == "invitation":
            assert reference in email.subject
        else:
            assert email.subject.startswith(f"{reference}: "), email.subject


def test_each_text_body_names_the_review_and_gives_a_way_in(journey):
    for email in journey.emails:
        for body in (email.text, email.html):
            assert "Do not forward this email" in body, email.kind
            assert "Manage domestic homicide reviews" in body, email.kind
        if email.kind in ACCOUNT_KINDS:
            assert "https://reviews.example/" in email.text
            continue
        context = email.context
        for body in (email.text, email.html):
            assert context["reference"] in body, email.kind
            if context["pseudonym"]:
                assert context["pseudonym"] in body, email.kind
        if email.kind in ORGANISATION_KINDS:
            # No account to sign in to: the partnership's contact address instead.
            assert context["contact"] in email.text, email.kind
            for body in (email.text, email.html):
                assert context["review_link"] not in body, f"{email.kind} links to a sign-in"
                assert context["tasks_link"] not in body, f"{email.kind} links to a sign-in"
        else:
            assert "https://reviews.example/" in email.text, f"{email.kind} text has no link"


def test_the_home_office_gets_a_secure_link_not_attachments(journey):
    for email in journey.emails:
        if email.kind == "home_office_submission":
            assert "secure link" in email.text
            assert "never sent as attachments" in email.text
            assert "/home-office/packs/" in email.context["pack_link"]
            assert email.context["pack_link"] in email.text
            assert email.context["pack_link"] in email.html
        if email.kind == "commissioner_copy":
            assert email.context["public_link"] in email.text
            assert "section 9(3B)" in email.text


def test_every_email_template_is_a_known_kind():
    # Partials (``_name``) and the base are pieces of the kinds' templates, not kinds.
    kinds = {path.name.removesuffix(".html") for path in EMAILS_DIR.glob("[!_]*.html")}
    kinds -= {"base"}
    assert sorted(kinds - set(ALL_KINDS)) == [], "an email template no test renders"
    for kind in ALL_KINDS:
        for name in (f"{kind}_subject.txt", f"{kind}.txt", f"{kind}.html"):
            assert (EMAILS_DIR / name).is_file(), f"{name} is missing"


def test_no_subject_greets_its_recipient():
    # The outbox renders a subject once for all the people an event tells (``emails_write``):
    # that is right only while no subject, nor a partial it includes, names the recipient.
    for path in EMAILS_DIR.glob("*_subject.txt"):
        source = path.read_text()
        included = re.findall(r'{% include "emails/([^"]+)" %}', source)
        for text in [source, *((EMAILS_DIR / name).read_text() for name in included)]:
            assert "recipient" not in text, f"{path.name} names its recipient"
