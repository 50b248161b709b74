"""GOV.UK Design System helpers for templates: ``{% load govuk %}``.

Filters:

* ``{{ value|govuk_date }}`` - "10 January 2027" (no leading zero); "Not set" for no date.
* ``{{ bound_field|govuk_kind }}`` - which GOV.UK component renders the field's widget.
* ``{{ bound_field|govuk_error_href }}`` - the id the error summary links to.

Tags:

* ``{% govuk_field bound_field as g %}`` - everything ``govuk/forms/field.html`` needs.
* ``{% govuk_before_content %}...{% endgovuk_before_content %}`` - used by ``base.html`` to put
  back links in a navigation landmark (axe's "region" rule), and to output nothing when empty.

A form field can change its presentation with attributes on the field (or its widget):
``govuk_label_class`` (default ``"govuk-label--s"``), ``govuk_legend_class`` (default
``"govuk-fieldset__legend--s"``), ``govuk_kind`` (force a component) and ``govuk_inline``
(side-by-side radios).
"""

from __future__ import annotations

import datetime

from django import forms, template
from django.forms.widgets import Input
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from project.forms import GovukDateWidget

register = template.Library()

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NOT_SET = "Not set"

# Checked in order: subclasses before their parents (CheckboxSelectMultiple is a RadioSelect).
WIDGET_KINDS = (
    (GovukDateWidget, "date"),
    (forms.HiddenInput, "hidden"),
    (forms.MultipleHiddenInput, "hidden"),
    (forms.CheckboxSelectMultiple, "checkboxes"),
    (forms.RadioSelect, "radios"),
    (forms.CheckboxInput, "checkbox"),
    (forms.Select, "select"),
    (forms.Textarea, "textarea"),
    (forms.PasswordInput, "password"),
    (forms.FileInput, "file"),
    (Input, "input"),
)
FIELDSET_KINDS = {"radios", "checkboxes", "date"}
INPUT_CLASSES = {
    "input": "govuk-input",
    "password": "govuk-input govuk-password-input__input govuk-js-password-input-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "file": "govuk-file-upload",
    "checkbox": "govuk-checkboxes__input",
}
ERROR_CLASSES = {
    "input": "govuk-input--error",
    "password": "govuk-input--error",
    "textarea": "govuk-textarea--error",
    "select": "govuk-select--error",
    "file": "govuk-file-upload--error",
}


@register.filter
def govuk_time(value: datetime.datetime) -> str:
    """A moment's time as GOV.UK writes it: "9:05am", "12pm", "midnight"; in the local time zone."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    if (value.hour, value.minute) == (0, 0):
        return "midnight"
    if (value.hour, value.minute) == (12, 0):
        return "midday"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


@register.filter
def govuk_date(value) -> str:
    """Format a date as "10 January 2027"; "Not set" when there is no date.

    Datetimes are shown in the local time zone. ISO date strings are accepted.
    """
    if value in (None, ""):
        return NOT_SET
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    if not isinstance(value, datetime.date):
        return str(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def widget_kind(widget: forms.Widget) -> str:
    """Name the GOV.UK component for a widget ("input", "radios", "date", ...)."""
    forced = getattr(widget, "govuk_kind", None)
    if forced:
        return forced
    for widget_class, kind in WIDGET_KINDS:
        if isinstance(widget, widget_class):
            return kind
    return "other"


@register.filter
def govuk_kind(bound_field) -> str:
    """The GOV.UK component for a bound field; a ``govuk_kind`` on the field wins."""
    return getattr(bound_field.field, "govuk_kind", None) or widget_kind(bound_field.field.widget)


@register.filter
def govuk_error_href(bound_field) -> str:
    """The id of the input the error summary should link to (the first input of a group)."""
    if not bound_field.auto_id:
        return ""
    if govuk_kind(bound_field) in FIELDSET_KINDS:
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


def field_option(bound_field, name: str, default: str) -> str:
    """Read a ``govuk_*`` presentation option from the field, then its widget."""
    for owner in (bound_field.field, bound_field.field.widget):
        value = getattr(owner, name, None)
        if value is not None:
            return value
    return default


def error_parts(bound_field) -> list[str]:
    """The parts of a date ("day", "month", "year") named by the field's errors."""
    parts: list[str] = []
    for error in bound_field.errors.as_data():
        for part in (error.params or {}).get("parts", ["day", "month", "year"]):
            if part not in parts:
                parts.append(part)
    return parts


def choice_options(bound_field, kind: str) -> list[dict]:
    """The radios or checkboxes of a choice field, ready for the template."""
    options = []
    for subwidget in bound_field.subwidgets:
        data = subwidget.data
        value = data.get("value")
        options.append(
            {
                "id": data["attrs"].get("id", ""),
                "name": data["name"],
                "value": "" if value is None else str(value),
                "label": data["label"],
                "checked": bool(data.get("selected")),
                "disabled": bool(data["attrs"].get("disabled")),
                "type": "radio" if kind == "radios" else "checkbox",
            }
        )
    return options


@register.simple_tag
def govuk_field(bound_field) -> dict:
    """Collect what ``govuk/forms/field.html`` needs to render one GOV.UK form group.

    Returns a dict with ``kind``, ``id``, ``hint_id``, ``error_id``, ``describedby``,
    ``fieldset``, ``label_class``, ``legend_class``, ``optional`` and either ``widget`` (the
    rendered control) or ``options`` (radios and checkboxes).
    """
    kind = govuk_kind(bound_field)
    field_id = bound_field.auto_id or bound_field.html_name
    widget = bound_field.field.widget
    has_hint = bool(bound_field.help_text)
    has_errors = bool(bound_field.errors)
    hint_id = f"{field_id}-hint"
    error_id = f"{field_id}-error"
    item_hint = kind == "checkbox" and has_hint
    describedby = []
    if widget.attrs.get("aria-describedby"):
        describedby.append(widget.attrs["aria-describedby"])
    if has_hint:
        describedby.append(f"{field_id}-item-hint" if item_hint else hint_id)
    if has_errors:
        describedby.append(error_id)

    context = {
        "kind": kind,
        "id": field_id,
        "hint_id": hint_id,
        "item_hint_id": f"{field_id}-item-hint",
        "item_hint": item_hint,
        "error_id": error_id,
        "describedby": " ".join(describedby),
        "fieldset": kind in FIELDSET_KINDS,
        "label_class": field_option(bound_field, "govuk_label_class", "govuk-label--s"),
        "legend_class": field_option(
            bound_field, "govuk_legend_class", "govuk-fieldset__legend--s"
        ),
        "inline": bool(field_option(bound_field, "govuk_inline", "")),
        "optional": (
            not bound_field.field.required
            and kind not in {"checkbox", "hidden"}
            and "(optional)" not in str(bound_field.label).lower()
        ),
        "widget": "",
        "options": [],
    }

    if kind in {"radios", "checkboxes"}:
        context["options"] = choice_options(bound_field, kind)
        return context

    attrs: dict = {}
    if kind == "date":
        attrs["govuk_error_parts"] = " ".join(error_parts(bound_field))
    elif kind in INPUT_CLASSES:
        classes = [INPUT_CLASSES[kind], widget.attrs.get("class", "")]
        if has_errors and kind in ERROR_CLASSES:
            classes.append(ERROR_CLASSES[kind])
        attrs["class"] = " ".join(part for part in classes if part)
        if context["describedby"]:
            attrs["aria-describedby"] = context["describedby"]
        no_spellcheck = widget.attrs.get("autocomplete") in {"email", "username"}
        if kind == "password" or no_spellcheck or isinstance(widget, forms.EmailInput):
            attrs.setdefault("spellcheck", widget.attrs.get("spellcheck", "false"))
            attrs.setdefault("autocapitalize", widget.attrs.get("autocapitalize", "none"))
    elif context["describedby"]:
        attrs["aria-describedby"] = context["describedby"]
    context["widget"] = bound_field.as_widget(attrs=attrs)
    return context


class BeforeContentNode(template.Node):
    """Wrap back links in a ``<nav>`` landmark; leave breadcrumbs (already a nav) alone."""

    child_nodelists = ("nodelist",)

    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context) -> str:
        html = self.nodelist.render(context).strip()
        if not html:
            return ""
        if "<nav" in html:
            return html
        return format_html('<nav aria-label="Back">{}</nav>', mark_safe(html))


@register.tag
def govuk_before_content(parser, token):
    """``{% govuk_before_content %}...{% endgovuk_before_content %}``: see BeforeContentNode."""
    nodelist = parser.parse(("endgovuk_before_content",))
    parser.delete_first_token()
    return BeforeContentNode(nodelist)
