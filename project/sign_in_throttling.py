"""The name django-axes records a sign-in attempt under.

Django's sign-in form does not limit how long the email address typed may be, and axes stores
it in a 255-character column: a longer one made the attempt itself fail with a server error
instead of counting as a wrong sign-in. The address is cut to fit, so it still counts.
"""

from django.conf import settings

USERNAME_MAX_CHARS = 255  # axes' AccessAttempt.username and AccessFailureLog.username


def sign_in_username(request, credentials: dict | None = None) -> str | None:
    """The address typed, as axes would read it, cut to the length axes can store."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return username[:USERNAME_MAX_CHARS] if isinstance(username, str) else username
