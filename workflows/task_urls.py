from django.urls import path

from workflows.views.agency_tasks import agency_task
from workflows.views.panel import panel_comment
from workflows.views.reassignment import (
    bulk_reassign_view,
    cover_end_view,
    cover_list,
    task_reassign_view,
)
from workflows.views.tasks import task_claim_view, task_list, task_release_view

app_name = "tasks"

urlpatterns = [
    path("", task_list, name="list"),
    path("<oid:task_id>/claim/", task_claim_view, name="claim"),
    path("<oid:task_id>/release/", task_release_view, name="release"),
    path("<oid:task_id>/reassign/", task_reassign_view, name="reassign"),
    path("bulk-reassign/", bulk_reassign_view, name="bulk_reassign"),
    path("cover/", cover_list, name="cover"),
    path("cover/<oid:cover_id>/end/", cover_end_view, name="cover_end"),
    path("<slug:reference>/agency/<oid:task_id>/", agency_task, name="agency"),
    path("<slug:reference>/panel/<oid:task_id>/", panel_comment, name="panel"),
]
