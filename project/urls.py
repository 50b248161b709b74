from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from notifications.govuk_notify import NotifyTrackingWebhookView
from notifications.views import email_preferences, reminder_ladder
from project.health import healthz
from workflows.action_plan.views import partnership_board_report
from workflows.public.views import page_feedback
from workflows.qa.views import pack_public_download
from workflows.views.accounts import PasswordResetLinkView, password_reset, password_reset_sent
from workflows.views.home import home
from workflows.views.participants import InvitationView

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
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
    path("anymail/", include("anymail.urls")),
    path(
        "webhooks/govuk-notify/",
        NotifyTrackingWebhookView.as_view(),
        name="govuk_notify_callback",
    ),
    path("admin/", admin.site.urls),
]
