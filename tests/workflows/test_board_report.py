"""The action plan board report: a real PDF whose text gives each review's recommendations and
figures, for one review or a whole partnership, to its managers only, and never a real name."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.conftest import TODAY
from workflows.action_plan import services
from workflows.models import Recommendation, Review
from workflows.stages import Stage

VICTIM = "Zelda Inventedname"
PERPETRATOR = "Quentin Madeupname"


@pytest.fixture
def plans(review_at, coordinator, police, police_author):
    """Two reviews in action plan monitoring: the first with one recommendation signed off and
    one 12 days overdue; the second with one not yet due."""
    first, second = review_at(Stage.ACTION_PLAN), review_at(Stage.ACTION_PLAN)
    Review.objects.filter(pk=second.pk).update(victim_pseudonym="Sky")
    second.refresh_from_db()

    def add(review, text, days):
        return services.recommendation_add(
            review=review,
            text=text,
            owner_agency=police,
            owner=police_author,
            due_on=TODAY + timedelta(days=days),
            by=coordinator,
        )

    done = add(first, "Train call handlers.", 10)
    services.recommendation_complete(recommendation=done, note="Done.", by=police_author)
    services.recommendation_sign_off(recommendation=done, by=coordinator)
    late = add(first, f"Review how {VICTIM}'s calls were handled.", 10)
    Recommendation.objects.filter(pk=late.pk).update(due_on=TODAY - timedelta(days=12))
    services.recommendation_add(
        review=second,
        text="Share risk assessments with housing.",
        owner_agency=None,
        owner=coordinator,
        due_on=TODAY + timedelta(days=40),
        by=coordinator,
    )
    return first, second


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_partnership_report_gives_every_review_and_the_totals(plans, client, coordinator):
    first, second = plans
    client.force_login(coordinator)
    text = pdf_text(client.get("/partnerships/testshire/action-plan-report.pdf"))
    assert "Action plans" in text
    assert "Testshire Community Safety Partnership" in text
    assert "1 June 2027" in text
    assert "1 of 3 signed off, 0 awaiting sign-off, 1 overdue, across 2 reviews" in text
    # Each review by reference and library title (pseudonym, area, year, letter).
    assert f"{first.reference}: Robin - Testshire - 2027/" in text
    assert f"{second.reference}: Sky - Testshire - 2027/" in text
    assert "Train call handlers." in text
    assert "Signed off" in text
    assert "Not started" in text
    assert "20 May 2027" in text  # the overdue recommendation's due date
    assert " 12" in text  # its days overdue
    assert "All reviews 3 1 0 1" in text


def test_no_real_name_appears_in_the_report(plans, client, coordinator):
    first, _ = plans
    client.force_login(coordinator)
    for url in (
        "/partnerships/testshire/action-plan-report.pdf",
        f"/reviews/{first.reference}/action-plan/report.pdf",
    ):
        text = pdf_text(client.get(url))
        for name in (VICTIM, PERPETRATOR, *VICTIM.split(), *PERPETRATOR.split()):
            assert name not in text
        assert "[name withheld]" in text


def test_the_review_report_gives_that_review_only(plans, client, csp_chair):
    first, second = plans
    client.force_login(csp_chair)
    text = pdf_text(client.get(f"/reviews/{first.reference}/action-plan/report.pdf"))
    assert f"Action plan: {first.reference}" in text
    assert "1 of 2 signed off, 0 awaiting sign-off, 1 overdue" in text
    assert second.reference not in text


def test_only_the_partnerships_managers_get_the_reports(
    plans, client, independent_chair, police_author, outsider
):
    first, _ = plans
    client.force_login(independent_chair)
    assert client.get(f"/reviews/{first.reference}/action-plan/report.pdf").status_code == 403
    assert client.get("/partnerships/testshire/action-plan-report.pdf").status_code == 403
    client.force_login(police_author)
    assert client.get(f"/reviews/{first.reference}/action-plan/report.pdf").status_code == 404
    client.force_login(outsider)
    assert client.get("/partnerships/testshire/action-plan-report.pdf").status_code == 403
    assert client.get("/partnerships/nowhere/action-plan-report.pdf").status_code == 404
    client.logout()
    response = client.get("/partnerships/testshire/action-plan-report.pdf")
    assert response.status_code == 302
