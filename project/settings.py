"""Settings for Manage domestic homicide reviews.

Every default is the embedded one: SQLite in ``var/``, Celery on kombu's filesystem transport,
emails written to ``var/mail/``. Environment variables switch to production parts. With
``DJANGO_ENV=production`` the settings refuse to start without their secrets.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return value


ENVIRONMENT = env_str("DJANGO_ENV", "embedded")
PRODUCTION = ENVIRONMENT == "production"

if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
    env_required("DATABASE_URL")
    DEBUG = False
else:
    # A fixed key is acceptable only because embedded mode never leaves the developer's machine.
    SECRET_KEY = env_str("SECRET_KEY", "embedded-only-not-secret-" + "x" * 40)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    DEBUG = env_bool("DEBUG", False)

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "viewflow",
    "viewflow.workflow",
    "django_celery_beat",
    "anymail",
    # Two-factor sign-in (TOTP authenticator apps) for coordinators and chairs.
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Sign-in throttling: too many wrong passwords lock that sign-in for a while.
    "axes",
    "workflows",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content Security Policy header (CONTENT_SECURITY_POLICY, under "Security." below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.middleware.LoginRequiredMiddleware",
    "project.database_outage.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# viewflow's engine runs our flows; its own frontend and middleware are not used.
VIEWFLOW = {"AUTOREGISTER": False}

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "project.context_processors.service",
            ],
        },
    },
]
FORM_RENDERER = "project.forms.GovukFormRenderer"

# Databases: SQLite in var/ unless DATABASE_URL names a server.
if env_str("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL"), conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # WAL and immediate transactions let the web, worker and beat share one file
            # without "database is locked" errors on concurrent writes.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "workflows.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviews:list"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out sign-in before the password is checked.
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes): this many wrong passwords for one email address from one
# IP address lock that pair out for the cool-off period. A new password (reset link) unlocks.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field, whatever USERNAME_FIELD is
# Cut to the length axes stores, so a very long address counts as a wrong sign-in, not a crash.
AXES_USERNAME_CALLABLE = "project.sign_in_throttling.sign_in_username"
AXES_RESET_ON_SUCCESS = True
# Tries while locked out do not push the time to try again further away (the page says when).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "workflows.views.sign_in.locked_out"
# Behind load balancers every request arrives from their address, which would make the lockout
# per email address alone (anyone could lock a person out). TRUSTED_PROXY_COUNT says how many
# proxies stand in front, so the person's own address is read from X-Forwarded-For.
if env_int("TRUSTED_PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
# Two-factor sign-in (django-otp, TOTP) for coordinators and chairs: the name authenticator
# apps show, and the wait after each wrong code (1, 2, 4, 8... seconds).
OTP_TOTP_ISSUER = "Manage domestic homicide reviews"
OTP_TOTP_THROTTLE_FACTOR = 1
# A session with no request for this long ends (SESSION_COOKIE_AGE, below, ends any session
# that long after sign-in).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
if not PRODUCTION:
    # WhiteNoise serves through the finders here; an existing root keeps it from warning.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded documents: files under var/media by default; S3-compatible storage when a bucket is set.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
STORAGES = {
    "default": {
        "BACKEND": (
            "storages.backends.s3.S3Storage"
            if AWS_STORAGE_BUCKET_NAME
            else "django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": (
            "project.storage.StaticStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"
# The largest document a person may upload (reports with appendices run to tens of megabytes).
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 25 * 1024 * 1024)
# Days the Home Office's link to a submission pack keeps working.
QA_PACK_LINK_DAYS = env_int("QA_PACK_LINK_DAYS", 90)
# Answers to "Was this page helpful?" one address may send in an hour, across the public pages.
PAGE_FEEDBACK_PER_HOUR = env_int("PAGE_FEEDBACK_PER_HOUR", 5)
# Months a published review's page must stay up before a coordinator may archive it.
PUBLISHED_PAGES_KEEP_MONTHS = env_int("PUBLISHED_PAGES_KEEP_MONTHS", 12)
# Invitation and password links are single use and expire after this many seconds (3 days).
PASSWORD_RESET_TIMEOUT = env_int("INVITATION_LINK_SECONDS", 3 * 24 * 60 * 60)

# Celery: kombu's filesystem transport by default, so one machine needs nothing else.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    _processed_dir = VAR_DIR / "celery" / "processed"
    for _folder in (_broker_dir, _processed_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        # The worker looks for new messages this often (seconds); kombu's default of one second
        # would cap the embedded set-up at about one email a second.
        "polling_interval": 0.1,
        # Broadcast (pidbox) exchanges: under var/, not the directory the worker started in.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
# Django's cache holds figures that change slowly and are cheap to get wrong for a while: a
# partnership's typical stage durations behind the forecasts (workflows/monitoring/forecast.py),
# kept until the end of the day at most, and the statistics pages' figures, kept for
# STATISTICS_CACHE_SECONDS (workflows/views/statistics.py). It also holds each manager's
# dashboard, never out of date: its key changes with every change to what it shows
# (workflows/change_counts.py), and DASHBOARD_CACHE_SECONDS only bounds how long one is kept.
# Redis (its own db, CACHE_URL) when Celery's broker is Redis, so every web process shares one
# copy; this process's memory otherwise.
if CELERY_BROKER_URL.startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("CACHE_URL", "redis://127.0.0.1:6379/2"),
            "KEY_PREFIX": "dhr",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATISTICS_CACHE_SECONDS = env_int("STATISTICS_CACHE_SECONDS", 10 * 60)
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 10 * 60)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Synced into django-celery-beat's database schedule when beat starts.
CELERY_BEAT_SCHEDULE = {
    "recompute-open-deadlines": {
        "task": "workflows.recompute_open_deadlines",
        "schedule": crontab(hour=2, minute=15),
    },
    # Reminders are by date; running hourly means a missed run is caught up within the hour.
    "sweep-reminders": {"task": "notifications.sweep_reminders", "schedule": crontab(minute=5)},
    "send-stuck-emails": {
        "task": "notifications.send_stuck_emails",
        "schedule": env_int("EMAIL_SWEEP_SECONDS", 120),
    },
    "send-daily-digests": {
        "task": "notifications.send_daily_digests",
        "schedule": crontab(hour=7, minute=30),
    },
}

# Email: files in var/mail by default; an anymail provider in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
# Used only with Django's SMTP backend (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "reviews@dhr.example")
# Every ANYMAIL_<NAME> environment variable becomes ANYMAIL["<NAME>"], e.g. ANYMAIL_MAILGUN_API_KEY.
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_")
}
# Delivery webhooks accept only posts with this basic-auth "user:password". Without one set, a
# random secret refuses every post, so nobody can forge a delivery report.
ANYMAIL.setdefault("WEBHOOK_SECRET", "anymail:" + secrets.token_urlsafe(32))
HOME_OFFICE_EMAIL = env_str("HOME_OFFICE_EMAIL", "dhrenquiries@homeoffice.example")
# Statutory recipients of the completed report (Domestic Violence, Crime and Victims Act 2004,
# s9(3B); the Secretary of State as well for a DARDR under the Victims and Prisoners Act 2024).
DOMESTIC_ABUSE_COMMISSIONER_EMAIL = env_str(
    "DOMESTIC_ABUSE_COMMISSIONER_EMAIL", "reviews@domesticabusecommissioner.example"
)
SECRETARY_OF_STATE_EMAIL = env_str("SECRETARY_OF_STATE_EMAIL", HOME_OFFICE_EMAIL)
# An email claimed for sending this long ago, and not sent, had its worker die: send it again.
EMAIL_STUCK_AFTER_SECONDS = env_int("EMAIL_STUCK_AFTER_SECONDS", 600)
# A new email is sent by its own task within seconds; the sweep only picks up older ones.
EMAIL_READY_GRACE_SECONDS = env_int("EMAIL_READY_GRACE_SECONDS", 60)
# Bearer token GOV.UK Notify presents on its delivery callbacks.
GOVUK_NOTIFY_CALLBACK_TOKEN = env_str("GOVUK_NOTIFY_CALLBACK_TOKEN")

# Security.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
# A form sent without its token (a forged post, or a page open across a sign-in) is refused with
# a GOV.UK page rather than Django's plain one.
CSRF_FAILURE_VIEW = "project.csrf.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp 4): scripts, styles, fonts and images only from this
# service's own address, never inline and never eval, so a payload that slips into a page cannot
# run. Pages keep no inline <script>, <style>, style="" or on...="" attributes (templates/ is
# checked by tests/browser/test_content_security_policy.py). The authenticator app's QR code is
# inline SVG markup, so images need no data: URIs. Nothing may frame a page (as X-Frame-Options).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Logs go to standard error; they carry references and pseudonyms, never real names.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint narrates every PDF it makes (cover sheets, board reports) at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Demo sign-ins exist only in the embedded set-up; load_demo refuses to run in production.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "" if PRODUCTION else "demo-password-2027")
