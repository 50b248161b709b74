"""Agency reports: one branch per agency in scope, nil returns, send-backs and a late agency.
The stage moves on only when every agency has been accepted or returned nil."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.factories import AgencyFactory, UserFactory
from workflows.models import Participant
from workflows.services.agency_reports import agency_task_complete, review_agency_add
from workflows.services.documents import document_upload
from workflows.services.lifecycle import TransitionRefused, review_transition
from workflows.services.reviews import review_start
from workflows.services.tasks import OPEN, may_do, process_for
from workflows.stages import Stage

ON = date(2027, 5, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(partnership, police, health, coordinator, independent_chair):
    return {
        "coordinator": coordinator,
        "chair": independent_chair,
        "police author": UserFactory(email="pa@test.example"),
        "police manager": UserFactory(email="pm@test.example"),
        "health author": UserFactory(email="ha@test.example"),
        "late author": UserFactory(email="la@test.example"),
    }


@pytest.fixture
def review(partnership, police, health, people, csp_chair):
    """A review at agency reports with the police and health in scope, and their people."""
    coordinator = people["coordinator"]
    made = review_start(
        partnership=partnership,
        by=coordinator,
        date_of_death=date(2027, 1, 5),
        notified_on=date(2027, 1, 10),
        referred_by="Testshire Police",
        victim_real_name="Zelda Inventedname",
        agencies=[police, health],
    )
    for action, extra in [
        ("decide_to_commission", {}),
        ("appoint_independent_chair", {"chair": people["chair"], "victim_pseudonym": "Robin"}),
        ("complete_setup", {}),
        ("agree_terms_of_reference", {}),
    ]:
        made = review_transition(review=made, action=action, by=coordinator, on=ON, **extra)
    for key, role, agency in [
        ("police author", "agency_author", police),
        ("police manager", "senior_manager", police),
        ("health author", "agency_author", health),
    ]:
        Participant.objects.create(
            review=made, user=people[key], role=role, agency=agency, added_by=coordinator
        )
    return made


def open_tasks(review, name=None):
    tasks = Task.objects.filter(process=process_for(review), status__in=OPEN)
    tasks = tasks.filter(flow_task_type="HUMAN")
    return [t for t in tasks.order_by("pk") if name is None or t.flow_task.name == name]


def agency_task(review, name, agency):
    return next(
        task
        for task in open_tasks(review, name)
        if review.review_agencies.get(pk=task.data["review_agency"]).agency == agency
    )


def upload(review, agency, by, kind):
    document_upload(
        review=review,
        kind=kind,
        agency=agency,
        uploaded_file=SimpleUploadedFile(f"{kind}.pdf", PDF, "application/pdf"),
        by=by,
    )


def test_the_fan_out_gives_each_agency_a_branch_beside_the_chairs_task(review, people):
    names = sorted(task.flow_task.name for task in open_tasks(review))
    assert names == ["agency_reports", "agency_scoping", "agency_scoping"]
    chair_task = open_tasks(review, "agency_reports")[0]
    assert chair_task.owner == people["chair"]


def test_only_the_agencys_own_people_may_do_its_tasks(review, people, police, health):
    police_task = agency_task(review, "agency_scoping", police)
    assert may_do(police_task, review, people["police author"])
    assert not may_do(police_task, review, people["health author"])
    assert not may_do(police_task, review, people["police manager"])
    with pytest.raises(TransitionRefused, match="someone else"):
        agency_task_complete(
            task=police_task,
            review=review,
            by=people["health author"],
            on=ON,
            answer="not_involved",
        )


def test_reports_nil_returns_send_backs_and_the_stage_moving_on(
    review, people, police, health, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    chair, coordinator = people["chair"], people["coordinator"]
    agency_task_complete(
        task=agency_task(review, "agency_scoping", health),
        review=review,
        by=people["health author"],
        on=ON,
        answer="not_involved",
    )
    agency_task_complete(
        task=agency_task(review, "agency_scoping", police),
        review=review,
        by=people["police author"],
        on=ON,
        answer="involved",
    )
    with pytest.raises(TransitionRefused, match="Every agency"):
        review_transition(review=review, action="complete_agency_reports", by=chair, on=ON)

    report = agency_task(review, "agency_report", police)
    with pytest.raises(TransitionRefused, match="Upload the chronology and the report"):
        agency_task_complete(task=report, review=review, by=people["police author"], on=ON)
    upload(review, police, coordinator, "chronology")
    upload(review, police, coordinator, "agency_report")
    agency_task_complete(task=report, review=review, by=people["police author"], on=ON)
    agency_task_complete(
        task=agency_task(review, "agency_sign_off", police),
        review=review,
        by=people["police manager"],
        on=ON,
    )
    agency_task_complete(
        task=agency_task(review, "agency_acceptance", police),
        review=review,
        by=chair,
        on=ON,
        answer="send_back",
        comments="Add the GP contacts of March.",
    )
    police_branch = review.review_agencies.get(agency=police)
    assert (police_branch.times_sent_back, police_branch.chair_comments) == (
        1,
        "Add the GP contacts of March.",
    )
    for name, person, answer in [
        ("agency_report", "police author", ""),
        ("agency_sign_off", "police manager", ""),
        ("agency_acceptance", "chair", "accept"),
    ]:
        agency_task_complete(
            task=agency_task(review, name, police),
            review=review,
            by=people[person],
            on=ON,
            answer=answer,
        )
    assert [t.flow_task.name for t in open_tasks(review)] == ["agency_reports"]
    review = review_transition(review=review, action="complete_agency_reports", by=chair, on=ON)
    assert review.stage == Stage.DRAFTING
    assert [t.flow_task.name for t in open_tasks(review)] == ["draft_report"]
    assert review.history.filter(action="agency_acceptance").count() == 2


def test_an_agency_added_late_gets_its_own_branch_and_holds_the_stage(
    review, people, partnership, health, police
):
    coordinator, chair = people["coordinator"], people["chair"]
    housing = AgencyFactory(partnership=partnership, name="Testshire Housing")
    review_agency_add(review=review, agency=housing, by=coordinator, on=ON)
    Participant.objects.create(
        review=review,
        user=people["late author"],
        role="agency_author",
        agency=housing,
        added_by=coordinator,
    )
    for agency, person in [(police, "police author"), (health, "health author")]:
        agency_task_complete(
            task=agency_task(review, "agency_scoping", agency),
            review=review,
            by=people[person],
            on=ON,
            answer="not_involved",
        )
    with pytest.raises(TransitionRefused, match="Every agency"):
        review_transition(review=review, action="complete_agency_reports", by=chair, on=ON)
    agency_task_complete(
        task=agency_task(review, "agency_scoping", housing),
        review=review,
        by=people["late author"],
        on=ON,
        answer="not_involved",
    )
    review = review_transition(review=review, action="complete_agency_reports", by=chair, on=ON)
    assert [t.flow_task.name for t in open_tasks(review)] == ["draft_report"]


def test_adding_an_agency_twice_or_by_someone_else_is_refused(review, people, police):
    with pytest.raises(TransitionRefused, match="already in the scope"):
        review_agency_add(review=review, agency=police, by=people["coordinator"])
    with pytest.raises(TransitionRefused, match="Only the coordinator"):
        review_agency_add(review=review, agency=police, by=people["chair"])


def test_no_agency_work_while_the_review_is_paused(review, people, police, csp_chair):
    review_transition(
        review=review, action="pause", by=csp_chair, on=ON, pause_reason="criminal_proceedings"
    )
    with pytest.raises(TransitionRefused, match="paused"):
        agency_task_complete(
            task=agency_task(review, "agency_scoping", police),
            review=review,
            by=people["police author"],
            on=ON,
            answer="involved",
        )


def test_the_coordinator_adds_a_late_agency_through_the_page(client, review, people, partnership):
    housing = AgencyFactory(partnership=partnership, name="Testshire Housing")
    url = f"/reviews/{review.reference}/agencies/add/"
    client.force_login(people["chair"])
    assert client.get(url).status_code == 404
    client.force_login(people["coordinator"])
    page = client.get(url).content.decode()
    assert "Testshire Housing" in page and ">Testshire Police<" not in page
    response = client.post(url, {})
    assert "Select the agency to add" in response.content.decode()
    response = client.post(url, {"agency": housing.pk})
    assert response.status_code == 302
    assert review.review_agencies.filter(agency=housing).exists()
    names = [t.flow_task.name for t in open_tasks(review)]
    assert names.count("agency_scoping") == 3
    assert review.history.filter(action="add_agency").exists()


def test_agency_task_pages_are_for_the_agencys_own_people(client, review, people, police):
    task = agency_task(review, "agency_scoping", police)
    url = reverse("tasks:agency", args=[review.reference, task.pk])
    for person in ("health author", "police manager", "coordinator"):
        client.force_login(people[person])
        assert client.get(url).status_code == 404, person
    client.force_login(people["police author"])
    page = client.get(url).content.decode()
    assert "Say whether your agency knew the people involved" in page
    response = client.post(url, {"on_0": "1", "on_1": "5", "on_2": "2027"})
    assert "Select whether your agency knew the people involved" in response.content.decode()
    response = client.post(
        url, {"involvement": "involved", "on_0": "1", "on_1": "5", "on_2": "2027"}
    )
    assert response.status_code == 302
    assert review.review_agencies.get(agency=police).involvement == "involved"
    tasks_page = client.get("/tasks/").content.decode()
    assert "Write and upload your agency&#x27;s chronology and report" in tasks_page


def test_the_chair_must_say_what_to_change_when_sending_a_report_back(
    client, review, people, police, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    agency_task_complete(
        task=agency_task(review, "agency_scoping", police),
        review=review,
        by=people["police author"],
        on=ON,
        answer="involved",
    )
    upload(review, police, people["coordinator"], "chronology")
    upload(review, police, people["coordinator"], "agency_report")
    for name, person in [("agency_report", "police author"), ("agency_sign_off", "police manager")]:
        agency_task_complete(
            task=agency_task(review, name, police), review=review, by=people[person], on=ON
        )
    task = agency_task(review, "agency_acceptance", police)
    client.force_login(people["chair"])
    url = reverse("tasks:agency", args=[review.reference, task.pk])
    response = client.post(url, {"decision": "send_back", "on_0": "1", "on_1": "5", "on_2": "2027"})
    assert "Enter what the agency needs to change" in response.content.decode()
    task.refresh_from_db()
    assert task.status in OPEN


def test_the_author_uploads_on_the_report_task_itself(
    client, review, people, police, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    agency_task_complete(
        task=agency_task(review, "agency_scoping", police),
        review=review,
        by=people["police author"],
        on=ON,
        answer="involved",
    )
    task = agency_task(review, "agency_report", police)
    url = reverse("tasks:agency", args=[review.reference, task.pk])
    client.force_login(people["police author"])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and "Nothing uploaded yet" in page
    bad = SimpleUploadedFile("chronology.pdf", b"not a pdf at all", "application/pdf")
    response = client.post(url, {"upload": "1", "kind": "chronology", "file": bad})
    assert "There is a problem" in response.content.decode()
    assert not review.documents.exists()
    for kind in ("chronology", "agency_report"):
        upload_file = SimpleUploadedFile(f"{kind}.pdf", PDF, "application/pdf")
        response = client.post(url, {"upload": "1", "kind": kind, "file": upload_file})
        assert response.status_code == 302
    assert review.documents.filter(agency=police).count() == 2
    response = client.post(url, {"on_0": "1", "on_1": "5", "on_2": "2027"})
    assert response.status_code == 302
    assert review.review_agencies.get(agency=police).report_submitted_on == date(2027, 5, 1)
