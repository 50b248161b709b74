"""Pages of one review under /reviews/<reference>/home-office/ (included by workflows.urls)."""

from django.urls import path

from workflows.qa import views

urlpatterns = [
    path("submissions/<int:number>/pack/", views.pack_download, name="qa_pack"),
    path("areas/", views.areas_list, name="qa_areas"),
    path("areas/<int:area_id>/done/", views.area_done, name="qa_area_done"),
    path("areas/<int:area_id>/not-done/", views.area_reopen, name="qa_area_reopen"),
]
