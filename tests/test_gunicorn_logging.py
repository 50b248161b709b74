"""The access log never shows a calendar, invitation or password token."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from project.gunicorn_logging import RedactingLogger

TOKEN = "s3cret-token-value"


@pytest.mark.parametrize(
    "path",
    [
        f"/calendar/feed/{TOKEN}.ics",
        f"/invitation/MTI/{TOKEN}/",
        f"/password-reset/MTI/{TOKEN}/",
    ],
)
def test_secret_addresses_are_redacted_in_the_access_log(path):
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "HTTP_REFERER": f"https://reviews.example{path}",
    }
    request = SimpleNamespace(headers=[("REFERER", f"https://reviews.example{path}")])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = RedactingLogger(Config()).atoms(response, request, environ, timedelta(seconds=1))
    logged = " ".join(str(value) for value in atoms.values())
    assert TOKEN not in logged
    assert "[redacted]" in atoms["r"]


def test_other_addresses_are_logged_as_they_are():
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/password-reset/sent/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/password-reset/sent/",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = RedactingLogger(Config()).atoms(
        response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1)
    )
    assert atoms["r"] == "GET /password-reset/sent/ HTTP/1.1"
