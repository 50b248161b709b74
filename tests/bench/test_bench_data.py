"""The bench data set's shape, on a tiny build (nothing here is timed: benchmarks are not tests).

One build at scale 0.002 serves every test of the module (it takes a second or two); the checks
read it through the product's own selectors, so a data set the product would not recognise
fails here rather than giving meaningless figures in ``make bench``.
"""

import json

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice
from viewflow.workflow.models import Process, Task

from bench.data import (
    BENCH_PASSWORD,
    TWO_FACTOR_ROLES,
    Shape,
    dataset_build,
    dataset_marker,
    load_users,
    totp_key,
)
from bench.database import bench_database
from bench.results import FIELDS, Result, results_write
from notifications.models import Email, EmailStatus
from workflows.models import Deadline, Review, User
from workflows.monitoring.dashboard import NOT_LIVE
from workflows.services.tasks import OPEN, holds_role, open_stage_task
from workflows.task_selectors import RolesHeld, open_task_rows

SCALE = 0.002
pytestmark = pytest.mark.django_db


@pytest.fixture
def facts(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return dataset_build(SCALE, log=lambda *_: None)


def test_counts_follow_the_shape(facts):
    shape = Shape.at(SCALE)
    live = Review.objects.exclude(stage__in=NOT_LIVE)
    assert Review.objects.count() == shape.reviews
    assert live.count() == shape.live
    assert live.filter(partnership_id=facts["busiest"]["pk"]).count() == shape.busiest_live
    assert live.filter(partnership_id=facts["small"]["pk"]).count() == shape.small_live
    # Every live review is in the region the regional view is measured over.
    assert live.filter(partnership__regions__slug="bench-region").count() == shape.live
    assert Email.objects.count() == shape.emails
    # At this scale the rule deadlines alone pass the target; at scale 1 it is met exactly.
    assert Deadline.objects.count() >= shape.deadlines
    finished = Email.objects.filter(status__in=[EmailStatus.SENT, EmailStatus.FAILED])
    assert finished.count() + Email.objects.filter(status=EmailStatus.IN_DIGEST).count() == (
        shape.emails
    )
    assert Email.objects.filter(status=EmailStatus.SENT).count() > 0.98 * shape.emails


def test_the_full_scale_shape_is_ten_national_years():
    shape = Shape.at(1.0)
    assert (shape.partnerships, shape.reviews, shape.live) == (300, 10_000, 1_500)
    assert (shape.busiest_live, shape.small_live) == (300, 30)
    assert (shape.tasks, shape.deadlines, shape.emails) == (200_000, 200_000, 1_000_000)


def test_every_live_review_has_the_open_task_its_stage_asks_for(facts):
    live = Review.objects.exclude(stage__in=NOT_LIVE)
    assert Process.objects.filter(artifact_object_id__in=live.values("pk")).count() == live.count()
    for review in live:
        if review.working_stage == "agency_reports":
            # The chair's task beside the agencies' branches (not a STAGE_TASKS node's task).
            process = Process.objects.get(artifact_object_id=review.pk)
            chair_task = process.task_set.get(flow_task_type="HUMAN", token__endswith="_1")
            assert chair_task.status in OPEN and chair_task.owner_id == review.independent_chair_id
            continue
        task = open_stage_task(review)
        assert task is not None, (review.reference, review.stage)
        assert task.data["role"] and "deadline" in task.data


def test_closed_processes_ran_to_their_end(facts):
    for process in Process.objects.filter(status="DONE")[:20]:
        tasks = process.task_set.all()
        assert tasks.filter(flow_task_type="END", status="DONE").count() == 1
        assert not tasks.filter(status__in=OPEN).exists()


def test_the_participant_holds_exactly_their_open_tasks(facts):
    participant = User.objects.get(email=facts["participant"])
    mine, queue, covering = open_task_rows(participant)
    assert len(mine) == facts["participant_tasks"] > 0
    assert queue == [] and covering == []
    assert all(row.task.owner_id == participant.pk for row in mine)


@pytest.mark.parametrize("role", ["agency_author", "coordinator", "independent_chair"])
def test_roles_held_answers_as_holds_role_does_task_by_task(facts, role):
    """``RolesHeld`` (the task list's bulk check) and ``holds_role`` (the one-task check) agree
    on every open task of every review the bench users of a role may see."""
    emails = [entry["email"] for entry in facts["sign_in"] if entry["role"] == role][:4]
    compared = 0
    for user in User.objects.filter(email__in=emails):
        visible = Review.objects.filter(pk__in=[r.pk for r in _visible(user)])
        held = RolesHeld(user, visible.values("pk"))
        reviews = {review.pk: review for review in visible}
        tasks = Task.objects.filter(
            flow_task_type="HUMAN",
            status__in=OPEN,
            process__artifact_object_id__in=list(reviews),
        ).select_related("process")
        agencies = {}
        for review in reviews.values():
            for pk, agency_id in review.review_agencies.values_list("pk", "agency_id"):
                agencies[pk] = (review.pk, agency_id)
        held.know(reviews, agencies)
        for task in tasks:
            review = reviews[task.process.artifact_object_id]
            assert held.holds(task, review) == holds_role(task, review, user), task.data
            compared += 1
    assert compared > 0


def _visible(user):
    from workflows import selectors

    return selectors.reviews_visible_to(user)


def test_bench_users_sign_in_and_coordinators_have_an_authenticator(facts):
    request = RequestFactory().post("/sign-in/")
    for entry in facts["sign_in"]:
        user = authenticate(request, username=entry["email"], password=BENCH_PASSWORD)
        assert user is not None and user.email == entry["email"]
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        if entry["role"] in TWO_FACTOR_ROLES:
            assert devices.get().key == totp_key(user.email)
        else:
            assert not devices.exists()
    # Everyone else has no usable password.
    others = User.objects.exclude(email__in=[entry["email"] for entry in facts["sign_in"]])
    assert others.exists()
    assert not any(user.has_usable_password() for user in others[:50])


def test_load_users_gives_each_user_what_they_can_open(facts):
    users = load_users(limit=30)
    assert len(users) == 30
    roles = {user["role"] for user in users}
    assert {"coordinator", "independent_chair", "agency_author", "regional_lead"} <= roles
    for user in users:
        assert user["password"] == BENCH_PASSWORD
        assert (user["totp_key"] is not None) == (user["role"] in TWO_FACTOR_ROLES)
        person = User.objects.get(email=user["email"])
        visible = set(_visible(person).values_list("reference", flat=True))
        assert set(user["reviews"]) <= visible
        for task_id in user["task_ids"]:
            task = Task.objects.get(pk=task_id)
            assert task.status in OPEN
    coordinator = next(user for user in users if user["role"] == "coordinator")
    assert coordinator["reviews"] and coordinator["task_ids"]


def test_the_marker_records_the_build(facts):
    marker = dataset_marker()
    assert marker["scale"] == SCALE and marker["facts"]["participant"] == facts["participant"]


def test_invented_names_only(facts):
    """Real-name fields hold invented syllable names, never a pseudonym or an address."""
    review = Review.objects.exclude(victim_real_name="").first()
    assert review.victim_real_name and review.victim_real_name != review.victim_pseudonym
    assert not Email.objects.filter(subject__contains=review.victim_real_name).exists()
    assert not Email.objects.filter(text_body__contains=review.victim_real_name).exists()


def test_results_are_written_as_rows_with_every_field(tmp_path):
    results = [
        Result("Minimal page: median", 10.0, "ms"),
        Result.against("Dashboard: median", 20.0, "ms", 10.0, "<= 2.5 x minimal page", 2.5),
        Result.against("Sweep", 40.0, "ms", 10.0, "<= 3 x raw SQL", 3.0),
        Result.against("My tasks vs inbox", 10.0, "ms", 10.0, "faster", 1.0, strict=True),
        Result.from_row(
            {"name": "Outbox", "value": 90, "unit": "emails/s", "baseline": 100, "ratio": 0.9,
             "target": "at least half", "ok": True}
        ),
    ]  # fmt: skip
    path = tmp_path / "results.json"
    results_write(results, path)
    rows = json.loads(path.read_text())
    assert [set(row) for row in rows] == [set(FIELDS)] * 5
    assert [row["ok"] for row in rows] == [None, True, False, False, True]
    assert rows[1]["ratio"] == 2.0 and rows[1]["baseline"] == 10.0
    with pytest.raises(ValueError, match="lacks"):
        Result.from_row({"name": "incomplete"})


def test_the_bench_database_is_never_the_developers():
    chosen = bench_database({"DATABASE_URL": "postgres://u@localhost:5432/dhr"})
    assert chosen.name == "dhr_bench" and chosen.url.endswith("/dhr_bench")
    assert bench_database({"DATABASE_URL": "postgres://u@h/dhr_bench"}).name == "dhr_bench"
    explicit = bench_database({"BENCH_DATABASE_URL": "postgres://u@h/other", "DATABASE_URL": "x"})
    assert explicit.name == "other"
    assert bench_database({}).vendor == "sqlite"
