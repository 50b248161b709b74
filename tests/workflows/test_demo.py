"""``manage.py load_demo``: the invented partnership someone sees when they first try the service.

The demo's dates are relative to today, which the suite fixes at 1 June 2027.
"""

from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from workflows.demo import PEOPLE, SECOND_PEOPLE
from workflows.models import (
    Deadline,
    DeadlineStatus,
    Membership,
    Participant,
    Partnership,
    Pause,
    Region,
    RegionalAccess,
    Review,
    ReviewHistory,
    User,
)
from workflows.selectors import reviews_visible_to
from workflows.stages import Stage

pytestmark = pytest.mark.django_db

DEMO_EMAILS = [
    "coordinator@demo.example",
    "csp.chair@demo.example",
    "independent.chair@demo.example",
    "second.chair@demo.example",
    "police.author@demo.example",
    "health.author@demo.example",
    "police.manager@demo.example",
    "health.manager@demo.example",
    "panel.member@demo.example",
    "outsider@demo.example",
    "regional.lead@demo.example",
]
# The second partnership's people: they run its reviews.
SECOND_EMAILS = ["sampleton.coordinator@demo.example", "sampleton.chair@demo.example"]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        "users": User.objects.count(),
        "partnerships": Partnership.objects.count(),
        "memberships": Membership.objects.count(),
        "reviews": Review.objects.count(),
        "history": ReviewHistory.objects.count(),
        "deadlines": Deadline.objects.count(),
        "pauses": Pause.objects.count(),
        "regions": Region.objects.count(),
        "regional access": RegionalAccess.objects.count(),
        "participants": Participant.objects.count(),
    }


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """The demo password is still checked; a cheap hash just keeps the accounts quick to make."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's documents and submission packs
    return load_demo()


def test_creates_the_demo_accounts(demo):
    emails = User.objects.values_list("email", flat=True)
    assert sorted(emails) == sorted(DEMO_EMAILS + SECOND_EMAILS)
    assert [email for email, *_ in PEOPLE] == DEMO_EMAILS
    assert [email for email, *_ in SECOND_PEOPLE] == SECOND_EMAILS


def test_every_demo_account_signs_in_with_the_demo_password(demo):
    for user in User.objects.all():
        assert user.check_password(django_settings.DEMO_PASSWORD), user.email
        assert not user.check_password("wrong-password-2027"), user.email


def test_the_command_tells_people_how_to_sign_in(demo):
    assert "Demo data ready for Demoshire Community Safety Partnership" in demo
    assert "coordinator@demo.example" in demo
    assert f"password: {django_settings.DEMO_PASSWORD}" in demo


def test_the_outsider_belongs_to_no_partnership(demo):
    assert not Membership.objects.filter(user__email="outsider@demo.example").exists()
    assert Membership.objects.filter(
        user__email="police.author@demo.example"
    ).get().agency.name == ("Demoshire Police")


@pytest.mark.parametrize(
    ("email", "agency"),
    [
        ("police.author@demo.example", "Demoshire Police"),
        ("health.author@demo.example", "Demoshire NHS Foundation Trust"),
    ],
)
def test_agency_authors_see_the_reviews_that_went_ahead(demo, email, agency):
    author = User.objects.get(email=email)
    commissioned = Review.objects.filter(partnership__slug="demoshire", commissioned=True)

    visible = set(reviews_visible_to(author))

    assert visible == set(commissioned)
    assert {review.stage for review in visible} >= {Stage.SETUP, Stage.DRAFTING, Stage.CLOSED}
    assert not visible & {Review.objects.get(stage=Stage.NOTIFIED)}
    assert set(Participant.objects.filter(user=author).values_list("agency__name", flat=True)) == {
        agency
    }


def test_the_outsider_sees_no_review(demo):
    assert not reviews_visible_to(User.objects.get(email="outsider@demo.example")).exists()


def test_there_is_a_review_at_every_stage(demo):
    stages = set(
        Review.objects.filter(partnership__slug="demoshire").values_list("stage", flat=True)
    )

    assert stages == set(Stage.values)


def test_demo_reviews_have_their_history_and_deadlines(demo):
    for review in Review.objects.all():
        assert review.history.filter(action="notify").exists(), review.reference
        assert review.deadlines.filter(rule="decision").exists(), review.reference
        assert review.reference.startswith(f"{review.partnership.code}-")
    assert Review.objects.filter(reference__startswith="DEMO-").count() == 14


def test_at_least_one_deadline_is_overdue(demo):
    today = timezone.localdate()

    statuses = {deadline.status(today) for deadline in Deadline.objects.all()}

    assert DeadlineStatus.OVERDUE in statuses


def test_exactly_one_review_is_paused_with_its_clock_stopped(demo):
    # The second partnership's reviews were paused and have resumed.
    paused = Review.objects.get(stage=Stage.PAUSED)

    assert paused.pauses.filter(resumed_on__isnull=True).count() == 1
    assert paused.deadlines.filter(met_on__isnull=True, due_on__isnull=True).exists()


def test_the_regional_lead_sees_a_region_of_two_partnerships_and_no_review(demo):
    lead = User.objects.get(email="regional.lead@demo.example")
    region = RegionalAccess.objects.get(user=lead).region

    assert region == Region.objects.get(slug="demoland")
    assert set(region.partnerships.values_list("slug", flat=True)) == {"demoshire", "sampleton"}
    assert not Membership.objects.filter(user=lead).exists()
    assert not reviews_visible_to(lead).exists()


def test_the_second_partnership_has_reviews_at_various_stages(demo):
    second = Review.objects.filter(partnership__slug="sampleton")

    assert second.count() == 8
    assert set(second.values_list("stage", flat=True)) == {
        Stage.NOT_COMMISSIONED,
        Stage.TERMS_OF_REFERENCE,
        Stage.DRAFTING,
        Stage.HOME_OFFICE_QA,
        Stage.ACTION_PLAN,
        Stage.CLOSED,
    }
    assert Pause.objects.filter(review__in=second, resumed_on__isnull=False).count() == 2
    assert second.filter(published_on__isnull=False, review_type="dardr").exists()


def test_its_people_do_not_see_the_demo_partnerships_reviews(demo):
    for email in SECOND_EMAILS:
        visible = reviews_visible_to(User.objects.get(email=email))
        assert not visible.filter(partnership__slug="demoshire").exists()


def test_running_it_twice_changes_nothing(demo):
    before = counts()

    load_demo()

    assert counts() == before


def test_refuses_to_run_with_production_settings(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        load_demo()

    assert counts() == dict.fromkeys(counts(), 0)


def test_refuses_to_run_without_a_demo_password(settings):
    settings.DEMO_PASSWORD = ""

    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        load_demo()

    assert User.objects.count() == 0


def test_reviews_past_the_home_office_have_packs_letters_and_areas(demo):
    from workflows.models.publication import DevelopmentArea, QaSubmission

    submitted = Review.objects.filter(home_office_submissions__gt=0)
    assert submitted.exists()
    for review in submitted:
        submission = QaSubmission.objects.get(review=review, number=1)
        assert [row["kind"] for row in submission.contents if row["version"]] == [
            "overview_report",
            "executive_summary",
            "action_plan",
            "terms_of_reference",
            "combined_chronology",
        ]
        assert (submission.feedback_letter_id is not None) == bool(review.qa_outcome)
    changes = Review.objects.filter(qa_outcome="approved_subject_to_changes")
    assert changes.exists()
    assert set(DevelopmentArea.objects.values_list("review", flat=True)) == set(
        changes.values_list("pk", flat=True)
    )
