"""The public pages under /published/ (no sign-in)."""

app_name = "public"
urlpatterns = []
