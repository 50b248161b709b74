from django.urls import include, path

from notifications.views import review_emails
from workflows.views.agencies import review_agency_add_view
from workflows.views.documents import (
    document_access_log,
    document_download,
    document_list,
    document_share_view,
    document_upload_view,
    document_view,
)
from workflows.views.participants import (
    invitation_resend_view,
    participant_remove,
    review_people,
)
from workflows.views.reviews import review_detail, review_list, review_start_view
from workflows.views.steps import review_step

app_name = "reviews"

urlpatterns = [
    path("", review_list, name="list"),
    path("start/", review_start_view, name="start"),
    # Before the <slug:reference>/ patterns, which would otherwise take "import" for a reference.
    path("import/", include("workflows.imports.urls")),
    path("<slug:reference>/", review_detail, name="detail"),
    path("<slug:reference>/steps/<slug:slug>/", review_step, name="step"),
    path("<slug:reference>/agencies/add/", review_agency_add_view, name="agency_add"),
    path("<slug:reference>/people/", review_people, name="people"),
    path(
        "<slug:reference>/people/<oid:participant_id>/remove/",
        participant_remove,
        name="participant_remove",
    ),
    path(
        "<slug:reference>/people/<oid:participant_id>/resend/",
        invitation_resend_view,
        name="invitation_resend",
    ),
    path("<slug:reference>/emails/", review_emails, name="emails"),
    path("<slug:reference>/documents/", document_list, name="documents"),
    path("<slug:reference>/documents/upload/", document_upload_view, name="document_upload"),
    path(
        "<slug:reference>/documents/versions/<oid:version_id>/download/",
        document_download,
        name="document_download",
    ),
    path(
        "<slug:reference>/documents/versions/<oid:version_id>/view/",
        document_view,
        name="document_view",
    ),
    path(
        "<slug:reference>/documents/<oid:document_id>/share/",
        document_share_view,
        name="document_share",
    ),
    path("<slug:reference>/documents/access-log/", document_access_log, name="document_access_log"),
    path("<slug:reference>/home-office/", include("workflows.qa.urls")),
    path("<slug:reference>/publication/", include("workflows.publication.urls")),
    path("<slug:reference>/action-plan/", include("workflows.action_plan.urls")),
]
