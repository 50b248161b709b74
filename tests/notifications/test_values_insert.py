"""``project.bulk_insert.values_insert``: the reminder sweep writes its rungs and their links to
emails from plain values, with no object made for each row; they must be stored as
``bulk_create`` would store them, whichever way they are written (COPY on PostgreSQL for many
rows, ``bulk_create`` otherwise)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from notifications.models import Email, ReminderLadder, ReminderStep, StepKind
from project.bulk_insert import COPY_FROM, rows_insert, values_insert
from workflows.models import Deadline

pytestmark = pytest.mark.django_db

DUE_ON = date(2027, 6, 15)
STEP_FIELDS = ["deadline_id", "step", "kind", "due_on", "fires_on", "skipped"]


@pytest.fixture
def deadline(review):
    return Deadline.objects.create(
        review=review,
        rule="decision",
        title="Decide whether to hold a review",
        period="1 month",
        source="Statutory guidance",
        starts_on=date(2027, 5, 15),
        due_on=DUE_ON,
        explanation="The partnership decides within a month.",
    )


def rungs(deadline, count: int) -> list[tuple]:
    return [
        (
            deadline.pk,
            f"reminder_{n}",
            StepKind.REMINDER if n % 2 else StepKind.ESCALATION,
            DUE_ON,
            DUE_ON - timedelta(days=n),
            n % 3 == 0,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [COPY_FROM - 1, COPY_FROM * 3])
def test_rows_from_values_are_stored_as_bulk_create_would_store_them(review, deadline, count):
    before = timezone.now()
    rows = rungs(deadline, count)
    keys = values_insert(ReminderStep, STEP_FIELDS, rows, keys=True)
    assert len(set(keys)) == count
    stored = {step.pk: step for step in ReminderStep.objects.filter(pk__in=keys)}
    for key, row in zip(keys, rows, strict=True):
        kept = stored[key]
        assert tuple(getattr(kept, name) for name in STEP_FIELDS) == row
        # A field not given gets its default, as a new object would (each row its own moment).
        assert before <= kept.fired_at <= timezone.now()
    # The keys came from the table's own sequence: an ordinary insert goes on after them.
    later = ReminderStep.objects.create(
        deadline=deadline,
        step="escalation",
        kind=StepKind.ESCALATION,
        due_on=DUE_ON,
        fires_on=DUE_ON,
    )
    assert later.pk > max(keys)

    # Rows nobody reads back (the links of rungs to emails): the table gives them their keys.
    emails = rows_insert(
        Email,
        [
            Email(review=review, to_address=f"person-{n}@test.example", kind="reminder")
            for n in range(count)
        ],
    )
    links = [(key, email.pk) for key, email in zip(keys, emails, strict=True)]
    link = ReminderStep.emails.through
    assert values_insert(link, ["reminderstep_id", "email_id"], links) == []
    stored_links = link.objects.filter(reminderstep_id__in=keys)
    assert sorted(stored_links.values_list("reminderstep_id", "email_id")) == sorted(links)
    assert all(pk is not None for pk in stored_links.values_list("pk", flat=True))


def test_fields_it_cannot_write_are_refused(deadline):
    with pytest.raises(ValueError, match="no fields"):
        values_insert(ReminderStep, [*STEP_FIELDS, "colour"], [])
    # A date filled in on saving needs the object: values alone would leave it out.
    with pytest.raises(ValueError, match="on saving"):
        values_insert(ReminderLadder, ["partnership_id", "reminder_days"], [])
