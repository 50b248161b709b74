"""Authorisation: every URL of the product, for every persona, and nothing leaks.

One review of the Testshire partnership is driven through the real services to the agency reports
stage (police and health in scope, their people, documents and open flow tasks), beside a review
of another partnership. Each row below is one URL (or one variant: which document, which task,
which step); each column is a persona. A cell is what that persona must get:

* ``200``, ``403``, ``404``, ``405``: that status code;
* ``L``: the redirect to the sign-in page (``LoginRequiredMiddleware``);
* ``R``: a redirect to the reviews list (signed-in people on the start and sign-in pages);
* ``I``: a redirect within ``/invitation/`` (a valid link moves its token into the session);
  ``P`` the same within ``/password-reset/``;
* ``H``: the health check's answer (200, or 503 when a service it checks is down), to anyone.

POST rows add ``D`` (done: a redirect, and the change was made) and ``B`` (bounced: a redirect to
the task list with an error message). Every refusal is checked to have changed nothing (the rows
each case watches, and no email queued on commit).

Decisions the table records (read from the code):

* Review-specific pages answer 404 to anyone who may not see the review (``selectors.review_for``)
  so that a reference that exists and one that does not look the same; the pages that are not
  about one review answer 403 (``reviews:start``), and so do actions on a review the person can
  see but may not take (removing people, uploading, sharing).
* An agency task page is for whoever holds the task's role in that agency (or covers for them);
  everyone else gets 404, the coordinator and the chair included (``services.tasks.may_do``).
* Anyone who works in the partnership may arrange cover for themself, with any colleague of the
  partnership as delegate (``services.reassignment.cover_start``).
* The document access log is the coordinator's alone (404 to everyone else).
* A panel member sees the review but no document at all, not even the terms of reference
  (``document_permissions.visible_documents_q`` needs an agency role).
* POST-only URLs answer 405 to a signed-in GET before any permission check: 405 says nothing.

Leak checks on every response: real names (victim, perpetrator, and an uploaded file name that
holds the victim's name) only for the coordinator, CSP chair and the review's independent chair;
the other partnership's names and reference never; the review's reference never to the outsider;
a document's bytes only in the download or view of that document, for those allowed.

Adding a URL to the product without adding its row here fails ``test_every_url_has_a_row``.
"""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from notifications.models import CalendarFeed, Email, EmailPreference, ReminderLadder
from tests.authorization_cases import (
    OTHER_REAL_NAMES,
    PERPETRATOR,
    REAL_NAMES,
    VICTIM,
    pdf,
    product_url_names,
    world_rolled_back,
)
from tests.conftest import TODAY
from workflows.models import (
    Cover,
    DevelopmentArea,
    DocumentVersion,
    PageFeedback,
    Participant,
    Recommendation,
    RestrictedName,
    Review,
)
from workflows.steps import STEPS

# Columns of every row, in this order. Table headers: ann(onymous), out(sider), hlt (health
# author), pol(ice author), mgr (police senior manager), pnl (panel member), chr (independent
# chair), crd (coordinator), csp (CSP chair).
PERSONAS = (
    "anonymous",
    "outsider",  # signed in, no role anywhere
    "health_author",  # the author of another agency, seen from the police
    "police_author",
    "police_manager",  # the police's senior manager
    "panel_member",
    "chair",  # the review's independent chair
    "coordinator",
    "csp_chair",
)
SEES_REAL_NAMES = {"chair", "coordinator", "csp_chair"}
# Redirect cells: where the redirect goes (``L`` is checked to carry ``?next=`` back here).
REDIRECTS = {
    "R": "/reviews/",
    "I": "/invitation/",
    "P": "/password-reset/",
    "C": "/tasks/cover/",
    # The import's check page with nothing waiting to be checked goes back to the upload.
    "M": "/reviews/import/",
}

# fmt: off
# The expected answer to a GET, for each URL (or variant) and persona.
#   "@other": the other partnership's review in the URL; "[x]": which document, task or step.
GET_EXPECTED = {
    # persona:                                          ann out hlt pol mgr pnl chr crd csp
    "home":                                            "200 R   R   R   R   R   R   R   R",
    "healthz":                                         "H   H   H   H   H   H   H   H   H",
    "login":                                           "200 R   R   R   R   R   R   R   R",
    "two_factor_verify":                               "L   R   R   R   R   R   R   R   R",
    "two_factor_setup":                                "L   R   R   R   R   R   R   R   R",
    "logout":                                          "L   405 405 405 405 405 405 405 405",
    "invitation[valid]":                               "I   I   I   I   I   I   I   I   I",
    "invitation[expired]":                             "200 200 200 200 200 200 200 200 200",
    "password_reset":                                  "200 200 200 200 200 200 200 200 200",
    "password_reset_sent":                             "200 200 200 200 200 200 200 200 200",
    "password_reset_confirm[valid]":                   "P   P   P   P   P   P   P   P   P",
    "password_reset_confirm[expired]":                 "200 200 200 200 200 200 200 200 200",
    "reviews:list":                                    "L   200 200 200 200 200 200 200 200",
    "reviews:start":                                   "L   403 403 403 403 403 403 200 403",
    "reviews:import":                                  "L   403 403 403 403 403 403 200 403",
    "reviews:import_template":                         "L   403 403 403 403 403 403 200 403",
    "reviews:import_check":                            "L   403 403 403 403 403 403 M   403",
    "reviews:detail":                                  "L   404 200 200 200 200 200 200 200",
    "reviews:detail@other":                            "L   404 404 404 404 404 404 404 404",
    "reviews:agency_add":                              "L   404 404 404 404 404 404 200 404",
    "reviews:agency_add@other":                        "L   404 404 404 404 404 404 404 404",
    "reviews:people":                                  "L   404 200 200 200 200 200 200 200",
    "reviews:people@other":                            "L   404 404 404 404 404 404 404 404",
    "reviews:participant_remove[police_author]":       "L   404 403 403 403 403 403 200 403",
    "reviews:participant_remove[other]":               "L   404 403 403 403 403 403 404 403",
    "reviews:invitation_resend":                       "L   405 405 405 405 405 405 405 405",
    "reviews:documents":                               "L   404 200 200 200 200 200 200 200",
    "reviews:documents@other":                         "L   404 404 404 404 404 404 404 404",
    "reviews:document_upload":                         "L   404 200 200 403 403 200 200 403",
    "reviews:document_upload@other":                   "L   404 404 404 404 404 404 404 404",
    "reviews:document_download[terms]":                "L   404 200 200 200 404 200 200 200",
    "reviews:document_download[police_chronology]":    "L   404 404 200 200 404 200 200 200",
    "reviews:document_download[police_report]":        "L   404 404 200 200 404 200 200 200",
    "reviews:document_download[health_chronology]":    "L   404 200 404 404 404 200 200 200",
    "reviews:document_download[combined]":             "L   404 404 404 404 404 200 200 200",
    "reviews:document_download[other_report]":         "L   404 404 404 404 404 404 404 404",
    "reviews:document_download[other_report]@other":   "L   404 404 404 404 404 404 404 404",
    "reviews:document_view[terms]":                    "L   404 200 200 200 404 200 200 200",
    "reviews:document_view[police_chronology]":        "L   404 404 200 200 404 200 200 200",
    "reviews:document_view[police_report]":            "L   404 404 200 200 404 200 200 200",
    "reviews:document_view[health_chronology]":        "L   404 200 404 404 404 200 200 200",
    "reviews:document_view[combined]":                 "L   404 404 404 404 404 200 200 200",
    "reviews:document_view[other_report]":             "L   404 404 404 404 404 404 404 404",
    "reviews:document_view[other_report]@other":       "L   404 404 404 404 404 404 404 404",
    "reviews:document_share":                          "L   405 405 405 405 405 405 405 405",
    "reviews:document_access_log":                     "L   404 404 404 404 404 404 200 404",
    "reviews:document_access_log@other":               "L   404 404 404 404 404 404 404 404",
    # Steps: at the agency reports stage only these three are offered (the chair's is blocked
    # by its guard, and shown with why); every other step is 404 to everyone.
    "reviews:step[appoint-chair]":                     "L   404 404 404 404 404 404 200 404",
    "reviews:step[complete-agency-reports]":           "L   404 404 404 404 404 200 200 404",
    "reviews:step[pause]":                             "L   404 404 404 404 404 404 200 200",
    "reviews:step[<any other step>]":                  "L   404 404 404 404 404 404 404 404",
    "reviews:step[no-such-step]":                      "L   404 404 404 404 404 404 404 404",
    "reviews:step[pause]@other":                       "L   404 404 404 404 404 404 404 404",
    "reviews:emails":                                  "L   404 403 403 403 403 403 200 403",
    "reviews:emails@other":                            "L   404 404 404 404 404 404 404 404",
    "email_preferences":                               "L   200 200 200 200 200 200 200 200",
    "reminder_ladder":                                 "L   403 403 403 403 403 403 200 403",
    "reminder_ladder@other":                           "L   403 403 403 403 403 403 403 403",
    # The provider's delivery callback is public and takes only a POST with its token.
    "govuk_notify_callback":                           "405 405 405 405 405 405 405 405 405",
    "calendar:feeds":                                  "L   200 200 200 200 200 200 200 200",
    "calendar:feed_revoke[coordinator]":               "L   405 405 405 405 405 405 405 405",
    # The secret address is the key: whoever holds it reads the feed (the outsider's is empty).
    "calendar:feed[outsider]":                         "200 200 200 200 200 200 200 200 200",
    "calendar:feed[revoked]":                          "404 404 404 404 404 404 404 404 404",
    "calendar:feed[unknown]":                          "404 404 404 404 404 404 404 404 404",
    "dashboard:index":                                 "L   403 403 403 403 403 403 200 200",
    "dashboard:export_csv":                            "L   403 403 403 403 403 403 200 200",
    "dashboard:export_xlsx":                           "L   403 403 403 403 403 403 200 200",
    "dashboard:chase":                                 "L   405 405 405 405 405 405 405 405",
    # Statistics: the partnership's managers; regions and the nation for regional leads only.
    "statistics:index":                                "L   403 403 403 403 403 403 200 200",
    "statistics:partnership":                          "L   403 403 403 403 403 403 200 200",
    "statistics:partnership@other":                    "L   403 403 403 403 403 403 403 403",
    "statistics:partnership[unknown]":                 "L   404 404 404 404 404 404 404 404",
    "statistics:region":                               "L   403 403 403 403 403 403 403 403",
    "statistics:region[unknown]":                      "L   404 404 404 404 404 404 404 404",
    "statistics:national":                             "L   403 403 403 403 403 403 403 403",
    "tasks:list":                                      "L   200 200 200 200 200 200 200 200",
    "tasks:claim":                                     "L   405 405 405 405 405 405 405 405",
    "tasks:release":                                   "L   405 405 405 405 405 405 405 405",
    "tasks:reassign[health_scoping]":                  "L   404 404 404 404 404 404 200 404",
    "tasks:reassign[police_scoping]":                  "L   404 404 404 404 404 404 404 404",
    "tasks:reassign[other_scoping]":                   "L   404 404 404 404 404 404 404 404",
    "tasks:bulk_reassign":                             "L   404 404 404 404 404 404 200 404",
    "tasks:cover":                                     "L   200 200 200 200 200 200 200 200",
    "tasks:cover_end":                                 "L   405 405 405 405 405 405 405 405",
    # Agency tasks: police scoping and report are done, the sign-off waits for the police's
    # senior manager, health's scoping for its author; the chair's task is not an agency's.
    "tasks:agency[police_scoping]":                    "L   404 404 200 404 404 404 404 404",
    "tasks:agency[police_report]":                     "L   404 404 200 404 404 404 404 404",
    "tasks:agency[police_sign_off]":                   "L   404 404 404 200 404 404 404 404",
    # The review is at agency reports: a review-flow task is no panel request, so 404 for all
    # (panel members' own requests are tested in tests/workflows/test_panel_comments.py).
    "tasks:panel[not_a_panel_request]":                "L   404 404 404 404 404 404 404 404",
    "tasks:agency[health_scoping]":                    "L   404 200 404 404 404 404 404 404",
    "tasks:agency[chair_task]":                        "L   404 404 404 404 404 404 404 404",
    "tasks:agency[other_scoping]":                     "L   404 404 404 404 404 404 404 404",
    "tasks:agency[other_scoping]@other":               "L   404 404 404 404 404 404 404 404",
    # Home Office QA: the link emailed to the Home Office is the key; the signed-in pack is for
    # those who see all of a review's documents; areas are ticked by the chair or coordinator.
    "qa_pack_link[valid]":                             "200 200 200 200 200 200 200 200 200",
    "qa_pack_link[unknown]":                           "404 404 404 404 404 404 404 404 404",
    "reviews:qa_pack":                                 "L   404 404 404 404 404 200 200 200",
    "reviews:qa_pack[unknown]":                        "L   404 404 404 404 404 404 404 404",
    "reviews:qa_pack@other":                           "L   404 404 404 404 404 404 404 404",
    "reviews:qa_areas":                                "L   404 200 200 200 200 200 200 200",
    "reviews:qa_areas@other":                          "L   404 404 404 404 404 404 404 404",
    "reviews:qa_area_done":                            "L   404 403 403 403 403 200 200 403",
    "reviews:qa_area_reopen":                          "L   405 405 405 405 405 405 405 405",
    # Publication: for the partnership's managers and the chair, from the publication stage on
    # (404 before; others on the review 403); restricted names are for the coordinator and the
    # independent chair alone.
    "reviews:publication_prepare":                     "L   404 403 403 403 403 404 404 404",
    "reviews:publication_names":                       "L   404 403 403 403 403 200 200 403",
    "reviews:publication_names@other":                 "L   404 404 404 404 404 404 404 404",
    "reviews:publication_name_remove":                 "L   404 403 403 403 403 200 200 403",
    "reviews:publication_archive":                     "L   404 403 403 403 403 404 404 404",
    # Action plan: seen by all on the review; changed by the coordinator (from local sign-off,
    # so 403 at agency reports), progressed by the owner (the police author); the owner and
    # coordinator are sent back to the plan with a message where the step does not apply (a
    # recommendation not completed cannot be signed off); board reports for managers.
    "reviews:action_plan":                             "L   404 200 200 200 200 200 200 200",
    "reviews:action_plan@other":                       "L   404 404 404 404 404 404 404 404",
    "reviews:action_plan_add":                         "L   404 403 403 403 403 403 403 403",
    "reviews:action_plan_edit":                        "L   404 403 302 403 403 403 302 403",
    "reviews:action_plan_progress":                    "L   404 403 200 403 403 403 200 403",
    "reviews:action_plan_complete":                    "L   404 403 200 403 403 403 200 403",
    "reviews:action_plan_sign_off":                    "L   404 403 302 403 403 403 302 403",
    "reviews:action_plan_send_back":                   "L   404 403 302 403 403 403 302 403",
    "reviews:action_plan_evidence":                    "L   404 404 404 404 404 404 404 404",
    "reviews:action_plan_report":                      "L   404 403 403 403 403 403 200 200",
    "action_plan_partnership_report":                  "L   403 403 403 403 403 403 200 200",
    "action_plan_partnership_report@other":            "L   403 403 403 403 403 403 403 403",
    "page_feedback":                                   "L   403 403 403 403 403 403 200 200",
    "page_feedback@other":                             "L   403 403 403 403 403 403 403 403",
    # Public pages: nothing of this partnership is published, so only the list answers; a
    # guessed token of its unpublished publication is a 404 like any unknown one.
    "public:index":                                    "200 200 200 200 200 200 200 200 200",
    "public:partnership":                              "404 404 404 404 404 404 404 404 404",
    "public:document[unpublished]":                    "404 404 404 404 404 404 404 404 404",
    "public:document_named[unpublished]":              "404 404 404 404 404 404 404 404 404",
    "public:document[version_id]":                     "404 404 404 404 404 404 404 404 404",
    "public:feedback":                                 "404 404 404 404 404 404 404 404 404",
    "public:feedback_sent":                            "404 404 404 404 404 404 404 404 404",
}

# The expected answer to a POST. D: done (a redirect, and the change was made); B: bounced to
# the task list with an error, nothing changed. Every other cell also means nothing changed.
POST_EXPECTED = {
    # persona:                                          ann out hlt pol mgr pnl chr crd csp
    "two_factor_verify":                               "L   R   R   R   R   R   R   R   R",
    "two_factor_setup":                                "L   R   R   R   R   R   R   R   R",
    "reviews:start":                                   "L   403 403 403 403 403 403 200 403",
    "reviews:import":                                  "L   403 403 403 403 403 403 200 403",
    "reviews:import_check":                            "L   403 403 403 403 403 403 M   403",
    "reviews:step[pause]":                             "L   404 404 404 404 404 404 D   D",
    "reviews:step[complete-agency-reports]":           "L   404 404 404 404 404 200 200 404",
    "reviews:step[appoint-chair]":                     "L   404 404 404 404 404 404 D   404",
    "reviews:step[pause]@other":                       "L   404 404 404 404 404 404 404 404",
    "reviews:agency_add":                              "L   404 404 404 404 404 404 D   404",
    "reviews:people":                                  "L   404 403 403 403 403 403 D   403",
    "reviews:participant_remove":                      "L   404 403 403 403 403 403 D   403",
    "reviews:invitation_resend":                       "L   404 403 403 403 403 403 D   403",
    "reviews:document_upload":                         "L   404 200 D   403 403 D   D   403",
    "reviews:document_share[combined]":                "L   404 404 404 404 404 D   D   403",
    "reviews:document_share[police_report]":           "L   404 404 403 403 404 403 403 403",
    "reviews:document_share[other_report]":            "L   404 404 404 404 404 404 404 404",
    "email_preferences":                               "L   D   D   D   D   D   D   D   D",
    # Anyone may ask for a link for any address: it goes to that address, never to the asker.
    "password_reset":                                  "D   D   D   D   D   D   D   D   D",
    "reminder_ladder":                                 "L   403 403 403 403 403 403 D   403",
    "reminder_ladder@other":                           "L   403 403 403 403 403 403 403 403",
    "govuk_notify_callback":                           "400 400 400 400 400 400 400 400 400",
    # Chasing is for those who manage the partnership; another partnership's task is not found.
    "dashboard:chase[health_scoping]":                 "L   403 403 403 403 403 403 D   D",
    "dashboard:chase[other_scoping]":                  "L   403 403 403 403 403 403 404 404",
    "calendar:feeds":                                  "L   D   D   D   D   D   D   D   D",
    "calendar:feed_revoke[coordinator]":               "L   404 404 404 404 404 404 D   404",
    "calendar:feed[outsider]":                         "405 405 405 405 405 405 405 405 405",
    "tasks:claim[health_scoping]":                     "L   404 D   B   B   B   B   B   B",
    "tasks:claim[police_sign_off]":                    "L   404 B   B   D   B   B   B   B",
    "tasks:claim[chair_task]":                         "L   404 B   B   B   B   B   B   B",
    "tasks:claim[other_scoping]":                      "L   404 404 404 404 404 404 404 404",
    "tasks:release[chair_task]":                       "L   404 B   B   B   B   D   B   B",
    "tasks:release[health_scoping]":                   "L   404 B   B   B   B   B   B   B",
    "tasks:release[other_scoping]":                    "L   404 404 404 404 404 404 404 404",
    "tasks:reassign[health_scoping]":                  "L   404 404 404 404 404 404 D   404",
    "tasks:reassign[other_scoping]":                   "L   404 404 404 404 404 404 404 404",
    "tasks:bulk_reassign":                             "L   404 404 404 404 404 404 200 404",
    # Anyone who works in the partnership may arrange cover for themself (the coordinator, for
    # anyone); the outsider has no partnership and gets no form.
    # An agency's work is never covered from outside the agency: the colleague (no agency)
    # may cover the panel member and chairs, not the agency people (a form error, no change).
    "tasks:cover":                                     "L   200 200 200 200 D   D   200 D",
    # The person covered and the coordinator may end a cover; the delegate sees it but cannot.
    "tasks:cover_end[planned]":                        "L   404 404 D   C   404 404 D   404",
    "tasks:cover_end[other]":                          "L   404 404 404 404 404 404 404 404",
    "tasks:agency[police_sign_off]":                   "L   404 404 404 D   404 404 404 404",
    "tasks:agency[health_scoping]":                    "L   404 D   404 404 404 404 404 404",
    "tasks:agency[other_scoping]":                     "L   404 404 404 404 404 404 404 404",
    "reviews:qa_area_done":                            "L   404 403 403 403 403 D   D   403",
    # Unticking an area that is not done changes nothing (the coordinator is told so).
    "reviews:qa_area_reopen":                          "L   404 403 403 403 403 403 302 403",
    "reviews:publication_names":                       "L   404 403 403 403 403 D   D   403",
    "reviews:publication_name_remove":                 "L   404 403 403 403 403 D   D   403",
    "reviews:action_plan_add":                         "L   404 403 403 403 403 403 403 403",
    "reviews:action_plan_progress":                    "L   404 403 D   403 403 403 D   403",
    "reviews:action_plan_complete":                    "L   404 403 D   403 403 403 D   403",
    "public:feedback":                                 "404 404 404 404 404 404 404 404 404",
}
# fmt: on


# Building each URL's arguments from the world (see tests/authorization_cases.py).
def ref(world, which="review"):
    return {"reference": getattr(world, which).reference}


def version(key, which="review"):
    return lambda w: {**ref(w, which), "version_id": w.versions[key].pk}


def document(key):
    return lambda w: {**ref(w), "document_id": w.versions[key].document_id}


def task(key, which=None):
    if which is None:
        return lambda w: {"task_id": w.tasks[key].pk}
    return lambda w: {**ref(w, which), "task_id": w.tasks[key].pk}


def participant(key):
    return lambda w: {**ref(w), "participant_id": w.participants[key].pk}


def cover(key):
    return lambda w: {"cover_id": w.covers[key].pk}


def step(slug, which="review"):
    return lambda w: {**ref(w, which), "slug": slug}


def feed_id(key):
    return lambda w: {"feed_id": w.feeds[key][0].pk}


def feed_token(key):
    return lambda w: {"token": w.feeds[key][1]}


def partnership(key):
    return lambda w: {"slug": w.partnerships[key].slug}


def area(w):
    return {**ref(w), "area_id": w.publishing["area"].pk}


def restricted_name(w):
    return {**ref(w), "name_id": w.publishing["restricted_name"].pk}


def recommendation(w):
    return {**ref(w), "number": w.publishing["recommendation"].number}


def public_token(w):
    return {"slug": "testshire", "token": w.publishing["unpublished_document"].token}


def of_review(w):
    return ref(w)


def of_other(w):
    return ref(w, "other")


def invitation(w):
    return w.invitation


def expired_invitation(w):
    return {"uidb64": w.invitation["uidb64"], "token": "0-0"}


def _files():
    """Download and view, for each document: case id -> (URL name, arguments, document key)."""
    cases = {}
    for kind in ("document_download", "document_view"):
        for key in DOCUMENT_KEYS:
            cases[f"reviews:{kind}[{key}]"] = (f"reviews:{kind}", version(key), key)
        cases[f"reviews:{kind}[other_report]@other"] = (
            f"reviews:{kind}",
            version("other_report", "other"),
            "other_report",
        )
    return cases


DOCUMENT_KEYS = (
    "terms",
    "police_chronology",
    "police_report",
    "health_chronology",
    "combined",  # not shared with the agencies yet
    "other_report",  # another partnership's, asked for under this review
)
FILE_CASES = _files()
FILES = {case_id: key for case_id, (_name, _kwargs, key) in FILE_CASES.items()}

# case id: (URL name, its arguments)
GET_CASES = {
    "home": ("home", None),
    "healthz": ("healthz", None),
    "login": ("login", None),
    "two_factor_verify": ("two_factor_verify", None),
    "two_factor_setup": ("two_factor_setup", None),
    "logout": ("logout", None),
    "invitation[valid]": ("invitation", invitation),
    "invitation[expired]": ("invitation", expired_invitation),
    "password_reset": ("password_reset", None),
    "password_reset_sent": ("password_reset_sent", None),
    "password_reset_confirm[valid]": ("password_reset_confirm", invitation),
    "password_reset_confirm[expired]": ("password_reset_confirm", expired_invitation),
    "reviews:list": ("reviews:list", None),
    "reviews:start": ("reviews:start", None),
    "reviews:import": ("reviews:import", None),
    "reviews:import_template": ("reviews:import_template", None),
    "reviews:import_check": ("reviews:import_check", None),
    "reviews:detail": ("reviews:detail", of_review),
    "reviews:detail@other": ("reviews:detail", of_other),
    "reviews:agency_add": ("reviews:agency_add", of_review),
    "reviews:agency_add@other": ("reviews:agency_add", of_other),
    "reviews:people": ("reviews:people", of_review),
    "reviews:people@other": ("reviews:people", of_other),
    "reviews:participant_remove[police_author]": (
        "reviews:participant_remove",
        participant("police_author"),
    ),
    # Another review's participant, under this review's reference.
    "reviews:participant_remove[other]": ("reviews:participant_remove", participant("other")),
    "reviews:invitation_resend": ("reviews:invitation_resend", participant("invitee")),
    "reviews:documents": ("reviews:documents", of_review),
    "reviews:documents@other": ("reviews:documents", of_other),
    "reviews:document_upload": ("reviews:document_upload", of_review),
    "reviews:document_upload@other": ("reviews:document_upload", of_other),
    **{case_id: (name, kwargs) for case_id, (name, kwargs, _key) in FILE_CASES.items()},
    "reviews:document_share": ("reviews:document_share", document("combined")),
    "reviews:document_access_log": ("reviews:document_access_log", of_review),
    "reviews:document_access_log@other": ("reviews:document_access_log", of_other),
    **{f"reviews:step[{s.slug}]": ("reviews:step", step(s.slug)) for s in STEPS},
    "reviews:step[no-such-step]": ("reviews:step", step("no-such-step")),
    "reviews:step[pause]@other": ("reviews:step", step("pause", "other")),
    "reviews:emails": ("reviews:emails", of_review),
    "reviews:emails@other": ("reviews:emails", of_other),
    "email_preferences": ("email_preferences", None),
    "reminder_ladder": ("reminder_ladder", partnership("testshire")),
    "reminder_ladder@other": ("reminder_ladder", partnership("other")),
    "govuk_notify_callback": ("govuk_notify_callback", None),
    "calendar:feeds": ("calendar:feeds", None),
    "calendar:feed_revoke[coordinator]": ("calendar:feed_revoke", feed_id("coordinator")),
    "calendar:feed[outsider]": ("calendar:feed", feed_token("outsider")),
    "calendar:feed[revoked]": ("calendar:feed", feed_token("revoked")),
    "calendar:feed[unknown]": ("calendar:feed", lambda w: {"token": "no-such-token"}),
    "dashboard:index": ("dashboard:index", None),
    "dashboard:export_csv": ("dashboard:export_csv", None),
    "dashboard:export_xlsx": ("dashboard:export_xlsx", None),
    "dashboard:chase": ("dashboard:chase", task("health_scoping")),
    "statistics:index": ("statistics:index", None),
    "statistics:partnership": ("statistics:partnership", partnership("testshire")),
    "statistics:partnership@other": ("statistics:partnership", partnership("other")),
    "statistics:partnership[unknown]": ("statistics:partnership", lambda w: {"slug": "nowhere"}),
    "statistics:region": ("statistics:region", lambda w: {"slug": "north"}),
    "statistics:region[unknown]": ("statistics:region", lambda w: {"slug": "nowhere"}),
    "statistics:national": ("statistics:national", None),
    "tasks:list": ("tasks:list", None),
    "tasks:claim": ("tasks:claim", task("health_scoping")),
    "tasks:release": ("tasks:release", task("chair_task")),
    "tasks:reassign[health_scoping]": ("tasks:reassign", task("health_scoping")),
    "tasks:reassign[police_scoping]": ("tasks:reassign", task("police_scoping")),
    "tasks:reassign[other_scoping]": ("tasks:reassign", task("other_scoping")),
    "tasks:bulk_reassign": ("tasks:bulk_reassign", None),
    "tasks:cover": ("tasks:cover", None),
    "tasks:cover_end": ("tasks:cover_end", cover("planned")),
    "tasks:agency[police_scoping]": ("tasks:agency", task("police_scoping", "review")),
    "tasks:agency[police_report]": ("tasks:agency", task("police_report", "review")),
    "tasks:agency[police_sign_off]": ("tasks:agency", task("police_sign_off", "review")),
    "tasks:panel[not_a_panel_request]": ("tasks:panel", task("police_sign_off", "review")),
    "tasks:agency[health_scoping]": ("tasks:agency", task("health_scoping", "review")),
    "tasks:agency[chair_task]": ("tasks:agency", task("chair_task", "review")),
    "tasks:agency[other_scoping]": ("tasks:agency", task("other_scoping", "review")),
    "tasks:agency[other_scoping]@other": ("tasks:agency", task("other_scoping", "other")),
    "qa_pack_link[valid]": ("qa_pack_link", lambda w: {"token": w.publishing["submission"].token}),
    "qa_pack_link[unknown]": ("qa_pack_link", lambda w: {"token": "no-such-token"}),
    "reviews:qa_pack": ("reviews:qa_pack", lambda w: {**ref(w), "number": 1}),
    "reviews:qa_pack[unknown]": ("reviews:qa_pack", lambda w: {**ref(w), "number": 2}),
    "reviews:qa_pack@other": ("reviews:qa_pack", lambda w: {**ref(w, "other"), "number": 1}),
    "reviews:qa_areas": ("reviews:qa_areas", of_review),
    "reviews:qa_areas@other": ("reviews:qa_areas", of_other),
    "reviews:qa_area_done": ("reviews:qa_area_done", area),
    "reviews:qa_area_reopen": ("reviews:qa_area_reopen", area),
    "reviews:publication_prepare": ("reviews:publication_prepare", of_review),
    "reviews:publication_names": ("reviews:publication_names", of_review),
    "reviews:publication_names@other": ("reviews:publication_names", of_other),
    "reviews:publication_name_remove": ("reviews:publication_name_remove", restricted_name),
    "reviews:publication_archive": ("reviews:publication_archive", of_review),
    "reviews:action_plan": ("reviews:action_plan", of_review),
    "reviews:action_plan@other": ("reviews:action_plan", of_other),
    "reviews:action_plan_add": ("reviews:action_plan_add", of_review),
    **{
        f"reviews:action_plan_{name}": (f"reviews:action_plan_{name}", recommendation)
        for name in ("edit", "progress", "complete", "sign_off", "send_back", "evidence")
    },
    "reviews:action_plan_report": ("reviews:action_plan_report", of_review),
    "action_plan_partnership_report": ("action_plan_partnership_report", partnership("testshire")),
    "action_plan_partnership_report@other": (
        "action_plan_partnership_report",
        partnership("other"),
    ),
    "page_feedback": ("page_feedback", partnership("testshire")),
    "page_feedback@other": ("page_feedback", partnership("other")),
    "public:index": ("public:index", None),
    "public:partnership": ("public:partnership", partnership("testshire")),
    "public:document[unpublished]": ("public:document", public_token),
    "public:document_named[unpublished]": (
        "public:document_named",
        lambda w: {**public_token(w), "file_name": "report.pdf"},
    ),
    "public:document[version_id]": (
        "public:document",
        lambda w: {"slug": "testshire", "token": str(w.versions["terms"].pk)},
    ),
    "public:feedback": ("public:feedback", partnership("testshire")),
    "public:feedback_sent": ("public:feedback_sent", partnership("testshire")),
}


def get_expected(case_id: str) -> str:
    if case_id in GET_EXPECTED:
        return GET_EXPECTED[case_id]
    if case_id.startswith("reviews:step["):
        return GET_EXPECTED["reviews:step[<any other step>]"]
    raise KeyError(f"{case_id}: add its row to GET_EXPECTED")


# What each POST case watches: it must change for "D" and stay the same for every refusal.
def review_state(w):
    review = Review.objects.get(pk=w.review.pk)
    return (review.stage, review.history.count(), review.independent_chair_id)


def scope(w):
    return sorted(w.review.review_agencies.values_list("agency_id", flat=True))


def participants(w):
    return sorted(
        Participant.objects.filter(review=w.review).values_list("pk", "user_id", "ended_on")
    )


def versions(w):
    return DocumentVersion.objects.filter(document__review=w.review).count()


def shared(key):
    return lambda w: (
        type(w.versions[key].document)
        .objects.get(pk=w.versions[key].document_id)
        .shared_with_agencies
    )


def task_state(key):
    return lambda w: Task.objects.filter(pk=w.tasks[key].pk).values_list("owner_id", "status")[0]


def digest_readers(w):
    return EmailPreference.objects.filter(daily_digest=True).count()


def ladders(w):
    return list(ReminderLadder.objects.values_list("partnership_id", "reminder_days"))


def deliveries(w):
    return list(Email.objects.values_list("pk", "delivery_status"))


def chased(w):
    return Email.objects.filter(kind="task_chased").count()


def calendar_feeds(w):
    return sorted(CalendarFeed.objects.values_list("pk", "revoked_at"))


def feed_data(w):
    return {"deadlines": "my_deadlines"}


def reset_links(w):
    return Email.objects.filter(kind="password_reset").count()


def reset_data(w):
    return {"email": w.users["police_author"].email}


def digest_data(w):
    return {"daily_digest": "yes"}


def ladder_data(w):
    return {"reminder_days": "21, 7", "escalate_after_days": "0", "chair_escalate_after_days": "5"}


def notify_callback_data(w):
    return {"id": "740e5834-3a29-46b4-9a6f-16142fde533a", "status": "permanent-failure"}


def reviews(w):
    return Review.objects.count()


def nothing(w):
    return None  # the change to look for is an email queued on commit


def date_fields(on="1 5 2027", field="on"):
    day, month, year = on.split()
    return {f"{field}_0": day, f"{field}_1": month, f"{field}_2": year}


def pause_data(w):
    return {"stage": "agency_reports", "pause_reason": "inquest", **date_fields()}


def complete_reports_data(w):
    return {"stage": "agency_reports", **date_fields()}


def appoint_data(w):
    return {
        "stage": "agency_reports",
        "chair": w.users["chair"].pk,
        "victim_pseudonym": "Wren",
        **date_fields(),
    }


def add_agency_data(w):
    return {"agency": w.agencies["housing"].pk}


def invite_data(w):
    return {"email": "nia.newcomer@test.example", "full_name": "Nia Newcomer",
            "role": "panel_member", "agency": ""}  # fmt: skip


def upload_data(w):
    file = SimpleUploadedFile("chronology-v2.pdf", pdf("police chronology v2"), "application/pdf")
    return {"kind": "chronology", "agency": w.agencies["police"].pk, "title": "", "file": file}


def sign_off_data(w):
    return date_fields()


def scoping_data(w):
    return {"involvement": "not_involved", **date_fields()}


def reassign_data(w):
    return {"to_user": w.users["health_author"].pk, "reason": "Away"}


def bulk_reassign_data(w):
    """Move the chair's tasks to the coordinator: the chair's task needs the chair, so it stays
    and the coordinator is shown the result; nobody else gets the page at all."""
    return {
        "partnership": w.partnerships["testshire"].pk,
        "person": w.users["chair"].pk,
        "to_user": w.users["coordinator"].pk,
        "reason": "Leaving",
    }


def all_tasks(w):
    return sorted(
        Task.objects.filter(pk__in=[t.pk for t in w.tasks.values()]).values_list(
            "pk", "owner_id", "status"
        )
    )


def cover_data(w):
    """The person signed in arranges their own cover; the coordinator arranges the police
    author's (the ``person`` field is only on the coordinator's form)."""
    return {
        "partnership": w.partnerships["testshire"].pk,
        "person": w.users["police_author"].pk,
        "delegate": w.colleague.pk,
        **date_fields("8 6 2027", "starts_on"),
        **date_fields("15 6 2027", "ends_on"),
        "reason": "",
    }


def covers(w):
    return sorted(
        Cover.objects.values_list("pk", "person_id", "delegate_id", "ended_at", "ends_on")
    )


def no_data(w):
    return {}


def remove_data(w):
    return {"reason": "Moved to another job"}


# case id: (URL name, its arguments, the form posted, what it watches)
POST_CASES = {
    "email_preferences": ("email_preferences", None, digest_data, digest_readers),
    "calendar:feeds": ("calendar:feeds", None, feed_data, calendar_feeds),
    "dashboard:chase[health_scoping]": (
        "dashboard:chase",
        task("health_scoping"),
        no_data,
        chased,
    ),
    "dashboard:chase[other_scoping]": ("dashboard:chase", task("other_scoping"), no_data, chased),
    "calendar:feed_revoke[coordinator]": (
        "calendar:feed_revoke",
        feed_id("coordinator"),
        no_data,
        calendar_feeds,
    ),
    "calendar:feed[outsider]": ("calendar:feed", feed_token("outsider"), no_data, calendar_feeds),
    "password_reset": ("password_reset", None, reset_data, reset_links),
    "reminder_ladder": ("reminder_ladder", partnership("testshire"), ladder_data, ladders),
    "reminder_ladder@other": ("reminder_ladder", partnership("other"), ladder_data, ladders),
    "govuk_notify_callback": (
        "govuk_notify_callback",
        None,
        notify_callback_data,
        deliveries,
    ),
    "two_factor_verify": ("two_factor_verify", None, no_data, reviews),
    "two_factor_setup": ("two_factor_setup", None, no_data, reviews),
    "reviews:start": ("reviews:start", None, no_data, reviews),
    "reviews:import": ("reviews:import", None, no_data, reviews),
    "reviews:import_check": ("reviews:import_check", None, no_data, reviews),
    "reviews:step[pause]": ("reviews:step", step("pause"), pause_data, review_state),
    # Refused by its guard (agencies still reporting) for those who may take it.
    "reviews:step[complete-agency-reports]": (
        "reviews:step",
        step("complete-agency-reports"),
        complete_reports_data,
        review_state,
    ),
    "reviews:step[appoint-chair]": (
        "reviews:step",
        step("appoint-chair"),
        appoint_data,
        review_state,
    ),
    "reviews:step[pause]@other": ("reviews:step", step("pause", "other"), pause_data, review_state),
    "reviews:agency_add": ("reviews:agency_add", of_review, add_agency_data, scope),
    "reviews:people": ("reviews:people", of_review, invite_data, participants),
    "reviews:participant_remove": (
        "reviews:participant_remove",
        participant("police_author"),
        remove_data,
        participants,
    ),
    "reviews:invitation_resend": (
        "reviews:invitation_resend",
        participant("invitee"),
        no_data,
        nothing,
    ),
    "reviews:document_upload": ("reviews:document_upload", of_review, upload_data, versions),
    "reviews:document_share[combined]": (
        "reviews:document_share",
        document("combined"),
        no_data,
        shared("combined"),
    ),
    "reviews:document_share[police_report]": (
        "reviews:document_share",
        document("police_report"),
        no_data,
        shared("police_report"),
    ),
    "reviews:document_share[other_report]": (
        "reviews:document_share",
        document("other_report"),
        no_data,
        shared("other_report"),
    ),
    **{
        f"tasks:{action}[{key}]": (f"tasks:{action}", task(key), no_data, task_state(key))
        for action, keys in (
            ("claim", ("health_scoping", "police_sign_off", "chair_task", "other_scoping")),
            ("release", ("chair_task", "health_scoping", "other_scoping")),
        )
        for key in keys
    },
    "tasks:reassign[health_scoping]": (
        "tasks:reassign",
        task("health_scoping"),
        reassign_data,
        task_state("health_scoping"),
    ),
    "tasks:reassign[other_scoping]": (
        "tasks:reassign",
        task("other_scoping"),
        reassign_data,
        task_state("other_scoping"),
    ),
    "tasks:bulk_reassign": ("tasks:bulk_reassign", None, bulk_reassign_data, all_tasks),
    "tasks:cover": ("tasks:cover", None, cover_data, covers),
    "tasks:cover_end[planned]": ("tasks:cover_end", cover("planned"), no_data, covers),
    "tasks:cover_end[other]": ("tasks:cover_end", cover("other"), no_data, covers),
    "tasks:agency[police_sign_off]": (
        "tasks:agency",
        task("police_sign_off", "review"),
        sign_off_data,
        task_state("police_sign_off"),
    ),
    "tasks:agency[health_scoping]": (
        "tasks:agency",
        task("health_scoping", "review"),
        scoping_data,
        task_state("health_scoping"),
    ),
    "tasks:agency[other_scoping]": (
        "tasks:agency",
        task("other_scoping", "review"),
        scoping_data,
        task_state("other_scoping"),
    ),
}


def area_state(w):
    return list(DevelopmentArea.objects.values_list("pk", "done_on", "done_by_id", "note"))


def restricted_names(w):
    return sorted(RestrictedName.objects.values_list("pk", "relationship"))


def recommendations(w):
    return sorted(Recommendation.objects.values_list("pk", "status", "evidence_note"))


def feedback_count(w):
    return PageFeedback.objects.count()


POST_CASES.update(
    {
        "reviews:qa_area_done": (
            "reviews:qa_area_done",
            area,
            lambda w: {"note": "Done in version 3."},
            area_state,
        ),
        "reviews:qa_area_reopen": ("reviews:qa_area_reopen", area, no_data, area_state),
        "reviews:publication_names": (
            "reviews:publication_names",
            of_review,
            lambda w: {"name": "Walter Brothername", "relationship": "Brother"},
            restricted_names,
        ),
        "reviews:publication_name_remove": (
            "reviews:publication_name_remove",
            restricted_name,
            no_data,
            restricted_names,
        ),
        "reviews:action_plan_add": (
            "reviews:action_plan_add",
            of_review,
            lambda w: {
                "text": "Share risk assessments with housing.",
                "owner_agency": w.agencies["police"].pk,
                "owner": w.users["police_author"].pk,
                **date_fields("1 9 2027", "due_on"),
            },
            recommendations,
        ),
        "reviews:action_plan_progress": (
            "reviews:action_plan_progress",
            recommendation,
            lambda w: {"status": "in_progress"},
            recommendations,
        ),
        "reviews:action_plan_complete": (
            "reviews:action_plan_complete",
            recommendation,
            lambda w: {"evidence_note": "Training given to every call handler."},
            recommendations,
        ),
        "public:feedback": (
            "public:feedback",
            partnership("testshire"),
            lambda w: {"helpful": "yes", "comment": ""},
            feedback_count,
        ),
    }
)

# URLs that only take a POST: each needs POST rows, not just its 405.
POST_ONLY = {
    "dashboard:chase",
    "calendar:feed_revoke",
    "reviews:invitation_resend",
    "reviews:document_share",
    "tasks:claim",
    "tasks:release",
    "tasks:cover_end",
    "reviews:qa_area_reopen",
}

# Cases where the product leaks today: (case id, persona) -> why. Marked strict xfail.
KNOWN_LEAKS: dict[tuple[str, str], str] = {}


def cells(row: str) -> list:
    """A row of the table: status codes as numbers, letters as they are."""
    parsed = [int(cell) if cell.isdigit() else cell for cell in row.split()]
    assert len(parsed) == len(PERSONAS), f"{row!r}: one cell per persona"
    return parsed


def matrix(cases, expected_for):
    params = []
    for case_id in cases:
        for persona, expected in zip(PERSONAS, cells(expected_for(case_id)), strict=True):
            leak = KNOWN_LEAKS.get((case_id, persona))
            marks = [pytest.mark.xfail(strict=True, reason=leak)] if leak else []
            params.append(
                pytest.param(case_id, persona, expected, id=f"{case_id}-{persona}", marks=marks)
            )
    return params


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The review and its surroundings, built once for the module in a transaction that is
    rolled back at the end; every test runs in a savepoint of its own inside it."""
    media = tmp_path_factory.mktemp("authorization-media")
    with world_rolled_back(django_db_blocker, media, TODAY) as built:
        yield built


def client_for(world, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def url_for(world, name, kwargs) -> str:
    return reverse(name, kwargs=kwargs(world) if kwargs else None)


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        # Reading the stream closes the response (the test client's wrapper); closing it again
        # would fire request_finished and, on PostgreSQL, close the test's connection.
        body = b"".join(response.streaming_content)
        return body
    return response.content


def assert_outcome(response, expected, url):
    location = response.get("Location", "")
    if expected == "L":
        assert response.status_code == 302, response.status_code
        assert location == f"/sign-in/?next={quote(url)}", location
    elif expected == "H":
        assert response.status_code in (200, 503)
        assert response["Content-Type"] == "application/json"
    elif expected in REDIRECTS:
        assert response.status_code == 302, response.status_code
        assert location.startswith(REDIRECTS[expected]), location
    else:
        assert response.status_code == expected, (response.status_code, location)


def assert_nothing_leaks(world, persona, body, sent_key=None):
    """Names, references and document bytes that this persona must not receive."""
    for name in OTHER_REAL_NAMES:
        assert name.encode() not in body, f"another partnership's name {name!r} reached {persona}"
    assert world.other.reference.encode() not in body, "another partnership's review is shown"
    if persona not in SEES_REAL_NAMES:
        for name in REAL_NAMES:
            assert name.encode() not in body, f"the real name {name!r} reached {persona}"
    if persona in ("anonymous", "outsider"):
        assert world.review.reference.encode() not in body, f"the review is shown to {persona}"
    for key, content in world.bodies.items():
        if key != sent_key:
            assert content not in body, f"the bytes of {key} reached {persona}"


@pytest.mark.parametrize(("case_id", "persona", "expected"), matrix(GET_CASES, get_expected))
def test_get(world, db, case_id, persona, expected):
    name, kwargs = GET_CASES[case_id]
    url = url_for(world, name, kwargs)
    response = client_for(world, persona).get(url)
    assert_outcome(response, expected, url)
    body = body_of(response)
    sent_key = FILES.get(case_id) if response.status_code == 200 else None
    assert_nothing_leaks(world, persona, body, sent_key)
    if sent_key:
        # The file itself, to those allowed, and nothing else.
        assert body == world.bodies[sent_key]
    if expected == 200 and case_id == "reviews:detail":
        shown = {name for name in REAL_NAMES if name.encode() in body}
        assert shown == (set(REAL_NAMES) if persona in SEES_REAL_NAMES else set())
        assert world.review.reference.encode() in body
    if expected == 200 and case_id == "reviews:documents":
        assert_document_list(world, persona, body.decode())


DOCUMENT_TITLES = {
    "terms": "Terms of reference",
    "police_chronology": "Chronology: Testshire Police",
    "police_report": "Agency report (IMR): Testshire Police",
    "health_chronology": "Chronology: Testshire Health Trust",
    "combined": "Combined chronology",
}


def assert_document_list(world, persona, html):
    """The list shows exactly the documents this persona may download; the uploaded file name
    (which holds the victim's name) only to those who may see real names."""
    column = PERSONAS.index(persona)
    for key, title in DOCUMENT_TITLES.items():
        row = cells(GET_EXPECTED[f"reviews:document_download[{key}]"])
        may_download = row[column] == 200
        assert (title in html) == may_download, (
            f"{title!r} listed for {persona}: {not may_download}"
        )
    file_name = f"{VICTIM} chronology.pdf"
    assert (file_name in html) == (persona in SEES_REAL_NAMES)


@pytest.mark.parametrize(("case_id", "persona", "expected"), matrix(POST_CASES, POST_EXPECTED.get))
def test_post(world, db, django_capture_on_commit_callbacks, case_id, persona, expected):
    name, kwargs, data, watched = POST_CASES[case_id]
    url = url_for(world, name, kwargs)
    client = client_for(world, persona)
    before = watched(world)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, data(world))
    changed = watched(world) != before or bool(callbacks)
    body = body_of(response)
    assert_nothing_leaks(world, persona, body)
    if expected == "D":
        assert response.status_code == 302, (response.status_code, body[:300])
        assert changed, "the allowed change was not made"
        return
    assert not changed, f"{persona} was refused, but something changed"
    if expected == "B":
        assert response.status_code == 302
        assert response["Location"] == reverse("tasks:list")
        return
    assert_outcome(response, expected, url)


def test_every_url_has_a_row():
    """A new page without rows in this matrix fails here: add its rows above."""
    covered = {spec[0] for spec in GET_CASES.values()}
    assert product_url_names() == covered
    assert {spec[0] for spec in POST_CASES.values()} >= POST_ONLY
    assert set(POST_EXPECTED) == set(POST_CASES)
    assert {case_id for case_id in GET_CASES if not case_id.startswith("reviews:step[")} <= set(
        GET_EXPECTED
    )


def test_every_step_has_a_row():
    assert {s.slug for s in STEPS} | {"no-such-step"} <= {
        case_id.removeprefix("reviews:step[").split("]")[0]
        for case_id in GET_CASES
        if case_id.startswith("reviews:step[")
    }


def test_the_world_is_what_the_matrix_assumes(world, db):
    """Sanity: the stage, the tasks' states and the names really are in the database."""
    review = Review.objects.get(pk=world.review.pk)
    assert review.stage == "agency_reports"
    assert (review.victim_real_name, review.perpetrator_real_name) == (VICTIM, PERPETRATOR)
    states = {key: Task.objects.get(pk=t.pk).status for key, t in world.tasks.items()}
    assert states == {
        "chair_task": "ASSIGNED",
        "police_scoping": "DONE",
        "police_report": "DONE",
        "police_sign_off": "NEW",
        "health_scoping": "NEW",
        "other_scoping": "NEW",
    }
    assert Task.objects.get(pk=world.tasks["chair_task"].pk).owner == world.users["chair"]
