"""Pages of one review's action plan under /reviews/<reference>/action-plan/ (included by
workflows.urls, in the "reviews" namespace).

A recommendation's ``number`` is its ordinal within this one review ("recommendation 3"), shown
to people and quoted in reports, so it stays a plain number rather than an opaque id
(project/opaque_ids.py): it says nothing about how many other reviews or recommendations exist.
"""

from django.urls import path

from workflows.action_plan import views

urlpatterns = [
    path("", views.action_plan, name="action_plan"),
    path("add/", views.recommendation_add_view, name="action_plan_add"),
    path("report.pdf", views.review_board_report, name="action_plan_report"),
    path("<int:number>/change/", views.recommendation_edit_view, name="action_plan_edit"),
    path("<int:number>/progress/", views.recommendation_progress_view, name="action_plan_progress"),
    path("<int:number>/complete/", views.recommendation_complete_view, name="action_plan_complete"),
    path("<int:number>/sign-off/", views.recommendation_sign_off_view, name="action_plan_sign_off"),
    path(
        "<int:number>/send-back/",
        views.recommendation_send_back_view,
        name="action_plan_send_back",
    ),
    path("<int:number>/evidence/", views.recommendation_evidence, name="action_plan_evidence"),
]
