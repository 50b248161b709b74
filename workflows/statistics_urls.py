from django.urls import path

from workflows.views import statistics

app_name = "statistics"

urlpatterns = [
    path("", statistics.statistics_index, name="index"),
    # Before the partnership pattern: a partnership cannot take the slug "national".
    path("national/", statistics.national_statistics, name="national"),
    path("region/<slug:slug>/", statistics.region_statistics, name="region"),
    path("<slug:slug>/", statistics.partnership_statistics, name="partnership"),
]
