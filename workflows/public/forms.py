"""The "Was this page helpful?" form of the public pages."""

from django import forms
from django.core.validators import MaxLengthValidator

COMMENT_MAX_CHARS = 1200


class PageFeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label="Was this page helpful?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if this page was helpful"},
    )
    comment = forms.CharField(
        label="Tell us more",
        required=False,
        # A validator rather than max_length: GOV.UK forms do not cut off typing with a
        # maxlength attribute, they say what is wrong.
        validators=[
            MaxLengthValidator(
                COMMENT_MAX_CHARS,
                message=f"Your comment must be {COMMENT_MAX_CHARS:,} characters or fewer",
            )
        ],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Do not include any personal information, such as your name or a name from "
        "a review. We read every comment but cannot reply.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Yes and No side by side, under a medium heading-sized question (GOV.UK's pattern).
        self.fields["helpful"].govuk_inline = True
        self.fields["helpful"].govuk_legend_class = "govuk-fieldset__legend--m"
