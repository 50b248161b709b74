"""Who takes part in one review, in which role and for which agency.

Roles here are held per review, never partnership-wide: taking part in one review shows nothing
of another. The independent chair is ``Review.independent_chair`` (appointed by the lifecycle);
coordinators and CSP chairs hold partnership ``Membership`` roles.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from workflows.models.people import Agency
from workflows.models.reviews import Review


class ParticipantRole(models.TextChoices):
    REPORT_AUTHOR = "report_author", "Report author"
    PANEL_MEMBER = "panel_member", "Review panel member"
    AGENCY_AUTHOR = "agency_author", "Agency report (IMR) author"
    SENIOR_MANAGER = "senior_manager", "Agency senior manager"


# Roles held on behalf of an agency: the agency must be named and be in the review's scope.
AGENCY_ROLES = (ParticipantRole.AGENCY_AUTHOR, ParticipantRole.SENIOR_MANAGER)


class ParticipantQuerySet(models.QuerySet):
    def active(self) -> "ParticipantQuerySet":
        return self.filter(ended_on__isnull=True)


class Participant(models.Model):
    """A person's role on one review; ending it (never deleting it) keeps the record of who
    took part."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=30, choices=ParticipantRole.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["role", "agency__name", "user__full_name", "user__email"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=AGENCY_ROLES) | models.Q(agency__isnull=False),
                name="participant_agency_role_names_agency",
            ),
            models.UniqueConstraint(
                fields=["review", "user", "role", "agency"],
                condition=models.Q(ended_on__isnull=True),
                name="one_active_participant_per_agency_role",
            ),
            # NULLs are distinct in a unique index, so roles without an agency need their own.
            models.UniqueConstraint(
                fields=["review", "user", "role"],
                condition=models.Q(ended_on__isnull=True, agency__isnull=True),
                name="one_active_participant_per_role",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "review"],
                condition=models.Q(ended_on__isnull=True),
                name="participant_active_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} - {self.review}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    def clean(self) -> None:
        if self.role in AGENCY_ROLES and self.agency_id is None:
            raise ValidationError({"agency": "Select the agency this person works for"})
        if (
            self.agency_id
            and not self.review.review_agencies.filter(agency_id=self.agency_id).exists()
        ):
            raise ValidationError({"agency": "Select an agency in the scope of this review"})
