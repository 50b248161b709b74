"""Outbox delivery: 5,000 emails through a real Celery worker and Redis to a local SMTP server.

The baseline, measured in the same run against the same SMTP server, is one process building the
same 5,000 messages with the standard library and sending them with ``smtplib`` over one
connection, before and after the product's run (averaged): the raw rate of plain Python.
The product's figure is the time from handing the rows to ``emails_dispatch`` (what a committed
transition does) until every row is marked sent, with a worker of two processes as the Procfile
runs it. Target: at least half the raw SMTP rate.

``measure()`` runs after ``django.setup()`` against the bench database; ``python -m
bench.outbox`` runs it alone against ``DATABASE_URL``. The emails it writes are addressed to
``@outbox-bench.example`` and deleted afterwards, so the data set stays as it was.
"""

import os
import smtplib
import time
from contextlib import contextmanager
from pathlib import Path

COUNT = 5000
WARM_UP = 50
DOMAIN = "outbox-bench.example"
DEFAULT_BROKER = "redis://127.0.0.1:6379/9"
TIMEOUT_SECONDS = 600


def measure(count: int = COUNT) -> list[dict]:
    """Deliver ``count`` emails both ways and return the result row(s) for the bench table."""
    from django.conf import settings

    from chaos.processes import free_port, smtp_sink

    folder = Path(settings.VAR_DIR) / "bench" / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    record = folder / "received.txt"
    record.unlink(missing_ok=True)
    _delete_bench_rows()
    sink = smtp_sink(port, record=record, log=folder / "sink.log")
    try:
        with _broker() as broker:
            # The baseline runs before and after the product and the two are averaged: on a
            # shared machine one moment can be much busier than the next.
            raw_before = _raw_smtp_rate(port, _rows(count))
            rate = _outbox_rate(port, broker, count, log=folder / "worker.log")
            raw_rate = (raw_before + _raw_smtp_rate(port, _rows(count))) / 2
    finally:
        sink.stop()
        _delete_bench_rows()
    ratio = rate / raw_rate
    return [
        {
            "name": f"Outbox delivery of {count:,} emails (Celery, 2 processes, Redis, SMTP)",
            "value": round(rate, 1),
            "unit": "emails/s",
            "baseline": round(raw_rate, 1),
            "ratio": round(ratio, 2),
            "target": "at least half the raw SMTP rate (smtplib, one process)",
            "ok": ratio >= 0.5,
        }
    ]


def _rows(count: int, *, first: int = 0) -> list[int]:
    """Write ``count`` outbox rows like a real password-reset email; return their ids."""
    from notifications.models import Email
    from notifications.outbox import email_render

    context = {
        "email": f"officer@{DOMAIN}",
        "recipient_name": "Bench Officer",
        "link": "http://127.0.0.1:8000/password/reset/MQ/bench-token/",
        "link_lifetime": "3 days",
        "sign_in_url": "http://127.0.0.1:8000/sign-in/",
    }
    subject, text, html = email_render("password_reset", context)
    rows = [
        Email(
            to_address=f"officer-{first + n:05d}@{DOMAIN}",
            kind="password_reset",
            subject=subject,
            text_body=text,
            html_body=html,
        )
        for n in range(count)
    ]
    return [row.pk for row in Email.objects.bulk_create(rows, batch_size=1000)]


def _raw_smtp_rate(port: int, email_ids: list[int]) -> float:
    """The baseline: one process building the same messages with the standard library's
    ``email`` package and sending them with ``smtplib`` over one connection.

    Building is inside the timing because any sender has to build what it sends; reading the
    rows is not (the product's figure starts with rows already written, too).
    """
    from email.message import EmailMessage
    from email.utils import make_msgid

    from django.conf import settings

    from notifications.models import Email

    rows = list(
        Email.objects.filter(pk__in=email_ids)
        .order_by("pk")
        .values_list("pk", "to_address", "subject", "text_body", "html_body")
    )
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for pk, to_address, subject, text, html in rows:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = settings.DEFAULT_FROM_EMAIL
            message["To"] = to_address
            message["Message-ID"] = make_msgid(f"email-{pk}", domain="dhr.example")
            message.set_content(text)
            message.add_alternative(html, subtype="html")
            smtp.send_message(message)
    seconds = time.perf_counter() - started
    _delete_bench_rows()
    return len(rows) / seconds


def _outbox_rate(port: int, broker: str, count: int, *, log: Path) -> float:
    """The product: rows handed to ``emails_dispatch``, sent by the worker; emails a second."""
    from chaos.processes import celery_worker, worker_ready
    from notifications.outbox import emails_dispatch
    from project.celery import app

    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }
    log.unlink(missing_ok=True)
    worker = celery_worker(env, log=log)
    try:
        worker_ready(app)
        # Untimed: each pool process opens its database connection on its first task.
        warm_up = _rows(WARM_UP, first=count)
        emails_dispatch(warm_up)
        _wait_until_sent(warm_up)
        email_ids = _rows(count)
        started = time.perf_counter()
        emails_dispatch(email_ids)
        _wait_until_sent(email_ids)
        return count / (time.perf_counter() - started)
    finally:
        worker.stop()


def _wait_until_sent(email_ids: list[int]) -> None:
    from notifications.models import Email, EmailStatus

    # bulk_create on PostgreSQL gives consecutive ids: a range count reads the primary key only.
    rows = Email.objects.filter(pk__gte=min(email_ids), pk__lte=max(email_ids))
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while rows.filter(status=EmailStatus.SENT).count() < len(email_ids):
        if time.monotonic() > deadline:
            unsent = rows.exclude(status=EmailStatus.SENT).count()
            raise TimeoutError(f"{unsent} of {len(email_ids)} bench emails unsent after 600 s")
        time.sleep(0.05)


@contextmanager
def _broker():
    """The Redis broker to use, with this process's Celery app pointed at it meanwhile.

    ``CELERY_BROKER_URL`` when it names Redis, else Redis database 9 on this machine. When the
    settings were loaded with another broker, the app's connection pools are dropped so that
    ``emails_dispatch`` here publishes where the worker listens, and restored afterwards.
    """
    from project.celery import app

    configured = app.conf.broker_url or ""
    broker = configured if configured.startswith("redis://") else DEFAULT_BROKER
    if broker == configured:
        yield broker
        return
    _point_app_at(app, broker)
    try:
        yield broker
    finally:
        _point_app_at(app, configured)


def _point_app_at(app, broker: str) -> None:
    # Celery caches a connection pool and a producer pool built from the first broker URL.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = broker


def _delete_bench_rows() -> None:
    from notifications.models import Email

    Email.objects.filter(to_address__endswith=f"@{DOMAIN}").delete()


def main() -> None:
    import json

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    for row in measure():
        print(json.dumps(row))


if __name__ == "__main__":
    main()
