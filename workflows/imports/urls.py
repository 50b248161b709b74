"""The import's pages, included under /reviews/import/ in the "reviews" namespace."""

from django.urls import path

from workflows.imports.views import review_import_check, review_import_template, review_import_view

urlpatterns = [
    path("", review_import_view, name="import"),
    path("check/", review_import_check, name="import_check"),
    path("template.csv", review_import_template, name="import_template"),
]
