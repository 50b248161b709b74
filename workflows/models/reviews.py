"""A review, its history and its pauses."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin

from workflows.lifecycle import ReviewLifecycle
from workflows.models.people import Agency, Partnership
from workflows.stages import GuidanceVersion, PauseReason, QaOutcome, ReviewType, Stage


class Review(ConcurrentTransitionMixin, ReviewLifecycle):
    """One Domestic Homicide Review (or DARDR), from notification to closure.

    Pseudonyms are public. Real names and the circumstances are restricted: they are shown only
    to those ``permissions.can_see_real_names`` allows and never leave the service.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="reviews")
    reference = models.CharField(max_length=40, unique=True)
    review_type = models.CharField(
        max_length=10, choices=ReviewType.choices, default=ReviewType.DHR
    )
    guidance_version = models.CharField(
        max_length=12, choices=GuidanceVersion.choices, default=GuidanceVersion.DECEMBER_2016
    )

    victim_pseudonym = models.CharField(max_length=100, blank=True)
    perpetrator_pseudonym = models.CharField(max_length=100, blank=True)
    victim_real_name = models.CharField(max_length=200)
    perpetrator_real_name = models.CharField(max_length=200, blank=True)
    circumstances = models.TextField(blank=True)

    referred_by = models.CharField(max_length=200)
    date_of_death = models.DateField()
    notified_on = models.DateField()
    scoping_started_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    commissioned = models.BooleanField(null=True)
    decision_reasons = models.TextField(blank=True)
    home_office_informed_on = models.DateField(null=True, blank=True)
    home_office_challenged_on = models.DateField(null=True, blank=True)
    directed_on = models.DateField(null=True, blank=True)
    commissioned_on = models.DateField(null=True, blank=True)

    independent_chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews_chaired",
    )
    chair_appointed_on = models.DateField(null=True, blank=True)
    setup_completed_on = models.DateField(null=True, blank=True)
    terms_of_reference_agreed_on = models.DateField(null=True, blank=True)
    agency_reports_completed_on = models.DateField(null=True, blank=True)
    draft_completed_on = models.DateField(null=True, blank=True)
    overview_report_final = models.BooleanField(default=False)
    executive_summary_final = models.BooleanField(default=False)
    action_plan_final = models.BooleanField(default=False)
    signed_off_on = models.DateField(null=True, blank=True)
    submitted_to_home_office_on = models.DateField(null=True, blank=True)
    home_office_submissions = models.PositiveSmallIntegerField(default=0)
    qa_outcome = models.CharField(max_length=30, choices=QaOutcome.choices, blank=True)
    qa_outcome_on = models.DateField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    agencies = models.ManyToManyField(Agency, through="ReviewAgency", related_name="reviews")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-notified_on", "reference"]
        indexes = [models.Index(fields=["partnership", "stage"], name="review_partnership_stage")]

    def __str__(self) -> str:
        return self.reference

    @property
    def display_name(self) -> str:
        """How the review is named on screen and in emails: never a real name."""
        if self.victim_pseudonym:
            return f"{self.reference} ({self.victim_pseudonym})"
        return self.reference

    @property
    def is_paused(self) -> bool:
        return self.stage == Stage.PAUSED

    @property
    def working_stage(self) -> str:
        """The stage the work is at, looking through a pause."""
        return self.stage_before_pause if self.is_paused else self.stage


class Involvement(models.TextChoices):
    UNKNOWN = "", "Not answered yet"
    INVOLVED = "involved", "Knew the people involved"
    NOT_INVOLVED = "not_involved", "No involvement (nil return)"


class ReviewAgency(models.Model):
    """An agency in the scope of a review, and how far its report has got."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="review_agencies")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    added_on = models.DateField(default=timezone.localdate)
    involvement = models.CharField(
        max_length=20, choices=Involvement.choices, blank=True, default=Involvement.UNKNOWN
    )
    scoping_answered_on = models.DateField(null=True, blank=True)
    report_submitted_on = models.DateField(null=True, blank=True)
    signed_off_on = models.DateField(null=True, blank=True)
    accepted_on = models.DateField(null=True, blank=True)
    times_sent_back = models.PositiveSmallIntegerField(default=0)
    chair_comments = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "agency"], name="agency_once_per_review")
        ]

    def __str__(self) -> str:
        return f"{self.agency} in {self.review}"

    @property
    def is_done(self) -> bool:
        """Signed off and accepted by the chair, or a nil return."""
        return self.involvement == Involvement.NOT_INVOLVED or self.accepted_on is not None

    @property
    def progress(self) -> str:
        if self.involvement == Involvement.NOT_INVOLVED:
            return "Nil return"
        if self.accepted_on:
            return "Accepted by the chair"
        if self.signed_off_on:
            return "Signed off, with the chair"
        if self.report_submitted_on:
            return "With the senior manager for sign-off"
        if self.involvement == Involvement.INVOLVED:
            return "Writing the report" + (" (sent back)" if self.times_sent_back else "")
        return "Not answered yet"


class ReviewHistory(models.Model):
    """An append-only record of each step: from, to, by, when, why."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=60)
    from_stage = models.CharField(max_length=30, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=30, choices=Stage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    effective_on = models.DateField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "review history"

    def __str__(self) -> str:
        return f"{self.review} {self.action} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        # History is evidence of who did what: rows are written once and never changed.
        if self.pk is not None:
            raise ValueError("Review history cannot be changed.")
        super().save(*args, **kwargs)


class Pause(models.Model):
    """A period when the review's clock stopped for parallel proceedings."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=30, choices=PauseReason.choices)
    detail = models.TextField(blank=True)
    stage = models.CharField(max_length=30, choices=Stage.choices)
    paused_on = models.DateField()
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resumed_on = models.DateField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["paused_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"],
                condition=models.Q(resumed_on__isnull=True),
                name="one_open_pause_per_review",
            ),
            models.CheckConstraint(
                condition=models.Q(resumed_on__isnull=True)
                | models.Q(resumed_on__gte=models.F("paused_on")),
                name="pause_resumes_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} from {self.paused_on}"

    @property
    def reason_text(self) -> str:
        """The reason in a sentence: "criminal proceedings", or the detail given for "other"."""
        if self.reason == PauseReason.OTHER and self.detail:
            return self.detail
        return self.get_reason_display().lower().replace("iopc", "IOPC")
