"""The review panel is asked for comments on the terms of reference and on the draft; an
unanswered request never holds the review up and is withdrawn when the stage moves on."""

from datetime import date

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.factories import UserFactory
from workflows.flows import PanelCommentFlow
from workflows.models import PanelComment, Participant
from workflows.services.errors import TransitionRefused
from workflows.services.lifecycle import review_transition
from workflows.services.panel import panel_comment_record
from workflows.services.participants import participant_invite
from workflows.services.reviews import review_start

ON = date(2027, 3, 1)


@pytest.fixture
def panel(partnership, coordinator, independent_chair):
    review = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
    )
    review = review_transition(review=review, action="decide_to_commission", by=coordinator, on=ON)
    review = review_transition(
        review=review,
        action="appoint_independent_chair",
        by=coordinator,
        on=ON,
        chair=independent_chair,
        victim_pseudonym="Robin",
    )
    members = [UserFactory(email=f"panel{n}@test.example") for n in (1, 2)]
    for member in members:
        Participant.objects.create(
            review=review, user=member, role="panel_member", added_by=coordinator
        )
    review = review_transition(review=review, action="complete_setup", by=coordinator, on=ON)
    return review, members


def requests(review, status=("NEW", "ASSIGNED")):
    return Task.objects.filter(
        process__flow_class=PanelCommentFlow,
        process__artifact_object_id=review.pk,
        flow_task_type="HUMAN",
        status__in=status,
    )


def test_each_panel_member_is_asked_at_the_terms_of_reference(panel):
    review, members = panel
    asked = requests(review)
    assert sorted(task.owner.email for task in asked) == sorted(m.email for m in members)
    assert {task.data["title"] for task in asked} == {"Comment on the terms of reference"}


def test_comments_are_stored_and_shown_to_the_chair_only(
    panel, client, independent_chair, coordinator
):
    review, members = panel
    task = requests(review).get(owner=members[0])
    client.force_login(members[1])
    url = reverse("tasks:panel", args=[review.reference, task.pk])
    assert client.get(url).status_code == 404
    client.force_login(members[0])
    assert "Enter your comments" in client.post(url, {"text": " "}).content.decode()
    assert client.post(url, {"text": "Add the GP to the scope."}).status_code == 302
    assert PanelComment.objects.get().text == "Add the GP to the scope."
    assert review.history.filter(action="panel_comment").exists()
    with pytest.raises(TransitionRefused, match="no longer asked"):
        panel_comment_record(task=task, review=review, by=members[0], text="Again")
    client.force_login(independent_chair)
    assert (
        "Add the GP to the scope." in client.get(f"/reviews/{review.reference}/").content.decode()
    )
    client.force_login(members[1])
    assert (
        "Add the GP to the scope."
        not in client.get(f"/reviews/{review.reference}/").content.decode()
    )


def test_unanswered_requests_never_hold_the_review_and_drafting_asks_again(
    panel, independent_chair
):
    review, members = panel
    review = review_transition(
        review=review, action="agree_terms_of_reference", by=independent_chair, on=ON
    )
    assert not requests(review).exists()
    assert requests(review, status=("CANCELED",)).count() == 2
    review = review_transition(
        review=review, action="complete_agency_reports", by=independent_chair, on=ON
    )
    assert {t.data["title"] for t in requests(review)} == {"Comment on the draft report"}
    assert requests(review).count() == 2


def test_a_pause_keeps_the_requests_and_resuming_does_not_ask_twice(panel, csp_chair):
    review, _ = panel
    review = review_transition(
        review=review, action="pause", by=csp_chair, on=ON, pause_reason="inquest"
    )
    assert requests(review).count() == 2
    review = review_transition(review=review, action="resume", by=csp_chair, on=ON)
    assert requests(review).count() == 2


def test_a_panel_member_added_mid_stage_is_asked_at_once(panel, coordinator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    review, _ = panel
    participant_invite(
        review=review,
        email="late.panel@test.example",
        full_name="Late Panel",
        role="panel_member",
        by=coordinator,
    )
    assert requests(review).filter(owner__email="late.panel@test.example").exists()


def test_panel_requests_appear_in_my_tasks(panel, client):
    review, members = panel
    client.force_login(members[0])
    page = client.get("/tasks/").content.decode()
    assert ">Comment on the terms of reference</a>" in page
