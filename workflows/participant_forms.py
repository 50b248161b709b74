"""Forms for inviting people to a review, removing them, and creating a password."""

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from workflows.models import ParticipantRole
from workflows.services.participants import invitation_problems


class InviteForm(forms.Form):
    """Who to add to the review, in which role and, for agency roles, for which agency."""

    email = forms.EmailField(
        label="Email address",
        help_text="Their work email address. The invitation is sent here.",
        widget=forms.EmailInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        error_messages={"required": "Enter the person's full name"},
    )
    role = forms.ChoiceField(
        label="Role on this review",
        choices=ParticipantRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the person's role on this review"},
    )
    agency = forms.ModelChoiceField(
        label="Agency",
        required=False,
        queryset=None,
        empty_label="Choose an agency",
        help_text="Needed for agency report authors and agency senior managers.",
        error_messages={"invalid_choice": "Select an agency in the scope of this review"},
    )

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.review = review
        self.fields["agency"].queryset = review.agencies.order_by("name")

    def clean(self):
        data = super().clean()
        if {"email", "role"} <= data.keys() and "agency" not in self.errors:
            problems = invitation_problems(
                review=self.review, email=data["email"], role=data["role"], agency=data["agency"]
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return data


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label="Why is this person leaving the review?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, they have moved to another job. Kept with the review's records.",
        error_messages={"required": "Enter why this person is leaving the review"},
    )


class InvitationPasswordForm(SetPasswordForm):
    """Django's set-password form (and the project's password rules) in GOV.UK words."""

    error_messages = {"password_mismatch": "The passwords do not match"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = "Create a password"
        first.help_text = (
            "Use at least 12 characters. Do not use a common password, your email address "
            "or only numbers."
        )
        first.error_messages["required"] = "Enter a password"
        second.label = "Confirm your password"
        second.help_text = ""
        second.error_messages["required"] = "Enter your password again"
