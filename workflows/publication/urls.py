"""Pages of one review under /reviews/<reference>/publication/ (included by workflows.urls)."""

from django.urls import path

from workflows.publication.views import (
    publication_archive_view,
    publication_name_remove,
    publication_names,
    publication_prepare,
)

urlpatterns = [
    path("", publication_prepare, name="publication_prepare"),
    path("names/", publication_names, name="publication_names"),
    path("names/<oid:name_id>/remove/", publication_name_remove, name="publication_name_remove"),
    path("archive/", publication_archive_view, name="publication_archive"),
]
