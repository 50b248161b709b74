"""Invented demo data: one partnership, its people and a review at every stage; and a region
holding it and a second, smaller partnership, so that regional statistics sum more than one.

Every name here is made up. Reviews are driven through the real lifecycle with back-dated steps,
so their history, pauses and deadlines (some overdue) are exactly what the service would hold.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from workflows.action_plan.reminders import recommendation_deadline_sync
from workflows.action_plan.services import (
    recommendation_add,
    recommendation_complete,
    recommendation_progress,
    recommendation_sign_off,
)
from workflows.models import (
    Agency,
    Membership,
    Participant,
    ParticipantRole,
    Partnership,
    Recommendation,
    Region,
    RegionalAccess,
    RestrictedName,
    Review,
    Role,
    User,
)
from workflows.models.documents import DocumentKind
from workflows.publication.samples import publication_ready, sample_document_upload
from workflows.qa.samples import qa_letter_upload, submission_documents_upload
from workflows.services.agency_reports import agency_task_complete
from workflows.services.documents import document_upload
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.services.tasks import OPEN, process_for
from workflows.stages import PauseReason, ReviewType

AGENCIES = [
    "Demoshire Police",
    "Demoshire NHS Foundation Trust",
    "Demoshire Council Housing",
    "Probation Service (Demoshire)",
    "Demoshire Adult Social Care",
    "Demoshire Domestic Abuse Service",
]

# (email, full name, role, agency)
PEOPLE = [
    ("coordinator@demo.example", "Casey Coordinator", Role.COORDINATOR, None),
    ("csp.chair@demo.example", "Charlie Partnership-Chair", Role.CSP_CHAIR, None),
    ("independent.chair@demo.example", "Indira Chair", Role.INDEPENDENT_CHAIR, None),
    ("second.chair@demo.example", "Sam Second-Chair", Role.INDEPENDENT_CHAIR, None),
    ("police.author@demo.example", "Pat Police-Author", Role.AGENCY_AUTHOR, "Demoshire Police"),
    (
        "health.author@demo.example",
        "Harper Health-Author",
        Role.AGENCY_AUTHOR,
        "Demoshire NHS Foundation Trust",
    ),
    (
        "police.manager@demo.example",
        "Morgan Police-Manager",
        Role.SENIOR_MANAGER,
        "Demoshire Police",
    ),
    (
        "health.manager@demo.example",
        "Hayden Health-Manager",
        Role.SENIOR_MANAGER,
        "Demoshire NHS Foundation Trust",
    ),
    ("panel.member@demo.example", "Parker Panel-Member", Role.PANEL_MEMBER, None),
    ("outsider@demo.example", "Olly Outsider", None, None),
    # Sees the statistics of the demo region (aggregates only), and no review.
    ("regional.lead@demo.example", "Reese Regional-Lead", None, None),
]

POLICE, HEALTH = "Demoshire Police", "Demoshire NHS Foundation Trust"
# (email, role, agency): agency people added to every commissioned review with their agency.
PARTICIPANTS = [
    ("police.author@demo.example", ParticipantRole.AGENCY_AUTHOR, POLICE),
    ("police.manager@demo.example", ParticipantRole.SENIOR_MANAGER, POLICE),
    ("health.author@demo.example", ParticipantRole.AGENCY_AUTHOR, HEALTH),
    ("health.manager@demo.example", ParticipantRole.SENIOR_MANAGER, HEALTH),
    ("panel.member@demo.example", ParticipantRole.PANEL_MEMBER, None),
]
# A tiny but real PDF, so demo agency reports can be opened.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

# The "areas for final development" of an invented "approved subject to changes" letter.
DEMO_AREAS = [
    "Explain how the GP practice followed up the referral to the domestic abuse service.",
    "Add the housing team's contacts to the combined chronology.",
]

SETUP = [("appoint_independent_chair", "chair"), ("complete_setup", None)]
TO_DRAFTING = [*SETUP, ("agree_terms_of_reference", None), ("complete_agency_reports", None)]
TO_SIGN_OFF = [*TO_DRAFTING, ("complete_draft", None), ("sign_off", None)]
TO_QA = [*TO_SIGN_OFF, ("submit_to_home_office", None)]

# (victim name, pseudonym, days since notification, steps after the decision, decision)
REVIEWS = [
    ("Imogen Fakename", "Rose", 5, [], None),
    ("Beatrice Madeup", "Daisy", 40, [("start_scoping", None)], None),
    ("Clara Inventa", "Iris", 80, [], "no"),
    ("Dolores Sample", "Fern", 150, [("record_home_office_challenge", "reason")], "no"),
    ("Edith Notreal", "Holly", 60, [], "yes"),
    ("Frances Imaginary", "Violet", 100, SETUP, "yes"),
    ("Gemma Fictive", "Poppy", 150, [*SETUP, ("agree_terms_of_reference", None)], "yes"),
    ("Hannah Pretend", "Willow", 260, TO_DRAFTING, "yes"),
    ("Isla Storybook", "Ivy", 250, [*TO_DRAFTING, ("complete_draft", None)], "yes"),
    ("Jane Placeholder", "Hazel", 400, TO_QA, "yes"),
    (
        "Kara Invented",
        "Jasmine",
        500,
        [*TO_QA, ("record_qa_approved_subject_to_changes", None)],
        "yes",
    ),
    ("Laura Dummy", "Lily", 700, [*TO_QA, ("record_qa_approved", None), ("publish", None)], "yes"),
    (
        "Mona Exemplar",
        "Pearl",
        900,
        [*TO_QA, ("record_qa_approved", None), ("publish", None), ("close", "reason")],
        "yes",
    ),
    (
        "Nadia Unreal",
        "Amber",
        120,
        [*SETUP, ("agree_terms_of_reference", None), ("pause", None)],
        "yes",
    ),
]


# The region a regional lead looks across, and its second partnership.
REGION = {"slug": "demoland", "name": "Demoland Region"}
SECOND_PARTNERSHIP = {
    "slug": "sampleton",
    "name": "Sampleton Community Safety Partnership",
    "code": "SMPL",
}
# (email, full name, role) in the second partnership.
SECOND_PEOPLE = [
    ("sampleton.coordinator@demo.example", "Sasha Sampleton-Coordinator", Role.COORDINATOR),
    ("sampleton.chair@demo.example", "Sol Sampleton-Chair", Role.INDEPENDENT_CHAIR),
]
# Its reviews, as REVIEWS plus the review type. None is at a stage where a Demoshire review is
# the only one (agency reports), nor notified before the Demoshire review of the same stage.
# Two at drafting and two with the Home Office: with the demo partnership's, 3 at each stage, so
# the regional view shows those counts and hides the others (fewer than 3).
SECOND_REVIEWS = [
    ("Olive Nonesuch", "Maple", 70, [], "no", ReviewType.DHR),
    ("Petra Fabricated", "Aspen", 45, SETUP, "yes", ReviewType.DHR),
    (
        "Quinn Untrue",
        "Birch",
        330,
        [
            *SETUP,
            ("agree_terms_of_reference", None),
            ("pause", "inquest"),
            ("resume", None),
            ("complete_agency_reports", None),
        ],
        "yes",
        ReviewType.DHR,
    ),
    ("Ursula Fakery", "Alder", 210, TO_DRAFTING, "yes", ReviewType.DHR),
    ("Rhea Invention", "Cedar", 420, TO_QA, "yes", ReviewType.DHR),
    ("Vera Concocted", "Rowan", 380, TO_QA, "yes", ReviewType.DHR),
    (
        "Stella Madeup",
        "Elm",
        600,
        [*TO_QA, ("record_qa_approved", None), ("publish", None)],
        "yes",
        ReviewType.DHR,
    ),
    (
        "Tessa Pretendly",
        "Hawthorn",
        1000,
        [
            ("pause", "criminal_proceedings"),
            ("resume", None),
            *TO_QA,
            ("record_qa_approved_subject_to_changes", None),
            ("publish", None),
            ("close", "reason"),
        ],
        "yes",
        ReviewType.DARDR,
    ),
]


@transaction.atomic
def load_demo(password: str) -> Partnership:
    """Create (or refresh) the demo partnership, its people and reviews, and the demo region;
    safe to run twice."""
    partnership, _ = Partnership.objects.get_or_create(
        slug="demoshire",
        defaults={"name": "Demoshire Community Safety Partnership", "code": "DEMO"},
    )
    agencies = {
        name: Agency.objects.get_or_create(partnership=partnership, name=name)[0]
        for name in AGENCIES
    }
    people = {
        email: _person(partnership, agencies, password, email, *rest) for email, *rest in PEOPLE
    }
    if not Review.objects.filter(partnership=partnership).exists():
        for spec in REVIEWS:
            _demo_review(partnership, agencies, people, *spec)
    _demo_participants(partnership, agencies, people)
    _demo_action_plan(partnership, agencies, people)
    _demo_name_check_hit(partnership, people)
    _demo_region(partnership, people["regional.lead@demo.example"], password)
    return partnership


def _demo_name_check_hit(partnership, people) -> None:
    """Jasmine's report waits for publication with a slip the name check catches: the family
    asked for the brother's name to be kept out, and version 2 of the overview report names him
    on its second page. The gate shows the hit until a corrected version is uploaded."""
    review = Review.objects.filter(partnership=partnership, victim_pseudonym="Jasmine").first()
    if review is None or review.restricted_names.exists():
        return
    coordinator = people["coordinator@demo.example"]
    RestrictedName.objects.create(
        review=review, name="Kevin Brotherly", relationship="Brother", added_by=coordinator
    )
    pages = [
        [f"{review.reference}: Overview report", "A review into the death of Jasmine."],
        ["Jasmine's brother, Kevin Brotherly, told the panel about her last months."],
    ]
    sample_document_upload(
        review=review, by=coordinator, kind=DocumentKind.OVERVIEW_REPORT, pages=pages, docx=True
    )


# Lily's action plan (invented): (text, agency, owner, due in days, how far it has got).
DEMO_RECOMMENDATIONS = [
    (
        "Train call handlers to recognise coercive control and record it on every call.",
        POLICE,
        "police.author@demo.example",
        90,
        "signed_off",
    ),
    (
        "Ask about domestic abuse at every new GP registration and antenatal booking.",
        HEALTH,
        "health.author@demo.example",
        60,
        "completed",
    ),
    (
        "Share domestic abuse call-outs with the health visiting service within one working day.",
        POLICE,
        "police.author@demo.example",
        -10,
        "in_progress",
    ),
]


def _demo_action_plan(partnership, agencies, people) -> None:
    """Recommendations on the published review being monitored: one signed off, one waiting
    for sign-off and one that has run late (its due date set in the past for the demo)."""
    review = Review.objects.filter(partnership=partnership, victim_pseudonym="Lily").first()
    if review is None or review.recommendations.exists():
        return
    coordinator = people["coordinator@demo.example"]
    today = timezone.localdate()
    for text, agency, owner, due_in, state in DEMO_RECOMMENDATIONS:
        owner = people[owner]
        recommendation = recommendation_add(
            review=review,
            text=text,
            owner_agency=agencies[agency],
            owner=owner,
            due_on=today + timedelta(days=max(due_in, 1)),
            by=coordinator,
        )
        if due_in < 0:
            Recommendation.objects.filter(pk=recommendation.pk).update(
                due_on=today + timedelta(days=due_in)
            )
            recommendation.refresh_from_db()
            recommendation_deadline_sync(recommendation=recommendation)
        if state == "in_progress":
            recommendation_progress(recommendation=recommendation, status=state, by=owner)
        if state in ("completed", "signed_off"):
            recommendation_complete(
                recommendation=recommendation, note="Done: see the training records.", by=owner
            )
        if state == "signed_off":
            recommendation_sign_off(recommendation=recommendation, by=coordinator)


def _demo_region(partnership, regional_lead, password) -> Region:
    """The demo region: the demo partnership and a second one with a few reviews of its own."""
    second, _ = Partnership.objects.get_or_create(
        slug=SECOND_PARTNERSHIP["slug"], defaults=SECOND_PARTNERSHIP
    )
    people = {
        email: _person(second, {}, password, email, name, role, None)
        for email, name, role in SECOND_PEOPLE
    }
    if not Review.objects.filter(partnership=second).exists():
        for spec in SECOND_REVIEWS:
            _second_review(second, people, *spec)
    region, _ = Region.objects.get_or_create(slug=REGION["slug"], defaults=REGION)
    region.partnerships.add(partnership, second)
    RegionalAccess.objects.get_or_create(user=regional_lead, region=region)
    return region


def _second_review(partnership, people, victim, pseudonym, age, steps, decision, review_type):
    """A review of the second partnership: no agencies in scope, so no agency reports to wait
    for; otherwise driven through the lifecycle as the demo partnership's are."""
    coordinator = people["sampleton.coordinator@demo.example"]
    notified_on = timezone.localdate() - timedelta(days=age)
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=notified_on - timedelta(days=4),
        notified_on=notified_on,
        referred_by="Sampleton Police",
        victim_real_name=victim,
        perpetrator_real_name="Ulric Fictionson",
        review_type=review_type,
    )
    plan = _with_decision(steps, decision)
    for index, (action, extra) in enumerate(plan, start=1):
        on = notified_on + timedelta(days=(age - 3) * index // (len(plan) + 1))
        details = {"reason": "Recorded for the demonstration."} if extra == "reason" else {}
        if extra == "chair":
            details.update(chair=people["sampleton.chair@demo.example"], victim_pseudonym=pseudonym)
        if action == "pause":
            details.update(pause_reason=PauseReason(extra), reason="Awaiting the outcome.")
        if action == "publish":
            publication_ready(review=review, by=coordinator, on=on, complete_areas=True)
        effects = _home_office_ready(review, action, coordinator)
        review = review_transition(
            review=review, action=action, by=coordinator, on=on, effects=effects, **details
        )
    return review


def _person(partnership, agencies, password, email, full_name, role, agency_name) -> User:
    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    user.set_password(password)
    user.save()
    if role:
        Membership.objects.get_or_create(
            user=user, partnership=partnership, role=role, agency=agencies.get(agency_name)
        )
    return user


def _demo_review(partnership, agencies, people, victim, pseudonym, age, steps, decision):
    today = timezone.localdate()
    coordinator = people["coordinator@demo.example"]
    notified_on = today - timedelta(days=age)
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=notified_on - timedelta(days=3),
        notified_on=notified_on,
        referred_by="Demoshire Police",
        victim_real_name=victim,
        perpetrator_real_name="Ulric Fictionson",
        agencies=[agencies[POLICE], agencies[HEALTH]],
    )
    if decision == "yes":
        _add_participants(review, agencies, people)
    plan = _with_decision(steps, decision)
    for index, (action, extra) in enumerate(plan, start=1):
        # Spread the steps evenly between notification and a few days ago.
        on = notified_on + timedelta(days=(age - 3) * index // (len(plan) + 1))
        if action == "complete_agency_reports":
            _agency_reports(review, agencies, people, on)
        details = _details(action, extra, pseudonym, people)
        if action == "publish":
            _publication_ready(review, coordinator, on, pseudonym)
        effects = _home_office_ready(review, action, coordinator)
        review = review_transition(
            review=review, action=action, by=coordinator, on=on, effects=effects, **details
        )
    return review


# What the demo partnership says on its public page about each review it published (invented).
PUBLISHED_STATEMENTS = {
    "Lily": (
        "Demoshire Community Safety Partnership offers its sincere condolences to Lily's "
        "children, her parents and her friends, and thanks them for helping the review.",
        "Every GP practice in Demoshire now asks about domestic abuse when a patient registers, "
        "and the police share every domestic abuse call-out with the health visiting service "
        "within one working day.",
    ),
    "Pearl": (
        "Our thoughts remain with Pearl's family. We are grateful to her sister for telling the "
        "panel about Pearl's life and what mattered to her.",
        "Housing officers are now trained to recognise coercive control, and the partnership "
        "runs a yearly audit of how agencies act on the recommendations of its reviews.",
    ),
}


def _publication_ready(review, coordinator, on, pseudonym) -> None:
    condolence_statement, partnership_response = PUBLISHED_STATEMENTS.get(pseudonym, ("", ""))
    publication_ready(
        review=review,
        by=coordinator,
        on=on,
        complete_areas=True,
        condolence_statement=condolence_statement,
        partnership_response=partnership_response,
    )


def _agency_reports(review, agencies, people, on) -> None:
    """The police report (chronology and IMR, signed off, accepted); health returns nil."""
    police_author = people["police.author@demo.example"]
    for kind in (DocumentKind.CHRONOLOGY, DocumentKind.AGENCY_REPORT):
        document_upload(
            review=review,
            kind=kind,
            agency=agencies[POLICE],
            uploaded_file=SimpleUploadedFile(f"{kind}.pdf", DEMO_PDF, "application/pdf"),
            by=police_author,
        )
    work = [
        ("agency_scoping", POLICE, "police.author@demo.example", "involved"),
        ("agency_scoping", HEALTH, "health.author@demo.example", "not_involved"),
        ("agency_report", POLICE, "police.author@demo.example", ""),
        ("agency_sign_off", POLICE, "police.manager@demo.example", ""),
        ("agency_acceptance", POLICE, "independent.chair@demo.example", "accept"),
    ]
    for node, agency_name, email, answer in work:
        task = _open_agency_task(review, node, agencies[agency_name])
        agency_task_complete(task=task, review=review, by=people[email], on=on, answer=answer)


def _open_agency_task(review, node, agency):
    process = process_for(review)
    for task in process.task_set.filter(status__in=OPEN).order_by("pk"):
        if (
            task.flow_task.name == node
            and review.review_agencies.filter(
                pk=task.data.get("review_agency"), agency=agency
            ).exists()
        ):
            return task
    raise LookupError(f"No open {node} task for {agency} on {review}")


def _demo_participants(partnership, agencies, people) -> None:
    """Add the agency people to each review that went ahead with their agency in scope:
    agency roles show a review only to the people added to it."""
    for review in Review.objects.filter(partnership=partnership, commissioned=True):
        _add_participants(review, agencies, people)


def _add_participants(review, agencies, people) -> None:
    coordinator = people["coordinator@demo.example"]
    for email, role, agency_name in PARTICIPANTS:
        agency = agencies.get(agency_name)
        if agency and not review.review_agencies.filter(agency=agency).exists():
            continue
        Participant.objects.active().get_or_create(
            review=review,
            user=people[email],
            role=role,
            agency=agency,
            defaults={"added_by": coordinator, "added_on": review.notified_on},
        )


def _home_office_ready(review, action, by) -> dict:
    """Upload what the Home Office steps ask for (the documents before sign-off, the panel's
    letter before its outcome); return the step's effects."""
    if action == "complete_draft" and not review.documents.filter(kind="overview_report").exists():
        submission_documents_upload(review=review, by=by)
    if action.startswith("record_qa_"):
        qa_letter_upload(review=review, by=by)
    if action == "record_qa_approved_subject_to_changes":
        return {"areas": DEMO_AREAS}
    return {}


def _with_decision(steps, decision):
    if decision == "yes":
        return [("decide_to_commission", "reason"), *steps]
    if decision == "no":
        return [("decide_not_to_commission", "reason"), *steps]
    return steps


def _details(action, extra, pseudonym, people) -> dict:
    details = {}
    if extra == "reason":
        details["reason"] = "Recorded for the demonstration."
    if extra == "chair":
        details.update(
            chair=people["independent.chair@demo.example"],
            victim_pseudonym=pseudonym,
            perpetrator_pseudonym="Mr A",
        )
    if action == "pause":
        details.update(pause_reason="criminal_proceedings", reason="Trial listed at crown court.")
    return details
