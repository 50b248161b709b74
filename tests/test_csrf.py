"""Cross-site request forgery: every form carries Django's token and every change refuses a post
without it.

A forged post (another site's page submitting to ours in a signed-in person's browser) arrives
with the person's cookies but without the form's token. Each POST case of the authorisation
matrix (tests/test_authorization.py) is sent as someone the matrix allows, with CSRF checks
enforced as in production, but without a token: each must be refused with 403 and change
nothing. Only the email providers' delivery webhooks are exempt (they authenticate with a shared
secret, not a browser session), and the calendar feed, which only answers GET.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.authorization_cases import world_rolled_back
from tests.conftest import TODAY
from tests.test_authorization import PERSONAS, POST_CASES, POST_EXPECTED, cells, url_for

TEMPLATES = Path(settings.BASE_DIR) / "templates"
FORM = re.compile(r"<form\b[^>]*>", re.I | re.S)
POST_METHOD = re.compile(r"""\smethod\s*=\s*["']post["']""", re.I)

# Views that take posts without a CSRF token, and why.
EXEMPT_MODULES = {
    # django-anymail's delivery and inbound webhooks: HTTP basic auth with ANYMAIL_WEBHOOK_SECRET.
    "anymail.webhooks.": "email provider webhooks (basic auth)",
}
EXEMPT_VIEWS = {
    # GOV.UK Notify's delivery callbacks: a bearer token (GOVUK_NOTIFY_CALLBACK_TOKEN).
    "govuk_notify_callback": "GOV.UK Notify's callbacks (bearer token)",
    # Answers GET only (405 otherwise) and changes nothing; exempt so that a stray post is not
    # logged by the CSRF check with the secret feed address in the path.
    "calendar:feed": "the calendar feed (GET only)",
}
# Cells of the matrix that mean the persona may make that post.
ALLOWED = {"D", "B", "C", 200, 302}


def _patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", pattern.callback


def is_exempt(name: str, view) -> bool:
    module = view.__module__
    return name in EXEMPT_VIEWS or any(module.startswith(prefix) for prefix in EXEMPT_MODULES)


# The templates.


def post_forms() -> list[tuple[str, str]]:
    """(template, the form's markup) for every ``method="post"`` form a browser may be sent."""
    forms = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith("emails/"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in FORM.finditer(text):
            if POST_METHOD.search(match.group(0)):
                end = text.find("</form>", match.end())
                forms.append((name, text[match.start() : end if end != -1 else len(text)]))
    return forms


def test_every_post_form_carries_the_token():
    forms = post_forms()
    assert len(forms) > 30
    missing = [
        f"{name}: {form.splitlines()[0]}" for name, form in forms if "{% csrf_token %}" not in form
    ]
    assert not missing, "forms without {% csrf_token %}:\n" + "\n".join(missing)


def test_every_form_says_its_method():
    """A form without ``method`` is a GET: a change sent that way would skip the CSRF check."""
    unsaid = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).parts[0] != "emails"
        for match in FORM.finditer(path.read_text(encoding="utf-8"))
        if not re.search(r"\smethod\s*=", match.group(0), re.I)
    ]
    assert not unsaid, "\n".join(unsaid)


# The views.


def test_no_view_is_exempt_but_the_webhooks_and_the_feed():
    exempt = {name for name, view in _patterns() if getattr(view, "csrf_exempt", False)}
    unexplained = {
        name for name, view in _patterns() if name in exempt and not is_exempt(name, view)
    }
    assert not unexplained, f"csrf_exempt without a reason here: {sorted(unexplained)}"
    assert {"govuk_notify_callback", "calendar:feed"} <= exempt
    assert any(name.startswith("anymail:") for name in exempt)


def first_allowed(case_id: str) -> str:
    """Who the matrix lets make this post (signed in); the coordinator where nobody may."""
    for persona, cell in zip(PERSONAS, cells(POST_EXPECTED[case_id]), strict=True):
        if persona != "anonymous" and cell in ALLOWED:
            return persona
    return "coordinator"


# Every POST case but those of the exempt views (the matrix checks what those answer).
FORGEABLE = sorted(case_id for case_id, case in POST_CASES.items() if case[0] not in EXEMPT_VIEWS)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The authorisation matrix's review and people, built once in a transaction rolled back
    at the end of the module (as in tests/test_authorization.py)."""
    media = tmp_path_factory.mktemp("csrf-media")
    with world_rolled_back(django_db_blocker, media, TODAY) as built:
        yield built


def forging_client(world, persona: str) -> Client:
    """Signed in as ``persona``, holding the CSRF cookie as anyone who opened one of our forms
    does: a forged post carries the cookie, only the token in the form is missing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[persona])
    client.get(reverse("email_preferences"))
    assert client.cookies[settings.CSRF_COOKIE_NAME].value
    return client


@pytest.mark.parametrize("case_id", FORGEABLE)
def test_a_post_without_the_token_is_refused(
    world, db, django_capture_on_commit_callbacks, case_id
):
    name, kwargs, data, watched = POST_CASES[case_id]
    persona = first_allowed(case_id)
    url = url_for(world, name, kwargs)
    client = forging_client(world, persona)
    before = watched(world)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, data(world))
    assert response.status_code == 403, (case_id, persona, response.status_code)
    assert "Sorry, your form could not be sent" in response.content.decode()
    assert watched(world) == before and not callbacks, f"{case_id}: a forged post changed data"


def test_the_same_post_with_the_token_goes_through(world, db):
    """The refusal above is the missing token, not the person: with it, the post is made."""
    name, kwargs, data, watched = POST_CASES["email_preferences"]
    url = url_for(world, name, kwargs)
    client = forging_client(world, "police_author")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    before = watched(world)
    response = client.post(url, {**data(world), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert watched(world) != before


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("/webhooks/govuk-notify/", {400, 401, 403}),
        ("/anymail/postmark/tracking/", {400}),
    ],
)
def test_the_webhooks_take_posts_without_a_token_but_check_their_secret(world, db, url, refused):
    """Reached without a CSRF token (they are not browser forms), and still refused: a post
    without the provider's secret is not believed."""
    response = Client(enforce_csrf_checks=True).post(url, "{}", content_type="application/json")
    assert response.status_code in refused
    assert b"CSRF" not in response.content
