"""Personas, review builders and service checks shared by the whole suite.

Tests that need a real service are marked (postgres, redis, celery, browser). Without the service
they skip locally; under CI=true a missing service fails the run, never skips it.
"""

import os
import shutil
import socket
import time
from datetime import date
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# Connects the sign-in receiver that starts a session's idle clock, as the server does when it
# loads its middleware at start-up (the test client loads it only at its first request).
import project.middleware  # noqa: F401
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    ParticipantFactory,
    PartnershipFactory,
    ReviewFactory,
    UserFactory,
)
from workflows.models import ParticipantRole, Review, Role, User
from workflows.stages import QaOutcome, Stage

IN_CI = os.environ.get("CI", "").lower() == "true"
TODAY = date(2027, 6, 1)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def _service_missing(marker: str) -> str | None:
    """Why the service a marker needs is not available, or None when it is."""
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL"
    if marker in ("redis", "celery"):
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if not broker.startswith("redis://") or not _reachable(broker, 6379):
            return "needs Redis: set CELERY_BROKER_URL=redis://..."
    if marker == "browser" and not shutil.which("chromium"):
        return "needs Debian's chromium"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "celery", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        missing = _service_missing(marker)
        if missing and IN_CI:
            pytest.fail(f"CI=true but the service is missing: {missing}")
        if missing:
            pytest.skip(missing)


# Two-factor sign-in in tests. Coordinators and chairs must type a code from an authenticator
# app after their password (project/middleware.py). This is the one place the suite deals with
# it for sign-ins that are not the subject of a test:
# * ``Client.force_login`` and ``Client.login`` (below) leave the session as the two-factor page
#   would: verified with the person's authenticator app (a confirmed TOTPDevice, made if they
#   have none);
# * the browser tests' ``sign_in`` (tests/browser/conftest.py) and the contention tests' client
#   (tests/workflows/contention_client.py) type the real code into the real page.
# tests/test_two_factor.py signs in without these shortcuts.
def authenticator(user) -> TOTPDevice:
    """The person's confirmed authenticator app, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Test authenticator app")


def authenticator_code(device: TOTPDevice) -> str:
    """The 6-digit code the person's app shows now, as the server will take it.

    A code is taken once, so a second sign-in within the same 30 seconds types the next code
    (the server allows one step of clock drift) or, if that is spent too, waits for it.
    """
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = max(totp.t(), device.last_t + 1)
    if step > totp.t() + device.tolerance:
        time.sleep((step - device.tolerance - device.drift) * device.step + device.t0 - time.time())
    totp.time = device.t0 + (step - device.drift) * device.step
    return f"{totp.token():0{device.digits}d}"


def _signed_in_with_two_factor(client: Client) -> None:
    session = client.session
    device = authenticator(User.objects.get(pk=session[SESSION_KEY]))
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True, scope="session")
def _test_client_signs_in_with_two_factor():
    """``force_login`` and ``login`` give a session verified with an authenticator app; ``login``
    hands django-axes the request it needs (a test client's own address)."""
    force_login, login = Client.force_login, Client.login

    def force_login_with_two_factor(self, user, backend=None):
        force_login(self, user, backend)
        _signed_in_with_two_factor(self)

    def login_with_two_factor(self, **credentials):
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        signed_in = login(self, **{"request": request, **credentials})
        if signed_in:
            _signed_in_with_two_factor(self)
        return signed_in

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login_with_two_factor)
        patch.setattr(Client, "login", login_with_two_factor)
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """A fast hasher: PBKDF2's deliberate slowness would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache of its own process's memory: the forecasts' stage
    times are kept for the day, every test runs on the same day, and clearing a shared Redis
    cache would empty it under other processes."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _send_emails_in_process():
    """Outbox emails are sent in the test's own process once their transaction commits (tests
    with a real worker start one of their own)."""
    from project.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fixed_today(request):
    """Every test runs on 1 June 2027 unless it is a live-server test (browsers need real time)."""
    if request.node.get_closest_marker("browser"):
        yield None
        return
    with time_machine.travel(TODAY, tick=True) as traveller:
        yield traveller


@pytest.fixture
def partnership(db):
    return PartnershipFactory(
        name="Testshire Community Safety Partnership", slug="testshire", code="TEST"
    )


@pytest.fixture
def police(partnership):
    return AgencyFactory(partnership=partnership, name="Testshire Police")


@pytest.fixture
def health(partnership):
    return AgencyFactory(partnership=partnership, name="Testshire Health Trust")


def _persona(partnership, email, role, agency=None):
    user = UserFactory(email=email, full_name=email.split("@")[0].replace(".", " ").title())
    if role:
        MembershipFactory(user=user, partnership=partnership, role=role, agency=agency)
    return user


@pytest.fixture
def coordinator(partnership):
    return _persona(partnership, "coordinator@test.example", Role.COORDINATOR)


@pytest.fixture
def csp_chair(partnership):
    return _persona(partnership, "csp.chair@test.example", Role.CSP_CHAIR)


@pytest.fixture
def independent_chair(partnership):
    return _persona(partnership, "independent.chair@test.example", Role.INDEPENDENT_CHAIR)


@pytest.fixture
def police_author(partnership, police):
    return _persona(partnership, "police.author@test.example", Role.AGENCY_AUTHOR, police)


@pytest.fixture
def health_author(partnership, health):
    return _persona(partnership, "health.author@test.example", Role.AGENCY_AUTHOR, health)


@pytest.fixture
def outsider(db):
    return _persona(None, "outsider@test.example", None)


@pytest.fixture
def review(partnership, police):
    """A review at "Notified", notified on 10 January 2027, with the police in scope."""
    made = ReviewFactory(partnership=partnership)
    made.review_agencies.create(agency=police)
    return made


@pytest.fixture
def police_participant(review, police_author, police, coordinator):
    """The police author taking part in ``review`` as its agency report author: agency roles
    show a review only to the people added to it."""
    return ParticipantFactory(
        review=review,
        user=police_author,
        role=ParticipantRole.AGENCY_AUTHOR,
        agency=police,
        added_by=coordinator,
    )


# Facts a review holds once it has reached each stage, so that every guard is satisfied there.
def _facts_for(stage: str, chair) -> dict:
    facts = {}
    later_than_setup = stage not in (
        Stage.NOTIFIED,
        Stage.SCOPING,
        Stage.NOT_COMMISSIONED,
        Stage.HOME_OFFICE_CHALLENGE,
    )
    if stage != Stage.NOTIFIED:
        facts.update(decided_on=date(2027, 2, 1), commissioned=stage != Stage.NOT_COMMISSIONED)
    if later_than_setup:
        facts.update(
            commissioned_on=date(2027, 2, 1),
            independent_chair=chair,
            victim_pseudonym="Robin",
            chair_appointed_on=date(2027, 2, 10),
        )
    if stage in (
        Stage.LOCAL_SIGN_OFF,
        Stage.HOME_OFFICE_QA,
        Stage.PUBLICATION,
        Stage.ACTION_PLAN,
        Stage.CLOSED,
    ):
        facts.update(
            overview_report_final=True,
            executive_summary_final=True,
            action_plan_final=True,
            signed_off_on=date(2027, 5, 1),
        )
    if stage in (Stage.PUBLICATION, Stage.ACTION_PLAN, Stage.CLOSED):
        facts.update(qa_outcome=QaOutcome.APPROVED, qa_outcome_on=date(2027, 5, 20))
    return facts


AGENCIES_REPORTED = (
    Stage.AGENCY_REPORTS,
    Stage.DRAFTING,
    Stage.LOCAL_SIGN_OFF,
    Stage.HOME_OFFICE_QA,
    Stage.PUBLICATION,
    Stage.ACTION_PLAN,
    Stage.CLOSED,
)


@pytest.fixture
def review_at(partnership, police, independent_chair):
    """Build a review already at ``stage`` with the facts that stage implies.

    The stage field is protected, so the builder writes it with a queryset update: a test
    set-up shortcut, never used by the product.
    """

    def build(stage: str, paused_from: str = Stage.AGENCY_REPORTS) -> Review:
        made = ReviewFactory(partnership=partnership)
        # From the agency reports stage on, the police have reported (nil return), so the
        # guard on leaving that stage is met; tests of that guard build their own.
        reported = stage in AGENCIES_REPORTED or paused_from in AGENCIES_REPORTED
        made.review_agencies.create(agency=police, involvement="not_involved" if reported else "")
        facts = _facts_for(paused_from if stage == Stage.PAUSED else stage, independent_chair)
        extra = {"stage_before_pause": paused_from} if stage == Stage.PAUSED else {}
        Review.objects.filter(pk=made.pk).update(stage=stage, **facts, **extra)
        if stage == Stage.PAUSED:
            made.pauses.create(
                reason="inquest",
                stage=paused_from,
                paused_on=date(2027, 4, 1),
                paused_by=independent_chair,
            )
        return Review.objects.get(pk=made.pk)

    return build
