"""Every page needs sign-in except the few that are public by design."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

PUBLIC_PREFIXES = (
    "/healthz",
    "/sign-in/",
    "/invitation/",
    "/password-reset/",
    "/static/",
    "/anymail/",
    "/webhooks/",
    "/calendar/feed/",  # calendar feeds for Outlook: the secret address is the key
    "/published/",  # the public pages of published reviews
    "/home-office/packs/",  # the Home Office's link to a submission pack: the token is the key
    "/favicon.ico",
)
PUBLIC_PATHS = {"/"}


class LoginRequiredMiddleware:
    """Send anyone not signed in to the sign-in page, except on public paths."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if not public and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
