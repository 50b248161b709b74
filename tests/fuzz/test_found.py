"""What the fuzzing found, each pinned by a plain test so it cannot come back unnoticed."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.urls import reverse

from project.forms import GovukDateField


@pytest.mark.parametrize(
    "parts",
    [
        ["1", "²", "2027"],  # str.isdigit() says yes, int() says no
        ["²", "1", "2027"],
        ["1", "1", "²⁰²⁷"],
        ["0", "99999999999999999999", "0000"],  # a month too big for datetime's C long
        ["99999999999999999999", "1", "2027"],
    ],
)
def test_a_date_that_is_not_one_is_an_error_not_a_crash(parts):
    field = GovukDateField(label="Date of death")
    with pytest.raises(ValidationError) as refused:
        field.clean(parts)
    assert refused.value.messages == ["Date of death must be a real date"]


def test_a_sign_in_with_a_very_long_address_counts_as_a_wrong_one(client, db, police_author):
    """axes stores the address in 255 characters: a longer one crashed the sign-in."""
    address = "a" * 300 + "@test.example"
    response = client.post(reverse("login"), {"username": address, "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert AccessAttempt.objects.get().username == address[:255]


def test_the_statistics_ignore_a_year_that_is_not_a_number(client, db, coordinator):
    client.force_login(coordinator)
    url = reverse("statistics:partnership", kwargs={"slug": "testshire"})
    assert client.get(url, {"year": "²"}).status_code == 200
