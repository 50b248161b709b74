"""Forms of the action plan pages. The services hold the rules; these read the answers."""

from django import forms

from project.forms import GovukDateField
from workflows.action_plan.services import NOTE_MAX_CHARS, TEXT_MAX_CHARS, owner_choices
from workflows.models import Agency, RecommendationStatus
from workflows.uploads import EMPTY


class RecommendationForm(forms.Form):
    """What the coordinator records for each recommendation of the action plan."""

    text = forms.CharField(
        label="Recommendation",
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="As worded in the action plan. Use pseudonyms only, never real names.",
        error_messages={"required": "Enter the recommendation"},
    )
    owner_agency = forms.ModelChoiceField(
        label="Agency that owns it",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="The partnership itself",
        error_messages={"invalid_choice": "Select an agency from the list"},
    )
    owner = forms.ModelChoiceField(
        label="Person who owns it",
        queryset=None,
        empty_label="Choose a person",
        help_text="They record progress and the evidence, and get the reminders.",
        error_messages={
            "required": "Select the person who owns the recommendation",
            "invalid_choice": "Select the person who owns the recommendation from the list",
        },
    )
    due_on = GovukDateField(label="Due date", help_text="For example, 27 3 2028")

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_agency"].queryset = Agency.objects.filter(
            partnership_id=review.partnership_id
        )
        self.fields["owner"].queryset = owner_choices(review)
        self.fields["owner"].label_from_instance = lambda user: (
            f"{user.full_name} ({user.email})" if user.full_name else user.email
        )


class ProgressForm(forms.Form):
    status = forms.ChoiceField(
        label="Has work on the recommendation started?",
        widget=forms.RadioSelect,
        choices=[
            (RecommendationStatus.NOT_STARTED, "Not started"),
            (RecommendationStatus.IN_PROGRESS, "In progress"),
        ],
        error_messages={"required": "Select whether work has started"},
    )


class CompleteForm(forms.Form):
    """The evidence that a recommendation is done: a note, a file or both."""

    evidence_note = forms.CharField(
        label="What was done",
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="For example, the new policy and when it took effect. Use pseudonyms only.",
    )
    evidence_file = forms.FileField(
        label="Upload evidence",
        required=False,
        widget=forms.FileInput,
        help_text="A PDF, DOCX, ODT, XLSX or CSV file.",
        error_messages={"empty": EMPTY},
    )


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label="Why are you sending it back?",
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The owner sees this with the evidence. Use pseudonyms only.",
        error_messages={"required": "Enter why the recommendation is sent back"},
    )
