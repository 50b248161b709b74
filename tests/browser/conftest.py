"""Browser fixtures: Debian's chromium, sign-in, invented people and an axe-core check.

Every test here drives headless Chromium against pytest-django's ``live_server`` (a real
server thread on a transactional test database). Tests must be marked ``browser``; the suite's
top-level conftest skips them when chromium is missing (and fails them under CI=true).
"""

import functools
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import authenticator, authenticator_code
from tests.factories import MembershipFactory, PartnershipFactory, UserFactory
from workflows.models import Role, User
from workflows.services.reviews import review_start
from workflows.services.two_factor import two_factor_required

# pytest-playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from such a thread unless told otherwise (fixtures and assertions query the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "correct-horse-battery"  # UserFactory's password
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's chromium: Playwright cannot download its own browsers here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, stopped before the test database is dropped (otherwise its
    open connection keeps PostgreSQL from dropping the database at the end of the run)."""
    return live_server


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig) -> Path:
    """``test-results/`` (pytest-playwright's --output), where screenshots are kept for people."""
    folder = Path(pytestconfig.getoption("--output")).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, live_server, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real sign-in page and wait for the list of reviews.

    Coordinators and chairs also type the code from their authenticator app into the real
    two-factor page: the app (a confirmed device) is made for them first if they have none.
    tests/browser/test_two_factor_browser.py sets one up through the set-up page instead.
    """
    user = User.objects.get(email=email)
    device = authenticator(user) if two_factor_required(user) else None
    page.goto(f"{live_server.url}/sign-in/")
    page.locator("input[name='username']").fill(email)
    page.locator("input[name='password']").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    if device is not None:
        page.wait_for_url(f"{live_server.url}/sign-in/two-factor/?**")
        page.get_by_label("Security code").fill(authenticator_code(device))
        page.locator("main").get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/reviews/")


def days_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


# People and reviews. The top-level ``partnership`` fixture asks for ``db`` (a test wrapped in a
# rolled-back transaction, invisible to the live server's thread); this override asks for
# ``transactional_db`` so that the personas built on it (``coordinator``, ``police_author``, ...)
# are committed and the server sees them.
@pytest.fixture
def partnership(transactional_db):
    return PartnershipFactory(
        name="Testshire Community Safety Partnership", slug="testshire", code="TEST"
    )


@pytest.fixture
def second_coordinator(partnership):
    user = UserFactory(email="second.coordinator@test.example", full_name="Second Coordinator")
    MembershipFactory(user=user, partnership=partnership, role=Role.COORDINATOR)
    return user


@pytest.fixture
def started_review(partnership, coordinator):
    """Start a review through the real service, notified a few (real) days ago."""

    def start(*agencies, victim="Yolanda Madeupname", notified_days_ago=3):
        return review_start(
            partnership=partnership,
            by=coordinator,
            date_of_death=days_ago(notified_days_ago + 2),
            notified_on=days_ago(notified_days_ago),
            referred_by="Testshire Police",
            victim_real_name=victim,
            perpetrator_real_name="Quincy Inventedname",
            agencies=list(agencies),
        )

    return start


# Accessibility.
@functools.cache
def axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def axe_check(page) -> list[dict]:
    """Run axe-core on the page for WCAG 2.2 AA (and the 2.0/2.1 A and AA rules); the violations.

    axe-core is evaluated through the DevTools protocol, which the page's Content Security Policy
    does not govern: an injected <script> tag would be refused by the policy, as it should be.
    """
    page.evaluate(axe_source())
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
            .then(results => results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html,
                                          summary: n.failureSummary})),
            })))""",
        AXE_TAGS,
    )


def describe_violations(violations: list[dict]) -> str:
    """One readable paragraph per violation: rule id, help text and the offending elements."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            if node["summary"]:
                lines.append("    " + node["summary"].replace("\n", "\n    "))
    return "\n".join(lines)


def assert_accessible(page) -> None:
    violations = axe_check(page)
    assert not violations, f"axe found violations on {page.url}:\n" + describe_violations(
        violations
    )
