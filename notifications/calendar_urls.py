from django.urls import path

from notifications.calendar_views import calendar_feed, calendar_feed_revoke_view, calendar_feeds

app_name = "calendar"

urlpatterns = [
    path("", calendar_feeds, name="feeds"),
    path("<oid:feed_id>/revoke/", calendar_feed_revoke_view, name="feed_revoke"),
    # Public (project/middleware.py): the secret token is the key.
    path("feed/<str:token>.ics", calendar_feed, name="feed"),
]
