from django.urls import path

from workflows.views.agency_tasks import agency_task
from workflows.views.tasks import task_claim_view, task_list, task_release_view

app_name = "tasks"

urlpatterns = [
    path("", task_list, name="list"),
    path("<int:task_id>/claim/", task_claim_view, name="claim"),
    path("<int:task_id>/release/", task_release_view, name="release"),
    path("<slug:reference>/agency/<int:task_id>/", agency_task, name="agency"),
]
