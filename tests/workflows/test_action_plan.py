"""The action plan: recommendations added by the coordinator from local sign-off, progressed and
completed with evidence by their owners, signed off or sent back by the coordinator, chased by
the reminder ladder, counted on the dashboard, and holding up the review's closure.

Everything runs on the suite's fixed today, 1 June 2027.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.models import Email
from notifications.reminders import reminders_sweep
from tests.conftest import TODAY
from tests.factories import MembershipFactory, UserFactory
from workflows.action_plan import services
from workflows.action_plan.services import RecommendationRefused
from workflows.models import Deadline, Recommendation, RecommendationStatus, Role
from workflows.monitoring.dashboard import dashboard_for, managed_partnerships
from workflows.services.deadlines import deadlines_recompute
from workflows.services.errors import TransitionRefused
from workflows.services.lifecycle import review_transition
from workflows.stages import Stage
from workflows.uploads import UploadRefused

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="Zelda Inventedname evidence.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def monitored(review_at):
    return review_at(Stage.ACTION_PLAN)


@pytest.fixture
def add(coordinator, police, police_author):
    def added(review, *, text="Train call handlers to recognise coercive control.", **changes):
        details = {
            "owner_agency": police,
            "owner": police_author,
            "due_on": TODAY + timedelta(days=30),
            **changes,
        }
        return services.recommendation_add(review=review, text=text, by=coordinator, **details)

    return added


def fresh(recommendation) -> Recommendation:
    return Recommendation.objects.get(pk=recommendation.pk)


def deadline_of(recommendation) -> Deadline:
    return Deadline.objects.get(
        review=recommendation.review, rule=f"recommendation-{recommendation.number}"
    )


# Adding and changing.


def test_the_coordinator_adds_numbered_recommendations_each_with_a_deadline(monitored, add):
    first = add(monitored)
    second = add(monitored, text="Review the housing allocation policy for Robin's case type.")
    assert (first.number, second.number) == (1, 2)
    deadline = deadline_of(second)
    assert deadline.title.startswith("Recommendation 2: Review the housing allocation")
    assert deadline.statutory is False
    assert deadline.period == ""
    assert deadline.due_on == TODAY + timedelta(days=30)
    assert deadline.starts_on == TODAY
    assert deadline.met_on is None
    assert deadline.explanation.startswith("Set by the coordinator")
    # The ladder's first reminder: 14 days before the due date.
    assert deadline.next_action_on == TODAY + timedelta(days=16)


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        (Stage.DRAFTING, False),
        (Stage.LOCAL_SIGN_OFF, True),
        (Stage.HOME_OFFICE_QA, True),
        (Stage.PUBLICATION, True),
        (Stage.ACTION_PLAN, True),
        (Stage.CLOSED, False),
    ],
)
def test_recommendations_are_added_from_local_sign_off_until_closure(
    review_at, add, stage, allowed
):
    review = review_at(stage)
    if allowed:
        assert add(review).number == 1
    else:
        with pytest.raises(PermissionDenied):
            add(review)
        assert not Recommendation.objects.exists()


def test_only_the_coordinator_adds_recommendations(monitored, csp_chair, police, police_author):
    with pytest.raises(PermissionDenied):
        services.recommendation_add(
            review=monitored,
            text="Anything",
            owner_agency=police,
            owner=police_author,
            due_on=TODAY,
            by=csp_chair,
        )
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": "   "}, "text", "Enter the recommendation"),
        ({"owner": "outsider"}, "owner", "Select the person who owns the recommendation"),
        ({"owner": "health_author"}, "owner", "works for another agency"),
        ({"due_on": TODAY - timedelta(days=1)}, "due_on", "today or in the future"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(
    monitored, add, request, changes, field, message
):
    if isinstance(changes.get("owner"), str):
        changes = {**changes, "owner": request.getfixturevalue(changes["owner"])}
    with pytest.raises(RecommendationRefused) as refused:
        add(monitored, **changes)
    assert refused.value.field == field
    assert message in refused.value.message
    assert not Recommendation.objects.exists()
    assert not Deadline.objects.filter(rule__startswith="recommendation-").exists()


def test_a_coordinator_of_the_partnership_may_own_a_recommendation_of_an_agency(
    monitored, add, coordinator
):
    assert add(monitored, owner=coordinator).owner == coordinator


def test_changing_the_due_date_moves_the_deadline(monitored, add, coordinator, police):
    recommendation = add(monitored)
    later = TODAY + timedelta(days=90)
    services.recommendation_update(
        recommendation=recommendation,
        text="Train every call handler.",
        owner_agency=police,
        owner=coordinator,
        due_on=later,
        by=coordinator,
    )
    changed = fresh(recommendation)
    assert (changed.text, changed.owner, changed.due_on) == (
        "Train every call handler.",
        coordinator,
        later,
    )
    assert deadline_of(changed).due_on == later
    assert deadline_of(changed).title == "Recommendation 1: Train every call handler."


def test_rule_deadlines_recomputed_leave_recommendations_alone(monitored, add):
    recommendation = add(monitored)
    deadlines_recompute(review=monitored)
    assert deadline_of(recommendation).due_on == recommendation.due_on


# The owner's progress and completion.


def test_the_owner_records_progress(monitored, add, police_author):
    recommendation = add(monitored)
    services.recommendation_progress(
        recommendation=recommendation, status=RecommendationStatus.IN_PROGRESS, by=police_author
    )
    assert fresh(recommendation).status == RecommendationStatus.IN_PROGRESS


def test_someone_else_cannot_record_progress(monitored, add, health_author, csp_chair):
    recommendation = add(monitored)
    for person in (health_author, csp_chair):
        with pytest.raises(PermissionDenied):
            services.recommendation_progress(
                recommendation=recommendation, status=RecommendationStatus.IN_PROGRESS, by=person
            )
    assert fresh(recommendation).status == RecommendationStatus.NOT_STARTED


def test_completing_with_a_note_meets_the_deadline(monitored, add, police_author):
    recommendation = add(monitored)
    services.recommendation_complete(
        recommendation=recommendation, note="Training delivered in May.", by=police_author
    )
    done = fresh(recommendation)
    assert done.status == RecommendationStatus.COMPLETED
    assert (done.completed_on, done.completed_by) == (TODAY, police_author)
    assert done.evidence_note == "Training delivered in May."
    deadline = deadline_of(done)
    assert deadline.met_on == TODAY
    assert deadline.next_action_on is None


def test_completing_with_a_file_keeps_it_under_a_random_name(monitored, add, police_author):
    recommendation = add(monitored)
    services.recommendation_complete(
        recommendation=recommendation, note="", uploaded_file=pdf(), by=police_author
    )
    done = fresh(recommendation)
    assert done.status == RecommendationStatus.COMPLETED
    assert done.evidence_name == "Zelda Inventedname evidence.pdf"
    assert "Zelda" not in done.evidence_file.name
    assert done.evidence_file.name.startswith(f"recommendations/{monitored.pk}/")
    assert done.evidence_file.name.endswith(".pdf")
    import hashlib

    assert done.evidence_sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    with done.evidence_file.open("rb") as stored:
        assert stored.read() == PDF_BYTES


def test_completing_without_evidence_is_refused(monitored, add, police_author):
    recommendation = add(monitored)
    with pytest.raises(RecommendationRefused) as refused:
        services.recommendation_complete(recommendation=recommendation, note="  ", by=police_author)
    assert "a note, a file or both" in refused.value.message
    assert fresh(recommendation).status == RecommendationStatus.NOT_STARTED
    assert deadline_of(recommendation).met_on is None


def test_a_bad_file_is_refused_and_nothing_is_stored(monitored, add, police_author, settings):
    recommendation = add(monitored)
    bad = SimpleUploadedFile("evidence.pdf", b"just some text", content_type="application/pdf")
    with pytest.raises(UploadRefused):
        services.recommendation_complete(
            recommendation=recommendation, note="Done.", uploaded_file=bad, by=police_author
        )
    assert fresh(recommendation).status == RecommendationStatus.NOT_STARTED
    assert not (settings.MEDIA_ROOT / "recommendations").exists()


# The coordinator's sign-off.


@pytest.fixture
def completed(monitored, add, police_author):
    recommendation = add(monitored)
    return services.recommendation_complete(
        recommendation=recommendation, note="Training delivered.", by=police_author
    )


def test_the_coordinator_signs_off_and_a_second_sign_off_is_told(completed, coordinator):
    stale = Recommendation.objects.get(pk=completed.pk)
    services.recommendation_sign_off(recommendation=completed, by=coordinator)
    done = fresh(completed)
    assert done.status == RecommendationStatus.SIGNED_OFF
    assert (done.signed_off_on, done.signed_off_by) == (TODAY, coordinator)
    # Someone who loaded the page before the first sign-off acts on the old state.
    with pytest.raises(RecommendationRefused) as refused:
        services.recommendation_sign_off(recommendation=stale, by=coordinator)
    assert refused.value.message == (
        "Recommendation 1 was already signed off by Coordinator on 1 June 2027."
    )


def test_completing_twice_tells_the_second_person(monitored, add, police_author, coordinator):
    recommendation = add(monitored)
    services.recommendation_complete(recommendation=recommendation, note="Done.", by=coordinator)
    with pytest.raises(RecommendationRefused) as refused:
        services.recommendation_complete(
            recommendation=recommendation, note="Done too.", by=police_author
        )
    assert "was marked completed by Coordinator on 1 June 2027" in refused.value.message
    assert fresh(recommendation).evidence_note == "Done."


def test_only_a_completed_recommendation_is_signed_off(monitored, add, coordinator):
    recommendation = add(monitored)
    with pytest.raises(RecommendationRefused) as refused:
        services.recommendation_sign_off(recommendation=recommendation, by=coordinator)
    assert "must mark it completed with evidence first" in refused.value.message


def test_the_owner_cannot_sign_off_their_own_work(completed, police_author, csp_chair):
    for person in (police_author, csp_chair):
        with pytest.raises(PermissionDenied):
            services.recommendation_sign_off(recommendation=completed, by=person)
    assert fresh(completed).status == RecommendationStatus.COMPLETED


def test_sending_back_needs_a_reason_and_reopens_the_deadline(completed, coordinator):
    with pytest.raises(RecommendationRefused) as refused:
        services.recommendation_reopen(recommendation=completed, reason=" ", by=coordinator)
    assert refused.value.field == "reason"
    assert fresh(completed).status == RecommendationStatus.COMPLETED
    services.recommendation_reopen(
        recommendation=completed, reason="Attach the training register.", by=coordinator
    )
    back = fresh(completed)
    assert back.status == RecommendationStatus.IN_PROGRESS
    assert back.completed_on is None
    assert "Sent back on 1 June 2027: Attach the training register." in back.evidence_note
    assert deadline_of(back).met_on is None
    assert deadline_of(back).next_action_on is not None


def test_a_signed_off_recommendation_cannot_be_changed(completed, coordinator, police):
    services.recommendation_sign_off(recommendation=completed, by=coordinator)
    with pytest.raises(RecommendationRefused):
        services.recommendation_update(
            recommendation=completed,
            text="Other",
            owner_agency=police,
            owner=coordinator,
            due_on=TODAY,
            by=coordinator,
        )
    with pytest.raises(RecommendationRefused):
        services.recommendation_reopen(recommendation=completed, reason="No", by=coordinator)


# Closing the review.


def test_the_review_closes_only_once_every_recommendation_is_signed_off(
    completed, add, coordinator
):
    review = completed.review
    other = add(review)
    with pytest.raises(TransitionRefused) as refused:
        review_transition(review=review, action="close", by=coordinator, on=TODAY)
    assert refused.value.messages == [
        "Every recommendation must be signed off before the review is closed."
    ]
    services.recommendation_sign_off(recommendation=completed, by=coordinator)
    services.recommendation_complete(recommendation=other, note="Done.", by=coordinator)
    services.recommendation_sign_off(recommendation=other, by=coordinator)
    closed = review_transition(review=review, action="close", by=coordinator, on=TODAY)
    assert closed.stage == Stage.CLOSED
    # Closing recomputes the rule deadlines: the recommendations' met rows stay.
    assert Deadline.objects.filter(review=review, rule__startswith="recommendation-").count() == 2


def test_a_review_without_recommendations_closes(monitored, coordinator):
    closed = review_transition(review=monitored, action="close", by=coordinator, on=TODAY)
    assert closed.stage == Stage.CLOSED


# Reminders and escalation.


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_the_owner_is_reminded_before_the_due_date_and_escalated_once_overdue(
    _fixed_today, monitored, add, police_author, coordinator, csp_chair
):
    due_on = date(2027, 7, 1)
    recommendation = add(monitored, due_on=due_on)
    day, sweeps = TODAY, []
    while day <= date(2027, 7, 12):
        _fixed_today.move_to(at_noon(day))
        sweeps.append(reminders_sweep().steps)
        assert reminders_sweep().steps == []  # a second sweep the same day sends nothing
        day += timedelta(days=1)
    emails = Email.objects.filter(review=monitored)
    reminders = emails.filter(kind="reminder")
    assert sorted(reminders.values_list("to_address", flat=True)) == [police_author.email] * 3
    first = reminders.first()
    assert "left to complete recommendation 1: Train call handlers" in first.subject
    # The owner may not be on the review: the email sends them to the action plan instead.
    text = first.bodies()[0]
    assert f"/reviews/{monitored.reference}/action-plan/" in text
    assert "mark it completed in the action plan with the evidence" in text
    assert "No task is open against this deadline" not in text
    escalations = emails.filter(kind="escalation")
    assert sorted(escalations.values_list("to_address", flat=True)) == sorted(
        [police_author.email, coordinator.email]
    )
    chair = emails.filter(kind="chair_escalation")
    assert list(chair.values_list("to_address", flat=True)) == [csp_chair.email]
    fired = [step for steps in sweeps for step in steps]
    assert fired == [
        f"{monitored.reference}:recommendation-1:{rung}"
        for rung in ("reminder_14", "reminder_7", "reminder_1", "escalation", "chair_escalation")
    ]
    assert recommendation.review.victim_real_name not in "".join(
        "".join(email.bodies()) + email.subject + str(email.context) for email in emails
    )


def test_completing_stops_the_reminders(_fixed_today, monitored, add, police_author):
    recommendation = add(monitored, due_on=date(2027, 7, 1))
    services.recommendation_complete(recommendation=recommendation, note="Done.", by=police_author)
    _fixed_today.move_to(at_noon(date(2027, 7, 20)))
    assert reminders_sweep().steps == []


def test_a_real_name_typed_into_a_recommendation_stays_out_of_the_deadline(monitored, add):
    recommendation = add(monitored, text="Check how Zelda Inventedname's calls were handled.")
    assert "Zelda" not in deadline_of(recommendation).title
    assert "[name withheld]" in deadline_of(recommendation).title


# The dashboard.


def test_the_dashboard_counts_each_action_plan_and_the_partnership(
    review_at, add, coordinator, police_author, client
):
    first, second = review_at(Stage.ACTION_PLAN), review_at(Stage.ACTION_PLAN)
    review_at(Stage.PUBLICATION)  # not in action plan monitoring: not counted
    done = add(first)
    services.recommendation_complete(recommendation=done, note="Done.", by=police_author)
    services.recommendation_sign_off(recommendation=done, by=coordinator)
    overdue = add(first)
    Recommendation.objects.filter(pk=overdue.pk).update(due_on=TODAY - timedelta(days=3))
    add(second)
    partnerships = managed_partnerships(coordinator)
    board = dashboard_for(coordinator, partnerships, {}, today=TODAY)
    rows = {row.review.reference: row.progress for row in board.action_plans.rows}
    assert {ref: (p.signed_off, p.total, p.overdue) for ref, p in rows.items()} == {
        first.reference: (1, 2, 1),
        second.reference: (0, 1, 0),
    }
    (total,) = board.action_plans.totals
    assert (total.progress.signed_off, total.progress.total, total.progress.overdue) == (1, 3, 1)
    assert total.reviews == 2
    client.force_login(coordinator)
    page = client.get("/dashboard/").content.decode()
    assert "1 of 3 recommendations signed off across 2 reviews, 1 overdue" in page
    assert f'href="/reviews/{first.reference}/action-plan/"' in page


# Pages.


def test_the_action_plan_page_lists_recommendations_with_actions(
    monitored, add, client, coordinator
):
    add(monitored)
    client.force_login(coordinator)
    page = client.get(f"/reviews/{monitored.reference}/action-plan/").content.decode()
    assert "0 of 1 recommendation signed off" in page
    assert "Train call handlers to recognise coercive control." in page
    assert "govuk-tag--grey" in page and "Not started" in page
    assert "Police Author" in page and "Testshire Police" in page
    assert "1 July 2027" in page
    assert f"/reviews/{monitored.reference}/action-plan/1/change/" in page
    assert f"/reviews/{monitored.reference}/action-plan/add/" in page
    detail = client.get(f"/reviews/{monitored.reference}/").content.decode()
    assert "0 of 1 recommendation signed off" in detail


def test_adding_on_the_page_shows_errors_and_then_adds(
    monitored, client, coordinator, police, police_author
):
    client.force_login(coordinator)
    url = f"/reviews/{monitored.reference}/action-plan/add/"
    response = client.post(
        url, {"text": "", "owner": "", "due_on_0": "", "due_on_1": "", "due_on_2": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter the recommendation" in page
    assert "Select the person who owns the recommendation" in page
    assert not Recommendation.objects.exists()
    response = client.post(
        url,
        {
            "text": "Share risk assessments with housing.",
            "owner_agency": police.pk,
            "owner": police_author.pk,
            "due_on_0": "1",
            "due_on_1": "9",
            "due_on_2": "2027",
        },
    )
    assert response.status_code == 302
    added = Recommendation.objects.get()
    assert (added.number, added.due_on) == (1, date(2027, 9, 1))


def test_completing_on_the_page_without_evidence_says_so(monitored, add, client, police_author):
    recommendation = add(monitored)
    client.force_login(police_author)
    url = f"/reviews/{monitored.reference}/action-plan/1/complete/"
    page = client.post(url, {"evidence_note": ""}).content.decode()
    assert "govuk-error-summary" in page
    assert "Give the evidence that the recommendation is completed" in page
    response = client.post(url, {"evidence_note": "", "evidence_file": pdf()})
    assert response.status_code == 302
    assert fresh(recommendation).status == RecommendationStatus.COMPLETED


def test_a_bad_file_on_the_page_is_named_next_to_the_input(monitored, add, client, police_author):
    add(monitored)
    client.force_login(police_author)
    bad = SimpleUploadedFile("evidence.exe", b"MZ", content_type="application/octet-stream")
    page = client.post(
        f"/reviews/{monitored.reference}/action-plan/1/complete/", {"evidence_file": bad}
    ).content.decode()
    assert "The selected file must be a PDF, DOCX, ODT, XLSX or CSV" in page


def test_a_second_sign_off_on_the_page_gets_a_clear_message(completed, client, coordinator):
    client.force_login(coordinator)
    url = f"/reviews/{completed.review.reference}/action-plan/1/sign-off/"
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    response = client.post(url, follow=True)
    assert "Recommendation 1 is signed off: that cannot be done now." in response.content.decode()
    assert fresh(completed).status == RecommendationStatus.SIGNED_OFF


def test_sending_back_on_the_page(completed, client, coordinator):
    client.force_login(coordinator)
    url = f"/reviews/{completed.review.reference}/action-plan/1/send-back/"
    page = client.post(url, {"reason": ""}).content.decode()
    assert "Enter why the recommendation is sent back" in page
    assert client.post(url, {"reason": "Attach the register."}).status_code == 302
    assert fresh(completed).status == RecommendationStatus.IN_PROGRESS


def test_progress_on_the_page(monitored, add, client, police_author):
    recommendation = add(monitored)
    client.force_login(police_author)
    url = f"/reviews/{monitored.reference}/action-plan/1/progress/"
    assert "Select whether work has started" in client.post(url, {}).content.decode()
    assert client.post(url, {"status": "in_progress"}).status_code == 302
    assert fresh(recommendation).status == RecommendationStatus.IN_PROGRESS


def test_an_owner_not_on_the_review_sees_only_their_own(monitored, add, client, police):
    owner = UserFactory(email="police.manager@test.example", full_name="Police Manager")
    MembershipFactory(
        user=owner, partnership=monitored.partnership, role=Role.SENIOR_MANAGER, agency=police
    )
    add(monitored, owner=owner, text="Owned by the manager.")
    add(monitored, text="Owned by the author.")
    client.force_login(owner)
    page = client.get(f"/reviews/{monitored.reference}/action-plan/").content.decode()
    assert "Owned by the manager." in page
    assert "Owned by the author." not in page
    assert client.get(f"/reviews/{monitored.reference}/").status_code == 404
    assert client.get(f"/reviews/{monitored.reference}/action-plan/2/progress/").status_code == 404
    assert client.get(f"/reviews/{monitored.reference}/action-plan/1/progress/").status_code == 200


def test_evidence_files_go_only_to_people_who_may_see_the_recommendation(
    monitored, add, client, police_author, outsider, coordinator
):
    recommendation = add(monitored)
    services.recommendation_complete(
        recommendation=recommendation, note="", uploaded_file=pdf(), by=police_author
    )
    url = f"/reviews/{monitored.reference}/action-plan/1/evidence/"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(coordinator)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    disposition = response["Content-Disposition"]
    assert f"{monitored.reference}-recommendation-1-evidence.pdf" in disposition
    assert "Zelda" not in disposition


def test_people_who_may_not_act_are_refused(monitored, add, client, csp_chair, health_author):
    add(monitored)
    client.force_login(csp_chair)
    base = f"/reviews/{monitored.reference}/action-plan/"
    assert client.get(base).status_code == 200
    assert client.get(base + "add/").status_code == 403
    assert client.get(base + "1/change/").status_code == 403
    assert client.get(base + "1/complete/").status_code == 403
    client.force_login(health_author)
    assert client.get(base).status_code == 404


# Two people at once, on PostgreSQL: the row lock makes one winner.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_offs_and_additions_have_one_winner_each(monitored, add, coordinator):
    from tests.workflows.test_concurrency import ATTEMPTS, run_at_once

    recommendation = add(monitored)
    services.recommendation_complete(recommendation=recommendation, note="Done.", by=coordinator)
    results = run_at_once(
        lambda _: services.recommendation_sign_off(recommendation=recommendation, by=coordinator)
    )
    winners = [result for result in results if isinstance(result, Recommendation)]
    losers = [result for result in results if isinstance(result, RecommendationRefused)]
    assert (len(winners), len(losers)) == (1, ATTEMPTS - 1)
    assert all("was already signed off by Coordinator" in loser.message for loser in losers)
    added = run_at_once(lambda _: add(monitored))
    assert sorted(result.number for result in added) == list(range(2, ATTEMPTS + 2))
