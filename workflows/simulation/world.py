"""The simulated country: partnerships, their agencies and people, created in bulk.

Every name is invented and marked as simulated ("Simulated Partnership 001", slug ``sim-001``,
addresses at ``sim.example``), so simulated rows can never be mistaken for real ones.
"""

from dataclasses import dataclass, field
from random import Random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from notifications.models import EmailPreference
from workflows.models import Agency, Membership, Partnership, Review, Role, User

SLUG_PREFIX = "sim-"
EMAIL_DOMAIN = "sim.example"
AGENCY_NAMES = [
    "Police",
    "NHS Foundation Trust",
    "Council Housing",
    "Probation Service",
    "Adult Social Care",
    "Domestic Abuse Service",
]
# Share of people who take their reminders in one email a day, so the digest runs too.
DIGEST_SHARE = 0.2
CHAIRS_PER_PARTNERSHIP = 2


@dataclass
class AgencyPeople:
    agency: Agency
    author: User
    manager: User


@dataclass
class Area:
    """One simulated partnership and the people who work its reviews."""

    partnership: Partnership
    coordinator: User
    csp_chair: User
    chairs: list[User]
    agencies: list[AgencyPeople] = field(default_factory=list)


def simulated_partnerships():
    return Partnership.objects.filter(slug__startswith=SLUG_PREFIX)


def real_reviews_exist() -> bool:
    """Whether the database holds reviews that this simulation did not make."""
    return Review.objects.exclude(partnership__slug__startswith=SLUG_PREFIX).exists()


@transaction.atomic
def world_create(*, partnerships: int, rng: Random) -> list[Area]:
    """Create ``partnerships`` simulated partnerships, each with 3 to 6 agencies, a coordinator,
    a CSP chair, independent chairs and an author and senior manager per agency."""
    created = Partnership.objects.bulk_create(
        Partnership(
            name=f"Simulated Partnership {number:03d}",
            slug=f"{SLUG_PREFIX}{number:03d}",
            code=f"SIM{number:03d}",
        )
        for number in range(1, partnerships + 1)
    )
    agencies = Agency.objects.bulk_create(
        Agency(partnership=partnership, name=f"Simulated {name}")
        for partnership in created
        for name in AGENCY_NAMES[: rng.randint(3, len(AGENCY_NAMES))]
    )
    by_partnership = {}
    for agency in agencies:
        by_partnership.setdefault(agency.partnership_id, []).append(agency)
    areas, users, memberships = _people(created, by_partnership)
    User.objects.bulk_create(users)
    # bulk_create sets primary keys on PostgreSQL and SQLite alike; memberships need them.
    Membership.objects.bulk_create(
        Membership(user=user, partnership=partnership, role=role, agency=agency)
        for user, partnership, role, agency in memberships
    )
    EmailPreference.objects.bulk_create(
        EmailPreference(user=user, daily_digest=True)
        for user in users
        if rng.random() < DIGEST_SHARE
    )
    return areas


def _people(partnerships, by_partnership):
    # One unusable password hash for everyone: simulated people never sign in.
    password = make_password(None)
    users, memberships, areas = [], [], []

    def person(partnership, label: str, role=None, agency=None) -> User:
        user = User(
            email=f"{label}.{partnership.slug}@{EMAIL_DOMAIN}",
            full_name=f"Simulated {label.replace('-', ' ').title()} {partnership.code}",
            password=password,
        )
        users.append(user)
        if role:
            memberships.append((user, partnership, role, agency))
        return user

    for partnership in partnerships:
        area = Area(
            partnership=partnership,
            coordinator=person(partnership, "coordinator", Role.COORDINATOR),
            csp_chair=person(partnership, "csp-chair", Role.CSP_CHAIR),
            chairs=[
                person(partnership, f"chair-{n}", Role.INDEPENDENT_CHAIR)
                for n in range(1, CHAIRS_PER_PARTNERSHIP + 1)
            ],
        )
        for number, agency in enumerate(by_partnership[partnership.pk], start=1):
            area.agencies.append(
                AgencyPeople(
                    agency=agency,
                    author=person(
                        partnership, f"agency-{number}-author", Role.AGENCY_AUTHOR, agency
                    ),
                    manager=person(
                        partnership, f"agency-{number}-manager", Role.SENIOR_MANAGER, agency
                    ),
                )
            )
        areas.append(area)
    return areas, users, memberships
