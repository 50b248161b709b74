"""Forms for reassigning a task, moving a leaver's tasks and arranging cover."""

from django import forms
from django.utils import timezone

from project.forms import GovukDateField
from workflows.models import Partnership, User


class PersonField(forms.ModelChoiceField):
    """A choice of person, shown by name and email address (names can repeat)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("empty_label", "Choose a person")
        super().__init__(**kwargs)

    def label_from_instance(self, user) -> str:
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


def _partnership_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Community Safety Partnership",
        queryset=Partnership.objects.none(),
        empty_label=None,
        error_messages={"required": "Select the Community Safety Partnership"},
    )


def _reason_field(label: str, required_message: str, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message},
    )


def _offer_partnerships(form, partnerships) -> None:
    form.fields["partnership"].queryset = partnerships
    if partnerships.count() == 1:
        form.fields["partnership"].widget = forms.HiddenInput()
        form.fields["partnership"].initial = partnerships.first()


class ReassignForm(forms.Form):
    to_user = PersonField(
        label="Who should do this task?",
        help_text="Only people who hold the role this task needs on this review are listed.",
        error_messages={
            "required": "Select who should do this task",
            "invalid_choice": "Select someone who holds the role this task needs",
        },
    )
    reason = _reason_field(
        "Why is the task being reassigned?", "Enter why the task is being reassigned"
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = people


class BulkReassignForm(forms.Form):
    partnership = _partnership_field()
    person = PersonField(
        label="Who is leaving?",
        error_messages={"required": "Select who is leaving"},
    )
    to_user = PersonField(
        label="Who takes over their tasks?",
        help_text="Tasks whose role this person does not hold stay where they are and are listed.",
        error_messages={"required": "Select who takes over the tasks"},
    )
    reason = _reason_field(
        "Why are the tasks being reassigned?", "Enter why the tasks are being reassigned"
    )

    def __init__(self, *args, partnerships, people, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_partnerships(self, partnerships)
        self.fields["person"].queryset = people
        self.fields["to_user"].queryset = people

    def clean(self):
        data = super().clean()
        if data.get("person") and data.get("person") == data.get("to_user"):
            self.add_error("to_user", "Select someone other than the person who is leaving")
        return data


class CoverForm(forms.Form):
    partnership = _partnership_field()
    person = PersonField(label="Who is away?", error_messages={"required": "Select who is away"})
    delegate = PersonField(
        label="Who covers for them?",
        help_text="They can do the tasks of the person away, on this partnership's reviews.",
        error_messages={"required": "Select who covers"},
    )
    starts_on = GovukDateField(label="Start date", help_text="For example, 27 3 2027")
    ends_on = GovukDateField(label="End date", help_text="The last day of the cover.")
    reason = _reason_field("Reason", "", required=False)

    def __init__(self, *args, partnerships, people, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_partnerships(self, partnerships)
        self.fields["delegate"].queryset = people
        if person is None:
            self.fields["person"].queryset = people
        else:  # someone arranging their own cover
            del self.fields["person"]
        self.person = person

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "End date must be on or after the start date")
        elif ends_on and ends_on < timezone.localdate():
            self.add_error("ends_on", "End date must be today or in the future")
        person = data.get("person", self.person)
        if person is not None and data.get("delegate") == person:
            self.add_error("delegate", "Select someone other than the person who is away")
        return data
