from django.urls import path

from workflows.views.reviews import review_detail, review_list, review_start_view
from workflows.views.steps import review_step

app_name = "reviews"

urlpatterns = [
    path("", review_list, name="list"),
    path("start/", review_start_view, name="start"),
    path("<slug:reference>/", review_detail, name="detail"),
    path("<slug:reference>/steps/<slug:slug>/", review_step, name="step"),
]
