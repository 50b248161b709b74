"""What the fuzzer posts: hostile text, dates, ids, numbers, choices and files for each field.

Each strategy is chosen from the field's class (``form.fields``), so a field added to a form is
fuzzed without touching these tests. Every strategy mixes the valid value with hostile ones, so
that most examples get past the other fields' validation and reach the service behind the form.
"""

import io
import zipfile

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from project.forms import GovukDateField

# Payloads that must never come back unescaped. RAW_MARKERS are what each looks like when it was
# not escaped: angle brackets survive only if a template or message marked the text safe.
SCRIPT = "<script>alert('fuzz')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
SVG = "'><svg onload=alert(1)>"
RAW_MARKERS = (b"<script>alert(", b"<img src=x onerror=", b"<svg onload=")
HOSTILE = [
    SCRIPT,
    IMAGE,
    SVG,
    "</textarea><script>alert('fuzz')</script>",
    "javascript:alert(1)",
    "{{ request.user.password }}{% debug %}",
    "' OR '1'='1' --; DROP TABLE workflows_review;",
    "%s %d %(name)s {0} {name}",
    "\x00",
    "a\x00b",
    "\u202e\u200b\ufeff",
    "Zoë Ñuñez-Øster 漢字 عربى 🙂",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0001f4a9",
    "   ",
    "\r\n\t",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "Zelda Inventedname",  # the review's real name, in a field that is not for it
    "²",  # a digit to str.isdigit() that int() cannot read
    "14, ²",
]
# Digits that str.isdigit() accepts but int() may not: the classic crash in date parsing.
ODD_DIGITS = ["²", "³", "١", "٣", "３", "①", "߁", "₂", "¹⁰"]
HUGE_NUMBERS = ["9" * 20, "-" + "9" * 20, str(2**63), str(2**31), "-1", "0", "1e10", "1.5", "0x10"]


def _around(text: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda before, after: before + text + after, st.text(max_size=20), st.text(max_size=20)
    )


def hostile_text(max_length: int | None = None) -> st.SearchStrategy[str]:
    """Payloads, payloads inside ordinary text, any unicode, and lengths at and past the limit."""
    limit = max_length or 5000
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from(HOSTILE).flatmap(_around),
        st.text(max_size=200),
        st.just("x" * limit),
        st.just("y" * (limit + 1)),
        st.just(SCRIPT * (limit // len(SCRIPT) + 1)),
    )


def number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(HUGE_NUMBERS + ODD_DIGITS),
        st.sampled_from(HOSTILE),
    )


def date_part() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=-5, max_value=40).map(str),
        st.sampled_from(["", " ", "00", "0000", "10000", "2027", "1899", "9999", "Feb", "Sept."]),
        st.sampled_from(HUGE_NUMBERS + ODD_DIGITS),
        st.text(max_size=6),
        st.sampled_from(HOSTILE),
    )


def date_parts(valid: list[str]) -> st.SearchStrategy[list[str]]:
    """A GOV.UK date input's day, month and year: real dates far and near, and nonsense."""
    real = st.dates().map(lambda day: [str(day.day), str(day.month), str(day.year)])
    return st.one_of(st.just(valid), real, st.lists(date_part(), min_size=3, max_size=3))


def ids(valid_pks: list[int], any_pks: list[int]) -> st.SearchStrategy[str]:
    """The pk of an offered object, of any object of the model (another partnership's), or junk."""
    offered = [str(pk) for pk in valid_pks] or ["1"]
    others = [str(pk) for pk in any_pks] or ["1"]
    return st.one_of(st.sampled_from(offered), st.sampled_from(others), number_text(), st.just(""))


def choices(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values or [""]), hostile_text(50), st.just(""))


# Files.
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML_BYTES = b"<!doctype html><html><body><script>alert('fuzz')</script></body></html>"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def docx_bytes(text: str = "Agency report") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", f"<w:document>{text}</w:document>".encode())
    return buffer.getvalue()


FILE_NAMES = [
    "report.pdf",
    "report.docx",
    f"{SCRIPT}.pdf",
    f"{IMAGE}.pdf",
    "Zoë's chronology 漢字.pdf",
    "..pdf",
    ".pdf",
    "report",
    "report.PDF",
    "report.pdf.exe",
    "report.exe.pdf",
    "CON.pdf",
    "C:report.pdf",
    ("n" * 300) + ".pdf",
]
FILE_BODIES = [PDF_BYTES, b"", HTML_BYTES, EXECUTABLE, docx_bytes(), b"PK\x03\x04 broken"]


def uploaded_files() -> st.SearchStrategy[SimpleUploadedFile]:
    """Files whose names and bytes may each be right, wrong or hostile."""
    names = st.one_of(
        st.sampled_from(FILE_NAMES),
        st.text(
            alphabet=st.characters(blacklist_characters='"\r\n/\\', blacklist_categories=["Cs"]),
            min_size=1,
            max_size=60,
        ).map(lambda stem: stem + ".pdf"),
    )
    bodies = st.one_of(st.sampled_from(FILE_BODIES), st.binary(max_size=2048))
    return st.builds(
        lambda name, body: SimpleUploadedFile(name, body, "application/pdf"), names, bodies
    )


def for_field(field: forms.Field, valid, any_pks: dict) -> st.SearchStrategy:
    """A strategy for one field's posted value(s), mixing ``valid`` with hostile values."""
    keep = st.just(valid) if valid is not None else st.nothing()
    if isinstance(field, forms.FileField):
        # A file is read once when posted: the valid one is made afresh for each example.
        fresh = st.builds(valid) if callable(valid) else st.nothing()
        return st.one_of(fresh, st.just(None), uploaded_files())
    if isinstance(field, GovukDateField):
        return date_parts(valid or ["1", "5", "2027"])
    if isinstance(field, forms.ModelMultipleChoiceField):
        model = field.queryset.model
        one = ids(list(field.queryset.values_list("pk", flat=True)), any_pks.get(model, []))
        return st.one_of(keep, st.lists(one, max_size=4))
    if isinstance(field, forms.ModelChoiceField):
        model = field.queryset.model
        offered = list(field.queryset.values_list("pk", flat=True))
        return st.one_of(keep, ids(offered, any_pks.get(model, [])))
    if isinstance(field, forms.MultipleChoiceField):
        values = [str(value) for value, _label in field.choices]
        return st.one_of(keep, st.lists(choices(values), max_size=5))
    if isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _label in field.choices if value != ""]
        return st.one_of(keep, choices(values))
    if isinstance(field, forms.IntegerField):
        return st.one_of(keep, number_text())
    if isinstance(field, forms.EmailField):
        emails = st.emails().map(str)
        return st.one_of(keep, emails, hostile_text(field.max_length), _around("@test.example"))
    if isinstance(field, forms.BooleanField):
        return st.one_of(keep, st.sampled_from(["on", "", "false", "0"]), hostile_text(20))
    return st.one_of(keep, hostile_text(getattr(field, "max_length", None)))
