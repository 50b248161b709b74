import functools

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.urls import include, path, register_converter
from django.urls import re_path as django_path

from notifications.govuk_notify import NotifyTrackingWebhookView
from notifications.views import email_preferences, reminder_ladder
from project.health import healthz
from project.opaque_ids import OpaqueIdConverter
from workflows.action_plan.views import partnership_board_report
from workflows.public.views import page_feedback
from workflows.qa.views import pack_public_download
from workflows.views.accounts import PasswordResetLinkView, password_reset, password_reset_sent
from workflows.views.home import home
from workflows.views.participants import InvitationView
from workflows.views.sign_in import two_factor_setup, two_factor_verify

# Database ids in addresses are opaque strings (project/opaque_ids.py). Registered here, before
# the include()s below import the URL modules that use it.
register_converter(OpaqueIdConverter, "oid")


def anymail_tracking_urls():
    """Anymail's delivery-report webhooks only: the service receives no inbound email.

    A provider that is not set up here (its signing key unset) makes anymail raise a
    configuration error inside the view; a stranger's post to it is answered 404, not 500.
    """
    from anymail import urls as anymail_urls
    from anymail.exceptions import AnymailConfigurationError

    def unconfigured_is_404(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except AnymailConfigurationError:
                raise Http404("This email provider's webhook is not set up.") from None

        return wrapped

    return [
        django_path(str(url.pattern), unconfigured_is_404(url.callback), name=url.name)
        for url in anymail_urls.urlpatterns
        if "tracking" in (url.name or "")
    ]


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # The second step of sign-in for coordinators and chairs (project/middleware.py sends them).
    path("sign-in/two-factor/", two_factor_verify, name="two_factor_verify"),
    path("sign-in/two-factor/set-up/", two_factor_setup, name="two_factor_setup"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitation/<uidb64>/<token>/", InvitationView.as_view(), name="invitation"),
    path("password-reset/", password_reset, name="password_reset"),
    path("password-reset/sent/", password_reset_sent, name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        PasswordResetLinkView.as_view(),
        name="password_reset_confirm",
    ),
    path("reviews/", include("workflows.urls")),
    path("tasks/", include("workflows.task_urls")),
    path("dashboard/", include("workflows.dashboard_urls")),
    path("statistics/", include("workflows.statistics_urls")),
    path("calendar/", include("notifications.calendar_urls")),
    path("published/", include("workflows.public.urls")),
    # The Home Office's link to a submission pack (no sign-in: the token is the key).
    path("home-office/packs/<str:token>/", pack_public_download, name="qa_pack_link"),
    path("account/emails/", email_preferences, name="email_preferences"),
    path("partnerships/<slug:slug>/reminders/", reminder_ladder, name="reminder_ladder"),
    path(
        "partnerships/<slug:slug>/action-plan-report.pdf",
        partnership_board_report,
        name="action_plan_partnership_report",
    ),
    path("partnerships/<slug:slug>/page-feedback/", page_feedback, name="page_feedback"),
    # Delivery reports from the email provider: anymail's webhooks (HTTP basic auth with
    # ANYMAIL_WEBHOOK_SECRET) and GOV.UK Notify's callbacks (a bearer token).
    path("anymail/", include((anymail_tracking_urls(), "anymail"))),
    path(
        "webhooks/govuk-notify/",
        NotifyTrackingWebhookView.as_view(),
        name="govuk_notify_callback",
    ),
    path("admin/", admin.site.urls),
]
