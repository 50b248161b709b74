"""The public pages of published reviews: what anyone may read and download without signing in,
and that nothing of an unpublished review is ever reachable there, by listing or by guessing.
"""

import hashlib
from datetime import date, timedelta
from functools import cache

import pytest
import weasyprint
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, PartnershipFactory, ReviewFactory, UserFactory
from workflows.models import Document, DocumentKind, DocumentVersion, Review, Role
from workflows.models.publication import PageFeedback, Publication, PublishedDocument
from workflows.public.feedback import sender_digest
from workflows.stages import Stage

PDF = "application/pdf"
VICTIM_REAL_NAME = "Zelda Inventedname"  # ReviewFactory's sentinel real names
PERPETRATOR_REAL_NAME = "Quentin Madeupname"
UPLOADED_NAME = "Zelda Inventedname family statement.pdf"
REAL_NAMES = (VICTIM_REAL_NAME, PERPETRATOR_REAL_NAME, "Zelda", "Inventedname", "Madeupname")


@cache
def pdf_bytes(label: str) -> bytes:
    """A small real PDF whose text says which document it is."""
    return weasyprint.HTML(string=f"<p>{label}</p>").write_pdf()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def anonymous():
    return Client()


def add_version(review: Review, kind: str, label: str, by) -> DocumentVersion:
    """A stored PDF version of one of the review's documents, uploaded under a real name."""
    content = pdf_bytes(label)
    document = Document.objects.create(review=review, kind=kind, title=DocumentKind(kind).label)
    version = DocumentVersion(
        document=document,
        number=1,
        original_name=UPLOADED_NAME,
        size=len(content),
        content_type=PDF,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by,
    )
    version.file.save("upload", ContentFile(content), save=False)
    version.save()
    return version


def publish(review: Review, by, **publication) -> Publication:
    """A publication of ``review`` with an overview report and an executive summary."""
    defaults = {
        "published_on": date(2027, 5, 25),
        "keep_until": date(2028, 5, 25),
        "condolence_statement": (
            f"We offer our condolences to the family of {review.victim_pseudonym}."
        ),
        "partnership_response": "Every GP surgery now asks about domestic abuse at registration.",
    }
    made = Publication.objects.create(review=review, **{**defaults, **publication})
    for position, kind in enumerate([DocumentKind.OVERVIEW_REPORT, DocumentKind.EXECUTIVE_SUMMARY]):
        version = add_version(review, kind, f"{review.reference} {kind}", by)
        PublishedDocument.objects.create(
            publication=made, version=version, title=DocumentKind(kind).label, position=position
        )
    return made


@pytest.fixture
def published(review_at, coordinator):
    """A review at action plan monitoring, published on 25 May 2027."""
    review = review_at(Stage.ACTION_PLAN)
    Review.objects.filter(pk=review.pk).update(perpetrator_pseudonym="Alder")
    review.refresh_from_db()
    publish(review, coordinator)
    return review


def document_urls(publication: Publication, slug: str) -> list[str]:
    return [
        reverse("public:document", args=[slug, published.token])
        for published in publication.documents.all()
    ]


# The listing and the partnership's page.


def test_the_list_names_partnerships_with_published_reviews_and_counts(
    anonymous, published, review_at, coordinator
):
    second = review_at(Stage.CLOSED)
    publish(second, coordinator, published_on=date(2027, 4, 1))
    quiet = PartnershipFactory(name="Quietshire Community Safety Partnership", slug="quietshire")
    unpublished = ReviewFactory(partnership=quiet, stage=Stage.ACTION_PLAN)
    publish(unpublished, coordinator, published_on=None)

    html = anonymous.get(reverse("public:index")).content.decode()

    assert "Testshire Community Safety Partnership" in html
    assert "(2 published reviews)" in html
    assert reverse("public:partnership", args=["testshire"]) in html
    assert "Quietshire" not in html


def test_the_list_says_when_nothing_is_published(anonymous, db):
    response = anonymous.get(reverse("public:index"))
    assert response.status_code == 200
    assert "No reviews have been published here yet." in response.content.decode()


def test_the_partnership_page_shows_each_published_review(anonymous, published):
    response = anonymous.get(reverse("public:partnership", args=["testshire"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Domestic Homicide Reviews" in html
    assert "section 9 of the Domestic Violence, Crime and Victims Act 2004" in html
    assert "13 April 2011" in html
    assert "establish what lessons are to be learned" in html
    assert "highlight good practice" in html
    assert "not an inquiry into how the person died or into who is culpable" in html
    assert "0808 2000 247" in html
    assert "Robin - Testshire - 2027/a - DHR" in html
    assert "Victim (pseudonym)" in html and "Robin" in html
    assert "Perpetrator (pseudonym)" in html and "Alder" in html
    assert "25 May 2027" in html
    assert "We offer our condolences to the family of Robin." in html
    assert "What has changed as a result" in html
    assert "Every GP surgery now asks about domestic abuse at registration." in html
    assert "Overview report" in html and "Executive summary" in html
    assert "PDF, " in html
    for url in document_urls(published.publication, "testshire"):
        assert url in html
    assert "Was this page helpful?" in html
    # The public header: no sign-in navigation, the public service's name.
    assert "Sign out" not in html and "My tasks" not in html
    assert "Published domestic homicide reviews" in html


def test_reviews_are_listed_newest_publication_first(anonymous, published, review_at, coordinator):
    newer = review_at(Stage.CLOSED)
    Review.objects.filter(pk=newer.pk).update(victim_pseudonym="Hazel")
    newer.refresh_from_db()
    publish(newer, coordinator, published_on=date(2027, 5, 30))

    html = anonymous.get(reverse("public:partnership", args=["testshire"])).content.decode()

    assert html.index("Hazel - Testshire") < html.index("Robin - Testshire")


def test_real_names_never_appear_on_the_public_pages(anonymous, published, coordinator):
    published.restricted_names.create(
        name="Ophelia Sentinelname", relationship="Sister", added_by=coordinator
    )
    pages = [
        anonymous.get(reverse("public:index")),
        anonymous.get(reverse("public:partnership", args=["testshire"])),
        anonymous.get(reverse("public:feedback", args=["testshire"])),
    ]
    downloads = [anonymous.get(url) for url in document_urls(published.publication, "testshire")]

    for response in pages:
        html = response.content.decode()
        for name in (*REAL_NAMES, "Ophelia Sentinelname", UPLOADED_NAME):
            assert name not in html
    for response in downloads:
        headers = str(response.headers)
        for name in (*REAL_NAMES, UPLOADED_NAME, published.reference):
            assert name not in headers


def test_the_partnership_page_leaves_out_unpublished_reviews(
    anonymous, published, review_at, coordinator
):
    draft = review_at(Stage.PUBLICATION)
    Review.objects.filter(pk=draft.pk).update(victim_pseudonym="Secretpseudonym")
    draft.refresh_from_db()
    hidden = publish(draft, coordinator, published_on=None)

    html = anonymous.get(reverse("public:partnership", args=["testshire"])).content.decode()

    assert "Secretpseudonym" not in html
    for published_document in hidden.documents.all():
        assert published_document.token not in html


# Downloads.


def test_a_published_document_downloads_under_a_neutral_name(anonymous, published):
    overview = published.publication.documents.get(title="Overview report")

    response = anonymous.get(reverse("public:document", args=["testshire", overview.token]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == overview.version.file.open("rb").read()
    assert response["Content-Type"] == PDF
    assert response["Content-Disposition"] == (
        'attachment; filename="Robin - Testshire - 2027-a - DHR - Overview report.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("Last-Modified")


def test_the_link_on_the_page_names_the_file_and_downloads(anonymous, published):
    overview = published.publication.documents.get(title="Overview report")
    name = "Robin - Testshire - 2027-a - DHR - Overview report.pdf"
    url = reverse("public:document_named", args=["testshire", overview.token, name])
    assert url in anonymous.get(reverse("public:partnership", args=["testshire"])).content.decode()

    response = anonymous.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_link_with_an_old_file_name_goes_to_the_current_one(anonymous, published):
    overview = published.publication.documents.get(title="Overview report")
    old = reverse("public:document_named", args=["testshire", overview.token, "old name.pdf"])

    response = anonymous.get(old)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "public:document_named",
        args=[
            "testshire",
            overview.token,
            "Robin - Testshire - 2027-a - DHR - Overview report.pdf",
        ],
    )


# Nothing of an unpublished review is reachable.


def _not_yet_published(review, by):
    return publish(review, by, published_on=None)


def _archived(review, by):
    return publish(review, by, archived_on=date(2027, 5, 30))


def _published_in_the_future(review, by):
    return publish(review, by, published_on=date(2027, 6, 20))


def _still_at_the_publication_stage(review, by):
    Review.objects.filter(pk=review.pk).update(stage=Stage.PUBLICATION)
    return publish(review, by)


HIDDEN = {
    "not yet published": _not_yet_published,
    "archived": _archived,
    "published on a future date": _published_in_the_future,
    "dated but still at the publication stage": _still_at_the_publication_stage,
}


@pytest.mark.parametrize("how", HIDDEN)
def test_every_document_url_of_an_unpublished_review_is_not_found(
    anonymous, how, review_at, coordinator
):
    review = review_at(Stage.ACTION_PLAN)
    publication = HIDDEN[how](review, coordinator)
    other = PartnershipFactory(name="Otherborough CSP", slug="otherborough")
    publish(
        ReviewFactory(partnership=other, stage=Stage.CLOSED, victim_pseudonym="Ash"), coordinator
    )

    for published in publication.documents.all():
        version = published.version
        guesses = [published.token, str(version.pk), str(version.document_id), str(published.pk)]
        for slug in ("testshire", "otherborough"):
            for guess in guesses:
                url = reverse("public:document", args=[slug, guess])
                assert anonymous.get(url).status_code == 404, url
                named = reverse("public:document_named", args=[slug, guess, "report.pdf"])
                assert anonymous.get(named).status_code == 404, named
        assert_internal_urls_refuse_anonymous(anonymous, version)
    # With no public review left, the partnership's page is not found either.
    assert anonymous.get(reverse("public:partnership", args=["testshire"])).status_code == 404
    assert "Testshire" not in anonymous.get(reverse("public:index")).content.decode()


def test_a_review_without_a_publication_has_no_public_urls(anonymous, review_at, coordinator):
    review = review_at(Stage.CLOSED)
    version = add_version(review, DocumentKind.OVERVIEW_REPORT, "never published", coordinator)

    for guess in (str(version.pk), str(version.document_id), review.reference):
        url = reverse("public:document", args=["testshire", guess])
        assert anonymous.get(url).status_code == 404
    assert_internal_urls_refuse_anonymous(anonymous, version)
    assert anonymous.get(reverse("public:partnership", args=["testshire"])).status_code == 404


def assert_internal_urls_refuse_anonymous(client, version: DocumentVersion) -> None:
    """The signed-in document pages send an anonymous person to sign in, never the file."""
    reference = version.document.review.reference
    urls = [
        reverse("reviews:document_download", args=[reference, version.pk]),
        reverse("reviews:document_view", args=[reference, version.pk]),
        reverse("reviews:documents", args=[reference]),
        reverse("reviews:document_access_log", args=[reference]),
        reverse("reviews:detail", args=[reference]),
    ]
    content = version.file.open("rb").read()
    version.file.close()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
        assert content not in response.content


def test_a_valid_token_under_another_partnership_is_not_found(anonymous, published, coordinator):
    other = PartnershipFactory(name="Otherborough CSP", slug="otherborough")
    publish(
        ReviewFactory(partnership=other, stage=Stage.CLOSED, victim_pseudonym="Ash"), coordinator
    )

    for token in [d.token for d in published.publication.documents.all()]:
        assert (
            anonymous.get(reverse("public:document", args=["otherborough", token])).status_code
            == 404
        )
        assert (
            anonymous.get(reverse("public:document", args=["testshire", token])).status_code == 200
        )


def test_ids_in_place_of_a_public_token_are_not_found(anonymous, published):
    for published_document in published.publication.documents.all():
        version = published_document.version
        for guess in (version.pk, version.document_id, published_document.pk):
            url = f"/published/testshire/documents/{guess}/"
            assert anonymous.get(url).status_code == 404


def test_a_published_row_pointing_at_another_reviews_document_is_not_served(
    anonymous, published, review_at, coordinator
):
    secret = review_at(Stage.DRAFTING)
    version = add_version(
        secret, DocumentKind.OVERVIEW_REPORT, "draft of another review", coordinator
    )
    stray = PublishedDocument.objects.create(
        publication=published.publication, version=version, title="Stray", position=9
    )

    assert (
        anonymous.get(reverse("public:document", args=["testshire", stray.token])).status_code
        == 404
    )
    html = anonymous.get(reverse("public:partnership", args=["testshire"])).content.decode()
    assert stray.token not in html


@pytest.mark.parametrize("slug", ["no-such-place", "quietshire"])
def test_partnerships_without_public_reviews_are_not_found(anonymous, db, slug):
    PartnershipFactory(name="Quietshire Community Safety Partnership", slug="quietshire")
    assert anonymous.get(reverse("public:partnership", args=[slug])).status_code == 404
    assert anonymous.get(reverse("public:feedback", args=[slug])).status_code == 404
    response = anonymous.post(reverse("public:feedback", args=[slug]), {"helpful": "yes"})
    assert response.status_code == 404
    assert not PageFeedback.objects.exists()


# "Was this page helpful?"


def test_an_answer_is_stored_with_a_keyed_hash_of_the_address(anonymous, published):
    response = anonymous.post(
        reverse("public:feedback", args=["testshire"]),
        {"helpful": "no", "comment": "  The reports were hard to find.  "},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("public:feedback_sent", args=["testshire"])
    answer = PageFeedback.objects.get()
    assert (answer.partnership.slug, answer.helpful) == ("testshire", False)
    assert answer.comment == "The reports were hard to find."
    assert answer.sender_digest == sender_digest("203.0.113.9")
    assert "203.0.113.9" not in answer.sender_digest
    sent = anonymous.get(response["Location"])
    assert "Thank you for your feedback" in sent.content.decode()


def test_a_yes_without_a_comment_is_stored(anonymous, published):
    anonymous.post(reverse("public:feedback", args=["testshire"]), {"helpful": "yes"})
    assert PageFeedback.objects.get().helpful is True


@pytest.mark.parametrize(
    "data, message",
    [
        ({"comment": "No choice made"}, "Select yes if this page was helpful"),
        ({"helpful": "maybe"}, "Select a valid choice"),
        (
            {"helpful": "yes", "comment": "x" * 1201},
            "Your comment must be 1,200 characters or fewer",
        ),
    ],
)
def test_bad_answers_are_explained_and_nothing_is_stored(anonymous, published, data, message):
    response = anonymous.post(reverse("public:feedback", args=["testshire"]), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert message in html
    assert "<title>Error: " in html
    assert not PageFeedback.objects.exists()


def test_a_comment_of_exactly_the_limit_is_stored(anonymous, published):
    anonymous.post(
        reverse("public:feedback", args=["testshire"]), {"helpful": "yes", "comment": "y" * 1200}
    )
    assert len(PageFeedback.objects.get().comment) == 1200


def test_answers_beyond_the_hourly_limit_are_refused(anonymous, published, settings, _fixed_today):
    settings.PAGE_FEEDBACK_PER_HOUR = 2
    url = reverse("public:feedback", args=["testshire"])
    for _ in range(2):
        assert (
            anonymous.post(url, {"helpful": "yes"}, REMOTE_ADDR="198.51.100.1").status_code == 302
        )

    refused = anonymous.post(url, {"helpful": "no", "comment": "third"}, REMOTE_ADDR="198.51.100.1")

    assert refused.status_code == 429
    assert "You have sent a lot of feedback in the last hour" in refused.content.decode()
    assert "govuk-error-summary" in refused.content.decode()
    assert PageFeedback.objects.count() == 2
    # Someone else may still answer, and so may the same sender an hour later.
    assert anonymous.post(url, {"helpful": "yes"}, REMOTE_ADDR="198.51.100.2").status_code == 302
    _fixed_today.shift(timedelta(hours=1, minutes=1))
    assert anonymous.post(url, {"helpful": "yes"}, REMOTE_ADDR="198.51.100.1").status_code == 302
    assert PageFeedback.objects.count() == 4


def test_the_feedback_form_needs_its_csrf_token(published):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("public:feedback", args=["testshire"]), {"helpful": "yes"})
    assert response.status_code == 403
    assert not PageFeedback.objects.exists()


# The coordinators' page of answers.


@pytest.fixture
def answers(partnership):
    PageFeedback.objects.create(
        partnership=partnership,
        helpful=False,
        comment='<script>alert("x")</script> Hard to read',
        sender_digest=sender_digest("192.0.2.1"),
    )
    PageFeedback.objects.create(partnership=partnership, helpful=True, sender_digest="b" * 64)
    other = PartnershipFactory(name="Otherborough CSP", slug="otherborough")
    PageFeedback.objects.create(
        partnership=other, helpful=True, comment="About Otherborough", sender_digest="c" * 64
    )


@pytest.mark.parametrize("persona", ["coordinator", "csp_chair"])
def test_coordinators_read_their_partnerships_answers_escaped(client, answers, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("page_feedback", args=["testshire"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Hard to read" in html
    assert '<script>alert("x")</script>' not in html
    assert "About Otherborough" not in html
    assert "No comment" in html
    counts = response.context["counts"]
    assert (counts["total"], counts["said_yes"], counts["said_no"]) == (2, 1, 1)


@pytest.mark.parametrize("persona", ["outsider", "police_author", "independent_chair"])
def test_others_may_not_read_the_answers(client, answers, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("page_feedback", args=["testshire"])).status_code == 403


def test_a_coordinator_of_another_partnership_may_not_read_the_answers(client, answers):
    elsewhere = UserFactory(email="elsewhere@test.example")
    MembershipFactory(
        user=elsewhere, partnership=PartnershipFactory(slug="otherborough"), role=Role.COORDINATOR
    )
    client.force_login(elsewhere)
    assert client.get(reverse("page_feedback", args=["testshire"])).status_code == 403
    assert client.get(reverse("page_feedback", args=["otherborough"])).status_code == 200


def test_the_answers_need_sign_in(anonymous, answers):
    response = anonymous.get(reverse("page_feedback", args=["testshire"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_partnership_has_no_answers_page(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("page_feedback", args=["no-such-place"])).status_code == 404
