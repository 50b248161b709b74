"""Reviews at the later stages, made inside a test from the module's world (its partnership,
police, coordinator and chair), for the forms that only answer at those stages."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.authorization_cases import pdf
from tests.conftest import AGENCIES_REPORTED, _facts_for
from tests.factories import ReviewFactory
from workflows.models import (
    Participant,
    ParticipantRole,
    Publication,
    PublishedDocument,
    Recommendation,
    Review,
)
from workflows.services.documents import document_upload
from workflows.services.lifecycle import review_transition
from workflows.services.reviews import review_start
from workflows.stages import Stage


def review_at(world, stage: str) -> Review:
    """A review of the world's partnership already at ``stage``, with the facts that stage
    implies (the same shortcut as ``review_at`` in tests/conftest.py), the police in scope and
    the police author taking part."""
    made = ReviewFactory(partnership=world.partnerships["testshire"])
    police = world.agencies["police"]
    involvement = "not_involved" if stage in AGENCIES_REPORTED else ""
    made.review_agencies.create(agency=police, involvement=involvement)
    paused_from = Stage.AGENCY_REPORTS
    facts = _facts_for(paused_from if stage == Stage.PAUSED else stage, world.users["chair"])
    extra = {"stage_before_pause": paused_from} if stage == Stage.PAUSED else {}
    Review.objects.filter(pk=made.pk).update(stage=stage, **facts, **extra)
    if stage == Stage.PAUSED:
        made.pauses.create(
            reason="inquest",
            stage=paused_from,
            paused_on=date(2027, 4, 1),
            paused_by=world.users["chair"],
        )
    Participant.objects.create(
        review=made,
        user=world.users["police_author"],
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=world.users["coordinator"],
    )
    return Review.objects.get(pk=made.pk)


def uploaded(world, review: Review, kind: str, agency=None, by=None):
    """A PDF of ``kind`` uploaded to the review through the real service."""
    return document_upload(
        review=review,
        kind=kind,
        agency=agency,
        uploaded_file=SimpleUploadedFile(f"{kind}.pdf", pdf(kind), "application/pdf"),
        by=by or world.users["coordinator"],
    )


def with_recommendation(world, review: Review, status: str = "not_started") -> Recommendation:
    """Recommendation 1 of the review's action plan, owned by the police author."""
    return Recommendation.objects.create(
        review=review,
        number=1,
        text="Train call handlers to recognise coercive control.",
        owner_agency=world.agencies["police"],
        owner=world.users["police_author"],
        due_on=date(2027, 9, 1),
        status=status,
    )


def published(world, review: Review, published_on=date(2026, 1, 1)) -> Publication:
    """The review's publication, on the public pages since ``published_on`` (long enough ago
    that it may be archived), with one document."""
    version = uploaded(world, review, "overview_report")
    publication = Publication.objects.create(
        review=review, published_on=published_on, keep_until=published_on
    )
    PublishedDocument.objects.create(publication=publication, version=version, title="Overview")
    return publication


def at_terms_of_reference_with_panel(world) -> Review:
    """A review driven through the real services to the terms of reference, where the panel
    member is asked for comments."""
    coordinator = world.users["coordinator"]
    on = date(2027, 3, 1)
    review = review_start(
        partnership=world.partnerships["testshire"],
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )
    review = review_transition(review=review, action="decide_to_commission", by=coordinator, on=on)
    review = review_transition(
        review=review,
        action="appoint_independent_chair",
        by=coordinator,
        on=on,
        chair=world.users["chair"],
        victim_pseudonym="Robin",
    )
    Participant.objects.create(
        review=review,
        user=world.users["panel_member"],
        role=ParticipantRole.PANEL_MEMBER,
        added_by=coordinator,
    )
    return review_transition(review=review, action="complete_setup", by=coordinator, on=on)
