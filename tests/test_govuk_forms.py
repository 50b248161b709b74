"""GOV.UK form rendering, the GOV.UK date field, the ``govuk`` template tags and the page shell.

Pure rendering: no test here touches the database.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template import Context, Template
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.html import parse_html

from project.forms import GovukDateField, GovukDateWidget, GovukFormRenderer, lower_first
from workflows.templatetags.govuk import govuk_date


class EveryKindForm(forms.Form):
    """One field of each kind the GOV.UK field template knows."""

    full_name = forms.CharField(
        label="Full name",
        max_length=50,
        help_text="As it appears on the death certificate",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(label="Email address")
    age = forms.IntegerField(label="Age at death")
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea)
    area = forms.ChoiceField(label="Area", choices=[("", "Choose an area"), ("n", "North")])
    review_type = forms.ChoiceField(
        label="Type of review",
        choices=[("dhr", "Domestic homicide review"), ("dardr", "Domestic abuse related death")],
        widget=forms.RadioSelect,
    )
    agencies = forms.MultipleChoiceField(
        label="Agencies",
        choices=[("police", "Police"), ("health", "Health")],
        widget=forms.CheckboxSelectMultiple,
    )
    confirmed = forms.BooleanField(label="I have checked the details", help_text="Tick the box")
    date_of_death = GovukDateField(label="Date of death", help_text="For example, 27 3 2027")
    stage = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError("The review could not be saved")


def render(form) -> str:
    """Render a form the way ``{{ form }}`` does in a page."""
    return Template("{{ form }}").render(Context({"form": form}))


def count(html: str, fragment: str) -> int:
    """How many times an HTML fragment occurs in ``html``, compared as HTML."""
    return parse_html(html).count(parse_html(fragment))


def tag_with_id(html: str, element_id: str) -> str:
    """The opening tag of the element with ``id``."""
    match = re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"no element with id {element_id}"
    return match.group(0)


def date_form(**data) -> "DateForm":
    """A bound form with only a required date of death."""
    return DateForm(data={f"date_of_death_{key}": value for key, value in data.items()})


class DateForm(forms.Form):
    date_of_death = GovukDateField(label="Date of death")


class OptionalDateForm(forms.Form):
    date_of_death = GovukDateField(label="Date of death", required=False)


@pytest.fixture
def invalid_form() -> EveryKindForm:
    form = EveryKindForm(
        data={
            "full_name": "",
            "review_type": "dhr",
            "date_of_death_0": "31",
            "date_of_death_1": "2",
            "date_of_death_2": "2027",
        }
    )
    assert not form.is_valid()
    return form


def test_forms_use_the_govuk_renderer():
    form = EveryKindForm()
    assert isinstance(form.renderer, GovukFormRenderer)
    assert form.renderer.form_template_name == "govuk/forms/form.html"
    assert form.renderer.field_template_name == "govuk/forms/field.html"
    # Django's own widget templates are still found although django.forms is not an app.
    assert form.renderer.get_template("django/forms/widgets/select.html")


def test_unbound_form_has_no_error_summary():
    html = render(EveryKindForm())
    assert "govuk-error-summary" not in html
    assert "govuk-form-group--error" not in html
    assert "govuk-error-message" not in html


def test_error_summary_lists_every_error_with_links_to_first_inputs(invalid_form):
    html = render(invalid_form)
    assert html.count('class="govuk-error-summary"') == 1
    assert '<div role="alert">' in html
    assert "There is a problem" in html
    summary = html.split('class="govuk-list govuk-error-summary__list">')[1].split("</ul>")[0]
    hrefs = re.findall(r'<a href="#([^"]+)">', summary)
    assert hrefs == [
        "id_full_name",
        "id_email",
        "id_age",
        "id_password",
        "id_area",
        "id_agencies_0",
        "id_confirmed",
        "id_date_of_death_0",
    ]
    # The non-field error comes first, without a link.
    first_item = summary.split("<li>")[1]
    assert "The review could not be saved" in first_item
    assert "<a " not in first_item
    # Every link target exists on the page.
    for href in hrefs:
        assert f'id="{href}"' in html


def test_text_input_with_hint_and_error(invalid_form):
    html = render(invalid_form)
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert count(
        html, '<label class="govuk-label govuk-label--s" for="id_full_name">Full name</label>'
    )
    assert '<div id="id_full_name-hint" class="govuk-hint">' in html
    assert count(
        html,
        '<p id="id_full_name-error" class="govuk-error-message">'
        '<span class="govuk-visually-hidden">Error:</span> This field is required.</p>',
    )
    tag = tag_with_id(html, "id_full_name")
    assert 'class="govuk-input govuk-input--error"' in tag
    assert 'aria-describedby="id_full_name-hint id_full_name-error"' in tag
    assert 'autocomplete="name"' in tag
    assert 'type="text"' in tag


def test_email_and_number_inputs(invalid_form):
    html = render(invalid_form)
    email = tag_with_id(html, "id_email")
    assert 'type="email"' in email
    assert 'spellcheck="false"' in email
    assert "govuk-input govuk-input--error" in email
    number = tag_with_id(html, "id_age")
    assert 'type="number"' in number
    assert "govuk-input" in number


def test_password_input_uses_the_password_component(invalid_form):
    html = render(invalid_form)
    assert 'class="govuk-form-group govuk-form-group--error govuk-password-input"' in html
    assert 'data-module="govuk-password-input"' in html
    tag = tag_with_id(html, "id_password")
    assert "govuk-input govuk-password-input__input govuk-js-password-input-input" in tag
    assert 'autocomplete="current-password"' in tag
    assert 'aria-controls="id_password"' in html


def test_textarea_and_select(invalid_form):
    html = render(invalid_form)
    textarea = tag_with_id(html, "id_notes")
    assert textarea.startswith("<textarea")
    assert 'class="govuk-textarea"' in textarea
    assert "Notes (optional)" in html
    select = tag_with_id(html, "id_area")
    assert select.startswith("<select")
    assert 'class="govuk-select govuk-select--error"' in select
    assert count(html, '<option value="n">North</option>') == 1


def test_radios_in_a_fieldset_with_legend(invalid_form):
    html = render(invalid_form)
    group = html.split('data-module="govuk-radios"')[0].rsplit('<div class="govuk-form-group', 1)[1]
    assert '<fieldset class="govuk-fieldset">' in group
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">' in group
    assert html.count('class="govuk-radios__item"') == 2
    assert count(
        html,
        '<input class="govuk-radios__input" id="id_review_type_0" name="review_type"'
        ' type="radio" value="dhr" checked>',
    )
    assert count(
        html,
        '<label class="govuk-label govuk-radios__label" for="id_review_type_1">'
        "Domestic abuse related death</label>",
    )


def test_checkboxes_in_a_fieldset(invalid_form):
    html = render(invalid_form)
    assert '<fieldset class="govuk-fieldset" aria-describedby="id_agencies-error">' in html
    assert '<div class="govuk-checkboxes" data-module="govuk-checkboxes">' in html
    assert count(
        html,
        '<input class="govuk-checkboxes__input" id="id_agencies_1" name="agencies"'
        ' type="checkbox" value="health">',
    )


def test_single_checkbox_is_a_small_checkbox_with_item_hint(invalid_form):
    html = render(invalid_form)
    assert 'class="govuk-checkboxes govuk-checkboxes--small"' in html
    tag = tag_with_id(html, "id_confirmed")
    assert 'type="checkbox"' in tag
    assert 'class="govuk-checkboxes__input"' in tag
    assert 'aria-describedby="id_confirmed-item-hint id_confirmed-error"' in tag
    assert '<div id="id_confirmed-item-hint" class="govuk-hint govuk-checkboxes__hint">' in html
    assert count(
        html,
        '<label class="govuk-label govuk-checkboxes__label" for="id_confirmed">'
        "I have checked the details</label>",
    )


def test_hidden_field_has_no_form_group(invalid_form):
    html = render(invalid_form)
    assert '<input type="hidden" name="stage" id="id_stage">' in html
    assert 'for="id_stage"' not in html


def test_date_input_markup(invalid_form):
    html = render(invalid_form)
    assert (
        '<fieldset class="govuk-fieldset" role="group"'
        ' aria-describedby="id_date_of_death-hint id_date_of_death-error">'
    ) in html
    assert '<div class="govuk-date-input" id="id_date_of_death">' in html
    for index, label, width in ((0, "Day", 2), (1, "Month", 2), (2, "Year", 4)):
        assert count(
            html,
            f'<label class="govuk-label govuk-date-input__label" for="id_date_of_death_{index}">'
            f"{label}</label>",
        )
        tag = tag_with_id(html, f"id_date_of_death_{index}")
        assert f'name="date_of_death_{index}"' in tag
        assert 'inputmode="numeric"' in tag
        assert f"govuk-input--width-{width}" in tag
        assert "govuk-input--error" in tag  # a date that is not real: every part is marked
    assert 'value="31"' in tag_with_id(html, "id_date_of_death_0")


def test_date_that_is_not_real():
    form = date_form(**{"0": "31", "1": "2", "2": "2027"})
    assert form.errors["date_of_death"] == ["Date of death must be a real date"]


def test_date_missing_month_marks_only_the_month():
    form = date_form(**{"0": "10", "1": "", "2": "2027"})
    assert form.errors["date_of_death"] == ["Date of death must include a month"]
    html = render(form)
    assert "govuk-input--error" in tag_with_id(html, "id_date_of_death_1")
    assert "govuk-input--error" not in tag_with_id(html, "id_date_of_death_0")
    assert "govuk-input--error" not in tag_with_id(html, "id_date_of_death_2")
    assert '<a href="#id_date_of_death_0">Date of death must include a month</a>' in html


def test_date_missing_two_parts():
    form = date_form(**{"0": "", "1": "", "2": "2027"})
    assert form.errors["date_of_death"] == ["Date of death must include a day and month"]


def test_date_required():
    form = date_form()
    assert form.errors["date_of_death"] == ["Enter the date of death"]


def test_date_year_must_have_four_digits():
    form = date_form(**{"0": "1", "1": "2", "2": "27"})
    assert form.errors["date_of_death"] == ["Year must include 4 numbers"]


def test_date_letters_are_not_a_real_date():
    form = date_form(**{"0": "x", "1": "2", "2": "2027"})
    assert form.errors["date_of_death"] == ["Date of death must be a real date"]


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [("10", "1", "2027"), ("10", "01", "2027"), (" 10 ", "Jan", "2027"), ("10", "January", "2027")],
)
def test_date_valid(day, month, year):
    form = date_form(**{"0": day, "1": month, "2": year})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date_of_death"] == datetime.date(2027, 1, 10)


def test_optional_date_left_empty_is_none():
    form = OptionalDateForm(
        data={"date_of_death_0": "", "date_of_death_1": "", "date_of_death_2": ""}
    )
    assert form.is_valid()
    assert form.cleaned_data["date_of_death"] is None
    assert "Date of death (optional)" in render(form)


def test_date_accepts_a_single_iso_value():
    form = DateForm(data={"date_of_death": "2027-01-10"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date_of_death"] == datetime.date(2027, 1, 10)


def test_date_initial_value_is_shown_in_the_three_inputs():
    form = DateForm(initial={"date_of_death": datetime.date(2027, 3, 5)})
    html = render(form)
    assert 'value="5"' in tag_with_id(html, "id_date_of_death_0")
    assert 'value="3"' in tag_with_id(html, "id_date_of_death_1")
    assert 'value="2027"' in tag_with_id(html, "id_date_of_death_2")
    same = DateForm(
        initial={"date_of_death": datetime.date(2027, 3, 5)},
        data={"date_of_death_0": "05", "date_of_death_1": "3", "date_of_death_2": "2027"},
    )
    assert not same.has_changed()


def test_date_error_messages_can_be_overridden():
    class Form(forms.Form):
        when = GovukDateField(
            label="When the death was notified",
            error_messages={"required": "Enter the date the partnership was notified"},
        )

    form = Form(data={})
    assert form.errors["when"] == ["Enter the date the partnership was notified"]


def test_date_error_added_by_the_form_marks_every_part():
    form = DateForm(
        data={"date_of_death_0": "1", "date_of_death_1": "1", "date_of_death_2": "2099"}
    )
    assert form.is_valid()
    form.add_error("date_of_death", "Date of death must be today or in the past")
    html = render(form)
    for index in range(3):
        assert "govuk-input--error" in tag_with_id(html, f"id_date_of_death_{index}")
    assert '<a href="#id_date_of_death_0">Date of death must be today or in the past</a>' in html


def test_date_widget_decompress():
    widget = GovukDateWidget()
    assert widget.decompress(datetime.date(2027, 1, 10)) == ["10", "1", "2027"]
    assert widget.decompress(None) == [None, None, None]


def test_lower_first_keeps_acronyms():
    assert lower_first("Date of death") == "date of death"
    assert lower_first("CSP decision date") == "CSP decision date"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.date(2027, 1, 10), "10 January 2027"),
        (datetime.date(2027, 12, 1), "1 December 2027"),
        (datetime.datetime(2027, 6, 30, 23, 30, tzinfo=datetime.UTC), "1 July 2027"),
        ("2027-03-04", "4 March 2027"),
        (None, "Not set"),
        ("", "Not set"),
    ],
)
def test_govuk_date_filter(value, expected):
    assert govuk_date(value) == expected
    rendered = Template("{% load govuk %}{{ value|govuk_date }}").render(Context({"value": value}))
    assert rendered == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.datetime(2027, 1, 10, 9, 5), "9:05am"),
        (datetime.datetime(2027, 1, 10, 12, 0), "midday"),
        (datetime.datetime(2027, 1, 10, 0, 0), "midnight"),
        (datetime.datetime(2027, 1, 10, 15, 0), "3pm"),
        (datetime.datetime(2027, 1, 10, 12, 30), "12:30pm"),
        # Shown in the local time zone: 22:30 UTC on 30 June is 11:30pm in London.
        (datetime.datetime(2027, 6, 30, 22, 30, tzinfo=datetime.UTC), "11:30pm"),
    ],
)
def test_govuk_time_filter(value, expected):
    rendered = Template("{% load govuk %}{{ value|govuk_time }}").render(Context({"value": value}))
    assert rendered == expected


def test_500_page_renders_without_request_or_user():
    html = get_template("500.html").render()
    assert "<title>Sorry, there is a problem with the service - Manage domestic homicide" in html
    assert html.count("<h1") == 1
    assert "Sign out" not in html
    assert 'href="/static/vendor/govuk/govuk-frontend.min.css"' in html
    assert '<script type="module" src="/static/js/app.js"></script>' in html
    assert "<script>" not in html  # no inline scripts: the CSP forbids them
    assert " style=" not in html
    assert " on" + "click=" not in html


def test_signed_in_navigation_and_messages():
    request = RequestFactory().get("/reviews/")
    request.user = SimpleNamespace(
        is_authenticated=True, email="coordinator@council.example", get_username=lambda: "c"
    )
    request.resolver_match = SimpleNamespace(namespace="reviews")
    messages = [
        Message(constants.SUCCESS, "Review DHR-2027-001 started"),
        Message(constants.INFO, "The review is paused"),
    ]
    html = get_template("404.html").render({"messages": messages}, request=request)
    assert "<title>Page not found - Manage domestic homicide reviews - GOV.UK</title>" in html
    assert "coordinator@council.example" in html
    assert 'class="govuk-service-navigation__item govuk-service-navigation__item--active"' in html
    assert 'aria-current="true"' in html
    assert 'class="govuk-service-navigation__link app-service-navigation__button"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert (
        'class="govuk-notification-banner govuk-notification-banner--success" role="alert"'
        ' aria-labelledby="govuk-notification-banner-title-1"'
    ) in html
    assert (
        'class="govuk-notification-banner" role="region"'
        ' aria-labelledby="govuk-notification-banner-title-2"'
    ) in html
    assert 'id="govuk-notification-banner-title-2"' in html
    assert "Review DHR-2027-001 started" in html
    assert "This is a new service." in html


def page_with(before_content: str) -> str:
    """Render a minimal page extending base.html, without a request."""
    source = (
        '{% extends "base.html" %}{% block title %}Review{% endblock %}'
        "{% block before_content %}" + before_content + "{% endblock %}"
        '{% block content %}<h1 class="govuk-heading-l">Review</h1>{% endblock %}'
    )
    return Template(source).render(Context({}))


def test_back_link_is_put_in_a_navigation_landmark():
    html = page_with('<a href="/reviews/" class="govuk-back-link">Back</a>')
    assert count(
        html, '<nav aria-label="Back"><a href="/reviews/" class="govuk-back-link">Back</a></nav>'
    )
    assert html.index("govuk-back-link") < html.index('id="main-content"')


def test_breadcrumbs_and_empty_before_content_are_not_wrapped():
    breadcrumbs = '<nav class="govuk-breadcrumbs" aria-label="Breadcrumb"><ol></ol></nav>'
    assert '<nav aria-label="Back">' not in page_with(breadcrumbs)
    assert count(page_with(breadcrumbs), breadcrumbs) == 1
    assert "<nav" not in page_with("")
