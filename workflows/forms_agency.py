"""Forms for an agency's tasks in the agency reports stage."""

from django import forms
from django.utils import timezone

from project.forms import GovukDateField
from workflows.models.reviews import Involvement


class AgencyTaskForm(forms.Form):
    on = GovukDateField(label="Date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def answer(self) -> str:
        return ""

    def comments(self) -> str:
        return ""


class ScopingForm(AgencyTaskForm):
    involvement = forms.ChoiceField(
        label="Did your agency have contact with the person who died or the alleged perpetrator?",
        choices=[
            (Involvement.INVOLVED, "Yes: we will write a chronology and a report"),
            (Involvement.NOT_INVOLVED, "No: make a nil return"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether your agency knew the people involved"},
    )
    field_order = ["involvement", "on"]

    def answer(self) -> str:
        return self.cleaned_data["involvement"]


class AcceptanceForm(AgencyTaskForm):
    decision = forms.ChoiceField(
        label="Is the agency's report ready for the panel?",
        choices=[("accept", "Yes, accept the report"), ("send_back", "No, send it back")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you accept the report or send it back"},
    )
    changes = forms.CharField(
        label="What the agency needs to change",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when sending the report back. The agency's author will see this.",
    )
    field_order = ["decision", "changes", "on"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == "send_back" and not data.get("changes", "").strip():
            self.add_error("changes", "Enter what the agency needs to change")
        return data

    def answer(self) -> str:
        return self.cleaned_data["decision"]

    def comments(self) -> str:
        return self.cleaned_data["changes"]


FORMS = {
    "agency_scoping": ScopingForm,
    "agency_report": AgencyTaskForm,
    "agency_sign_off": AgencyTaskForm,
    "agency_acceptance": AcceptanceForm,
}
BUTTONS = {
    "agency_scoping": "Send the answer",
    "agency_report": "Send the report for sign-off",
    "agency_sign_off": "Sign off the report",
    "agency_acceptance": "Record the decision",
}
