"""Production security settings, as a browser would meet them: Django's deployment checklist is
clean with nothing silenced, and answers carry HSTS, the Content Security Policy and secure
cookies.

Each case runs in a fresh Python process with ``DJANGO_ENV=production`` and the variables
production requires (see tests/test_settings.py), because settings are read once at start-up.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.test_settings import REPO, SETTINGS_VARIABLES, deploy_check, production

# One request to the sign-in page over HTTPS, and one over plain HTTP, in production mode.
PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

secure = Client().get("/sign-in/", secure=True)
plain = Client().get("/sign-in/")
print(json.dumps({
    "status": secure.status_code,
    "headers": dict(secure.headers),
    "csrf_cookie": {key: secure.cookies["csrftoken"][key] for key in ("secure", "httponly")},
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "silenced": settings.SILENCED_SYSTEM_CHECKS,
}))
"""


@pytest.fixture
def environment(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and not key.startswith("DJANGO_")
    }
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env["VAR_DIR"] = str(tmp_path / "var")
    return env


def test_the_deployment_checklist_is_clean_with_nothing_silenced(environment):
    result = deploy_check(production(environment))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_the_checklist_has_teeth(environment):
    """The same check fails on a weaker set-up: HSTS switched off is reported."""
    result = deploy_check(production(environment, SECURE_HSTS_SECONDS="0"))

    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.fixture
def answer(environment):
    env = production(environment, ALLOWED_HOSTS="dhr.example.gov.uk,testserver")
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_answers_carry_hsts_and_the_policy(answer):
    headers = answer["headers"]
    assert answer["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    policy = headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.split()[0] == "script-src")
    assert script_src.split() == ["script-src", "'self'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_production_sends_plain_http_to_https(answer):
    assert answer["plain_status"] == 301
    assert answer["plain_location"] == "https://testserver/sign-in/"


def test_production_cookies_are_secure_and_out_of_scripts_reach(answer):
    assert answer["csrf_cookie"] == {"secure": True, "httponly": True}
    assert answer["session_cookie_secure"] is True
    assert answer["session_cookie_httponly"] is True
    assert answer["silenced"] == []
