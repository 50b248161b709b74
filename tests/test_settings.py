"""Settings as an operator meets them: production refuses to start without its secrets, and with
nothing set the service runs on one machine (SQLite and a filesystem broker).

Each case runs in a fresh Python process, because settings are read once at start-up.
"""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Variables that would change what the settings choose; each test starts without them.
SETTINGS_VARIABLES = (
    "DJANGO_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_BACKEND",
    "DEMO_PASSWORD",
    "VAR_DIR",
)


@pytest.fixture
def environment(tmp_path):
    """The current environment without any settings variable, with ``var/`` in a temporary
    folder so that nothing here touches the repository's own ``var/``."""
    env = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_* also drops DJANGO_ALLOW_ASYNC_UNSAFE, which browser tests set in this process.
        if key not in SETTINGS_VARIABLES and not key.startswith("DJANGO_")
    }
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env["VAR_DIR"] = str(tmp_path / "var")
    return env


def production(env: dict, **overrides) -> dict:
    """A complete production environment, changed by ``overrides`` (None removes a variable)."""
    alphabet = string.ascii_letters + string.digits + string.punctuation.replace("'", "")
    env = {
        **env,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
        "ALLOWED_HOSTS": "dhr.example.gov.uk",
        # check --deploy does not connect to the database, so no server needs to listen here.
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
    }
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key(environment):
    result = deploy_check(production(environment, SECRET_KEY=None))

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_blank_secret_key(environment):
    result = deploy_check(production(environment, SECRET_KEY="   "))

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(environment):
    result = deploy_check(production(environment, ALLOWED_HOSTS=None))

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_refuses_to_start_without_a_database(environment):
    result = deploy_check(production(environment, DATABASE_URL=None))

    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_production_with_everything_set_passes_the_deployment_checklist(environment):
    result = deploy_check(production(environment))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def read_settings(env: dict, *names: str) -> list[str]:
    """The values of ``names`` as the settings resolve them in ``env``, one per line."""
    code = (
        "import django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from project.celery import app\n"
        f"for name in {names!r}:\n"
        "    if name == 'DATABASE_ENGINE':\n"
        "        print(settings.DATABASES['default']['ENGINE'])\n"
        "    elif name == 'DATABASE_NAME':\n"
        "        print(settings.DATABASES['default']['NAME'])\n"
        "    elif name == 'celery':\n"
        "        print(app.conf.broker_url)\n"
        "    else:\n"
        "        print(getattr(settings, name))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_with_nothing_set_the_service_runs_on_one_machine(environment, tmp_path):
    engine, name, broker, celery_broker, production_flag, debug = read_settings(
        environment,
        "DATABASE_ENGINE",
        "DATABASE_NAME",
        "CELERY_BROKER_URL",
        "celery",
        "PRODUCTION",
        "DEBUG",
    )

    assert engine == "django.db.backends.sqlite3"
    assert Path(name) == tmp_path / "var" / "db.sqlite3"
    assert broker == celery_broker == "filesystem://"
    assert (tmp_path / "var" / "celery" / "broker").is_dir()
    assert (production_flag, debug) == ("False", "False")


def test_a_database_url_switches_to_postgresql(environment):
    environment["DATABASE_URL"] = "postgres://u@127.0.0.1:5432/x"

    (engine,) = read_settings(environment, "DATABASE_ENGINE")

    assert engine == "django.db.backends.postgresql"


def test_production_keeps_cookies_secure_and_debug_off(environment):
    secure = read_settings(
        production(environment),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "DEMO_PASSWORD",
    )

    assert secure == ["False", "True", "True", "True", ""]
