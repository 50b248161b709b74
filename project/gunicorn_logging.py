"""Gunicorn's access log, without the secrets some addresses carry.

Calendar feed addresses, invitation links and password links hold a token that grants access:
the access log (and the Referer it records) shows them as ``[redacted]``.
Used with ``gunicorn --logger-class project.gunicorn_logging.RedactingLogger``.
"""

import re

from gunicorn.glogging import Logger

SECRET_PATH = re.compile(
    r"(/calendar/feed/|/home-office/packs/|/invitation/|/password-reset/(?!sent/))[^\s\"?]+"
)


def redact(text):
    if not isinstance(text, str):
        return text
    return SECRET_PATH.sub(r"\1[redacted]", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # Every atom: the request line, the path, the Referer, and the environ copies of them.
        return {key: redact(value) for key, value in atoms.items()}
