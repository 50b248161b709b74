"""What the review page and the publication page show of publication: the gate, once published
what went out and when the statutory copies were sent."""

from dataclasses import dataclass

from django.conf import settings

from notifications.models import Email
from workflows.models import Publication
from workflows.publication import access
from workflows.publication.gate import publication_checks
from workflows.publication.services import is_at_publication_or_later, is_preparing
from workflows.stages import ReviewType

COPY_KIND = "commissioner_copy"


@dataclass(frozen=True)
class StatutoryCopy:
    """A copy of the published review sent to someone the law names."""

    to: str
    sent_at: object
    email: Email | None


def statutory_copies(publication: Publication) -> list[StatutoryCopy]:
    """The Commissioner's copy and, for a DARDR, the Secretary of State's, each with its
    latest outbox row (for the sending and delivery status)."""
    review = publication.review
    copies = [
        (
            "Domestic Abuse Commissioner",
            settings.DOMESTIC_ABUSE_COMMISSIONER_EMAIL,
            publication.commissioner_copy_sent_at,
        ),
    ]
    if review.review_type == ReviewType.DARDR:
        copies.append(
            (
                "Secretary of State",
                settings.SECRETARY_OF_STATE_EMAIL,
                publication.secretary_of_state_copy_sent_at,
            )
        )
    emails = Email.objects.filter(review=review, kind=COPY_KIND).order_by("-created_at", "-pk")
    latest = {}
    for email in emails:
        latest.setdefault(email.to_address, email)
    return [StatutoryCopy(to, sent_at, latest.get(address)) for to, address, sent_at in copies]


def publication_context(review, user) -> dict:
    """The gate (before publishing) or what was published (after), for the pages."""
    publication = Publication.objects.filter(review=review).first()
    published = publication is not None and publication.published_on is not None
    context = {
        "publication": publication,
        "published": published,
        "gate_checks": publication_checks(review) if is_preparing(review) else [],
        "can_prepare": access.can_prepare_publication(review, user) and is_preparing(review),
        "can_manage_names": access.can_manage_restricted_names(review, user),
        "can_archive": published
        and publication.archived_on is None
        and access.can_prepare_publication(review, user),
    }
    if published:
        context["published_documents"] = publication.documents.select_related("version__document")
        context["statutory_copies"] = statutory_copies(publication)
    return context


def summary(review, user) -> dict:
    """Context for the review page's partial, under one key so it cannot clash with the other
    parts' summaries: the gate or what was published, and the link to restricted names."""
    manage_names = access.can_manage_restricted_names(review, user)
    if not access.can_view_publication(review, user) or not is_at_publication_or_later(review):
        return {"publication_part": {"shown": False, "can_manage_names": manage_names}}
    context = publication_context(review, user)
    context["gate_failed"] = [check for check in context["gate_checks"] if not check.passed]
    context["shown"] = True
    return {"publication_part": context}
