"""How the statistics read their figures: the deadline outcomes counted by title over the
deadlines that have fallen due only, and the library titles escaped in one go, must give what
counting every deadline per partnership and a template loop gave."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count, F, Q
from django.template import Context, Template

from tests.conftest import TODAY
from tests.factories import PartnershipFactory
from tests.workflows.test_statistics import (
    build,
    deadline,
    reviews,  # noqa: F401 (the fixture)
)
from workflows.models import Deadline, Partnership
from workflows.monitoring import statistics
from workflows.monitoring.statistics import reviews_in, statistics_for
from workflows.stages import Stage

pytestmark = pytest.mark.django_db


def per_partnership_and_title(reviews_queryset, today) -> Counter:
    """The outcome counts as they were read before: every deadline, by partnership and title."""
    met = Q(met_on__isnull=False)
    rows = (
        Deadline.objects.filter(review__in=reviews_queryset)
        .values("review__partnership_id", "title")
        .annotate(
            met=Count("pk", filter=met & (Q(due_on__isnull=True) | Q(met_on__lte=F("due_on")))),
            met_late=Count("pk", filter=met & Q(met_on__gt=F("due_on"))),
            overdue=Count("pk", filter=Q(met_on__isnull=True, due_on__lt=today)),
            paused=Count("pk", filter=Q(met_on__isnull=True, due_on__isnull=True)),
        )
        .order_by()
    )
    totals = Counter()
    for row in rows:
        for key in ("met", "met_late", "overdue", "paused"):
            totals[(row["title"], key)] += row[key]
    return totals


def test_the_deadline_outcomes_by_title_are_those_summed_over_partnerships(partnership, reviews):  # noqa: F811 (the fixture)
    other = PartnershipFactory()
    review = build(other, "OTHR-2027-001", Stage.SCOPING, notified_on=TODAY - timedelta(days=60))
    deadline(review, "Decide whether to hold a review", TODAY - timedelta(days=5))
    deadline(review, "Agree the terms of reference", TODAY + timedelta(days=30))  # still to come
    deadline(review, "Complete the review", None)  # clock stopped
    scope = Partnership.objects.filter(pk__in=[partnership.pk, other.pk])
    counted = Counter()
    for row in statistics._deadline_counts(reviews_in(scope, None), TODAY):
        for key in ("met", "met_late", "overdue", "paused"):
            counted[(row["title"], key)] += row[key]
    expected = per_partnership_and_title(reviews_in(scope, None), TODAY)
    assert +counted == +expected  # the zero counts left out
    assert counted[("Decide whether to hold a review", "overdue")] >= 1
    assert counted[("Complete the review", "paused")] >= 1


def test_the_library_list_is_what_a_template_loop_wrote(partnership, reviews):  # noqa: F811 (the fixture)
    figures = statistics_for(Partnership.objects.filter(pk=partnership.pk), today=TODAY)
    figures.library.append("Tricky <b> & \"quoted\" 'title'")
    loop = Template("{% for title in figures.library %}<li>{{ title }}</li>{% endfor %}")
    at_once = Template("{{ figures.library_items }}")
    context = Context({"figures": figures})
    assert at_once.render(context) == loop.render(context)
    assert "&lt;b&gt; &amp; &quot;quoted&quot; &#x27;title&#x27;" in at_once.render(context)
