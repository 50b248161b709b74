from django.urls import path

from workflows.views.dashboard import dashboard, dashboard_csv, dashboard_xlsx, task_chase_view

app_name = "dashboard"

urlpatterns = [
    path("", dashboard, name="index"),
    path("export.csv", dashboard_csv, name="export_csv"),
    path("export.xlsx", dashboard_xlsx, name="export_xlsx"),
    path("tasks/<oid:task_id>/chase/", task_chase_view, name="chase"),
]
