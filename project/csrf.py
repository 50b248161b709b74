"""The page shown when a form arrives without its security token (Django's CSRF check).

A real person meets it when a form was open across a sign-in or sign-out in another tab, or for
longer than their session; a forged post from another site meets it too. Django's own page is
plain text about "CSRF verification"; this one is a GOV.UK page that says nothing was saved and
what to do. Django still logs the refusal (logger ``django.security.csrf``) with its reason.
"""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: 403, nothing done."""
    return render(request, "403_csrf.html", status=403)
