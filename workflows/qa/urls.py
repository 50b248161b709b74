"""Pages of one review under /reviews/<reference>/home-office/ (included by workflows.urls).

Areas for final development are database ids, so they are opaque (``<oid:...>``, see
project/opaque_ids.py). A submission's ``number`` is its ordinal within this one review
("submission 2"), shown to people anyway, so it stays a plain number.
"""

from django.urls import path

from workflows.qa import views

urlpatterns = [
    path("submissions/<int:number>/pack/", views.pack_download, name="qa_pack"),
    path("areas/", views.areas_list, name="qa_areas"),
    path("areas/<oid:area_id>/done/", views.area_done, name="qa_area_done"),
    path("areas/<oid:area_id>/not-done/", views.area_reopen, name="qa_area_reopen"),
]
