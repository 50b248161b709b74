"""Factories for invented test data (no real person's name appears anywhere in the tests)."""

from datetime import date

import factory

from workflows.models import (
    Agency,
    Membership,
    Participant,
    ParticipantRole,
    Partnership,
    Review,
    Role,
    User,
)


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Testshire {n} Community Safety Partnership")
    slug = factory.Sequence(lambda n: f"testshire-{n}")
    code = factory.Sequence(lambda n: f"TS{n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    partnership = factory.SubFactory(PartnershipFactory)
    name = factory.Sequence(lambda n: f"Test Agency {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@test.example")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partnership = factory.SubFactory(PartnershipFactory)
    role = Role.COORDINATOR


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review at "Notified"; use ``review_at`` in conftest for any other stage."""

    class Meta:
        model = Review

    partnership = factory.SubFactory(PartnershipFactory)
    reference = factory.Sequence(lambda n: f"TEST-2027-{n:03d}")
    victim_real_name = "Zelda Inventedname"
    perpetrator_real_name = "Quentin Madeupname"
    referred_by = "Testshire Police"
    date_of_death = date(2027, 1, 5)
    notified_on = date(2027, 1, 10)


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A person taking part in a review; pass ``agency`` for the agency roles."""

    class Meta:
        model = Participant

    review = factory.SubFactory(ReviewFactory)
    user = factory.SubFactory(UserFactory)
    role = ParticipantRole.PANEL_MEMBER
    added_by = factory.SubFactory(UserFactory)
