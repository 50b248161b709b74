"""The bench data set: ten times a national year, built with bulk inserts in a few minutes.

At scale 1: 300 partnerships, 10,000 reviews (1,500 live, spread across the stages), about
200,000 viewflow tasks with their processes, 200,000 deadlines and 1,000,000 outbox rows, nearly
all sent. The busiest partnership has 300 live reviews; a second has 30 (the same pages on ten
times fewer rows, to show the query count does not grow); one region covers every live review.

Rows are written the way the real services would leave them (``workflows.services``,
``workflows.flows``): each review's process carries the tasks the flow creates up to the review's
stage (start, router, the stage's human task, the split into one branch per agency, the join),
with viewflow's own node names, statuses, tokens and links between tasks; deadlines follow
``workflows.rules`` with ``workflows.timescales``' due dates, and each action plan's
recommendations carry their own deadline rows (``workflows.action_plan.reminders``). Where the
flow's real volume would overshoot the task target, the oldest closed reviews are kept as history
without a process (as if imported from before the service was used).

Everything is invented: places, people, victims' and perpetrators' real names. The data set is
"as of" ``TODAY``: the benchmark measures under a clock set to that day, so the figures do not
drift as the calendar moves on. A row in the ``bench_dataset`` table records the version and
scale built, so a second run reuses it.
"""

import hashlib
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

DATASET_VERSION = 1
BENCH_PASSWORD = "bench-password-2027"
TODAY = date(2027, 6, 1)
EMAIL_DOMAIN = "bench.example"
MARKER_TABLE = "bench_dataset"
SEED = 2027
# The participant whose "My tasks" is measured holds exactly this many open tasks.
PARTICIPANT_TASKS = 50

AGENCY_NAMES = [
    "Police",
    "Health Trust",
    "Council Housing",
    "Probation Service",
    "Adult Social Care",
    "Children's Services",
    "Domestic Abuse Service",
    "GP Practices",
    "Ambulance Service",
    "Substance Misuse Service",
]
POLICE = 0  # police are in scope of every review: the index of "Police" above
PLACE_HEADS = [
    "Ash", "Bram", "Cal", "Dun", "Elm", "Fen", "Gor", "Hol", "Ives", "Kes",
    "Lan", "Mar", "Nor", "Oak", "Pen", "Quar", "Ros", "Sel", "Thorn", "Wyn",
]  # fmt: skip
PLACE_TAILS = [
    "bury", "combe", "dale", "field", "ford", "ham", "ley", "mere", "moor", "stead",
    "stow", "thorpe", "wick", "worth", "well",
]  # fmt: skip
GIVEN = [
    "Alys", "Bryn", "Cerys", "Dafydd", "Elin", "Ffion", "Gethin", "Hana", "Idris", "Jory",
    "Kezia", "Lowri", "Maddox", "Nerys", "Osian", "Pryce", "Rhian", "Seren", "Tomos", "Wren",
]  # fmt: skip
FAMILY = [
    "Ashcombe", "Brindle", "Coldwell", "Dunmore", "Everleigh", "Fairholt", "Greaves",
    "Hartwell", "Ingleby", "Kettering", "Larkhill", "Merriot", "Northam", "Oakridge",
    "Pennick", "Quillan", "Rookwood", "Stanmore", "Thistlewood", "Wexcombe",
]  # fmt: skip
# Real-name fields hold invented names made of syllables no English name uses.
SYLLABLES = ["zor", "vey", "qua", "lix", "dro", "yth", "mev", "oss", "kir", "pel", "wux", "ban"]
PSEUDONYMS = ["Rose", "Daisy", "Iris", "Fern", "Holly", "Violet", "Poppy", "Willow", "Ivy", "Hazel"]

# Live reviews by the stage their work is at (weights); a tenth of them paused.
LIVE_MIX = {
    "notified": 5,
    "scoping": 6,
    "home_office_challenge": 1,
    "setup": 9,
    "terms_of_reference": 8,
    "agency_reports": 30,
    "drafting": 13,
    "local_sign_off": 5,
    "home_office_qa": 9,
    "publication": 5,
    "action_plan": 9,
}
PAUSED_SHARE = 0.1
NOT_COMMISSIONED_SHARE = 0.2
# Typical days in each stage, for dates that follow one another plausibly.
DAYS_IN_STAGE = {
    "notified": 6,
    "scoping": 22,
    "not_commissioned": 60,
    "home_office_challenge": 30,
    "setup": 45,
    "terms_of_reference": 30,
    "agency_reports": 100,
    "drafting": 70,
    "local_sign_off": 25,
    "home_office_qa": 110,
    "publication": 60,
    "action_plan": 420,
}
COMMISSIONED_PATH = [
    "notified",
    "scoping",
    "setup",
    "terms_of_reference",
    "agency_reports",
    "drafting",
    "local_sign_off",
    "home_office_qa",
    "publication",
    "action_plan",
    "closed",
]
# The history action that moved a review into each stage (workflows.lifecycle).
ENTERED_BY = {
    "scoping": "start_scoping",
    "setup": "decide_to_commission",
    "not_commissioned": "decide_not_to_commission",
    "home_office_challenge": "record_home_office_challenge",
    "terms_of_reference": "complete_setup",
    "agency_reports": "agree_terms_of_reference",
    "drafting": "complete_agency_reports",
    "local_sign_off": "complete_draft",
    "home_office_qa": "submit_to_home_office",
    "publication": "record_qa_approved",
    "action_plan": "publish",
    "closed": "close",
}
# An agency's branch in the agency reports stage: how far it has got (weights).
BRANCH_MIX = {
    "scoping": 15,
    "report": 35,
    "sign_off": 15,
    "acceptance": 10,
    "accepted": 15,
    "nil": 10,
}
BRANCH_OPEN_TO_AUTHOR = ("scoping", "report")
EMAIL_KINDS = [
    ("review_notified", "A death has been notified"),
    ("task_created", "New task"),
    ("invitation", "You have been added to a review"),
    ("reminder", "Reminder: a deadline is coming up"),
    ("escalation", "Overdue"),
    ("decision_recorded", "Decision recorded"),
    ("terms_of_reference_agreed", "Terms of reference agreed"),
    ("task_chased", "Please finish your task"),
    ("chair_escalation", "Overdue: for the CSP chair"),
    ("review_published", "Review published"),
]
RECOMMENDATION_SOURCE = "The review's action plan, agreed at local sign-off."
# Roles that will sign in with an authenticator app as well as a password.
TWO_FACTOR_ROLES = ("coordinator", "csp_chair", "independent_chair")


@dataclass(frozen=True)
class Shape:
    """How big each part of the data set is at a scale (1.0: ten times a national year)."""

    scale: float
    partnerships: int
    reviews: int
    live: int
    busiest_live: int
    small_live: int
    region_partnerships: int
    tasks: int
    deadlines: int
    emails: int

    @classmethod
    def at(cls, scale: float) -> "Shape":
        if scale <= 0:
            raise ValueError("The scale must be more than 0.")

        def scaled(full: int, least: int) -> int:
            return max(least, round(full * scale))

        # Small scales keep enough live reviews for the 50-task participant and the two
        # dashboards; the other counts stay proportional.
        return cls(
            scale=scale,
            partnerships=scaled(300, 4),
            reviews=scaled(10_000, 130),
            live=scaled(1_500, 70),
            busiest_live=scaled(300, 60),
            small_live=scaled(30, 6),
            region_partnerships=scaled(100, 3),
            tasks=scaled(200_000, 0),
            deadlines=scaled(200_000, 0),
            emails=scaled(1_000_000, 1_000),
        )


def totp_key(email: str) -> str:
    """The bench user's authenticator key (40 hex digits), the same on every build."""
    return hashlib.sha1(f"bench-totp:{email.lower()}".encode()).hexdigest()


# People and places.


def place_name(number: int) -> str:
    head = PLACE_HEADS[number % len(PLACE_HEADS)]
    tail = PLACE_TAILS[(number // len(PLACE_HEADS)) % len(PLACE_TAILS)]
    cycle = number // (len(PLACE_HEADS) * len(PLACE_TAILS))
    return f"{head}{tail}" + (f" {cycle + 1}" if cycle else "")


def person_name(number: int) -> str:
    return f"{GIVEN[number % len(GIVEN)]} {FAMILY[(number // len(GIVEN)) % len(FAMILY)]}"


def invented_name(rng: random.Random) -> str:
    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()

    return f"{word()} {word()}"


@dataclass
class Area:
    """One partnership and its people (user ids)."""

    index: int
    pk: int
    name: str
    slug: str
    code: str
    coordinators: list[int]
    csp_chair: int
    chairs: list[int]
    agencies: list[int]  # agency ids, in AGENCY_NAMES order
    authors: list[int]  # one per agency
    managers: list[int]  # one per agency
    people: list[tuple[int, str]] = field(default_factory=list)  # (user id, email) for emails


@dataclass
class Branch:
    review_agency: int
    agency: int
    author: int
    manager: int
    state: str  # BRANCH_MIX key, or "accepted"/"nil" once the stage is over
    claimed: bool = False  # the author has claimed their open task


@dataclass
class Plan:
    """One review: its stage, dates and people; the rows are written from it."""

    pk: int
    area: Area
    reference: str
    kind: str  # "live", "not_commissioned" or "closed"
    stage: str
    working_stage: str
    entered: dict[str, date]
    chair: int | None
    branches: list[Branch] = field(default_factory=list)
    pause_on: date | None = None

    @property
    def paused(self) -> bool:
        return self.pause_on is not None

    @property
    def end_on(self) -> date:
        return self.entered.get("closed", TODAY)


# The builder.


class Ids:
    """Primary keys handed out in order, per table, from what the table already holds."""

    def __init__(self):
        self._next: dict[str, int] = {}

    def take(self, model) -> int:
        table = model._meta.db_table
        if table not in self._next:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608 - a model's table
                self._next[table] = (cursor.fetchone()[0] or 0) + 1
        pk = self._next[table]
        self._next[table] += 1
        return pk

    def prime(self, models) -> None:
        """Read each table's next key now: a COPY in progress leaves no room for queries."""
        for model in models:
            self.give_back(model, self.take(model))

    def give_back(self, model, to: int) -> None:
        self._next[model._meta.db_table] = to


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany in big batches on SQLite."""

    BATCH = 20_000

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def write(self, model, columns: list[str], rows: Iterable[tuple]) -> int:
        table = model._meta.db_table
        names = ", ".join(f'"{column}"' for column in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
                batch = []
                for row in rows:
                    batch.append(tuple(_sqlite_value(value) for value in row))
                    if len(batch) >= self.BATCH:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.counts[table] = self.counts.get(table, 0) + count
        return count


def _sqlite_value(value):
    # Django keeps datetimes in SQLite as naive UTC text and dates as ISO text.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def at(day: date, hour: int = 9, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, 0, tzinfo=UTC) + timedelta(
        seconds=second
    )


@lru_cache(maxsize=200_000)
def _due(starts_on: date, period: str, spans: tuple) -> date | None:
    from workflows import timescales

    return timescales.due_date(starts_on, period, list(spans))


@lru_cache(maxsize=200_000)
def _next_action(starts_on: date, due_on: date | None) -> date | None:
    """The next rung after today: as if the sweep had fired every rung up to today."""
    from notifications.ladder import LadderSettings, ladder_steps

    if due_on is None:
        return None
    steps = ladder_steps(LadderSettings(), starts_on=starts_on, due_on=due_on)
    later = [step.fires_on for step in steps if step.fires_on > TODAY]
    return min(later) if later else None


class Builder:
    """Writes the whole data set in one transaction; ``facts`` says where things are."""

    def __init__(self, shape: Shape, *, log=print):
        self.shape = shape
        self.rng = random.Random(SEED)
        self.ids = Ids()
        self.writer = Writer()
        self.log = log
        self.facts: dict = {"shape": asdict(shape)}
        self.sign_in: list[dict] = []  # bench users who can sign in: email, role
        self.password_hash = make_password(BENCH_PASSWORD)
        self.no_password = make_password(None)
        self.review_type = ContentType.objects.get_for_model(self._models.Review).pk

    @property
    def _models(self):
        import workflows.models as models

        return models

    def build(self) -> dict:
        from viewflow.workflow.models import Process, Task

        from notifications.models import Email

        began = time.monotonic()
        m = self._models
        self.ids.prime(
            [m.Partnership, m.Agency, m.User, m.Membership, m.Review, m.ReviewAgency,
             m.Participant, m.ReviewHistory, m.Pause, m.Deadline, m.Recommendation, Process,
             Task, Task.previous.through, Email]
        )  # fmt: skip
        areas = self._areas()
        plans = self._plans(areas)
        self._write_reviews(plans)
        self._timed("deadlines and recommendations", self._write_deadlines, plans)
        self._timed("processes and tasks", self._write_flows, plans)
        self._timed("outbox rows", self._write_emails, plans)
        self._reset_sequences()
        self._extras(areas)
        self.facts["counts"] = self.writer.counts
        self.facts["sign_in"] = self.sign_in
        self.facts["seconds"] = round(time.monotonic() - began, 1)
        return self.facts

    def _timed(self, what: str, step, *args):
        began = time.monotonic()
        step(*args)
        self.log(f"  {what}: {time.monotonic() - began:.1f} s")

    # Partnerships, agencies and people.

    def _areas(self) -> list[Area]:
        m = self._models
        areas, partnerships, agencies, users, memberships = [], [], [], [], []
        person_number = 0

        def person(area_slug: str, label: str, role: str, *, signs_in: bool) -> int:
            nonlocal person_number
            pk = self.ids.take(m.User)
            email = f"{label}.{area_slug}@{EMAIL_DOMAIN}"
            name = person_name(person_number)
            person_number += 1
            password = self.password_hash if signs_in else self.no_password
            joined = at(TODAY - timedelta(3650))
            users.append((pk, password, False, email, name, True, False, joined))
            people_by_pk[pk] = email
            if signs_in:
                self.sign_in.append({"email": email, "role": role, "partnership": area_slug})
            return pk

        people_by_pk: dict[int, str] = {}
        for index in range(self.shape.partnerships):
            place = place_name(index)
            slug = place.lower().replace(" ", "-")
            pk = self.ids.take(m.Partnership)
            partnerships.append(
                (
                    pk,
                    f"{place} Community Safety Partnership",
                    f"bench-{slug}",
                    f"B{index:03d}",
                    "england",
                )
            )
            busiest, small = index == 0, index == 1
            in_region = index < self.shape.region_partnerships
            chairs = 10 if busiest else (4 if in_region else 2)
            signs_in = busiest or small or (in_region and index < 12)
            area = Area(
                index=index,
                pk=pk,
                name=f"{place} Community Safety Partnership",
                slug=f"bench-{slug}",
                code=f"B{index:03d}",
                coordinators=[
                    person(
                        slug,
                        f"coordinator-{n}",
                        "coordinator",
                        signs_in=busiest or (signs_in and n == 1),
                    )
                    for n in range(1, (3 if busiest else 2) + 1)
                ],
                csp_chair=person(slug, "csp-chair", "csp_chair", signs_in=busiest or small),
                chairs=[
                    person(
                        slug,
                        f"chair-{n}",
                        "independent_chair",
                        signs_in=busiest or (signs_in and n == 1),
                    )
                    for n in range(1, chairs + 1)
                ],
                agencies=[],
                authors=[],
                managers=[],
            )
            for number, agency_name in enumerate(AGENCY_NAMES):
                agency_pk = self.ids.take(m.Agency)
                agencies.append((agency_pk, pk, f"{place} {agency_name}"))
                area.agencies.append(agency_pk)
                label = agency_name.lower().replace("'", "").replace(" ", "-")
                author_signs_in = (
                    busiest
                    or (signs_in and number == POLICE)
                    or (in_region and index < 22 and number == 1)
                )
                area.authors.append(
                    person(slug, f"{label}-author", "agency_author", signs_in=author_signs_in)
                )
                area.managers.append(
                    person(
                        slug, f"{label}-manager", "senior_manager", signs_in=busiest and number < 5
                    )
                )
            for coordinator in area.coordinators:
                memberships.append((pk, coordinator, "coordinator", None))
            memberships.append((pk, area.csp_chair, "csp_chair", None))
            memberships.extend((pk, chair, "independent_chair", None) for chair in area.chairs)
            for agency_pk, author, manager in zip(
                area.agencies, area.authors, area.managers, strict=True
            ):
                memberships.append((pk, author, "agency_author", agency_pk))
                memberships.append((pk, manager, "senior_manager", agency_pk))
            area.people = [
                (user, people_by_pk[user])
                for user in [*area.coordinators, area.csp_chair, *area.chairs, *area.authors]
            ]
            areas.append(area)

        self.writer.write(m.Partnership, ["id", "name", "slug", "code", "nation"], partnerships)
        self.writer.write(m.Agency, ["id", "partnership_id", "name"], agencies)
        self.writer.write(
            m.User,
            [
                "id",
                "password",
                "is_superuser",
                "email",
                "full_name",
                "is_active",
                "is_staff",
                "date_joined",
            ],
            users,
        )
        self.writer.write(
            m.Membership,
            ["id", "partnership_id", "user_id", "role", "agency_id"],
            ((self.ids.take(m.Membership), *row) for row in memberships),
        )
        self.facts["busiest"] = {"slug": areas[0].slug, "pk": areas[0].pk}
        self.facts["small"] = {"slug": areas[1].slug, "pk": areas[1].pk}
        self.facts["participant"] = (
            f"police-author.{areas[0].slug.removeprefix('bench-')}@{EMAIL_DOMAIN}"
        )
        return areas

    # Reviews.

    def _plans(self, areas: list[Area]) -> list[Plan]:
        shape, rng = self.shape, self.rng
        live_counts = self._live_counts()
        not_commissioned = round(shape.reviews * NOT_COMMISSIONED_SHARE)
        closed = shape.reviews - shape.live - not_commissioned
        if closed < 0:
            raise ValueError("The scale leaves no room for closed reviews.")
        plans: list[Plan] = []
        stages = list(LIVE_MIX)
        weights = list(LIVE_MIX.values())
        for index, count in enumerate(live_counts):
            # Whole shares of each stage first (so a partnership of 30 has every stage), the rest
            # drawn by weight.
            chosen = [s for s, w in LIVE_MIX.items() for _ in range(count * w // sum(weights))]
            chosen += rng.choices(stages, weights, k=count - len(chosen))
            for stage in chosen:
                plans.append(self._plan(areas[index], "live", stage))
        history = [0.03 if n == 0 else (1 - 0.03) / (len(areas) - 1) for n in range(len(areas))]
        for kind, count in (("not_commissioned", not_commissioned), ("closed", closed)):
            for area in rng.choices(areas, history, k=count):
                plans.append(self._plan(area, kind, ""))
        self._references(plans)
        self._police_of_busiest(plans)
        self.facts["live"] = {
            "busiest": live_counts[0],
            "small": live_counts[1],
            "region": sum(live_counts[: max(shape.region_partnerships, 3)]),
            "small_region": live_counts[1],
        }
        return plans

    def _live_counts(self) -> list[int]:
        shape = self.shape
        counts = [0] * shape.partnerships
        counts[0], counts[1] = shape.busiest_live, shape.small_live
        rest = shape.live - shape.busiest_live - shape.small_live
        others = list(range(2, max(shape.region_partnerships, 3)))
        for number in range(rest):
            counts[others[number % len(others)]] += 1
        return counts

    def _plan(self, area: Area, kind: str, live_stage: str) -> Plan:
        rng = self.rng
        scoped = live_stage == "scoping" or rng.random() < 0.6
        if kind == "live" and live_stage == "home_office_challenge":
            path = ["notified", "not_commissioned", "home_office_challenge"]
        elif kind == "not_commissioned":
            path = ["notified", *(["scoping"] if scoped else []), "not_commissioned"]
        else:
            path = [s for s in COMMISSIONED_PATH if s != "scoping" or scoped]
            if kind == "live":
                path = path[: path.index(live_stage) + 1]
        entered = self._dates(path, kind)
        if kind == "not_commissioned" and (TODAY - entered["not_commissioned"]).days > 90:
            entered["closed"] = entered["not_commissioned"] + timedelta(rng.randint(20, 80))
            path.append("closed")
        stage = path[-1]
        chair = None
        past_setup = "terms_of_reference" in entered
        if past_setup or (stage == "setup" and rng.random() < 0.5):
            chair = rng.choice(area.chairs)
        plan = Plan(
            pk=self.ids.take(self._models.Review),
            area=area,
            reference="",
            kind=kind,
            stage=stage,
            working_stage=stage,
            entered=entered,
            chair=chair,
        )
        if (
            kind == "live"
            and stage not in ("home_office_challenge",)
            and rng.random() < PAUSED_SHARE
        ):
            days_in = (TODAY - entered[stage]).days
            plan.pause_on = entered[stage] + timedelta(rng.randint(0, max(days_in, 0)))
        if "setup" in entered:
            self._branches(plan)
        return plan

    def _dates(self, path: list[str], kind: str) -> dict[str, date]:
        """When the review entered each stage of ``path``, ending at today or a closing date."""
        rng = self.rng
        if kind == "live":
            last = path[-1]
            end = TODAY - timedelta(int(rng.random() * 1.5 * DAYS_IN_STAGE[last]))
        elif kind == "not_commissioned":
            end = TODAY - timedelta(rng.randint(5, 9 * 365))
        else:
            end = TODAY - timedelta(rng.randint(30, 9 * 365))
        entered = {path[-1]: end}
        day = end
        for stage in reversed(path[:-1]):
            day -= timedelta(max(1, round(DAYS_IN_STAGE[stage] * rng.uniform(0.6, 1.4))))
            entered[stage] = day
        return dict(sorted(entered.items(), key=lambda item: item[1]))

    def _branches(self, plan: Plan) -> None:
        """The agencies in scope (police always, and two to four others) and each branch's state."""
        rng, m = self.rng, self._models
        area = plan.area
        numbers = [POLICE, *rng.sample(range(1, len(AGENCY_NAMES)), rng.randint(2, 4))]
        for number in numbers:
            if plan.working_stage == "agency_reports":
                state = rng.choices(list(BRANCH_MIX), list(BRANCH_MIX.values()))[0]
            elif "agency_reports" in plan.entered:
                state = "accepted" if rng.random() < 0.7 else "nil"
            else:
                state = "not_started"
            plan.branches.append(
                Branch(
                    review_agency=self.ids.take(m.ReviewAgency),
                    agency=area.agencies[number],
                    author=area.authors[number],
                    manager=area.managers[number],
                    state=state,
                )
            )

    def _references(self, plans: list[Plan]) -> None:
        """References in order of notification, numbered per partnership and year."""
        counters: dict[tuple[int, int], int] = {}
        for plan in sorted(plans, key=lambda p: (p.entered["notified"], p.pk)):
            key = (plan.area.pk, plan.entered["notified"].year)
            counters[key] = counters.get(key, 0) + 1
            plan.reference = f"{plan.area.code}-{key[1]}-{counters[key]:03d}"

    def _police_of_busiest(self, plans: list[Plan]) -> None:
        """The busiest partnership's police report author holds exactly PARTICIPANT_TASKS open
        tasks, all claimed: their branch is at the report in that many reviews and past the
        author everywhere else."""
        rng = self.rng
        held = 0
        for plan in plans:
            if plan.area.index != 0 or plan.working_stage != "agency_reports":
                continue
            police = plan.branches[0]
            if held < PARTICIPANT_TASKS:
                police.state, police.claimed = "report", True
                held += 1
            elif police.state in BRANCH_OPEN_TO_AUTHOR:
                police.state = rng.choice(["sign_off", "acceptance", "accepted", "nil"])
        self.facts["participant_tasks"] = held

    # Rows.

    def _write_reviews(self, plans: list[Plan]) -> None:
        m = self._models
        w = self.writer
        reviews, agencies, participants, history, pauses = [], [], [], [], []
        for plan in plans:
            reviews.append(self._review_row(plan))
            added_on = plan.entered["notified"]
            for branch in plan.branches:
                agencies.append(self._review_agency_row(plan, branch, added_on))
                invited = plan.entered["setup"]
                for user, role in (
                    (branch.author, "agency_author"),
                    (branch.manager, "senior_manager"),
                ):
                    participants.append(
                        (
                            self.ids.take(m.Participant),
                            plan.pk,
                            user,
                            role,
                            branch.agency,
                            plan.area.coordinators[0],
                            invited,
                            "",
                        )
                    )
            history.extend(self._history_rows(plan))
            if plan.paused:
                pauses.append(
                    (
                        self.ids.take(m.Pause),
                        plan.pk,
                        "criminal_proceedings",
                        "Awaiting the criminal trial.",
                        plan.working_stage,
                        plan.pause_on,
                        plan.area.csp_chair,
                    )
                )
        w.write(m.Review, REVIEW_COLUMNS, reviews)
        w.write(
            m.ReviewAgency,
            ["id", "review_id", "agency_id", "added_on", "involvement", "scoping_answered_on",
             "report_submitted_on", "signed_off_on", "accepted_on", "times_sent_back",
             "chair_comments"],
            agencies,
        )  # fmt: skip
        w.write(
            m.Participant,
            [
                "id",
                "review_id",
                "user_id",
                "role",
                "agency_id",
                "added_by_id",
                "added_on",
                "end_reason",
            ],
            participants,
        )
        w.write(
            m.ReviewHistory,
            [
                "id",
                "review_id",
                "action",
                "from_stage",
                "to_stage",
                "by_id",
                "at",
                "effective_on",
                "reason",
            ],
            history,
        )
        w.write(
            m.Pause,
            ["id", "review_id", "reason", "detail", "stage", "paused_on", "paused_by_id"],
            pauses,
        )
        self.log(f"  reviews: {len(reviews):,}, history rows: {len(history):,}")

    def _review_row(self, plan: Plan) -> tuple:
        e, rng = plan.entered, self.rng
        notified = e["notified"]
        decided = e.get("setup") or e.get("not_commissioned")
        commissioned = True if "setup" in e else (False if decided else None)
        signed_off = None
        if "home_office_qa" in e:
            signed_off = max(
                e["local_sign_off"], e["home_office_qa"] - timedelta(rng.randint(2, 15))
            )
        elif plan.working_stage == "local_sign_off" and rng.random() < 0.4:
            signed_off = min(TODAY, e["local_sign_off"] + timedelta(10))
        drafted = "local_sign_off" in e
        approved = "publication" in e
        victim = invented_name(rng)
        return (
            plan.pk, plan.area.pk, plan.reference, "dhr", "2016",
            PSEUDONYMS[plan.pk % len(PSEUDONYMS)] if plan.chair else "",
            "Mr P" if plan.chair else "", victim, invented_name(rng),
            "An invented account for the benchmark; no real person.",
            f"{plan.area.name.removesuffix(' Community Safety Partnership')} Police",
            notified - timedelta(rng.randint(3, 30)), notified, e.get("scoping"), decided,
            commissioned, "Recorded for the benchmark." if decided else "", decided,
            e.get("home_office_challenge"), None, e.get("setup"), plan.chair,
            e["setup"] + timedelta(min(20, (e.get("terms_of_reference", TODAY) - e["setup"]).days))
            if plan.chair else None,
            e.get("terms_of_reference"), e.get("agency_reports"), e.get("drafting"),
            e.get("local_sign_off"), drafted, drafted, drafted, signed_off, e.get("home_office_qa"),
            1 if "home_office_qa" in e else 0, "approved" if approved else "",
            e.get("publication"), e.get("action_plan"), e.get("closed"),
            at(notified), at(plan.end_on),
            "paused" if plan.paused else plan.stage,
            plan.working_stage if plan.paused else "",
        )  # fmt: skip

    def _review_agency_row(self, plan: Plan, branch: Branch, added_on: date) -> tuple:
        start = plan.entered.get("agency_reports")
        state = branch.state
        answered = (
            start + timedelta(10) if start and state not in ("not_started", "scoping") else None
        )
        involved = state in ("report", "sign_off", "acceptance", "accepted")
        submitted = (
            start + timedelta(40) if state in ("sign_off", "acceptance", "accepted") else None
        )
        signed = start + timedelta(50) if state in ("acceptance", "accepted") else None
        accepted = start + timedelta(60) if state == "accepted" else None
        involvement = "involved" if involved else ("not_involved" if state == "nil" else "")
        return (
            branch.review_agency, plan.pk, branch.agency, added_on, involvement, answered,
            _not_after(submitted), _not_after(signed), _not_after(accepted), 0, "",
        )  # fmt: skip

    def _history_rows(self, plan: Plan) -> Iterator[tuple]:
        m = self._models
        coordinator = plan.area.coordinators[0]
        previous = ""
        for number, (stage, day) in enumerate(plan.entered.items()):
            action = ENTERED_BY.get(stage, "notify")
            yield (
                self.ids.take(m.ReviewHistory), plan.pk, action, previous, stage, coordinator,
                at(day, 10, number), day, "Recorded for the benchmark.",
            )  # fmt: skip
            previous = stage
        if plan.paused:
            yield (
                self.ids.take(m.ReviewHistory), plan.pk, "pause", plan.working_stage, "paused",
                plan.area.csp_chair, at(plan.pause_on, 11), plan.pause_on, "Awaiting the trial.",
            )  # fmt: skip

    # Deadlines.

    def _write_deadlines(self, plans: list[Plan]) -> None:
        from workflows.rules import RULES

        m = self._models
        rules = [rule for rule in RULES["2016"] if not rule.review_types]
        rows = []
        with_plans = []
        for plan in plans:
            facts = self._deadline_facts(plan)
            spans = ((plan.pause_on, None),) if plan.paused else ()
            for rule in rules:
                starts_on = facts.get(rule.starts_from)
                if starts_on is None:
                    continue
                met_on = facts.get(rule.met_by)
                due_on = _due(starts_on, rule.period, spans)
                rows.append(
                    (self.ids.take(m.Deadline), plan.pk, rule.code, rule.title, rule.period,
                     rule.statutory, rule.source, starts_on, due_on, met_on,
                     f"Due {rule.period} after {rule.start_label}.",
                     None if met_on else _next_action(starts_on, due_on))
                )  # fmt: skip
            if "action_plan" in plan.entered:
                with_plans.append(plan)
        wanted = max(self.shape.deadlines - len(rows), len(with_plans))
        recommendations = []
        for plan, count in zip(with_plans, self._spread(wanted, len(with_plans)), strict=True):
            for number in range(1, count + 1):
                recommendation, deadline = self._recommendation(plan, number)
                recommendations.append(recommendation)
                rows.append(deadline)
        self.writer.write(m.Deadline, DEADLINE_COLUMNS, rows)
        self.writer.write(m.Recommendation, RECOMMENDATION_COLUMNS, recommendations)

    def _deadline_facts(self, plan: Plan) -> dict:
        e = plan.entered
        signed_off = e.get("home_office_qa") - timedelta(5) if "home_office_qa" in e else None
        return {
            "notified_on": e["notified"],
            "decided_on": e.get("setup") or e.get("not_commissioned"),
            "setup_completed_on": e.get("terms_of_reference"),
            "terms_of_reference_agreed_on": e.get("agency_reports"),
            "agency_reports_completed_on": e.get("drafting"),
            "commissioned_on": e.get("setup"),
            "signed_off_on": signed_off,
            "submitted_to_home_office_on": e.get("home_office_qa"),
        }

    def _spread(self, total: int, parts: int) -> list[int]:
        """``total`` split over ``parts`` unevenly (as action plans are) but adding up exactly."""
        if not parts:
            return []
        base, extra = divmod(total, parts)
        counts = [base + (1 if n < extra else 0) for n in range(parts)]
        for n in range(0, parts - 1, 2):
            shift = self.rng.randint(0, counts[n + 1] // 2)
            counts[n] += shift
            counts[n + 1] -= shift
        return counts

    def _recommendation(self, plan: Plan, number: int) -> tuple[tuple, tuple]:
        m, rng = self._models, self.rng
        created_on = plan.entered["action_plan"]
        due_on = created_on + timedelta(rng.randint(60, 400))
        branch = plan.branches[number % len(plan.branches)]
        if plan.kind == "closed":
            status = "signed_off"
        else:
            status = rng.choice(["not_started", "in_progress", "completed", "signed_off"])
        done = status in ("completed", "signed_off")
        completed_on = _not_after(due_on + timedelta(rng.randint(-40, 20))) if done else None
        completed_on = max(completed_on, created_on) if completed_on else None
        signed_on = completed_on if status == "signed_off" else None
        text = (
            f"The {AGENCY_NAMES[number % len(AGENCY_NAMES)].lower()} should review how it shares "
            "risk information with partners, and report back to the partnership."
        )
        recommendation = (
            self.ids.take(m.Recommendation), plan.pk, number, text, branch.agency, branch.author,
            due_on, status, "", "", "", "", completed_on, branch.author if done else None,
            signed_on, plan.area.coordinators[0] if signed_on else None, at(created_on),
            at(created_on),
        )  # fmt: skip
        deadline = (
            self.ids.take(m.Deadline), plan.pk, f"recommendation-{number}",
            f"Recommendation {number}: {text[:80]}", "", False, RECOMMENDATION_SOURCE, created_on,
            due_on, completed_on,
            f"Set by the coordinator for this recommendation, added on {created_on:%d %B %Y}",
            None if completed_on else _next_action(created_on, due_on),
        )  # fmt: skip
        return recommendation, deadline

    # The flow: processes and tasks.

    def _write_flows(self, plans: list[Plan]) -> None:
        from viewflow.workflow.models import Process, Task

        from workflows.flows import ReviewFlow

        flow_class = Process._meta.get_field("flow_class").get_prep_value(ReviewFlow)
        node_names = {
            name: Task._meta.get_field("flow_task").get_prep_value(getattr(ReviewFlow, name))
            for name in FLOW_NODES
        }
        processes, tasks, links = [], [], []
        budget = self.shape.tasks
        # Every live and not-commissioned review has its process; closed ones, newest first,
        # while the task target allows.
        order = sorted(plans, key=lambda p: (p.kind == "closed", -p.end_on.toordinal()))
        without = 0
        for plan in order:
            trail = Trail(self, plan, node_names)
            trail.build()
            if plan.kind == "closed" and len(tasks) + len(trail.tasks) > budget:
                trail.give_back()
                without += 1
                continue
            closed = plan.stage == "closed"
            processes.append(
                (trail.process, flow_class, "DONE" if closed else "NEW",
                 at(plan.entered["notified"]), at(plan.end_on, 17) if closed else None,
                 self.review_type, plan.pk, json.dumps({"reference": plan.reference}))
            )  # fmt: skip
            tasks.extend(trail.tasks)
            links.extend(trail.links)
        self.writer.write(
            Process,
            ["id", "flow_class", "status", "created", "finished", "artifact_content_type_id",
             "artifact_object_id", "data"],
            processes,
        )  # fmt: skip
        self.writer.write(Task, TASK_COLUMNS, tasks)
        self.writer.write(
            Task.previous.through,
            ["id", "from_task_id", "to_task_id"],
            ((self.ids.take(Task.previous.through), *link) for link in links),
        )
        self.facts["closed_without_process"] = without

    # The outbox.

    def _write_emails(self, plans: list[Plan]) -> None:
        from notifications.models import Email

        weights = [
            {"live": 2.0, "not_commissioned": 0.5, "closed": 3.0}[plan.kind] for plan in plans
        ]
        total = sum(weights)
        counts = [int(self.shape.emails * weight / total) for weight in weights]
        for n in range(self.shape.emails - sum(counts)):
            counts[n % len(counts)] += 1
        self.writer.write(Email, EMAIL_COLUMNS, self._email_rows(plans, counts))

    def _email_rows(self, plans: list[Plan], counts: list[int]) -> Iterator[tuple]:
        from notifications.models import Email

        number = 0
        for plan, count in zip(plans, counts, strict=True):
            start, end = plan.entered["notified"], plan.end_on
            span = max((end - start).days, 1) * 86_400
            people = plan.area.people
            for n in range(count):
                pk = self.ids.take(Email)
                kind, label = EMAIL_KINDS[number % len(EMAIL_KINDS)]
                user, address = people[number % len(people)]
                created = at(start, 8, span * n // max(count, 1))
                number += 1
                subject = f"{label}: {plan.reference}"
                text = (
                    f"{label} on review {plan.reference}.\n\nSign in to see what is needed: "
                    f"https://dhr.{EMAIL_DOMAIN}/reviews/{plan.reference}/\n\nThis email was sent "
                    "by the Manage domestic homicide reviews service. Do not reply to it."
                )
                html = f"<p>{label} on review <strong>{plan.reference}</strong>.</p><p>Sign in to see what is needed.</p>"  # noqa: E501
                bucket = pk % 1000
                if bucket < 4:
                    status, delivery, sent, error = (
                        "failed",
                        "",
                        None,
                        "SMTP 550: mailbox unavailable",
                    )
                elif bucket < 9:
                    status, delivery, sent, error = "in_digest", "", None, ""
                else:
                    status, delivery, sent, error = (
                        "sent",
                        "delivered",
                        created + timedelta(seconds=40),
                        "",
                    )
                yield (
                    pk, plan.pk, user, address, kind, subject, text, html, status,
                    5 if status == "failed" else (1 if sent else 0), error, created, created,
                    created + timedelta(seconds=1), created + timedelta(seconds=2), sent,
                    f"<bench-{pk}@{EMAIL_DOMAIN}>" if sent else "", delivery, "",
                    sent + timedelta(minutes=2) if sent else None,
                )  # fmt: skip

    # What the ORM writes well: a few dozen rows.

    def _extras(self, areas: list[Area]) -> None:
        """The region over every live review, its regional lead and a national lead, the
        authenticators of coordinators and chairs, and viewflow's own permission to list tasks
        (which only its stock inbox, the peer measured, asks for)."""
        from django.contrib.auth.models import Permission
        from django_otp.plugins.otp_totp.models import TOTPDevice

        m = self._models
        region = m.Region.objects.create(name="Bench North and Midlands", slug="bench-region")
        region.partnerships.set([area.pk for area in areas[: self.shape.region_partnerships]])
        # A region of the small partnership alone: the regional view on a tenth of the data.
        small_region = m.Region.objects.create(name="Bench small region", slug="bench-small")
        small_region.partnerships.set([areas[1].pk])
        leads = []
        for label, access_region in (("regional-lead", region), ("national-lead", None)):
            email = f"{label}@{EMAIL_DOMAIN}"
            user = m.User.objects.create(
                email=email, full_name=person_name(len(leads) + 7), password=self.password_hash
            )
            m.RegionalAccess.objects.create(user=user, region=access_region)
            if access_region is not None:
                m.RegionalAccess.objects.create(user=user, region=small_region)
            self.sign_in.append(
                {"email": email, "role": label.replace("-", "_"), "partnership": ""}
            )
            leads.append(user)
        two_factor = [u["email"] for u in self.sign_in if u["role"] in TWO_FACTOR_ROLES]
        users = m.User.objects.filter(email__in=two_factor)
        TOTPDevice.objects.bulk_create(
            TOTPDevice(
                user=user, name="Bench authenticator", key=totp_key(user.email), confirmed=True
            )
            for user in users
        )
        view_process = Permission.objects.get(
            content_type__app_label="viewflow", codename="view_process"
        )
        signing_in = m.User.objects.filter(email__in=[u["email"] for u in self.sign_in])
        view_process.user_set.add(*signing_in)
        self.facts["region"] = {"slug": region.slug, "pk": region.pk}
        self.facts["small_region"] = {"slug": small_region.slug, "pk": small_region.pk}
        self.facts["totp_devices"] = len(two_factor)

    def _reset_sequences(self) -> None:
        from django.apps import apps

        models = [
            *apps.get_app_config("workflows").get_models(),
            *apps.get_app_config("notifications").get_models(),
        ]
        from viewflow.workflow.models import Process, Task

        models += [Process, Task, Task.previous.through]
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def _not_after(day: date | None) -> date | None:
    """A date in the data set's past, or None."""
    return None if day is None else min(day, TODAY)


REVIEW_COLUMNS = [
    "id", "partnership_id", "reference", "review_type", "guidance_version", "victim_pseudonym",
    "perpetrator_pseudonym", "victim_real_name", "perpetrator_real_name", "circumstances",
    "referred_by", "date_of_death", "notified_on", "scoping_started_on", "decided_on",
    "commissioned", "decision_reasons", "home_office_informed_on", "home_office_challenged_on",
    "directed_on", "commissioned_on", "independent_chair_id", "chair_appointed_on",
    "setup_completed_on", "terms_of_reference_agreed_on", "agency_reports_completed_on",
    "draft_completed_on", "overview_report_final", "executive_summary_final", "action_plan_final",
    "signed_off_on", "submitted_to_home_office_on", "home_office_submissions", "qa_outcome",
    "qa_outcome_on", "published_on", "closed_on", "created_at", "updated_at", "stage",
    "stage_before_pause",
]  # fmt: skip
DEADLINE_COLUMNS = [
    "id", "review_id", "rule", "title", "period", "statutory", "source", "starts_on", "due_on",
    "met_on", "explanation", "next_action_on",
]  # fmt: skip
RECOMMENDATION_COLUMNS = [
    "id", "review_id", "number", "text", "owner_agency_id", "owner_id", "due_on", "status",
    "evidence_note", "evidence_file", "evidence_name", "evidence_sha256", "completed_on",
    "completed_by_id", "signed_off_on", "signed_off_by_id", "created_at", "updated_at",
]  # fmt: skip
TASK_COLUMNS = [
    "id", "flow_task", "flow_task_type", "status", "created", "started", "finished", "token",
    "owner_id", "process_id", "data",
]  # fmt: skip
EMAIL_COLUMNS = [
    "id", "review_id", "recipient_id", "to_address", "kind", "subject", "text_body", "html_body",
    "status", "attempts", "last_error", "created_at", "send_after", "queued_at", "claimed_at",
    "sent_at", "provider_message_id", "delivery_status", "delivery_detail", "delivery_updated_at",
]  # fmt: skip
FLOW_NODES = [
    "start", "route", "record_scoping", "decide", "respond_to_home_office", "set_up",
    "agree_terms_of_reference", "split_agencies", "agency_reports", "agency_scoping",
    "if_involved", "agency_report", "agency_sign_off", "agency_acceptance", "if_accepted",
    "join_agency_reports", "draft_report", "sign_off", "record_qa_outcome", "publish",
    "monitor_action_plan", "end",
]  # fmt: skip
NODE_TYPES = {
    "start": "START",
    "route": "SWITCH",
    "split_agencies": "PARALLEL_GATEWAY",
    "if_involved": "EXCLUSIVE_GATEWAY",
    "if_accepted": "EXCLUSIVE_GATEWAY",
    "join_agency_reports": "JOIN",
    "end": "END",
}
# The human task of each stage (workflows.flows.STAGE_TASKS), by the stage it belongs to.
STAGE_NODES = {
    "notified": "record_scoping",
    "scoping": "decide",
    "not_commissioned": "respond_to_home_office",
    "home_office_challenge": "respond_to_home_office",
    "setup": "set_up",
    "terms_of_reference": "agree_terms_of_reference",
    "drafting": "draft_report",
    "local_sign_off": "sign_off",
    "home_office_qa": "record_qa_outcome",
    "publication": "publish",
    "action_plan": "monitor_action_plan",
}
BRANCH_NODES = ("agency_scoping", "agency_report", "agency_sign_off", "agency_acceptance")


class Trail:
    """The tasks viewflow's engine leaves behind for one review, given its stage."""

    def __init__(self, builder: Builder, plan: Plan, node_names: dict[str, str]):
        from viewflow.workflow.models import Process, Task

        from workflows.flows import TASK_KINDS

        self.builder, self.plan, self.names = builder, plan, node_names
        self.kinds = TASK_KINDS
        self._task_model = Task
        self.first_task = builder.ids.take(Task)
        builder.ids.give_back(Task, self.first_task)
        self.process = builder.ids.take(Process)
        self.tasks: list[tuple] = []
        self.links: list[tuple[int, int]] = []
        self._second = 0

    def give_back(self) -> None:
        from viewflow.workflow.models import Process

        self.builder.ids.give_back(self._task_model, self.first_task)
        self.builder.ids.give_back(Process, self.process)

    def add(self, node: str, day: date, *, after=(), status="DONE", owner=None, data=None,
            token="start", finished: date | None = None) -> int:  # fmt: skip
        pk = self.builder.ids.take(self._task_model)
        self._second += 1
        created = at(day, 9, self._second)
        kind = NODE_TYPES.get(node, "HUMAN")
        human = kind == "HUMAN"
        done = status == "DONE"
        if human:
            task_kind = self.kinds[node]
            data = {
                "role": task_kind.role,
                "step": task_kind.step,
                "deadline": task_kind.deadline,
                **(data or {}),
            }
        end = at(finished or day, 9, self._second + 1) if done else None
        self.tasks.append(
            (pk, self.names[node], kind, status, created,
             created if (human and done) or kind in ("START", "END", "JOIN") else None, end,
             token, owner, self.process, json.dumps(data or {}))
        )  # fmt: skip
        self.links.extend((pk, previous) for previous in after)
        return pk

    def build(self) -> None:
        plan, e = self.plan, self.plan.entered
        stages = [stage for stage in e if stage != "closed"]
        last = self.add("start", e["notified"])
        for number, stage in enumerate(stages):
            route = self.add("route", e[stage], after=[last])
            is_current = number == len(stages) - 1 and plan.stage != "closed"
            leave = e[stages[number + 1]] if number + 1 < len(stages) else e.get("closed", TODAY)
            if stage == "agency_reports":
                last = self._agency_reports(route, e[stage], leave, is_current)
                continue
            node = STAGE_NODES[stage]
            owner = self._owner(node)
            if is_current:
                claimed = node in ("agree_terms_of_reference", "draft_report") and plan.chair
                self.add(node, e[stage], after=[route], status="ASSIGNED" if claimed else "NEW",
                         owner=plan.chair if claimed else None)  # fmt: skip
                return
            last = self.add(node, e[stage], after=[route], owner=owner, finished=leave)
        route = self.add("route", e.get("closed", TODAY), after=[last])
        self.add("end", e.get("closed", TODAY), after=[route])

    def _owner(self, node: str) -> int:
        role = self.kinds[node].role
        if role in ("independent_chair", "report_author") and self.plan.chair:
            return self.plan.chair
        if role == "csp_chair":
            return self.plan.area.csp_chair
        return self.plan.area.coordinators[0]

    def _agency_reports(self, route: int, start: date, leave: date, is_current: bool) -> int:
        """The split into the chair's task and one branch per agency, and the join."""
        plan = self.plan
        split = self.add("split_agencies", start, after=[route])
        chair_task = self.add(
            "agency_reports", start, after=[split], token=f"start/{split}_1",
            status="ASSIGNED" if is_current else "DONE", owner=plan.chair, finished=leave,
        )  # fmt: skip
        arrived = [] if is_current else [chair_task]
        for number, branch in enumerate(plan.branches, start=2):
            end = self._branch(branch, split, f"start/{split}_{number}", start, leave)
            if end is not None:
                arrived.append(end)
        if not arrived:
            return chair_task
        join = self.add(
            "join_agency_reports", start + timedelta(30) if is_current else leave, after=arrived,
            status="STARTED" if is_current else "DONE", finished=leave,
        )  # fmt: skip
        return join

    def _branch(self, branch: Branch, split: int, token: str, start: date, leave: date):
        """One agency's branch up to its state; the id of the task that reached the join, if
        one did."""
        data = {"review_agency": branch.review_agency}
        state = branch.state
        plan = self.plan
        steps = {
            "scoping": 0,
            "nil": 1,
            "report": 1,
            "sign_off": 2,
            "acceptance": 3,
            "accepted": 4,
        }[state]
        owners = [branch.author, branch.author, branch.manager, plan.chair]
        last = split
        day = start
        for number in range(4):
            node = BRANCH_NODES[number]
            if number == steps:  # the branch's open task
                if state == "nil":
                    break
                claimed = branch.claimed or node == "agency_acceptance"
                self.add(node, day, after=[last], token=token, data=data,
                         status="ASSIGNED" if claimed else "NEW",
                         owner=owners[number] if claimed else None)  # fmt: skip
                return None
            last = self.add(node, day, after=[last], token=token, data=data, owner=owners[number],
                            finished=day + timedelta(10))  # fmt: skip
            day = min(day + timedelta(10), TODAY)
            if number == 0:
                last = self.add("if_involved", day, after=[last], token=token, data=data)
                if state == "nil":
                    return last
        last = self.add("if_accepted", day, after=[last], token=token, data=data)
        return last


# Marker, build or reuse.


def _marker_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} ("
            "version integer NOT NULL, scale double precision NOT NULL, "
            "built_at varchar(40) NOT NULL, facts text NOT NULL)"
        )


def dataset_marker() -> dict | None:
    """What the marker says was built (version, scale, facts), or None."""
    _marker_create()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version, scale, built_at, facts FROM {MARKER_TABLE}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    return {"version": row[0], "scale": row[1], "built_at": row[2], "facts": json.loads(row[3])}


def _marker_write(scale: float, facts: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (version, scale, built_at, facts) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [
                DATASET_VERSION,
                scale,
                datetime.now(UTC).isoformat(timespec="seconds"),
                json.dumps(facts),
            ],
        )


def dataset_build(scale: float = 1.0, *, log=print) -> dict:
    """Build the data set into the current (empty) database; returns its facts."""
    from workflows.models import Review

    if Review.objects.exists():
        raise RuntimeError("The database already holds reviews: build into an empty database.")
    began = time.monotonic()
    with transaction.atomic():
        facts = Builder(Shape.at(scale), log=log).build()
        _marker_create()
        _marker_write(scale, facts)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The whole build, statistics included: the figure the report quotes.
    facts["seconds"] = round(time.monotonic() - began, 1)
    _marker_write(scale, facts)
    return facts


def ensure_dataset(scale: float = 1.0, *, rebuild: bool = False, log=print) -> dict:
    """Reuse the data set when the marker says this version and scale were built; otherwise empty
    the (bench-only) database and build it. Returns the marker: version, scale, built_at, facts."""
    marker = dataset_marker()
    if marker and not rebuild and marker["version"] == DATASET_VERSION and marker["scale"] == scale:
        log(f"Reusing the data set built {marker['built_at']} (scale {scale}).")
        marker["reused"] = True
        return marker
    from workflows.models import Review

    if marker is not None or Review.objects.exists():
        log("Emptying the bench database for a new data set...")
        call_command("flush", interactive=False, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
    log(f"Building the data set at scale {scale}...")
    began = time.monotonic()
    dataset_build(scale, log=log)
    log(f"Built in {time.monotonic() - began:.0f} s.")
    marker = dataset_marker()
    marker["reused"] = False
    return marker


def load_users(limit: int = 50) -> list[dict]:
    """Up to ``limit`` bench users who can sign in, the roles mixed, each with what they can
    open: ``email``, ``password``, ``role``, ``partnership`` (slug, empty for regional and
    national leads), ``totp_key`` (hex, for coordinators and chairs; None otherwise),
    ``reviews`` (references of live reviews they may see) and ``task_ids`` (open tasks in
    their "My tasks")."""
    from workflows import selectors
    from workflows.models import User
    from workflows.monitoring.dashboard import NOT_LIVE
    from workflows.task_selectors import open_task_rows

    marker = dataset_marker()
    if marker is None:
        raise RuntimeError("No bench data set here: run `make bench` (or ensure_dataset) first.")
    users = []
    for entry in _mixed(marker["facts"]["sign_in"])[:limit]:
        user = User.objects.get(email=entry["email"])
        live = selectors.reviews_visible_to(user).exclude(stage__in=NOT_LIVE)
        mine, queue, _covering = open_task_rows(user)
        users.append(
            {
                **entry,
                "password": BENCH_PASSWORD,
                "totp_key": totp_key(user.email) if entry["role"] in TWO_FACTOR_ROLES else None,
                "reviews": list(live.order_by("reference").values_list("reference", flat=True)[:5]),
                "task_ids": [row.task.pk for row in [*mine, *queue][:5]],
            }
        )
    return users


def _mixed(entries: list[dict]) -> list[dict]:
    """One of each role in turn, so that any first ``limit`` holds every role."""
    by_role: dict[str, list[dict]] = {}
    for entry in entries:
        by_role.setdefault(entry["role"], []).append(entry)
    mixed = []
    while any(by_role.values()):
        for queue in by_role.values():
            if queue:
                mixed.append(queue.pop(0))
    return mixed
