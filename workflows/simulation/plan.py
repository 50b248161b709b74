"""A seeded, random plan for each simulated review: when it is notified, whether it goes ahead,
whether criminal proceedings pause it, how late its agencies are and how the Home Office answers.

Durations are in days. The mixes follow what partnerships report nationally: about a fifth of
notifications do not lead to a review, about a third of reviews wait for criminal proceedings,
some agencies miss the two months for their reports, and some reports go back to the Home Office
a second time. The same seed always gives the same plans.
"""

from dataclasses import dataclass, field
from random import Random

NOT_COMMISSIONED_SHARE = 0.2
PAUSED_SHARE = 1 / 3
LATE_AGENCY_SHARE = 0.25
SENT_BACK_SHARE = 0.15
SCOPING_SHARE = 0.5
CHALLENGE_SHARE = 0.2
# Home Office outcomes of a first submission; a resubmitted report is then approved.
QA_FIRST_OUTCOMES = [
    ("approved", 0.45),
    ("approved_subject_to_changes", 0.3),
    ("resubmit", 0.25),
]
PAUSE_STAGES = ["setup", "terms_of_reference", "agency_reports", "drafting"]


@dataclass
class AgencyPlan:
    """One agency's part: its answer to scoping and the days each of its tasks takes."""

    index: int  # which of the partnership's agencies
    involved: bool
    scoping_days: int
    report_days: int
    sign_off_days: int
    acceptance_days: int
    sent_back: bool
    late: bool


@dataclass
class Pause:
    stage: str  # the stage the review is paused at
    after_days: int  # days into that stage
    length_days: int


@dataclass
class ReviewPlan:
    number: int
    partnership_index: int
    notified_day: int  # days after the simulation's first day
    death_days_before: int
    scoping: bool
    decision_days: int
    commissioned: bool
    challenged: bool = False
    challenge_days: int = 0
    close_days: int = 0
    chair_days: int = 0
    setup_days: int = 0
    terms_days: int = 0
    agencies: list[AgencyPlan] = field(default_factory=list)
    agency_wrap_up_days: int = 0
    draft_days: int = 0
    sign_off_days: int = 0
    submit_days: int = 0
    qa_outcomes: list[str] = field(default_factory=list)
    qa_days: list[int] = field(default_factory=list)
    redraft_days: int = 0
    publish_days: int = 0
    pause: Pause | None = None


def plans_make(*, reviews: int, partnerships: int, agency_counts: list[int], days: int, seed: int):
    """One plan per review, notified evenly at random over the simulated period."""
    rng = Random(seed)
    return [
        _plan(rng, number, partnerships, agency_counts, days) for number in range(1, reviews + 1)
    ]


def _plan(rng: Random, number: int, partnerships: int, agency_counts, days: int) -> ReviewPlan:
    partnership_index = rng.randrange(partnerships)
    commissioned = rng.random() >= NOT_COMMISSIONED_SHARE
    plan = ReviewPlan(
        number=number,
        partnership_index=partnership_index,
        notified_day=rng.randrange(days),
        death_days_before=rng.randint(1, 14),
        scoping=rng.random() < SCOPING_SHARE,
        # One month to decide; about one in six partnerships takes longer.
        decision_days=rng.randint(25, 45) if rng.random() < 0.15 else rng.randint(7, 26),
        commissioned=commissioned,
    )
    if not commissioned:
        plan.challenged = rng.random() < CHALLENGE_SHARE
        plan.challenge_days = rng.randint(14, 45)
        plan.close_days = rng.randint(20, 90)
        return plan
    plan.chair_days = rng.randint(5, 30)
    plan.setup_days = rng.randint(3, 20)
    plan.terms_days = rng.randint(35, 50) if rng.random() < 0.15 else rng.randint(10, 28)
    plan.agencies = _agencies(rng, agency_counts[partnership_index])
    plan.agency_wrap_up_days = rng.randint(1, 10)
    plan.draft_days = rng.randint(30, 100)
    plan.sign_off_days = rng.randint(5, 30)
    plan.submit_days = rng.randint(2, 40)
    first = _weighted(rng, QA_FIRST_OUTCOMES)
    plan.qa_outcomes = [first, "approved"] if first == "resubmit" else [first]
    plan.qa_days = [rng.randint(30, 90) for _ in plan.qa_outcomes]
    plan.redraft_days = rng.randint(14, 50)
    plan.publish_days = rng.randint(14, 60)
    plan.close_days = rng.randint(60, 200)
    if rng.random() < PAUSED_SHARE:
        plan.pause = Pause(
            stage=rng.choice(PAUSE_STAGES),
            after_days=rng.randint(1, 10),
            length_days=rng.randint(21, 180),
        )
    return plan


def _agencies(rng: Random, available: int) -> list[AgencyPlan]:
    chosen = sorted(rng.sample(range(available), rng.randint(2, available)))
    return [_agency(rng, index) for index in chosen]


def _agency(rng: Random, index: int) -> AgencyPlan:
    late = rng.random() < LATE_AGENCY_SHARE
    return AgencyPlan(
        index=index,
        involved=rng.random() < 0.75,
        scoping_days=rng.randint(2, 14),
        # Two months for the reports: a late agency sends its report well after them.
        report_days=rng.randint(60, 110) if late else rng.randint(15, 40),
        sign_off_days=rng.randint(2, 10),
        acceptance_days=rng.randint(2, 8),
        sent_back=rng.random() < SENT_BACK_SHARE,
        late=late,
    )


def _weighted(rng: Random, choices) -> str:
    point, total = rng.random(), 0.0
    for value, weight in choices:
        total += weight
        if point < total:
            return value
    return choices[-1][0]
