"""The public pages under /published/ (no sign-in)."""

from django.urls import path

from workflows.public import views

app_name = "public"
urlpatterns = [
    path("", views.published_index, name="index"),
    path("<slug:slug>/", views.published_partnership, name="partnership"),
    path("<slug:slug>/documents/<str:token>/", views.published_document, name="document"),
    path(
        "<slug:slug>/documents/<str:token>/<str:file_name>",
        views.published_document,
        name="document_named",
    ),
    path("<slug:slug>/feedback/", views.published_feedback, name="feedback"),
    path("<slug:slug>/feedback/sent/", views.published_feedback_sent, name="feedback_sent"),
]
