"""The authorisation matrix's data: one review (and one of another partnership) driven through
the real services to the agency reports stage, with its people, documents and flow tasks.

Built once per test module inside a transaction that is rolled back at the end (see the
``world`` fixture in ``tests/test_authorization.py``); each test runs in a savepoint inside it.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from viewflow.workflow.models import Task

from notifications.calendar import calendar_feed_create, calendar_feed_revoke, feed_for_token
from tests.factories import AgencyFactory, MembershipFactory, PartnershipFactory, UserFactory
from workflows.models import (
    Cover,
    DevelopmentArea,
    DocumentKind,
    Participant,
    ParticipantRole,
    Publication,
    PublishedDocument,
    QaSubmission,
    Recommendation,
    Region,
    RestrictedName,
    Review,
    Role,
)
from workflows.services.agency_reports import agency_task_complete
from workflows.services.documents import document_upload
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.services.tasks import OPEN, process_for

ON = date(2027, 5, 1)
VICTIM = "Zelda Inventedname"
PERPETRATOR = "Quentin Madeupname"
OTHER_VICTIM = "Yolanda Otherperson"
OTHER_PERPETRATOR = "Xavier Elsewhere"
# Restricted strings that must never reach anyone outside the partnership's need to know.
REAL_NAMES = (VICTIM, PERPETRATOR)
OTHER_REAL_NAMES = (OTHER_VICTIM, OTHER_PERPETRATOR)

# URL namespaces and prefixes that are not the product's pages.
SKIPPED_NAMESPACES = {"admin", "anymail"}
SKIPPED_PREFIXES = ("admin/", "static", "anymail", "media")


def pdf(label: str) -> bytes:
    """A minimal PDF whose bytes say which document it is, so a download proves which file."""
    return f"%PDF-1.4\n% {label}\n%%EOF\n".encode()


@dataclass
class World:
    review: Review
    other: Review
    users: dict  # persona -> User (no "anonymous")
    agencies: dict  # "police", "health", "housing", "other"
    versions: dict  # key -> DocumentVersion
    bodies: dict  # key -> bytes of that version
    tasks: dict  # key -> Task
    participants: dict  # key -> Participant
    invitation: dict  # uidb64, token
    partnerships: dict = field(default_factory=dict)  # "testshire", "other"
    covers: dict = field(default_factory=dict)  # key -> Cover
    colleague: object = None  # a partnership member who is on no review: a delegate to cover
    feeds: dict = field(default_factory=dict)  # key -> (CalendarFeed, its secret token)
    # Home Office submission, area for final development, restricted name, recommendation, and
    # an unpublished publication's document token: key -> object.
    publishing: dict = field(default_factory=dict)


def product_url_names() -> set[str]:
    """Every named URL of the product (``namespace:name``), walked from the root resolver."""
    names: set[str] = set()

    def walk(patterns, namespace, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                if pattern.namespace in SKIPPED_NAMESPACES:
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, route)
            elif isinstance(pattern, URLPattern):
                # A pattern without a name cannot be covered by this matrix: it counts as missing.
                names.add(f"{namespace}{pattern.name or '<unnamed ' + route + '>'}")

    walk(get_resolver().url_patterns, "", "")
    return names


def _person(partnership, email, role=None, agency=None):
    user = UserFactory(email=email, full_name=email.split("@")[0].replace(".", " ").title())
    if role:
        MembershipFactory(user=user, partnership=partnership, role=role, agency=agency)
    return user


def _drive_to_agency_reports(partnership, coordinator, chair, agencies, victim, perpetrator):
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name=victim,
        perpetrator_real_name=perpetrator,
        circumstances=f"{victim} was found at home; {perpetrator} was arrested.",
        agencies=agencies,
    )
    for action, extra in [
        ("decide_to_commission", {}),
        ("appoint_independent_chair", {"chair": chair, "victim_pseudonym": "Robin"}),
        ("complete_setup", {}),
        ("agree_terms_of_reference", {}),
    ]:
        review = review_transition(review=review, action=action, by=coordinator, on=ON, **extra)
    return review


def _open_task(review, name, agency=None) -> Task:
    tasks = Task.objects.filter(process=process_for(review), status__in=OPEN).order_by("pk")
    for task in tasks:
        if task.flow_task.name != name:
            continue
        if (
            agency is None
            or review.review_agencies.filter(
                pk=task.data.get("review_agency"), agency=agency
            ).exists()
        ):
            return task
    raise LookupError(f"no open {name} task for {agency} on {review}")


def _upload(review, kind, by, agency=None, name=None, label=None):
    body = pdf(label or f"{review.reference} {kind} {agency}")
    version = document_upload(
        review=review,
        kind=kind,
        agency=agency,
        uploaded_file=SimpleUploadedFile(name or f"{kind}.pdf", body, "application/pdf"),
        by=by,
    )
    return version, body


@contextmanager
def world_rolled_back(django_db_blocker, media, today):
    """The world built once (on ``today``, files under ``media``) for a module's tests, inside a
    transaction rolled back when the block ends; each test runs in a savepoint of its own."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with time_machine.travel(today, tick=False):
                built = build_world()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def build_world() -> World:
    partnership = PartnershipFactory(
        name="Testshire Community Safety Partnership", slug="testshire", code="TEST"
    )
    police = AgencyFactory(partnership=partnership, name="Testshire Police")
    health = AgencyFactory(partnership=partnership, name="Testshire Health Trust")
    housing = AgencyFactory(partnership=partnership, name="Testshire Housing")
    users = {
        "coordinator": _person(partnership, "coordinator@test.example", Role.COORDINATOR),
        "csp_chair": _person(partnership, "csp.chair@test.example", Role.CSP_CHAIR),
        "chair": _person(partnership, "independent.chair@test.example", Role.INDEPENDENT_CHAIR),
        "police_author": _person(
            partnership, "police.author@test.example", Role.AGENCY_AUTHOR, police
        ),
        "police_manager": _person(
            partnership, "police.manager@test.example", Role.SENIOR_MANAGER, police
        ),
        "health_author": _person(
            partnership, "health.author@test.example", Role.AGENCY_AUTHOR, health
        ),
        "panel_member": _person(partnership, "panel.member@test.example"),
        "outsider": _person(None, "outsider@test.example"),
    }
    coordinator, chair = users["coordinator"], users["chair"]
    review = _drive_to_agency_reports(
        partnership, coordinator, chair, [police, health], VICTIM, PERPETRATOR
    )
    participants = {}
    for key, role, agency in [
        ("police_author", ParticipantRole.AGENCY_AUTHOR, police),
        ("police_manager", ParticipantRole.SENIOR_MANAGER, police),
        ("health_author", ParticipantRole.AGENCY_AUTHOR, health),
        ("panel_member", ParticipantRole.PANEL_MEMBER, None),
    ]:
        participants[key] = Participant.objects.create(
            review=review, user=users[key], role=role, agency=agency, added_by=coordinator
        )
    # Someone invited who has not yet created a password: the target of "send again".
    invitee = UserFactory(email="invitee@test.example", full_name="Ivy Invitee")
    invitee.set_unusable_password()
    invitee.save(update_fields=["password"])
    participants["invitee"] = Participant.objects.create(
        review=review, user=invitee, role=ParticipantRole.PANEL_MEMBER, added_by=coordinator
    )

    versions, bodies = {}, {}

    def keep(key, uploaded):
        versions[key], bodies[key] = uploaded

    keep("terms", _upload(review, DocumentKind.TERMS_OF_REFERENCE, coordinator, label="terms"))
    # The uploaded file name holds the real name, as a careless upload might: only those who
    # may see real names may see the file name.
    keep(
        "police_chronology",
        _upload(
            review,
            DocumentKind.CHRONOLOGY,
            users["police_author"],
            police,
            name=f"{VICTIM} chronology.pdf",
            label="police chronology",
        ),
    )
    keep(
        "police_report",
        _upload(
            review,
            DocumentKind.AGENCY_REPORT,
            users["police_author"],
            police,
            label="police report",
        ),
    )
    keep(
        "health_chronology",
        _upload(
            review,
            DocumentKind.CHRONOLOGY,
            users["health_author"],
            health,
            label="health chronology",
        ),
    )
    keep(
        "combined",
        _upload(review, DocumentKind.COMBINED_CHRONOLOGY, chair, label="combined chronology"),
    )

    tasks = {"chair_task": _open_task(review, "agency_reports")}
    tasks["police_scoping"] = _open_task(review, "agency_scoping", police)
    agency_task_complete(
        task=tasks["police_scoping"],
        review=review,
        by=users["police_author"],
        on=ON,
        answer="involved",
    )
    tasks["police_report"] = _open_task(review, "agency_report", police)
    agency_task_complete(
        task=tasks["police_report"], review=review, by=users["police_author"], on=ON
    )
    tasks["police_sign_off"] = _open_task(review, "agency_sign_off", police)
    tasks["health_scoping"] = _open_task(review, "agency_scoping", health)

    # Another partnership's review, at the same stage, with its own people and documents.
    elsewhere = PartnershipFactory(
        name="Otherborough Community Safety Partnership", slug="otherborough", code="OTHR"
    )
    other_agency = AgencyFactory(partnership=elsewhere, name="Otherborough Police")
    other_coordinator = _person(elsewhere, "coordinator@other.example", Role.COORDINATOR)
    other_chair = _person(elsewhere, "chair@other.example", Role.INDEPENDENT_CHAIR)
    other_author = _person(elsewhere, "author@other.example", Role.AGENCY_AUTHOR, other_agency)
    other = _drive_to_agency_reports(
        elsewhere,
        other_coordinator,
        other_chair,
        [other_agency],
        OTHER_VICTIM,
        OTHER_PERPETRATOR,
    )
    participants["other"] = Participant.objects.create(
        review=other,
        user=other_author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=other_agency,
        added_by=other_coordinator,
    )
    keep(
        "other_report",
        _upload(
            other,
            DocumentKind.AGENCY_REPORT,
            other_coordinator,
            other_agency,
            label="other report",
        ),
    )
    tasks["other_scoping"] = _open_task(other, "agency_scoping", other_agency)

    # A cover the police author arranged for next week: planned, so it changes no access now.
    week = timedelta(days=7)
    today = date.today()
    covers = {
        "planned": Cover.objects.create(
            person=users["police_author"],
            delegate=users["police_manager"],
            partnership=partnership,
            starts_on=today + week,
            ends_on=today + 2 * week,
            reason="Annual leave",
            created_by=users["police_author"],
        ),
        "other": Cover.objects.create(
            person=other_author,
            delegate=other_coordinator,
            partnership=elsewhere,
            starts_on=today + week,
            ends_on=today + 2 * week,
            reason="Annual leave",
            created_by=other_coordinator,
        ),
    }
    colleague = _person(partnership, "colleague@test.example", Role.AGENCY_AUTHOR, housing)

    feeds = _calendar_feeds(users, partnership)
    # A region holding this partnership: nobody in the matrix has regional access to it.
    Region.objects.create(name="North", slug="north").partnerships.add(partnership)
    invitation = {
        "uidb64": urlsafe_base64_encode(force_bytes(invitee.pk)),
        "token": default_token_generator.make_token(invitee),
    }
    return World(
        review=Review.objects.get(pk=review.pk),
        other=Review.objects.get(pk=other.pk),
        users=users,
        agencies={"police": police, "health": health, "housing": housing, "other": other_agency},
        versions=versions,
        bodies=bodies,
        tasks=tasks,
        participants=participants,
        invitation=invitation,
        partnerships={"testshire": partnership, "other": elsewhere},
        covers=covers,
        colleague=colleague,
        feeds=feeds,
        publishing=_publishing(review, users, police, versions),
    )


def _publishing(review, users, police, versions) -> dict:
    """The later stages' records, made directly on the review at agency reports: its pages must
    still answer only those who may see them (the services' own stage rules are tested with
    them). The publication is not published, so its document token must be a 404 to all."""
    coordinator = users["coordinator"]
    submission = QaSubmission(
        review=review,
        number=1,
        submitted_on=ON,
        submitted_by=coordinator,
        pack_sha256="0" * 64,
        pack_size=len(pdf("pack")),
        contents=[],
    )
    submission.pack.save("pack.zip", ContentFile(pdf("pack")), save=False)
    submission.save()
    publication = Publication.objects.create(review=review)
    return {
        "submission": submission,
        "area": DevelopmentArea.objects.create(
            review=review, submission=submission, text="Explain the housing referral."
        ),
        "restricted_name": RestrictedName.objects.create(
            review=review, name="Wilma Sistername", relationship="Sister", added_by=coordinator
        ),
        "recommendation": Recommendation.objects.create(
            review=review,
            number=1,
            text="Train call handlers to recognise coercive control.",
            owner_agency=police,
            owner=users["police_author"],
            due_on=ON + timedelta(days=90),
        ),
        "unpublished_document": PublishedDocument.objects.create(
            publication=publication, version=versions["terms"], title="Terms of reference"
        ),
    }


def _calendar_feeds(users, partnership) -> dict:
    """The coordinator's partnership feed, the outsider's (empty) own feed, a revoked one."""
    made = {
        "coordinator": calendar_feed_create(
            owner=users["coordinator"], kind="partnership", partnership=partnership
        ),
        "outsider": calendar_feed_create(owner=users["outsider"], kind="my_deadlines"),
        "revoked": calendar_feed_create(owner=users["csp_chair"], kind="my_deadlines"),
    }
    feeds = {key: (feed_for_token(token), token) for key, token in made.items()}
    calendar_feed_revoke(feed=feeds["revoked"][0], by=users["csp_chair"])
    return feeds
