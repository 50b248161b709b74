"""The import page's form: which partnership, and the file."""

from django import forms

from workflows.imports.reading import MAX_BYTES
from workflows.models import Partnership
from workflows.uploads import EMPTY


class ReviewImportForm(forms.Form):
    partnership = forms.ModelChoiceField(
        error_messages={
            "required": "Select the Community Safety Partnership",
            "invalid_choice": "Select a Community Safety Partnership you coordinate",
        },
        queryset=Partnership.objects.none(),
        empty_label=None,
        label="Community Safety Partnership",
    )
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV or XLSX file with the template's header row, smaller than "
        f"{MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx"}),
        error_messages={"required": "Select a file", "empty": EMPTY},
    )

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = partnerships
        if partnerships.count() == 1:
            self.fields["partnership"].widget = forms.HiddenInput()
            self.fields["partnership"].initial = partnerships.first()
