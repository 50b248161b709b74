"""``/healthz``: what a load balancer or an operator sees when asking if the service is up."""

from unittest import mock

import pytest

from project import health

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reports_every_part_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"database": "ok", "migrations": "ok", "broker": "ok"}


def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_an_unreachable_broker_makes_the_service_unhealthy(client, monkeypatch):
    # Celery reads its broker URLs from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"
    assert body["migrations"] == "ok"


def test_a_failing_database_makes_the_service_unhealthy(client):
    def database_down():
        raise OSError("could not connect to server")

    with mock.patch.dict(health.CHECKS, {"database": database_down}):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "error: OSError: could not connect to server"
    assert body["broker"] == "ok"


def test_pending_migrations_make_the_service_unhealthy(client):
    with mock.patch.dict(health.CHECKS, {"migrations": lambda: "2 migrations not applied"}):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["migrations"] == "2 migrations not applied"


def test_a_long_error_is_cut_short(client):
    def verbose_failure():
        raise RuntimeError("x" * 1000)

    with mock.patch.dict(health.CHECKS, {"broker": verbose_failure}):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert len(response.json()["broker"]) == 300
