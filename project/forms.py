"""GOV.UK Design System form rendering and the GOV.UK date input.

``settings.FORM_RENDERER`` names :class:`GovukFormRenderer`, so ``{{ form }}`` renders an error
summary and one GOV.UK form group per field (``templates/govuk/forms/``). The markup for each
widget is chosen in ``templates/govuk/forms/field.html`` with the ``govuk`` template tag library
(``workflows/templatetags/govuk.py``).

Use :class:`GovukDateField` for dates; it shows the GOV.UK "date input" (Day, Month, Year) and
returns a :class:`datetime.date`::

    date_of_death = GovukDateField(label="Date of death", required=False)

The inputs are posted as ``<name>_0`` (day), ``<name>_1`` (month) and ``<name>_2`` (year) and
have ids ``id_<name>_0`` to ``id_<name>_2``; the error summary links to ``#id_<name>_0``.
"""

from __future__ import annotations

import datetime
import re
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django.template import TemplateDoesNotExist

DATE_PARTS = ("day", "month", "year")
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


@cache
def builtin_form_renderer() -> DjangoTemplates:
    """Django's own renderer, used for its widget templates (``django/forms/...``)."""
    return DjangoTemplates()


class GovukFormRenderer(TemplatesSetting):
    """Render forms and fields with the GOV.UK templates in ``templates/govuk/forms/``.

    Templates come from ``settings.TEMPLATES`` (so the project's templates and ``{% load
    govuk %}`` work). Django's built-in widget templates are used as a fallback, because
    ``django.forms`` is not an installed app.
    """

    form_template_name = "govuk/forms/form.html"
    field_template_name = "govuk/forms/field.html"

    def get_template(self, template_name):
        """Find ``template_name`` in the project's templates, else in Django's form templates."""
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return builtin_form_renderer().get_template(template_name)


def lower_first(label: str) -> str:
    """Lower-case the first letter of a label for use mid-sentence, unless it is an acronym.

    >>> lower_first("Date of death")
    'date of death'
    >>> lower_first("NHS referral date")
    'NHS referral date'
    """
    if not label or label[:2].isupper():
        return label
    return label[0].lower() + label[1:]


def date_parts(value) -> list[str | None]:
    """Split a date (or an ISO ``YYYY-MM-DD`` string) into ``[day, month, year]`` strings."""
    if isinstance(value, str) and value:
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return [None, None, None]
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return [str(value.day), str(value.month), str(value.year)]
    return [None, None, None]


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date input: three text inputs labelled Day, Month and Year.

    Rendered by ``templates/govuk/widgets/date.html``. The sub-inputs are named
    ``<name>_0``/``_1``/``_2``. For convenience (API clients, tests) a single ISO date
    posted under ``<name>`` is also accepted when none of the three parts is present.

    The field template passes ``govuk_error_parts`` (a space-separated list of ``day``,
    ``month`` and ``year``) in ``attrs`` to mark the inputs that have an error.
    """

    template_name = "govuk/widgets/date.html"
    labels = ("Day", "Month", "Year")
    widths = (2, 2, 4)

    def __init__(self, attrs=None):
        widgets = [forms.TextInput(attrs={"inputmode": "numeric"}) for _ in DATE_PARTS]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        """Split a date into its day, month and year for display."""
        return date_parts(value)

    def value_from_datadict(self, data, files, name):
        """Read the three parts, or a single ISO date posted under ``name``."""
        parts = super().value_from_datadict(data, files, name)
        if all(part is None for part in parts) and data.get(name):
            return date_parts(data.get(name))
        return parts

    def value_omitted_from_data(self, data, files, name):
        """Treat the field as omitted only when neither the parts nor ``name`` were posted."""
        return super().value_omitted_from_data(data, files, name) and name not in data

    def get_context(self, name, value, attrs):
        """Add GOV.UK labels, widths and per-input error state to each sub-input."""
        attrs = dict(attrs or {})
        error_parts = set(str(attrs.pop("govuk_error_parts", "")).split())
        attrs.pop("aria-invalid", None)
        attrs.pop("aria-describedby", None)
        attrs.pop("class", None)
        context = super().get_context(name, value, attrs)
        for part, label, width, subwidget in zip(
            DATE_PARTS, self.labels, self.widths, context["widget"]["subwidgets"], strict=True
        ):
            has_error = part in error_parts
            classes = ["govuk-input", "govuk-date-input__input", f"govuk-input--width-{width}"]
            if has_error:
                classes.append("govuk-input--error")
                subwidget["attrs"]["aria-invalid"] = "true"
            subwidget["attrs"]["class"] = " ".join(classes)
            subwidget["attrs"].pop("required", None)
            subwidget["govuk_label"] = label
            subwidget["govuk_part"] = part
        return context


class GovukDateField(forms.MultiValueField):
    """A date entered in a GOV.UK date input, cleaned to a :class:`datetime.date`.

    Error messages follow the GOV.UK date input pattern and use the field's label:
    "Enter the date of death", "Date of death must include a month", "Date of death must
    be a real date" and "Year must include 4 numbers". Override any of them with
    ``error_messages`` (keys ``required``, ``incomplete``, ``invalid``, ``year_length``);
    the placeholders ``%(label)s``, ``%(label_lower)s`` and ``%(missing)s`` are available.

    Rules such as "must be in the past" belong to the form or model, not to this field.
    Month names ("Jan", "January") are accepted as well as numbers.
    """

    widget = GovukDateWidget
    default_error_messages = {
        "required": "Enter the %(label_lower)s",
        "incomplete": "%(label)s must include a %(missing)s",
        "invalid": "%(label)s must be a real date",
        "year_length": "Year must include 4 numbers",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", GovukDateWidget)
        fields = [forms.CharField(required=False) for _ in DATE_PARTS]
        super().__init__(fields=fields, require_all_fields=True, **kwargs)

    def error(self, code: str, parts: list[str], missing: str = "") -> ValidationError:
        """Build a ValidationError naming the label and the parts of the date at fault."""
        label = str(self.label or "Date")
        params = {
            "label": label,
            "label_lower": lower_first(label),
            "missing": missing,
            "parts": parts,
        }
        return ValidationError(self.error_messages[code], code=code, params=params)

    @staticmethod
    def parse_month(text: str) -> int | None:
        """Read a month given as a number or as an English name or abbreviation."""
        # isdecimal, not isdigit: "²" is a digit that int() cannot read.
        if text.isdecimal():
            return int(text)
        lowered = text.lower().rstrip(".")
        if len(lowered) >= 3:
            for number, name in enumerate(MONTH_NAMES, start=1):
                if name.startswith(lowered):
                    return number
        return None

    def compress(self, data_list):
        """Turn ``[day, month, year]`` into a date, raising GOV.UK-style errors."""
        parts = [re.sub(r"\s+", "", str(part or "")) for part in (list(data_list) + [""] * 3)[:3]]
        if not any(parts):
            return None
        missing = [name for name, part in zip(DATE_PARTS, parts, strict=True) if not part]
        if missing:
            raise self.error("incomplete", missing, missing=" and ".join(missing))
        day_text, month_text, year_text = parts
        month = self.parse_month(month_text)
        if not day_text.isdecimal() or month is None or not year_text.isdecimal():
            bad = [
                name
                for name, ok in zip(
                    DATE_PARTS,
                    (day_text.isdecimal(), month is not None, year_text.isdecimal()),
                    strict=True,
                )
                if not ok
            ]
            raise self.error("invalid", bad)
        if len(year_text) != 4:
            raise self.error("year_length", ["year"])
        try:
            return datetime.date(int(year_text), month, int(day_text))
        except (ValueError, OverflowError):  # a month or day too big for a C long
            raise self.error("invalid", list(DATE_PARTS)) from None

    def clean(self, value):
        """Validate the three parts and return a date (or None when empty and optional)."""
        if isinstance(value, datetime.date):
            # A disabled field is cleaned from its initial value.
            result = value.date() if isinstance(value, datetime.datetime) else value
        else:
            if not isinstance(value, (list, tuple)):
                value = date_parts(value)
            result = self.compress(value)
        if result is None and self.required:
            raise self.error("required", list(DATE_PARTS))
        self.validate(result)
        self.run_validators(result)
        return result

    def has_changed(self, initial, data):
        """Compare as dates, so "05" and "5" count as the same day."""
        if self.disabled:
            return False
        try:
            cleaned = self.compress(data if isinstance(data, (list, tuple)) else date_parts(data))
        except ValidationError:
            return True
        initial_parts = date_parts(initial)
        initial_date = None
        if all(initial_parts):
            initial_date = datetime.date(*(int(part) for part in reversed(initial_parts)))
        return cleaned != initial_date
