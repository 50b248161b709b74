"""Logs and error reports never hold a real name or a document's text.

A review with invented "sentinel" names (the victim, the perpetrator and a family member on the
restricted list) and a document whose text holds a sentinel phrase goes through the real pages
and services: notification, steps, uploads, downloads, the Home Office pack and its link, the
name check and publication, emails queued and sent, and a page that fails with an error. Every
log record of every logger at DEBUG is formatted with the project's own LOGGING formatter
(message, arguments and exception text) and must hold no sentinel, nor any word of one.
"""

import logging
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from workflows.models import DocumentKind, Review
from workflows.publication.gate import publication_refusals
from workflows.publication.samples import sample_pdf_pages
from workflows.qa.samples import qa_letter_upload, submission_documents_upload
from workflows.stages import Stage

VICTIM = "Zebedee Sentinelname"
PERPETRATOR = "Quirinus Sentinelson"
FAMILY_MEMBER = "Ottoline Sentinelkin"
DOCUMENT_TEXT = "SENTINEL-DOCUMENT-TEXT"
SENTINELS = (VICTIM, PERPETRATOR, FAMILY_MEMBER, DOCUMENT_TEXT)
# Each word of each name on its own: a log line with a surname alone is a leak too.
FORBIDDEN = {part.casefold() for name in SENTINELS for part in (name, *name.split())}


def leaks(text: str) -> set[str]:
    folded = text.casefold()
    return {word for word in FORBIDDEN if word in folded}


class Everything(logging.Handler):
    """Keeps every record it is handed, formatted as the project's console handler would."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        plain = django_settings.LOGGING["formatters"]["plain"]["format"]
        self.setFormatter(logging.Formatter(plain))
        self.records = []

    def emit(self, record):
        self.records.append((record, self.format(record), repr(record.args)))


@pytest.fixture
def captured():
    """Every record of every logger at DEBUG: the root logger's level and handler, and every
    existing logger opened up (level inherited, propagating, enabled), all put back afterwards."""
    handler = Everything()
    root = logging.getLogger()
    saved_root = root.level
    saved = {}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            saved[name] = (logger.level, logger.propagate, logger.disabled)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
            logger.disabled = False
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, (level, propagate, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def dated(name: str, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


class Journey:
    """The test client, with each request's transaction committed (so emails are queued and sent
    in the process) and every address visited or redirected to kept for the access-log check."""

    def __init__(self, client, commit):
        self.client = client
        self.commit = commit
        self.addresses = []

    def request(self, method: str, url: str, data=None, status: int = 200, **extra):
        with self.commit(execute=True):
            response = getattr(self.client, method)(url, data or {}, **extra)
        assert response.status_code == status, (url, response.content.decode()[:2000])
        self.addresses += [url, response.get("Location", "")]
        return response

    def step(self, review: Review, slug: str, day: date, **answers) -> Review:
        url = f"/reviews/{review.reference}/steps/{slug}/"
        self.request("get", url)
        self.request("post", url, {"stage": review.stage, **dated("on", day), **answers}, 302)
        review.refresh_from_db()
        return review


def break_the_review_pages(monkeypatch):
    """The review page fails inside the request (the Home Office part's summary raises), and so
    does recording a notification (the service raises while the real names are in the POST)."""
    from workflows.views import reviews

    def broken_summary(review, user):
        raise RuntimeError(f"forced failure on review {review.pk}")

    def broken_start(**facts):
        raise RuntimeError("forced failure while recording a notification")

    monkeypatch.setattr(reviews, "qa_summary", broken_summary)
    monkeypatch.setattr(reviews, "review_start", broken_start)


def pdf_upload(name: str, pages: list[list[str]]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_pdf_pages(pages), "application/pdf")


def test_no_real_name_or_document_text_reaches_a_log(
    captured,
    client,
    coordinator,
    independent_chair,
    partnership,
    settings,
    tmp_path,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://reviews.example"
    settings.DEBUG = False
    journey = Journey(client, django_capture_on_commit_callbacks)
    client.force_login(coordinator)

    # The notification, through the page.
    start = {
        "partnership": partnership.pk,
        "referred_by": "Testshire Police",
        **dated("date_of_death", date(2027, 1, 5)),
        **dated("notified_on", date(2027, 1, 10)),
        "victim_real_name": VICTIM,
        "perpetrator_real_name": PERPETRATOR,
        "circumstances": "Invented circumstances for a test.",
        "review_type": "dhr",
        "guidance_version": "2016",
    }
    journey.request("post", "/reviews/start/", start, 302)
    review = Review.objects.get()
    assert (review.victim_real_name, review.perpetrator_real_name) == (VICTIM, PERPETRATOR)
    reference = review.reference
    journey.request("get", f"/reviews/{reference}/")

    # The steps up to drafting, with the chair appointed under a pseudonym.
    review = journey.step(review, "start-scoping", date(2027, 1, 11))
    review = journey.step(
        review, "decide", date(2027, 2, 1), commissioned="yes", reason="Criteria met."
    )
    review = journey.step(
        review,
        "appoint-chair",
        date(2027, 2, 16),
        chair=independent_chair.pk,
        victim_pseudonym="Robin",
    )
    for slug, day in [
        ("complete-setup", date(2027, 2, 20)),
        ("agree-terms-of-reference", date(2027, 3, 1)),
        ("complete-agency-reports", date(2027, 4, 1)),
    ]:
        review = journey.step(review, slug, day)
    assert review.stage == Stage.DRAFTING

    # A family member's name on the restricted list, through the page.
    names = f"/reviews/{reference}/publication/names/"
    journey.request("post", names, {"name": FAMILY_MEMBER, "relationship": "Sister"}, 302)
    journey.request("get", names)
    assert review.restricted_names.get().name == FAMILY_MEMBER

    # The documents: invented ones, then an overview report through the upload page whose text
    # holds the sentinel phrase and whose file name holds the victim's real name.
    submission_documents_upload(review=review, by=coordinator)
    upload = pdf_upload(
        f"{VICTIM} overview report.pdf",
        [[f"{reference}: overview report", f"About Robin. {DOCUMENT_TEXT}"]],
    )
    journey.request(
        "post",
        f"/reviews/{reference}/documents/upload/",
        {"kind": DocumentKind.OVERVIEW_REPORT, "file": upload},
        302,
    )
    version = review.documents.get(kind=DocumentKind.OVERVIEW_REPORT).versions.get(number=2)
    assert VICTIM.split()[1] in version.original_name
    journey.request("get", f"/reviews/{reference}/documents/")
    download = journey.request(
        "get", reverse("reviews:document_download", args=[reference, version.pk])
    )
    assert download["Content-Type"] == "application/pdf"
    b"".join(download.streaming_content)  # the whole file is read, as a browser would
    journey.request("get", reverse("reviews:document_view", args=[reference, version.pk]))
    journey.request("get", f"/reviews/{reference}/documents/access-log/")

    # Local sign-off and the Home Office pack, downloaded from the page and by its link.
    documents = ["overview_report", "executive_summary", "action_plan"]
    review = journey.step(review, "complete-draft", date(2027, 4, 20), documents=documents)
    review = journey.step(review, "sign-off", date(2027, 4, 25))
    review = journey.step(review, "submit-to-home-office", date(2027, 4, 26))
    assert review.stage == Stage.HOME_OFFICE_QA
    submission = review.qa_submissions.get()
    pack = journey.request("get", f"/reviews/{reference}/home-office/submissions/1/pack/")
    b"".join(pack.streaming_content)
    journey.request("get", f"/home-office/packs/{submission.token}/")
    qa_letter_upload(review=review, by=coordinator)
    review = journey.step(review, "qa-outcome", date(2027, 5, 20), outcome="approved")
    assert review.stage == Stage.PUBLICATION

    # The name check reads a version naming the victim and the family member: refused, with
    # the hits shown on the page; then a clean version (still with the phrase) passes.
    names_inside = pdf_upload(
        "overview.pdf", [["Introduction"], [f"Robin, whose name was {VICTIM}, and {FAMILY_MEMBER}"]]
    )
    journey.request(
        "post",
        f"/reviews/{reference}/documents/upload/",
        {"kind": DocumentKind.OVERVIEW_REPORT, "file": names_inside},
        302,
    )
    refusals = publication_refusals(review)
    assert refusals and not any(leaks(refusal) for refusal in refusals)
    journey.request("get", f"/reviews/{reference}/publication/")
    publish = f"/reviews/{reference}/steps/publish/"
    journey.request("post", publish, {"stage": review.stage, **dated("on", date(2027, 5, 25))})
    assert Review.objects.get(pk=review.pk).stage == Stage.PUBLICATION
    clean = pdf_upload("overview.pdf", [[f"{reference}: overview report", DOCUMENT_TEXT]])
    journey.request(
        "post",
        f"/reviews/{reference}/documents/upload/",
        {"kind": DocumentKind.OVERVIEW_REPORT, "file": clean},
        302,
    )
    journey.request(
        "post",
        f"/reviews/{reference}/publication/",
        {
            "criminal_proceedings": "none",
            **dated("planned_on", date(2027, 5, 25)),
            **dated("family_told_on", date(2027, 5, 21)),
        },
        302,
    )
    assert publication_refusals(review) == []
    review = journey.step(review, "publish", date(2027, 5, 25))
    assert review.stage == Stage.ACTION_PLAN
    journey.request("get", f"/reviews/{reference}/emails/")

    # A page that fails inside the request: Django's error report, as production logs it.
    failing = Client(raise_request_exception=False)
    failing.force_login(coordinator)
    break_the_review_pages(monkeypatch)
    assert failing.get(f"/reviews/{reference}/").status_code == 500
    assert failing.post("/reviews/start/", start).status_code == 500

    # The capture works: the records we expect are there, at every level down to DEBUG.
    logging.getLogger("tests.sentinel").debug("capture check")
    messages = [formatted for _record, formatted, _args in captured.records]
    assert any("capture check" in message for message in messages)
    assert any("start_scoping by user" in message for message in messages)
    assert any("name check of document version" in message for message in messages)
    assert any(" sent, attempt " in message for message in messages)
    assert any(
        record.name == "django.request" and record.exc_info and "forced failure" in formatted
        for record, formatted, _args in captured.records
    )
    assert any("while recording a notification" in message for message in messages)

    # No record, formatted with its arguments and exception text, holds a sentinel.
    leaked = [
        (record.name, formatted)
        for record, formatted, args in captured.records
        if leaks(formatted) or leaks(args)
    ]
    assert leaked == []

    # Nor does any address asked for or redirected to (what an access log records), nor any
    # email sent (the emails were sent in the process: the outbox was drained).
    assert mail.outbox
    assert not [address for address in journey.addresses if leaks(address)]
    for email in mail.outbox:
        bodies = [email.subject, email.body, *(content for content, _ in email.alternatives)]
        assert not leaks("\n".join(bodies)), email.subject
