"""Posting fuzzed answers to one form of the product and checking what came back.

For each form (a :class:`FormCase`), the page is read once as the person allowed to use it, and
its fields are taken from the form the view rendered (``response.context``), so a field added to
a form is fuzzed too. Then, each in a savepoint rolled back afterwards so examples do not build
on each other:

1. the valid answers are posted and must be accepted (the case is set up right);
2. Hypothesis posts the valid answers with one to three fields replaced by hostile text, a date
   that is not one, an id of something else, a huge number or a bad file (or left out).

Every post must answer without a server error. A refused post (a page with errors, a 4xx, or a
redirect with an error message) must leave every row of every table as it was and queue no email
on commit. No response, and no page showing stored values after an accepted post, may hold a
payload unescaped. What each form tried is counted in ``COUNTS`` (written to
``var/fuzz/counts.json`` at the end of the session, see ``tests/fuzz/conftest.py``).
"""

import copy
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django import forms
from django.conf import settings as django_settings
from django.contrib.messages import ERROR, get_messages
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project.forms import GovukDateField
from tests.fuzz.strategies import RAW_MARKERS, for_field

# form name -> tried, accepted, refused, unchanged
COUNTS: dict[str, Counter] = defaultdict(Counter)
# form name -> the last answer's status code and form errors, to say why a case went wrong
LAST: dict[str, tuple] = {}
# FUZZ_SCALE=10 runs ten times the examples of each form, for a deeper search by hand.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
# Rows these tables hold change with any request, refused or not: the session a test client
# holds, and the sign-in attempts django-axes records (failed sign-ins must be counted).
IGNORED_TABLES = ("django_session",)
IGNORED_PREFIXES = ("axes_",)


@dataclass
class FormCase:
    """One form: where it is posted, who posts it, and answers that the product accepts."""

    name: str
    url: str
    user: object | None
    # Field name -> a valid value: a string, a list (multiple choices), [day, month, year] for a
    # date, or a function making a fresh file for a file field. Fields not named are fuzzed only.
    valid: dict
    # The context name of the form in the page; posted as is, and never fuzzed: ``extra``.
    form_key: str = "form"
    extra: dict = field(default_factory=dict)
    # Pages that show what the form stored: read after each accepted post.
    pages: tuple[str, ...] = ()
    # Others who read those pages (the chair reading a panel member's comments), None for the
    # public; the person posting always reads them.
    readers: tuple = ()
    max_examples: int = 40
    # Run on the client before the form's page is read (a link that puts a token in the session).
    prepare: Callable[[Client], None] | None = None
    # Where refusals are all the form can do in its world, say so here (and why, in the test).
    expect_accepted: bool = True


def fuzz_form(case: FormCase, capture_on_commit) -> Counter:
    """Post the valid answers, then ``case.max_examples`` fuzzed ones; return the outcomes."""
    client = Client()
    if case.user is not None:
        client.force_login(case.user)
    if case.prepare is not None:
        case.prepare(client)
    page = client.get(case.url)
    assert page.status_code == 200, f"{case.name}: the form's page answered {page.status_code}"
    assert_escaped(page, case.name)
    form = page.context[case.form_key]
    assert form is not None, f"{case.name}: no form named {case.form_key!r} on the page"
    fields = {form.add_prefix(name): field for name, field in form.fields.items()}
    cookies = copy.deepcopy(client.cookies)
    readers = [_client_for(reader) for reader in case.readers]
    outcomes: Counter = Counter()

    def attempt(values: dict) -> None:
        # Each post starts from the same signed-in client, whatever the last one did.
        client.cookies = copy.deepcopy(cookies)
        data = encode(fields, values)
        outcome = post_once(client, readers, case, data, capture_on_commit)
        outcomes[outcome] += 1
        COUNTS[case.name][outcome] += 1
        COUNTS[case.name]["tried"] += 1

    attempt(dict(case.valid))
    if case.expect_accepted:
        assert outcomes["accepted"] == 1, (
            f"{case.name}: the valid answers were not accepted: {LAST[case.name]}"
        )

    any_pks = _all_pks(fields)
    # None leaves the field out of the post altogether.
    strategies = {
        name: st.one_of(for_field(field, case.valid.get(name), any_pks), st.just(None))
        for name, field in fields.items()
    }

    @settings(
        max_examples=max(1, int(case.max_examples * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(answers(strategies, case.valid))
    def fuzzed(values):
        attempt(values)

    fuzzed()
    assert outcomes["refused"] > 0, f"{case.name}: no fuzzed answer was refused: {outcomes}"
    return outcomes


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def answers(strategies: dict, valid: dict) -> st.SearchStrategy[dict]:
    """The valid answers with one to three fields fuzzed: with every field fuzzed at once, a
    form refuses nearly every example, and what it would store is never shown to anyone."""
    names = sorted(strategies)

    @st.composite
    def draw_answers(draw):
        chosen = draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(3, len(names))))
        values = {name: valid[name] for name in names if name in valid}
        values.update({name: draw(strategies[name]) for name in sorted(chosen)})
        return values

    return draw_answers()


def post_once(client: Client, readers: list, case: FormCase, data: dict, capture_on_commit) -> str:
    """Post once in a savepoint that is rolled back; return accepted, refused or unchanged."""
    with transaction.atomic():
        before, files_before = snapshot(), stored_files()
        with capture_on_commit() as callbacks:
            response = client.post(case.url, {**case.extra, **data})
        after, new_files = snapshot(), stored_files() - files_before
        assert response.status_code < 500, f"{case.name}: {response.status_code} for {data!r}"
        assert_escaped(response, case.name)
        changed = sorted(table for table in after if after[table] != before.get(table))
        LAST[case.name] = (response.status_code, form_errors(response))
        if is_refusal(response):
            assert not changed, f"{case.name}: refused, yet {changed} changed, for {data!r}"
            assert not callbacks, f"{case.name}: refused, yet work was queued, for {data!r}"
            assert not new_files, f"{case.name}: refused, yet {new_files} stored, for {data!r}"
            outcome = "refused"
        elif changed or callbacks:
            outcome = "accepted"
            read_pages(client, readers, case, response)
        else:
            outcome = "unchanged"
        transaction.set_rollback(True)
    return outcome


def read_pages(client: Client, readers: list, case: FormCase, response) -> None:
    """The page the form led to, and those that show what it stored, escape every payload."""
    visits = [(client, url) for url in case.pages]
    visits += [(reader, url) for reader in readers for url in case.pages]
    if response.status_code in (301, 302, 303):
        visits.insert(0, (client, response["Location"]))
    for reader, url in visits:
        shown = reader.get(url)
        assert shown.status_code < 500, f"{case.name}: {url} answered {shown.status_code}"
        assert_escaped(shown, f"{case.name} then {url}")


def is_refusal(response) -> bool:
    """A page with errors, a 4xx, or a redirect carrying an error message."""
    if response.status_code in (301, 302, 303):
        return any(message.level >= ERROR for message in get_messages(response.wsgi_request))
    if response.status_code >= 400:
        return True
    return bool(form_errors(response)) or b'class="govuk-error-summary"' in response.content


def form_errors(response) -> dict:
    """The errors of every bound form the page rendered."""
    errors = {}
    for context in response.context or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                errors.update(value.errors)
    return errors


def assert_escaped(response, where: str) -> None:
    if "html" not in response.get("Content-Type", "") or getattr(response, "streaming", False):
        return
    for marker in RAW_MARKERS:
        assert marker not in response.content, f"{where}: {marker!r} reached the page unescaped"


def encode(fields: dict, values: dict) -> dict:
    """The POST body for ``values``: a date's three parts, lists as repeated keys, no Nones."""
    data = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(fields.get(name), GovukDateField) and isinstance(value, list | tuple):
            for index, part in enumerate(value):
                data[f"{name}_{index}"] = part
        elif callable(value):
            data[name] = value()
        else:
            data[name] = value
    return data


def stored_files() -> set[Path]:
    """Every file in the storage the uploads go to (a temporary folder in these tests)."""
    return {path for path in Path(django_settings.MEDIA_ROOT).rglob("*") if path.is_file()}


_TABLES: list[str] = []


def snapshot() -> dict[str, str]:
    """A digest of every row of every table (one query), to prove a refusal changed nothing."""
    if not _TABLES:
        _TABLES.extend(
            table
            for table in sorted(connection.introspection.table_names())
            if table not in IGNORED_TABLES and not table.startswith(IGNORED_PREFIXES)
        )
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT '{table}', md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f"FROM {quote(table)} t"
        for table in _TABLES
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def _all_pks(fields: dict) -> dict:
    """Every pk of each model a choice field offers from: ids of things the user may not pick."""
    found = {}
    for choice in fields.values():
        if isinstance(choice, forms.ModelChoiceField):
            model = choice.queryset.model
            found[model] = list(model._default_manager.values_list("pk", flat=True)[:50])
    return found
