"""``project.bulk_insert.rows_insert``: thousands of new rows by COPY on PostgreSQL, giving back
the same objects, keys and stored values ``bulk_create`` would."""

import pytest
from django.utils import timezone

from notifications.models import Email, EmailStatus
from project.bulk_insert import COPY_FROM, rows_insert

pytestmark = pytest.mark.django_db


def new_emails(count: int, review) -> list[Email]:
    return [
        Email(
            review=review,
            to_address=f"person-{n}@test.example",
            kind="reminder",
            subject=f'{review.reference}: {n} days left, it\'s \\ "quoted"\ttabbed',
            text_body="" if n % 2 else "Line one\nLine two, with a comma",
            html_body="",
            context={"n": n, "names": ["Ash", "O'Neil"], "nested": {"a": None}} if n % 2 else None,
            status=EmailStatus.HELD if n % 3 == 0 else EmailStatus.READY,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [COPY_FROM - 1, COPY_FROM * 3])
def test_rows_come_back_as_bulk_create_would_store_them(review, count):
    before = timezone.now()
    written = rows_insert(Email, new_emails(count, review))
    assert len({email.pk for email in written}) == count
    assert all(email.pk and not email._state.adding for email in written)
    stored = {email.pk: email for email in Email.objects.filter(pk__in=[e.pk for e in written])}
    expected = new_emails(count, review)
    for email, wanted in zip(written, expected, strict=True):
        kept = stored[email.pk]
        for name in ("to_address", "kind", "subject", "text_body", "context", "status"):
            assert getattr(kept, name) == getattr(wanted, name), name
        assert kept.review_id == review.pk
        assert kept.created_at >= before and kept.sent_at is None and kept.queued_at is None
    # The keys came from the table's own sequence: an ordinary insert goes on after them.
    later = Email.objects.create(review=review, to_address="x@test.example", kind="reminder")
    assert later.pk > max(email.pk for email in written)


@pytest.mark.postgres
def test_copy_is_used_on_postgresql_for_many_rows(review, django_assert_max_num_queries):
    # COPY is PostgreSQL's (elsewhere rows_insert is bulk_create): the keys, then the COPY,
    # which the query log does not list.
    with django_assert_max_num_queries(1):
        rows_insert(Email, new_emails(COPY_FROM * 2, review))
