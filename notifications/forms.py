"""Forms for email preferences and a partnership's reminder ladder."""

from django import forms

from notifications.models import ReminderLadder


class EmailPreferenceForm(forms.Form):
    daily_digest = forms.TypedChoiceField(
        label="How do you want reminders?",
        choices=[
            ("no", "Send each reminder as it falls due"),
            ("yes", "Send one email each morning with all my reminders"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you want reminders"},
        help_text="Emails about new tasks and changes to a review always come at once.",
    )


class ReminderLadderForm(forms.Form):
    reminder_days = forms.CharField(
        label="Send reminders this many days before each due date",
        help_text="Separate the numbers with commas, for example 14, 7, 1.",
        error_messages={"required": "Enter the days before a due date to send reminders"},
        max_length=40,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    escalate_after_days = forms.IntegerField(
        label="Escalate to the people holding the work and the coordinator, this many days "
        "after the due date",
        help_text="0 means on the due date itself.",
        min_value=0,
        max_value=60,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        error_messages={
            "required": "Enter the days after the due date for the first escalation",
            "invalid": "Enter a whole number of days",
            "min_value": "The first escalation cannot be before the due date",
            "max_value": "The first escalation must be within 60 days of the due date",
        },
    )
    chair_escalate_after_days = forms.IntegerField(
        label="Escalate to the CSP chair this many days after the due date",
        min_value=1,
        max_value=90,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        error_messages={
            "required": "Enter the days after the due date to tell the CSP chair",
            "invalid": "Enter a whole number of days",
            "min_value": "Tell the CSP chair at least 1 day after the due date",
            "max_value": "Tell the CSP chair within 90 days of the due date",
        },
    )

    def clean_reminder_days(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["reminder_days"].split(",")]
        # isdecimal, not isdigit: "²" is a digit that int() cannot read.
        if any(not part.isdecimal() for part in parts if part) or not any(parts):
            raise forms.ValidationError("Enter whole numbers of days separated by commas")
        days = sorted({int(part) for part in parts if part}, reverse=True)
        if any(day < 1 or day > 90 for day in days):
            raise forms.ValidationError("Each reminder must be between 1 and 90 days before")
        if len(days) > 6:
            raise forms.ValidationError("Enter no more than 6 reminders")
        return days

    def clean(self):
        cleaned = super().clean()
        first, chair = cleaned.get("escalate_after_days"), cleaned.get("chair_escalate_after_days")
        if first is not None and chair is not None and chair <= first:
            self.add_error(
                "chair_escalate_after_days",
                "Tell the CSP chair after the first escalation",
            )
        return cleaned

    @classmethod
    def initial_for(cls, ladder: ReminderLadder | None, defaults) -> dict:
        source = ladder or defaults
        return {
            "reminder_days": ", ".join(str(day) for day in source.reminder_days),
            "escalate_after_days": source.escalate_after_days,
            "chair_escalate_after_days": source.chair_escalate_after_days,
        }
