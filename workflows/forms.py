"""Forms for starting a review and for each lifecycle step."""

from django import forms
from django.utils import timezone

from project.forms import GovukDateField
from workflows.models import Agency, Partnership, Role, User
from workflows.stages import GuidanceVersion, PauseReason, QaOutcome, ReviewType


class StartReviewForm(forms.Form):
    """The facts of a notification of death, as the referring agency gives them."""

    partnership = forms.ModelChoiceField(
        error_messages={"required": "Select the Community Safety Partnership"},
        queryset=Partnership.objects.none(),
        empty_label=None,
        label="Community Safety Partnership",
    )
    referred_by = forms.CharField(
        error_messages={"required": "Enter who notified the partnership"},
        label="Who notified the partnership",
        max_length=200,
        help_text="The agency that told the partnership of the death, for example the police.",
    )
    date_of_death = GovukDateField(label="Date of death", help_text="For example, 27 3 2027")
    notified_on = GovukDateField(
        label="Date of notification",
        help_text="The date the death came to the partnership's attention. For example, 2 4 2027",
    )
    victim_real_name = forms.CharField(
        error_messages={"required": "Enter the full name of the person who died"},
        label="Full name of the person who died",
        max_length=200,
        help_text="Restricted: shown only to the coordinator, CSP chair and independent chair. "
        "It never appears in an email or a published document.",
    )
    perpetrator_real_name = forms.CharField(
        label="Full name of the alleged perpetrator (optional)",
        max_length=200,
        required=False,
        help_text="Restricted, like the name of the person who died.",
    )
    circumstances = forms.CharField(
        label="Circumstances (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Restricted. A short summary of what is known.",
    )
    review_type = forms.ChoiceField(
        error_messages={"required": "Select the type of review"},
        label="Type of review",
        choices=ReviewType.choices,
        widget=forms.RadioSelect,
        initial=ReviewType.DHR,
    )
    guidance_version = forms.ChoiceField(
        error_messages={"required": "Select the guidance the review runs under"},
        label="Guidance the review runs under",
        choices=GuidanceVersion.choices,
        widget=forms.RadioSelect,
        initial=GuidanceVersion.DECEMBER_2016,
    )
    agencies = forms.ModelMultipleChoiceField(
        label="Agencies to ask whether they knew the people involved (optional)",
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = partnerships
        self.fields["agencies"].queryset = Agency.objects.filter(partnership__in=partnerships)
        if partnerships.count() == 1:
            self.fields["partnership"].widget = forms.HiddenInput()
            self.fields["partnership"].initial = partnerships.first()

    def clean(self):
        data = super().clean()
        death, notified = data.get("date_of_death"), data.get("notified_on")
        today = timezone.localdate()
        if death and death > today:
            self.add_error("date_of_death", "Date of death must be today or in the past")
        if notified and notified > today:
            self.add_error("notified_on", "Date of notification must be today or in the past")
        if death and notified and notified < death:
            self.add_error(
                "notified_on", "Date of notification must be on or after the date of death"
            )
        partnership, agencies = data.get("partnership"), data.get("agencies") or []
        if partnership and any(agency.partnership_id != partnership.pk for agency in agencies):
            self.add_error("agencies", "Choose agencies of the selected partnership")
        return data


class StepForm(forms.Form):
    """A lifecycle step: the date it happened and, where it matters, the reasons."""

    stage = forms.CharField(widget=forms.HiddenInput)
    on = GovukDateField(label="Date")
    reason = forms.CharField(
        label="Reasons", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, step, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.step, self.review = step, review
        self.fields["on"].label = step.date_label
        self.fields["on"].initial = timezone.localdate()
        if step.reason_label:
            self.fields["reason"].label = step.reason_label
            self.fields["reason"].help_text = step.reason_hint
            self.fields["reason"].required = step.reason_required
            self.fields["reason"].error_messages["required"] = f"Enter {step.reason_label.lower()}"
        else:
            del self.fields["reason"]

    def clean_on(self):
        """The service refuses these dates too; here the message names the date field."""
        on, label = self.cleaned_data["on"], self.fields["on"].label
        if on > timezone.localdate():
            raise forms.ValidationError(f"{label} must be today or in the past")
        pause = self.review.pauses.filter(resumed_on__isnull=True).first()
        if self.review.is_paused and pause is not None:
            earliest, what = pause.paused_on, "the date the review was paused"
        else:
            earliest, what = self.review.notified_on, "the date of notification"
        if on < earliest:
            raise forms.ValidationError(
                f"{label} must be on or after {what} ({earliest:%-d %B %Y})"
            )
        return on

    def transition(self) -> str:
        """The name of the lifecycle transition this form's answers choose."""
        return self.step.transitions[0]

    def details(self) -> dict:
        """Extra keyword arguments for the transition."""
        return {}

    def effects(self) -> dict:
        """Answers for the step's effect (see ``workflows.services.step_effects``)."""
        return {}


class DecisionForm(StepForm):
    commissioned = forms.TypedChoiceField(
        error_messages={"required": "Select whether the death meets the criteria for a review"},
        label="Does the death meet the criteria for a review?",
        choices=[("yes", "Yes, hold a review"), ("no", "No, do not hold a review")],
        widget=forms.RadioSelect,
        help_text="The Home Office is told of the decision either way.",
    )
    field_order = ["commissioned", "on", "reason"]

    def clean(self):
        data = super().clean()
        if data.get("commissioned") == "no" and not data.get("reason", "").strip():
            self.add_error(
                "reason", "Enter the reasons for not holding a review: the Home Office needs them"
            )
        return data

    def transition(self) -> str:
        if self.cleaned_data["commissioned"] == "yes":
            return "decide_to_commission"
        return "decide_not_to_commission"


class QaOutcomeForm(StepForm):
    outcome = forms.ChoiceField(
        error_messages={"required": "Select what the Home Office quality assurance panel decided"},
        label="What did the Home Office quality assurance panel decide?",
        choices=QaOutcome.choices,
        widget=forms.RadioSelect,
    )
    areas = forms.CharField(
        label="Areas for final development",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Only when approved subject to changes: copy each area from the letter onto "
        "a line of its own. Each becomes a checklist item to tick off before publication.",
    )
    field_order = ["outcome", "areas", "on", "reason"]
    TRANSITIONS = {
        QaOutcome.APPROVED: "record_qa_approved",
        QaOutcome.APPROVED_SUBJECT_TO_CHANGES: "record_qa_approved_subject_to_changes",
        QaOutcome.RESUBMIT: "record_qa_resubmit",
    }

    def transition(self) -> str:
        return self.TRANSITIONS[self.cleaned_data["outcome"]]

    def clean(self):
        data = super().clean()
        lines = [line.strip() for line in data.get("areas", "").splitlines() if line.strip()]
        data["areas"] = lines
        if data.get("outcome") == QaOutcome.APPROVED_SUBJECT_TO_CHANGES and not lines:
            self.add_error(
                "areas",
                "Enter the areas for final development from the Home Office's letter, "
                "one on each line",
            )
        return data

    def effects(self) -> dict:
        # Ignored for the other outcomes: only "approved subject to changes" has areas.
        if self.cleaned_data["outcome"] == QaOutcome.APPROVED_SUBJECT_TO_CHANGES:
            return {"areas": self.cleaned_data["areas"]}
        return {}


class AppointChairForm(StepForm):
    chair = forms.ModelChoiceField(
        error_messages={"required": "Select the independent chair"},
        label="Independent chair",
        queryset=User.objects.none(),
        empty_label="Choose the independent chair",
        help_text="Must be independent of every agency involved (2016 guidance, paragraph 39).",
    )
    victim_pseudonym = forms.CharField(
        error_messages={"required": "Enter a pseudonym for the person who died"},
        label="Pseudonym for the person who died",
        max_length=100,
        help_text="Agreed with the family. Used in every email and published document.",
    )
    perpetrator_pseudonym = forms.CharField(
        label="Pseudonym for the alleged perpetrator (optional)", max_length=100, required=False
    )
    field_order = ["chair", "victim_pseudonym", "perpetrator_pseudonym", "on"]

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, review=review, **kwargs)
        self.fields["chair"].queryset = User.objects.filter(
            memberships__partnership=review.partnership,
            memberships__role=Role.INDEPENDENT_CHAIR,
            is_active=True,
        ).distinct()
        self.fields["chair"].initial = review.independent_chair_id
        self.fields["victim_pseudonym"].initial = review.victim_pseudonym
        self.fields["perpetrator_pseudonym"].initial = review.perpetrator_pseudonym

    def clean_victim_pseudonym(self):
        pseudonym = self.cleaned_data["victim_pseudonym"].strip()
        if pseudonym.casefold() in self.review.victim_real_name.casefold():
            raise forms.ValidationError("The pseudonym must not be part of the real name")
        return pseudonym

    def details(self) -> dict:
        return {
            "chair": self.cleaned_data["chair"],
            "victim_pseudonym": self.cleaned_data["victim_pseudonym"],
            "perpetrator_pseudonym": self.cleaned_data["perpetrator_pseudonym"],
        }


class CompleteDraftForm(StepForm):
    documents = forms.MultipleChoiceField(
        error_messages={"required": "Select the documents that are final"},
        label="Which documents are final?",
        choices=[
            ("overview_report", "Overview report"),
            ("executive_summary", "Executive summary"),
            ("action_plan", "Action plan"),
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text="All three must be final before the partnership can sign the report off.",
    )
    field_order = ["documents", "on"]

    def clean_documents(self):
        documents = self.cleaned_data["documents"]
        if len(documents) < 3:
            raise forms.ValidationError(
                "Select all three documents: the overview report, executive summary and action plan"
            )
        return documents


class PauseForm(StepForm):
    pause_reason = forms.ChoiceField(
        error_messages={"required": "Select why the review is being paused"},
        label="Why is the review being paused?",
        choices=PauseReason.choices,
        widget=forms.RadioSelect,
    )
    field_order = ["pause_reason", "reason", "on"]

    def clean(self):
        data = super().clean()
        if data.get("pause_reason") == PauseReason.OTHER and not data.get("reason", "").strip():
            self.add_error("reason", "Enter the reason for pausing the review")
        return data

    def details(self) -> dict:
        return {"pause_reason": self.cleaned_data["pause_reason"]}
