"""Fuzzing the forms that are read from the address: the dashboard's filters and sorting (and its
exports), the statistics' year, the access log's page and the sign-in page's ``next``. A GET
stores nothing, so the checks are: no server error, and no payload unescaped."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import COUNTS, SCALE, assert_escaped
from tests.fuzz.strategies import HOSTILE, hostile_text, number_text

pytestmark = pytest.mark.postgres

# page -> (URL name, its arguments from the world, the persona, the parameters it reads)
PAGES = {
    "dashboard filters": (
        "dashboard:index",
        None,
        "coordinator",
        ("stage", "status", "chair", "agency", "sort", "order"),
    ),  # fmt: skip
    "dashboard CSV export": ("dashboard:export_csv", None, "coordinator", ("stage", "sort")),
    "statistics year": (
        "statistics:partnership",
        lambda w: {"slug": "testshire"},
        "coordinator",
        ("year",),
    ),
    "document access log page": (
        "reviews:document_access_log",
        lambda w: {"reference": w.review.reference},
        "coordinator",
        ("page",),
    ),
    "sign-in next": ("login", None, None, ("next",)),
}


def values() -> st.SearchStrategy[str]:
    return st.one_of(
        hostile_text(100), number_text(), st.sampled_from(HOSTILE), st.just("//evil.example/")
    )


@pytest.mark.parametrize("page", list(PAGES))
def test_query_string(world, db, page):
    name, kwargs, persona, params = PAGES[page]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    client = Client()
    if persona:
        client.force_login(world.users[persona])

    @settings(
        max_examples=max(1, int(25 * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.dictionaries(st.sampled_from(params), values(), min_size=1))
    def fuzzed(query):
        response = client.get(url, query)
        COUNTS[f"query: {page}"]["tried"] += 1
        assert response.status_code < 500, (response.status_code, query)
        assert_escaped(response, f"{page} with {query!r}")

    fuzzed()
