"""The publication gate refuses, with reasons shown, until everything is ready; publishing then
records what was published and the statutory copies; the page stays up until it may be archived."""

import logging
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from notifications.models import Email
from tests.conftest import TODAY
from workflows.models import DocumentKind, Publication, Review, ReviewHistory
from workflows.models.publication import CriminalProceedings
from workflows.publication.gate import publication_checks, publication_refusals
from workflows.publication.samples import publication_ready, sample_document_upload
from workflows.publication.services import (
    PublicationRefused,
    publication_archive,
    publication_update,
    restricted_name_add,
)
from workflows.services.lifecycle import TransitionRefused, review_transition
from workflows.stages import QaOutcome, Stage

NAME_CHECK_REFUSAL = (
    "The name check found real names in the documents to publish: see Prepare publication."
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploaded documents go to a temporary folder


@pytest.fixture
def ready(review_at, coordinator):
    """A review at publication that passes every check of the gate."""
    review = review_at(Stage.PUBLICATION)
    publication_ready(review=review, by=coordinator)
    return review


def details(**changes) -> dict:
    facts = {
        "criminal_proceedings": CriminalProceedings.NONE,
        "proceedings_concluded_on": None,
        "proceedings_override_reason": "",
        "planned_on": date(2027, 6, 20),
        "family_told_on": date(2027, 5, 30),
        "condolence_statement": "Our thoughts are with Robin's family.",
        "partnership_response": "Agencies now share risk assessments.",
    }
    return facts | changes


def refused_publish(review, by) -> list[str]:
    with pytest.raises(TransitionRefused) as refused:
        review_transition(review=review, action="publish", by=by, on=TODAY)
    assert Review.objects.get(pk=review.pk).stage == Stage.PUBLICATION
    assert not ReviewHistory.objects.filter(review=review, action="publish").exists()
    assert not Publication.objects.filter(review=review, published_on__isnull=False).exists()
    return refused.value.messages


def test_a_ready_review_passes_every_check(ready):
    assert publication_refusals(ready) == []
    assert all(check.passed for check in publication_checks(ready))


def test_refused_without_home_office_approval(ready, coordinator):
    Review.objects.filter(pk=ready.pk).update(qa_outcome=QaOutcome.RESUBMIT)
    ready.refresh_from_db()
    assert publication_refusals(ready) == [
        "The Home Office's approval of the report is not recorded."
    ]
    assert "The Home Office must approve the report first." in refused_publish(ready, coordinator)


def test_approved_subject_to_changes_counts_as_approval(ready):
    Review.objects.filter(pk=ready.pk).update(qa_outcome=QaOutcome.APPROVED_SUBJECT_TO_CHANGES)
    ready.refresh_from_db()
    assert publication_refusals(ready) == []


def test_refused_while_areas_for_final_development_are_open(ready, coordinator):
    from workflows.models import QaSubmission

    submission = QaSubmission.objects.create(
        review=ready,
        number=1,
        submitted_on=date(2027, 5, 1),
        submitted_by=coordinator,
        pack="none.zip",
        pack_sha256="0" * 64,
        pack_size=1,
    )
    done = ready.development_areas.create(submission=submission, text="Add the GP's view")
    ready.development_areas.create(submission=submission, text="Shorten the summary")
    ready.development_areas.create(submission=submission, text="Check the dates")
    assert publication_refusals(ready) == ["3 areas for final development are not done yet."]
    assert any("area for final development" in m for m in refused_publish(ready, coordinator))
    ready.development_areas.exclude(pk=done.pk).update(done_on=TODAY, done_by=coordinator)
    assert publication_refusals(ready) == ["1 area for final development is not done yet."]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"criminal_proceedings": ""}, "Whether there were criminal proceedings is not recorded."),
        (
            {"criminal_proceedings": CriminalProceedings.ONGOING},
            "Criminal proceedings have not concluded, and no reason to publish before they "
            "conclude is recorded.",
        ),
    ],
)
def test_refused_until_criminal_proceedings_conclude(ready, coordinator, changes, reason):
    Publication.objects.filter(review=ready).update(**changes)
    assert publication_refusals(ready) == [reason]
    assert any(
        "Criminal proceedings must have concluded" in m for m in refused_publish(ready, coordinator)
    )


def test_concluded_proceedings_or_an_override_with_a_reason_pass(ready, coordinator):
    publication_update(
        review=ready,
        by=coordinator,
        **details(
            criminal_proceedings=CriminalProceedings.CONCLUDED,
            proceedings_concluded_on=date(2027, 4, 2),
        ),
    )
    assert publication_refusals(ready) == []
    publication_update(
        review=ready,
        by=coordinator,
        **details(
            criminal_proceedings=CriminalProceedings.ONGOING,
            proceedings_override_reason="The CPS agreed: the trial does not touch the findings.",
        ),
    )
    publication = Publication.objects.get(review=ready)
    assert publication.proceedings_override_by == coordinator
    assert publication_refusals(ready) == []
    # The override goes when proceedings are no longer recorded as ongoing.
    publication_update(review=ready, by=coordinator, **details())
    assert Publication.objects.get(review=ready).proceedings_override_reason == ""


def test_refused_until_the_family_is_told_of_the_date(ready, coordinator):
    Publication.objects.filter(review=ready).update(family_told_on=None)
    assert publication_refusals(ready) == [
        "The date the family was told of the publication date is not recorded."
    ]
    Publication.objects.filter(review=ready).update(planned_on=None)
    assert "The planned publication date is not recorded." in publication_refusals(ready)
    assert any("family must be told" in m for m in refused_publish(ready, coordinator))


def test_refused_without_the_documents_to_publish(review_at, coordinator):
    review = review_at(Stage.PUBLICATION)
    publication_update(review=review, by=coordinator, **details())
    assert publication_refusals(review) == [
        "The overview report to publish has not been uploaded.",
        "The executive summary to publish has not been uploaded.",
    ]
    assert any("Upload the overview report" in m for m in refused_publish(review, coordinator))


def test_a_real_name_inside_a_pdf_is_refused_with_its_page(ready, coordinator):
    sample_document_upload(
        review=ready,
        by=coordinator,
        kind=DocumentKind.OVERVIEW_REPORT,
        pages=[["Introduction"], ["Background"], ["Robin, whose name was Zelda Inventedname,"]],
    )
    assert publication_refusals(ready) == [
        "Overview report (version 2), page 3: the victim's real name"
    ]
    messages = refused_publish(ready, coordinator)
    assert NAME_CHECK_REFUSAL in messages
    assert not any("Zelda" in message or "Inventedname" in message for message in messages)


def test_a_real_name_inside_a_docx_is_refused_with_its_page(ready, coordinator):
    sample_document_upload(
        review=ready,
        by=coordinator,
        kind=DocumentKind.EXECUTIVE_SUMMARY,
        pages=[["Summary"], ["The perpetrator, QUENTIN MADEUPNAME, was known to police."]],
        docx=True,
    )
    assert publication_refusals(ready) == [
        "Executive summary (version 2), page 2: the perpetrator's real name"
    ]
    assert NAME_CHECK_REFUSAL in refused_publish(ready, coordinator)


def test_a_family_members_name_split_across_lines_with_accents_is_found(ready, coordinator):
    restricted_name_add(
        review=ready, by=coordinator, name="Ida Zoë Ferncastle", relationship="Mother"
    )
    sample_document_upload(
        review=ready,
        by=coordinator,
        kind=DocumentKind.ACTION_PLAN,
        pages=[["Her mother, Ida ZOE", "FERNCASTLE, asked for changes."], ["Ferncastle agreed."]],
    )
    assert publication_refusals(ready) == [
        "Action plan (version 1), page 1: a family member's real name (Mother)",
        "Action plan (version 1), page 2: part of a family member's real name (Mother)",
    ]


def test_a_surname_alone_is_found(ready, coordinator):
    sample_document_upload(
        review=ready,
        by=coordinator,
        kind=DocumentKind.OVERVIEW_REPORT,
        pages=[["Mr Madeupname was arrested."]],
    )
    assert publication_refusals(ready) == [
        "Overview report (version 2), page 1: part of the perpetrator's real name"
    ]


def test_a_scanned_pdf_is_refused_because_it_cannot_be_read(ready, coordinator):
    sample_document_upload(
        review=ready, by=coordinator, kind=DocumentKind.OVERVIEW_REPORT, pages=[[""], [""]]
    )
    assert publication_refusals(ready) == [
        "Overview report (version 2) could not be read: check it is a text PDF, not a scan."
    ]
    assert NAME_CHECK_REFUSAL in refused_publish(ready, coordinator)


def test_the_condolence_statement_and_response_are_name_checked(ready, coordinator):
    publication_update(
        review=ready,
        by=coordinator,
        **details(
            condolence_statement="We remember Zelda.",
            partnership_response="After Quentin Madeupname's trial, agencies changed.",
        ),
    )
    assert publication_refusals(ready) == [
        "The condolence statement: part of the victim's real name",
        "The partnership's response: the perpetrator's real name",
    ]


def test_a_new_clean_version_clears_the_name_check(ready, coordinator):
    kind = DocumentKind.OVERVIEW_REPORT
    sample_document_upload(review=ready, by=coordinator, kind=kind, pages=[["Zelda Inventedname"]])
    assert publication_refusals(ready)
    sample_document_upload(review=ready, by=coordinator, kind=kind, pages=[["Robin"]])
    assert publication_refusals(ready) == []


def test_every_reason_is_given_at_once(review_at, coordinator):
    review = review_at(Stage.PUBLICATION)
    Review.objects.filter(pk=review.pk).update(qa_outcome="")
    review.refresh_from_db()
    failed = [check.title for check in publication_checks(review) if not check.passed]
    assert failed == [
        "Home Office approval",
        "Criminal proceedings",
        "The family told of the publication date",
        "Documents to publish",
    ]
    assert len(refused_publish(review, coordinator)) == 4


def test_publishing_records_the_documents_and_the_statutory_copies(
    review_at, coordinator, django_capture_on_commit_callbacks, settings
):
    review = review_at(Stage.PUBLICATION)
    Review.objects.filter(pk=review.pk).update(review_type="dardr")
    review.refresh_from_db()
    publication_ready(review=review, by=coordinator)
    sample_document_upload(
        review=review, by=coordinator, kind=DocumentKind.ACTION_PLAN, pages=[["Actions"]]
    )
    with django_capture_on_commit_callbacks(execute=True):
        review_transition(review=review, action="publish", by=coordinator, on=date(2027, 5, 31))
    publication = Publication.objects.get(review=review)
    assert publication.published_on == date(2027, 5, 31)
    assert publication.keep_until == date(2028, 5, 31)
    assert publication.is_public
    assert publication.commissioner_copy_sent_at is not None
    assert publication.secretary_of_state_copy_sent_at is not None
    published = list(publication.documents.values_list("version__document__kind", "position"))
    assert published == [("overview_report", 0), ("executive_summary", 1), ("action_plan", 2)]
    copies = Email.objects.filter(review=review, kind="commissioner_copy")
    assert {email.to_address for email in copies} == {
        settings.DOMESTIC_ABUSE_COMMISSIONER_EMAIL,
        settings.SECRETARY_OF_STATE_EMAIL,
    }
    for email in Email.objects.filter(review=review):
        assert "Zelda" not in email.text_body + email.html_body + email.subject
        assert "Inventedname" not in email.text_body + email.html_body
    assert all("/published/testshire/" in email.text_body for email in copies)


def test_a_dhr_sends_the_commissioners_copy_only(ready, coordinator, settings):
    review_transition(review=ready, action="publish", by=coordinator, on=TODAY)
    publication = Publication.objects.get(review=ready)
    assert publication.commissioner_copy_sent_at is not None
    assert publication.secretary_of_state_copy_sent_at is None


def test_the_keep_period_is_configurable(ready, coordinator, settings):
    settings.PUBLISHED_PAGES_KEEP_MONTHS = 24
    review_transition(review=ready, action="publish", by=coordinator, on=date(2027, 5, 31))
    assert Publication.objects.get(review=ready).keep_until == date(2029, 5, 31)


def test_archiving_is_refused_before_the_keep_until_date(ready, coordinator, _fixed_today):
    review_transition(review=ready, action="publish", by=coordinator, on=date(2027, 5, 31))
    with pytest.raises(PublicationRefused, match="must stay up until 31 May 2028"):
        publication_archive(review=ready, by=coordinator, on=TODAY)
    assert Publication.objects.get(review=ready).is_public

    _fixed_today.move_to(date(2028, 5, 31))
    publication = publication_archive(review=ready, by=coordinator, on=date(2028, 5, 31))
    assert (publication.archived_on, publication.archived_by) == (date(2028, 5, 31), coordinator)
    assert not Publication.objects.get(review=ready).is_public
    with pytest.raises(PublicationRefused, match="already archived"):
        publication_archive(review=ready, by=coordinator, on=date(2028, 5, 31))


def test_only_the_coordinator_archives(ready, coordinator, csp_chair):
    review_transition(review=ready, action="publish", by=coordinator, on=TODAY)
    with pytest.raises(PermissionDenied):
        publication_archive(review=ready, by=csp_chair, on=TODAY)


def test_an_unpublished_review_cannot_be_archived(ready, coordinator):
    with pytest.raises(PublicationRefused, match="not been published"):
        publication_archive(review=ready, by=coordinator, on=TODAY)


def test_details_cannot_change_after_publication(ready, coordinator):
    review_transition(review=ready, action="publish", by=coordinator, on=TODAY)
    ready.refresh_from_db()
    with pytest.raises(PublicationRefused):
        publication_update(review=ready, by=coordinator, **details(condolence_statement="New"))


def test_the_gate_only_writes_its_cache(ready):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    publication_refusals(ready)  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        publication_refusals(ready)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


# The pages.


def test_the_coordinator_sees_every_check_and_every_hit(client, ready, coordinator):
    sample_document_upload(
        review=ready,
        by=coordinator,
        kind=DocumentKind.OVERVIEW_REPORT,
        pages=[["Intro"], ["Zelda Inventedname"]],
    )
    client.force_login(coordinator)
    page = client.get(reverse("reviews:publication_prepare", args=[ready.reference]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Overview report (version 2), page 2: the victim&#x27;s real name" in html
    assert "Not passed" in html
    assert "Inventedname" not in html
    step = client.get(reverse("reviews:step", args=[ready.reference, "publish"]))
    assert (
        "Overview report (version 2), page 2: the victim&#x27;s real name" in step.content.decode()
    )
    detail = client.get(reverse("reviews:detail", args=[ready.reference]))
    assert "Name check" in detail.content.decode()


def test_the_coordinator_records_the_publication_details(client, review_at, coordinator):
    review = review_at(Stage.PUBLICATION)
    client.force_login(coordinator)
    url = reverse("reviews:publication_prepare", args=[review.reference])
    response = client.post(
        url,
        {
            "criminal_proceedings": "concluded",
            "proceedings_concluded_on": "",
            "family_told_on": "2027-07-01",
        },
    )
    html = response.content.decode()
    assert "Enter the date criminal proceedings concluded" in html
    assert "must be today or in the past" in html
    assert not Publication.objects.filter(review=review, criminal_proceedings="concluded").exists()
    response = client.post(
        url,
        {
            "criminal_proceedings": "concluded",
            "proceedings_concluded_on": "2027-04-02",
            "planned_on": "2027-07-01",
            "family_told_on": "2027-05-28",
            "condolence_statement": "Our thoughts are with Robin's family.",
        },
    )
    assert response.status_code == 302
    publication = Publication.objects.get(review=review)
    assert publication.proceedings_concluded_on == date(2027, 4, 2)
    assert publication.family_told_on == date(2027, 5, 28)


@pytest.mark.parametrize(
    ("persona", "get", "post"),
    [
        ("coordinator", 200, 302),
        ("csp_chair", 200, 403),
        ("independent_chair", 200, 403),
        ("police_author", 403, 403),
        ("outsider", 404, 404),
    ],
)
def test_who_may_see_and_prepare_publication(
    request, client, review_at, police_author, police, coordinator, persona, get, post
):
    from tests.factories import ParticipantFactory

    review = review_at(Stage.PUBLICATION)
    ParticipantFactory(
        review=review, user=police_author, role="agency_author", agency=police, added_by=coordinator
    )
    client.force_login(request.getfixturevalue(persona))
    url = reverse("reviews:publication_prepare", args=[review.reference])
    assert client.get(url).status_code == get
    assert client.post(url, {"criminal_proceedings": "none"}).status_code == post


def test_the_publication_page_waits_for_the_publication_stage(client, review_at, coordinator):
    review = review_at(Stage.HOME_OFFICE_QA)
    client.force_login(coordinator)
    url = reverse("reviews:publication_prepare", args=[review.reference])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("coordinator", 200),
        ("independent_chair", 200),
        ("csp_chair", 403),
        ("outsider", 404),
    ],
)
def test_who_may_see_restricted_names(request, client, review_at, coordinator, persona, status):
    review = review_at(Stage.DRAFTING)
    restricted_name_add(review=review, by=coordinator, name="Ida Ferncastle", relationship="Mother")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("reviews:publication_names", args=[review.reference]))
    assert response.status_code == status
    if status == 200:
        assert "Ida Ferncastle" in response.content.decode()


def test_restricted_names_are_added_and_removed_without_logging_them(
    client, review_at, independent_chair, caplog
):
    review = review_at(Stage.DRAFTING)
    client.force_login(independent_chair)
    url = reverse("reviews:publication_names", args=[review.reference])
    # The handler goes on the package's logger itself: other tests may change propagation.
    logger = logging.getLogger("workflows.publication")
    logger.addHandler(caplog.handler)
    with caplog.at_level("INFO", logger="workflows.publication"):
        response = client.post(url, {"name": "  Ida   Ferncastle ", "relationship": "Mother"})
        assert response.status_code == 302
        restricted = review.restricted_names.get()
        assert restricted.name == "Ida Ferncastle"
        duplicate = client.post(url, {"name": "ida ferncastle", "relationship": "Aunt"})
        assert "already on the list" in duplicate.content.decode()
        remove = reverse("reviews:publication_name_remove", args=[review.reference, restricted.pk])
        assert client.get(remove).status_code == 200
        assert client.post(remove).status_code == 302
    assert not review.restricted_names.exists()
    logger.removeHandler(caplog.handler)
    assert "Ferncastle" not in caplog.text
    assert "Mother" in caplog.text
    empty = client.post(url, {"name": "", "relationship": ""})
    assert "Enter the person&#x27;s full name" in empty.content.decode()


def test_the_csp_chair_cannot_remove_a_name(client, review_at, coordinator, csp_chair):
    review = review_at(Stage.DRAFTING)
    restricted = restricted_name_add(
        review=review, by=coordinator, name="Ida Ferncastle", relationship="Mother"
    )
    client.force_login(csp_chair)
    remove = reverse("reviews:publication_name_remove", args=[review.reference, restricted.pk])
    assert client.post(remove).status_code == 403
    assert review.restricted_names.exists()


def test_archive_page(client, ready, coordinator, csp_chair, _fixed_today):
    client.force_login(csp_chair)
    url = reverse("reviews:publication_archive", args=[ready.reference])
    assert client.get(url).status_code == 403
    client.force_login(coordinator)
    assert client.get(url).status_code == 404  # not published yet
    review_transition(review=ready, action="publish", by=coordinator, on=date(2027, 5, 31))
    early = client.post(url, {"on": "2027-06-01"})
    assert "Published reviews must stay up until 31 May 2028." in early.content.decode()
    _fixed_today.move_to(date(2028, 6, 1))
    client.force_login(coordinator)  # a year on, the session has expired
    assert client.post(url, {"on": "2028-06-01"}).status_code == 302
    assert Publication.objects.get(review=ready).archived_on == date(2028, 6, 1)
    page = client.get(reverse("reviews:publication_prepare", args=[ready.reference]))
    assert "Archived on 1 June 2028" in page.content.decode()


def test_the_publish_effect_checks_again_what_it_publishes(ready, coordinator):
    """A version uploaded after the guards ran is checked before it is published."""
    from workflows.publication.services import publication_publish

    sample_document_upload(
        review=ready, by=coordinator, kind=DocumentKind.OVERVIEW_REPORT, pages=[["Zelda"]]
    )
    with pytest.raises(TransitionRefused):
        publication_publish(review=ready, by=coordinator, on=TODAY)
    assert not Publication.objects.filter(review=ready, published_on__isnull=False).exists()
