"""The form for uploading a document to a review."""

from django import forms

from workflows import document_permissions as may
from workflows.models import Agency, DocumentKind
from workflows.models.documents import AGENCY_KINDS, REPEATABLE_KINDS
from workflows.uploads import EMPTY


class DocumentUploadForm(forms.Form):
    """Which document this is and the file; the kinds and agencies offered are the user's own."""

    kind = forms.ChoiceField(
        label="Which document is this?",
        error_messages={"required": "Select which document this is"},
    )
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Not from one agency",
        help_text="For a chronology or an agency report (IMR): the agency it is from.",
        error_messages={"invalid_choice": "Select an agency from the list"},
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text="For another document: for example, “Panel meeting minutes, May 2027”.",
    )
    file = forms.FileField(
        label="Upload a file",
        help_text="A PDF, DOCX, ODT, XLSX or CSV file.",
        widget=forms.FileInput,
        error_messages={"required": "Select a file", "empty": EMPTY},
    )

    def __init__(self, *args, review, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = may.uploadable_kinds(review, user)
        self.fields["kind"].choices = [("", "Choose a document")] + [
            (value, label) for value, label in DocumentKind.choices if value in kinds
        ]
        agencies = may.upload_agencies(review, user)
        self.fields["agency"].queryset = agencies
        if len(agencies) == 1:
            self.fields["agency"].initial = agencies[0].pk

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in AGENCY_KINDS and not cleaned.get("agency"):
            self.add_error("agency", "Select the agency the document is from")
        if kind and kind not in AGENCY_KINDS:
            cleaned["agency"] = None
        if kind in REPEATABLE_KINDS and not cleaned.get("title", "").strip():
            self.add_error("title", "Enter a title for the document")
        return cleaned


class TaskDocumentForm(forms.Form):
    """Upload a document from the task or step that asks for it."""

    kind = forms.ChoiceField(
        label="Which document is this?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which document this is"},
    )
    file = forms.FileField(
        label="Upload a file",
        help_text="A PDF, DOCX, ODT, XLSX or CSV file. Each upload is kept as a new version.",
        widget=forms.FileInput,
        error_messages={"required": "Select a file", "empty": EMPTY},
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, DocumentKind(kind).label) for kind in kinds]
