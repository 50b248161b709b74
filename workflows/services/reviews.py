"""Starting a review from a notification."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from notifications.outbox import email_queue
from workflows.models import Agency, Partnership, Review, ReviewAgency, ReviewHistory
from workflows.services.deadlines import deadlines_recompute
from workflows.services.lifecycle import TransitionRefused
from workflows.services.tasks import process_start
from workflows.stages import GuidanceVersion, ReviewType, Stage


def review_start(
    *,
    partnership: Partnership,
    by,
    date_of_death: date,
    notified_on: date,
    referred_by: str,
    victim_real_name: str,
    perpetrator_real_name: str = "",
    circumstances: str = "",
    review_type: str = ReviewType.DHR,
    guidance_version: str = GuidanceVersion.DECEMBER_2016,
    agencies: list[Agency] = (),
) -> Review:
    """Record a notification of a death: the review starts at "Notified" and its decision clock
    (one month) starts on the date of notification."""
    _check_dates(date_of_death=date_of_death, notified_on=notified_on)
    with transaction.atomic():
        # Lock the partnership so two notifications recorded at once get different references.
        Partnership.objects.select_for_update().get(pk=partnership.pk)
        review = Review.objects.create(
            partnership=partnership,
            reference=next_reference(partnership, notified_on.year),
            review_type=review_type,
            guidance_version=guidance_version,
            victim_real_name=victim_real_name.strip(),
            perpetrator_real_name=perpetrator_real_name.strip(),
            circumstances=circumstances.strip(),
            referred_by=referred_by.strip(),
            date_of_death=date_of_death,
            notified_on=notified_on,
        )
        ReviewAgency.objects.bulk_create(
            ReviewAgency(review=review, agency=agency, added_on=notified_on) for agency in agencies
        )
        ReviewHistory.objects.create(
            review=review,
            action="notify",
            to_stage=Stage.NOTIFIED,
            by=by,
            effective_on=notified_on,
            reason=f"Notification received from {review.referred_by}.",
        )
        deadlines_recompute(review=review)
        email_queue("review_notified", review=review)
        process_start(review=review)
    return review


def _check_dates(*, date_of_death: date, notified_on: date) -> None:
    today = timezone.localdate()
    problems = []
    if date_of_death > today:
        problems.append("The date of death cannot be in the future.")
    if notified_on > today:
        problems.append("The date of notification cannot be in the future.")
    if date_of_death > notified_on:
        problems.append("The date of notification cannot be before the date of death.")
    if problems:
        raise TransitionRefused(problems)


def next_reference(partnership: Partnership, year: int) -> str:
    """The partnership's next reference for the year, e.g. DEMO-2027-03."""
    prefix = f"{partnership.code}-{year}-"
    existing = Review.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    numbers = [
        int(ref.removeprefix(prefix)) for ref in existing if ref.removeprefix(prefix).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"
