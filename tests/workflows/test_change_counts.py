"""The database counts every change to what a partnership's dashboard shows (``change_counts``),
whoever makes it: through a model, a queryset update, viewflow or a deletion; and not the
changes no page shows (the sweep's next rung, a sign-in)."""

from datetime import date

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    ParticipantFactory,
    PartnershipFactory,
    ReviewFactory,
    UserFactory,
)
from workflows.change_counts import COUNTED, change_counts
from workflows.models import (
    ChangeCount,
    Cover,
    Deadline,
    Membership,
    Partnership,
    Pause,
    Recommendation,
    Review,
    ReviewAgency,
    ReviewHistory,
    Role,
    User,
)
from workflows.models.changes import EVERY_PARTNERSHIP
from workflows.services.reviews import review_start

pytestmark = pytest.mark.django_db


def _count(partnership_id: int) -> int:
    found = ChangeCount.objects.filter(partnership_id=partnership_id).first()
    return found.count if found else 0


@pytest.fixture
def elsewhere(db):
    """Another partnership with a review: its count must never move with Testshire's."""
    other = PartnershipFactory(name="Otherborough Community Safety Partnership")
    ReviewFactory(partnership=other)
    return other


class Counter:
    """Whether what a block did counted a change for Testshire, and not for ``elsewhere``."""

    def __init__(self, partnership: Partnership, elsewhere: Partnership):
        self.partnership, self.elsewhere = partnership, elsewhere

    def changes(self, action) -> int:
        before, other = _count(self.partnership.pk), _count(self.elsewhere.pk)
        action()
        assert _count(self.elsewhere.pk) == other, "another partnership's count moved"
        return _count(self.partnership.pk) - before


@pytest.fixture
def counter(partnership, elsewhere):
    return Counter(partnership, elsewhere)


def test_a_review_counts_when_made_changed_by_a_queryset_update_and_deleted(partnership, counter):
    made = []
    assert counter.changes(lambda: made.append(ReviewFactory(partnership=partnership))) >= 1
    review = made[0]
    assert counter.changes(lambda: Review.objects.filter(pk=review.pk).update(stage="scoping")) == 1
    assert counter.changes(lambda: Review.objects.filter(pk=review.pk).delete()) >= 1


def test_the_tables_about_a_review_count_for_its_partnership(review, police, coordinator, counter):
    def history():
        ReviewHistory.objects.create(
            review=review,
            action="decide",
            from_stage="notified",
            to_stage="scoping",
            effective_on=date(2027, 1, 20),
            by=coordinator,
        )

    def deadline():
        _decision_deadline(review)

    def pause():
        Pause.objects.create(
            review=review,
            reason="inquest",
            stage="scoping",
            paused_on=date(2027, 2, 1),
            paused_by=coordinator,
        )

    def recommendation():
        Recommendation.objects.create(
            review=review, number=1, text="Share risk assessments", due_on=date(2027, 9, 1)
        )

    def participant():
        ParticipantFactory(review=review, user=coordinator, role="report_author")

    for action in (history, deadline, pause, recommendation, participant):
        assert counter.changes(action) == 1, action.__name__
    assert counter.changes(lambda: ReviewAgency.objects.filter(review=review).delete()) == 1


def _decision_deadline(review) -> Deadline:
    return Deadline.objects.create(
        review=review,
        rule="decision",
        title="Decide",
        period="1 month",
        starts_on=date(2027, 1, 10),
        due_on=date(2027, 2, 10),
    )


def test_a_deadline_met_counts_but_its_next_reminder_moved_does_not(review, counter):
    deadline = _decision_deadline(review)
    moved = Deadline.objects.filter(pk=deadline.pk)
    assert counter.changes(lambda: moved.update(next_action_on=date(2027, 2, 3))) == 0
    assert counter.changes(lambda: moved.update(met_on=date(2027, 2, 5))) == 1


def test_the_partnerships_own_tables_count(partnership, police, coordinator, csp_chair, counter):
    assert counter.changes(lambda: AgencyFactory(partnership=partnership, name="Fire")) == 1
    assert (
        counter.changes(
            lambda: MembershipFactory(
                user=coordinator, partnership=partnership, role=Role.INDEPENDENT_CHAIR
            )
        )
        == 1
    )
    assert (
        counter.changes(lambda: Membership.objects.filter(role=Role.INDEPENDENT_CHAIR).delete())
        == 1
    )
    cover = {
        "person": coordinator,
        "delegate": csp_chair,
        "partnership": partnership,
        "starts_on": date(2027, 1, 1),
        "ends_on": date(2027, 1, 31),
        "reason": "Leave",
        "created_by": coordinator,
    }
    assert counter.changes(lambda: Cover.objects.create(**cover)) == 1
    renamed = Partnership.objects.filter(pk=partnership.pk)
    assert counter.changes(lambda: renamed.update(name="Testshire CSP")) == 1
    assert counter.changes(lambda: renamed.update(code="TST")) == 0


def test_a_persons_name_counts_for_every_partnership_but_a_sign_in_does_not(coordinator):
    people = User.objects.filter(pk=coordinator.pk)
    before = _count(EVERY_PARTNERSHIP)
    UserFactory(email="invited@test.example")  # shows nowhere until they take part
    assert _count(EVERY_PARTNERSHIP) == before
    people.update(last_login=timezone.now())
    assert _count(EVERY_PARTNERSHIP) == before
    coordinator.save()  # every column written, none changed
    assert _count(EVERY_PARTNERSHIP) == before
    people.update(full_name="Casey Renamed")
    assert _count(EVERY_PARTNERSHIP) == before + 1


def test_viewflows_own_task_writes_count_for_the_reviews_partnership(
    partnership, police, coordinator, counter
):
    started = []

    def start():
        started.append(
            review_start(
                partnership=partnership,
                by=coordinator,
                date_of_death=date(2027, 1, 2),
                notified_on=date(2027, 1, 10),
                referred_by="Police",
                victim_real_name="Zelda Inventedname",
                agencies=[police],
            )
        )

    assert counter.changes(start) >= 1
    tasks = Task.objects.filter(process__artifact_object_id=started[0].pk)
    assert tasks.exists()
    assert counter.changes(lambda: tasks.update(owner=coordinator)) == tasks.count()


def test_change_counts_are_read_for_the_partnerships_asked_and_every_partnership(
    partnership, elsewhere, review
):
    counts = dict(change_counts([partnership.pk]))
    assert set(counts) == {EVERY_PARTNERSHIP, partnership.pk}
    assert counts[partnership.pk] == _count(partnership.pk) > 0


def test_every_counted_table_exists_with_the_columns_it_names(db):
    """A renamed column would make a trigger fail at the first write: the list is checked
    against the models here rather than found out there."""
    from django.apps import apps

    tables = {
        model._meta.db_table: {field.column for field in model._meta.concrete_fields}
        for model in apps.get_models()
    }
    for counted in COUNTED:
        assert counted.table in tables, counted.table
        assert set(counted.columns or ()) <= tables[counted.table], counted.table
