"""When the database goes away in the middle of a request, say so plainly with a 503.

A transition runs in one transaction (``workflows.services.lifecycle.review_transition``), so a
lost connection rolls it back: the person's change was not saved and they can try again. Without
this, they would see the generic 500 page, which cannot tell them whether anything was saved.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class DatabaseOutageMiddleware:
    """Turn a lost or refused database connection raised by a view into a clear 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # The path holds only a review's reference, never a name; the traceback helps operations.
        logger.error(
            "database unavailable during %s %s", request.method, request.path, exc_info=True
        )
        # Rendered without the request: context processors would query the missing database.
        html = render_to_string("503.html", {"saving": request.method not in SAFE_METHODS})
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "60"
        return response
