from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from project.health import healthz
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
    path("reviews/", include("workflows.urls")),
    path("tasks/", include("workflows.task_urls")),
    path("admin/", admin.site.urls),
]
