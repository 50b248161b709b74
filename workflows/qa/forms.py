"""Ticking off an area for final development."""

from django import forms


class AreaDoneForm(forms.Form):
    note = forms.CharField(
        label="What was done (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, which section of the overview report changed.",
    )
