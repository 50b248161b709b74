"""Preparing a review for publication, publishing it and, later, archiving its page.

Restricted names are written here and nowhere else; no log line, message or history row ever
holds one (logs name the review and the relationship only).
"""

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from workflows.models import Publication, PublishedDocument, RestrictedName, Review
from workflows.models.publication import CriminalProceedings
from workflows.publication import access
from workflows.publication.gate import documents_to_publish, publication_refusals
from workflows.services.errors import TransitionRefused
from workflows.stages import ReviewType, Stage
from workflows.timescales import add_months

logger = logging.getLogger(__name__)

# Stages at which the publication facts may still change: before publishing, including while
# the review is paused at publication (typically for criminal proceedings).
PREPARING = Stage.PUBLICATION


class PublicationRefused(Exception):
    """A publication change the rules do not allow, with the message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_preparing(review: Review) -> bool:
    """Whether the publication facts may still change: at publication, or paused there."""
    return review.stage == PREPARING or (
        review.stage == Stage.PAUSED and review.stage_before_pause == PREPARING
    )


def is_at_publication_or_later(review: Review) -> bool:
    return is_preparing(review) or review.stage in (Stage.ACTION_PLAN, Stage.CLOSED)


def publication_get_or_create(*, review: Review) -> Publication:
    """The review's publication row, created the first time it is needed."""
    publication, _ = Publication.objects.get_or_create(review=review)
    return publication


def publication_update(
    *,
    review: Review,
    by,
    criminal_proceedings: str,
    proceedings_concluded_on: date | None,
    proceedings_override_reason: str,
    planned_on: date | None,
    family_told_on: date | None,
    condolence_statement: str,
    partnership_response: str,
) -> Publication:
    """Record what the gate checks before publication. An override reason is kept only while
    proceedings are ongoing, and a conclusion date only when they have concluded."""
    if not access.can_prepare_publication(review, by):
        raise PermissionDenied("Only the coordinator can prepare a review for publication.")
    with transaction.atomic():
        # The review's row, locked: publishing takes the same lock, so what it checks and
        # publishes cannot change between its name check and its commit.
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if not is_preparing(locked):
            raise PublicationRefused("The publication details can only change before publication.")
        publication = publication_get_or_create(review=review)
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        ongoing = criminal_proceedings == CriminalProceedings.ONGOING
        override = proceedings_override_reason.strip() if ongoing else ""
        if override != publication.proceedings_override_reason:
            publication.proceedings_override_by = by if override else None
        publication.criminal_proceedings = criminal_proceedings
        publication.proceedings_concluded_on = (
            proceedings_concluded_on
            if criminal_proceedings == CriminalProceedings.CONCLUDED
            else None
        )
        publication.proceedings_override_reason = override
        publication.planned_on = planned_on
        publication.family_told_on = family_told_on
        publication.condolence_statement = condolence_statement.strip()
        publication.partnership_response = partnership_response.strip()
        publication.save()
    logger.info("review %s: publication details updated by user %s", review.reference, by.pk)
    return publication


def restricted_name_add(*, review: Review, by, name: str, relationship: str) -> RestrictedName:
    """Add a real name that must never be published (a family member's, a friend's)."""
    if not access.can_manage_restricted_names(review, by):
        raise PermissionDenied("Only the coordinator and the chair can manage restricted names.")
    name, relationship = " ".join(name.split()), relationship.strip()
    if not name or not relationship:
        raise PublicationRefused("Enter the name and how they are related to the person who died.")
    if review.restricted_names.filter(name__iexact=name).exists():
        raise PublicationRefused("That name is already on the list.")
    restricted = RestrictedName.objects.create(
        review=review, name=name, relationship=relationship, added_by=by
    )
    logger.info(
        "review %s: restricted name %s (%s) added by user %s",
        review.reference,
        restricted.pk,
        relationship,
        by.pk,
    )
    return restricted


def restricted_name_remove(*, restricted: RestrictedName, by) -> None:
    """Remove a restricted name; the name check no longer looks for it."""
    if not access.can_manage_restricted_names(restricted.review, by):
        raise PermissionDenied("Only the coordinator and the chair can manage restricted names.")
    logger.info(
        "review %s: restricted name %s (%s) removed by user %s",
        restricted.review.reference,
        restricted.pk,
        restricted.relationship,
        by.pk,
    )
    restricted.delete()


def publication_publish(*, review: Review, by, on: date, reason: str = "", **effects) -> None:
    """The ``publish`` step's effect, in its transaction: record what was published and when the
    page may come down, and that the statutory copies went (``review_published`` queues them in
    the same transaction, after this)."""
    # Checked again here, in the step's transaction: a new version uploaded since the guards
    # ran would otherwise be published unchecked.
    refusals = publication_refusals(review)
    if refusals:
        raise TransitionRefused(refusals)
    publication = publication_get_or_create(review=review)
    publication.documents.all().delete()
    for position, version in enumerate(documents_to_publish(review)):
        PublishedDocument.objects.create(
            publication=publication,
            version=version,
            title=version.document.title or version.document.get_kind_display(),
            position=position,
        )
    now = timezone.now()
    publication.published_on = on
    publication.keep_until = add_months(on, settings.PUBLISHED_PAGES_KEEP_MONTHS)
    publication.archived_on, publication.archived_by = None, None
    publication.commissioner_copy_sent_at = now
    if review.review_type == ReviewType.DARDR:
        publication.secretary_of_state_copy_sent_at = now
    publication.save()


def publication_archive(*, review: Review, by, on: date) -> Publication:
    """Take a published review's page down, on or after the date it must stay up until."""
    if not access.can_prepare_publication(review, by):
        raise PermissionDenied("Only the coordinator can archive a published review.")
    publication = Publication.objects.filter(review=review).first()
    if publication is None or publication.published_on is None:
        raise PublicationRefused("This review has not been published.")
    if publication.archived_on is not None:
        raise PublicationRefused("This review's page is already archived.")
    if on > timezone.localdate():
        raise PublicationRefused("The date cannot be in the future.")
    if publication.keep_until and on < publication.keep_until:
        raise PublicationRefused(
            f"Published reviews must stay up until {publication.keep_until:%-d %B %Y}."
        )
    publication.archived_on, publication.archived_by = on, by
    publication.save(update_fields=["archived_on", "archived_by", "updated_at"])
    logger.info("review %s: published page archived by user %s", review.reference, by.pk)
    return publication
