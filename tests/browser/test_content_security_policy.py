"""The Content Security Policy: sent on every page, with no inline script allowed, and no page of
the service breaks it.

The browser tests drive the main pages in Chromium with the policy enforced (no ``bypass_csp``)
and record every ``securitypolicyviolation`` event, console error or warning and uncaught script
error: each page must have none. The plain tests read the header itself and check that the page
templates hold nothing the policy would refuse.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from workflows.demo import load_demo
from workflows.models import Review
from workflows.stages import Stage

DEMO_PASSWORD = "correct-horse-battery-staple"
COORDINATOR = "coordinator@demo.example"
POLICE_AUTHOR = "police.author@demo.example"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered to PDF by WeasyPrint (Home Office cover sheet, board report), never sent to a browser:
# their <style> blocks are the PDF's stylesheet.
PDF_TEMPLATES = {"qa/cover_sheet.html", "action_plan/board_report.html"}

# Every violation the page reports, collected before any of the page's own scripts run (init
# scripts are evaluated by the DevTools protocol, outside the policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', event => {
  window.__cspViolations.push({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ':' + event.lineNumber,
    sample: event.sample,
  });
});
"""


def directives(header: str) -> dict[str, list[str]]:
    """``"default-src 'self'; img-src 'self' data:"`` as {directive: [sources]}."""
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


# The header, read by the test client.


@pytest.mark.parametrize("path", ["/", "/sign-in/", "/published/", "/no-such-page/"])
def test_every_answer_carries_the_policy(db, path):
    response = Client().get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    for directive in ("default-src", "script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'"]


def test_a_signed_in_page_carries_the_policy(client, coordinator, review):
    client.force_login(coordinator)
    response = client.get(f"/reviews/{review.reference}/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]


# The templates: nothing inline that the policy would refuse.
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S), "a style attribute"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S), "an event handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: address"),
]


def page_templates() -> list[Path]:
    """Every template a browser may be sent: not the emails, not the PDFs' sources."""
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).parts[0] != "emails"
        and path.relative_to(TEMPLATES).as_posix() not in PDF_TEMPLATES
    ]


def test_page_templates_hold_no_inline_script_or_style():
    templates = page_templates()
    assert len(templates) > 50 and TEMPLATES / "base.html" in templates
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in templates
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("markup", "what"),
    [
        ("<script>alert(1)</script>", "an inline <script>"),
        ('<p style="color: red">', "a style attribute"),
        ('<button type="button"\n  onclick="go()">', "an event handler attribute"),
        ("<style>p {}</style>", "a <style> block"),
        ('<a href="javascript:go()">', "a javascript: address"),
    ],
)
def test_the_template_check_finds_what_it_looks_for(markup, what):
    assert [label for pattern, label in INLINE if pattern.search(markup)] == [what]
    assert not any(
        pattern.search('<script type="module" src="/static/js/app.js"></script>')
        for pattern, _ in INLINE
    )


# The pages in Chromium, with the policy enforced.


@pytest.fixture
def demo(transactional_db, settings):
    """The invented demo partnership; its review at the agency reports stage."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(DEMO_PASSWORD)
    return Review.objects.get(stage=Stage.AGENCY_REPORTS)


@pytest.fixture
def watched_page(page):
    """The page, recording what the browser says about it: policy violations (from an init
    script), console errors and warnings, uncaught script errors."""
    said = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            said.append((f"console {message.type}: {message.text}", message.location["url"]))
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: said.append((f"script error: {error}", page.url)))
    page.said = said
    return page


def visit(page, url: str, status: int = 200) -> None:
    """Open ``url`` and fail on any violation or complaint the browser recorded there (but the
    "Failed to load resource" Chromium logs for a page that is meant to be an error page)."""
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    page.wait_for_load_state("networkidle")
    if status >= 400:
        page.said[:] = [
            (text, source)
            for text, source in page.said
            if not (source == url and text.startswith("console error: Failed to load resource"))
        ]
    assert_nothing_said(page)


def assert_nothing_said(page) -> None:
    violations = page.evaluate("window.__cspViolations")
    assert not violations, f"{page.url} breaks the Content Security Policy: {violations}"
    assert not page.said, f"{page.url}: " + "\n".join(text for text, _source in page.said)


@pytest.mark.browser
def test_the_browser_enforces_the_policy_and_the_recorder_sees_it(watched_page, live_server):
    """The check itself works: a script added inline is refused and reported."""
    page = watched_page
    page.goto(f"{live_server.url}/sign-in/")
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true';
            document.body.appendChild(script);
        }"""
    )
    assert page.evaluate("window.inlineRan") is None
    violations = page.wait_for_function("window.__cspViolations.length > 0") and page.evaluate(
        "window.__cspViolations"
    )
    assert violations[0]["directive"] == "script-src-elem"
    assert any("Content Security Policy" in text for text, _source in page.said)


@pytest.mark.browser
def test_the_main_pages_break_no_policy(watched_page, live_server, demo):
    page = watched_page
    url = live_server.url
    visit(page, f"{url}/")
    visit(page, f"{url}/sign-in/")
    visit(page, f"{url}/published/")
    visit(page, f"{url}/published/demoshire/")

    sign_in(page, live_server, COORDINATOR, DEMO_PASSWORD)
    assert_nothing_said(page)
    notified = Review.objects.filter(stage=Stage.NOTIFIED).order_by("notified_on").first()
    for path in [
        "/reviews/",
        "/dashboard/",
        "/tasks/",
        f"/reviews/{demo.reference}/",
        f"/reviews/{demo.reference}/documents/",
        f"/reviews/{demo.reference}/people/",
        f"/reviews/{notified.reference}/steps/decide/",
        "/tasks/cover/",
        "/calendar/",
    ]:
        visit(page, url + path)
    visit(page, f"{url}/no-such-page/", status=404)
    visit(page, f"{url}/reviews/NO-SUCH-REVIEW/", status=404)

    # A form sent back with errors: GOV.UK Frontend's error summary moves the focus by script.
    visit(page, f"{url}/reviews/{notified.reference}/steps/decide/")
    page.get_by_label("No, do not hold a review").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".govuk-error-summary").count() == 1
    assert_nothing_said(page)


@pytest.mark.browser
def test_an_agency_authors_pages_break_no_policy(watched_page, live_server, demo):
    page = watched_page
    sign_in(page, live_server, POLICE_AUTHOR, DEMO_PASSWORD)
    visit(page, f"{live_server.url}/tasks/")
    page.get_by_role("link", name="Say whether your agency knew the people involved").first.click()
    page.wait_for_load_state("networkidle")
    assert_nothing_said(page)


@pytest.mark.browser
def test_a_form_sent_without_its_token_gets_a_clear_page(watched_page, live_server, demo):
    """A form open across a sign-in elsewhere (here: its CSRF cookie gone) is refused with a
    GOV.UK page that says nothing was saved, itself within the policy and accessible."""
    page = watched_page
    sign_in(page, live_server, POLICE_AUTHOR, DEMO_PASSWORD)
    visit(page, f"{live_server.url}/account/emails/")
    page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.locator("main button[type=submit]").first.click()
    assert sent.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, your form could not be sent")
    page.said[:] = [(text, source) for text, source in page.said if "403" not in text]
    assert_nothing_said(page)
    assert_accessible(page)
