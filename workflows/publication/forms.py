"""Forms of the publication pages: the facts the gate checks, restricted names, archiving."""

from django import forms
from django.utils import timezone

from project.forms import GovukDateField
from workflows.models.publication import CriminalProceedings

FUTURE = "%s must be today or in the past"


def _not_in_future(form, name: str, label: str) -> None:
    value = form.cleaned_data.get(name)
    if value and value > timezone.localdate():
        form.add_error(name, FUTURE % label)


class PublicationForm(forms.Form):
    """What the coordinator records before publishing; the gate says what is still missing."""

    criminal_proceedings = forms.ChoiceField(
        label="Criminal proceedings",
        choices=CriminalProceedings.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether there were criminal proceedings"},
    )
    proceedings_concluded_on = GovukDateField(
        label="Date criminal proceedings concluded",
        required=False,
        help_text="The date of sentencing or of the final appeal, for example 27 3 2027",
    )
    proceedings_override_reason = forms.CharField(
        label="Reason to publish before criminal proceedings conclude (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only while proceedings are still going on, for example the prosecution agreed. "
        "The review cannot be published before they conclude without a reason.",
    )
    planned_on = GovukDateField(
        label="Planned publication date (optional)",
        required=False,
        help_text="For example, 15 7 2027",
    )
    family_told_on = GovukDateField(
        label="Date the family was told of the publication date (optional)",
        required=False,
        help_text="The family must hear before anyone else.",
    )
    condolence_statement = forms.CharField(
        label="Condolence statement (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Published with the report. Use pseudonyms only: it is checked for real names.",
    )
    partnership_response = forms.CharField(
        label="What has changed as a result of the review (optional)",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The partnership's response, published with the report. Checked for real names.",
    )

    def clean(self):
        data = super().clean()
        concluded = data.get("criminal_proceedings") == CriminalProceedings.CONCLUDED
        missing = not data.get("proceedings_concluded_on")
        if concluded and missing and "proceedings_concluded_on" not in self.errors:
            self.add_error(
                "proceedings_concluded_on", "Enter the date criminal proceedings concluded"
            )
        _not_in_future(self, "proceedings_concluded_on", "The date proceedings concluded")
        _not_in_future(self, "family_told_on", "The date the family was told")
        return data


class RestrictedNameForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text="As it could appear in a report, for example with a middle name.",
        error_messages={"required": "Enter the person's full name"},
    )
    relationship = forms.CharField(
        label="How are they related to the person who died?",
        max_length=100,
        help_text="For example, Mother, Brother or Friend. Shown when the name check finds them.",
        error_messages={"required": "Enter how they are related to the person who died"},
    )


class ArchiveForm(forms.Form):
    on = GovukDateField(label="Date the page comes down")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        _not_in_future(self, "on", "The date")
        return data
