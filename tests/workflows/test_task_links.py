"""``task_selectors.Links`` writes "My tasks" addresses without calling ``reverse()`` for each
row: every address it gives must be the one ``reverse()`` gives."""

import pytest
from django.urls import NoReverseMatch, reverse

from workflows.task_selectors import Links

IDS = [1, 2, 9, 10, 41, 999, 123_456, 2**40, 2**63 - 1]
REFERENCES = ["TEST-2027-01", "DEMO-2026-12", "A-1", "x_y"]


@pytest.mark.parametrize("name", ["tasks:claim", "tasks:release", "tasks:reassign"])
def test_task_links_match_reverse(name):
    links = Links()
    for task_id in IDS:
        assert links(name, task_id) == reverse(name, args=[task_id])


@pytest.mark.parametrize("name", ["tasks:agency", "tasks:panel"])
def test_review_task_links_match_reverse(name):
    links = Links()
    for reference in REFERENCES:
        for task_id in IDS:
            assert links(name, reference, task_id) == reverse(name, args=[reference, task_id])


def test_review_and_step_links_match_reverse():
    links = Links()
    for reference in REFERENCES:
        assert links("reviews:detail", reference) == reverse("reviews:detail", args=[reference])
        for step in ["pause", "appoint-chair", "complete-agency-reports"]:
            assert links("reviews:step", reference, step) == reverse(
                "reviews:step", args=[reference, step]
            )


def test_a_value_reverse_would_refuse_is_refused_too():
    """A reference outside the slug's characters is not pasted in: it goes through
    ``reverse()``, which refuses it as it would on its own."""
    links = Links()
    links("reviews:detail", "TEST-2027-01")
    with pytest.raises(NoReverseMatch):
        reverse("reviews:detail", args=["odd.ref"])
    with pytest.raises(NoReverseMatch):
        links("reviews:detail", "odd.ref")
