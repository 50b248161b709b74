"""Reads for the task list: whose work is open, on which review, due when."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import (
    BigIntegerField,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    Window,
)
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import Cast, RowNumber
from django.db.models.lookups import In
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from project import opaque_ids
from project.context_processors import navigation_of
from workflows import selectors
from workflows.flows import WORK_FLOWS
from workflows.models import (
    Agency,
    Cover,
    Deadline,
    Membership,
    Participant,
    RegionalAccess,
    Review,
    ReviewAgency,
    User,
)
from workflows.services.tasks import OPEN

DUE_SOON_DAYS = 7
AGENCY_ROLES = {"agency_author", "senior_manager"}
STATUS_TAGS = {
    "overdue": ("Overdue", "govuk-tag--red"),
    "due_soon": ("Due soon", "govuk-tag--yellow"),
    "on_time": ("On time", "govuk-tag--green"),
    "paused": ("Paused", "govuk-tag--grey"),
    "no_date": ("No deadline", "govuk-tag--grey"),
}


class Links:
    """A page's links, each kind reversed once: ``reverse()`` costs about as much as the rest of
    a task list's row, and a row has three or four links.

    The first link of a kind is reversed with placeholder values; the others are that address
    with their own values written in as ``reverse()`` writes them (an opaque id, a number, a
    slug). A value ``reverse()`` might write otherwise (quote it, or refuse it) goes through
    ``reverse()`` itself, so every address is the one ``reverse()`` gives."""

    SAFE_TEXT = re.compile(r"[-a-zA-Z0-9_]+")
    FIRST_NUMBER = 987_654_321_012

    def __init__(self):
        self._shapes: dict[tuple, tuple | None] = {}

    def __call__(self, name: str, *args: int | str) -> str:
        kinds = tuple(int if type(arg) is int else str for arg in args)
        if (name, kinds) not in self._shapes:
            self._shapes[name, kinds] = self._shape(name, kinds)
        shape = self._shapes[name, kinds]
        if shape is None:
            return reverse(name, args=args)
        texts, writers = shape
        parts = [texts[0]]
        for arg, write, text in zip(args, writers, texts[1:], strict=True):
            written = write(arg)
            if written is None:
                return reverse(name, args=args)
            parts += [written, text]
        return "".join(parts)

    def _shape(self, name: str, kinds: tuple) -> tuple | None:
        """The address's fixed texts around its values and how each value is written; None
        when a placeholder cannot be found exactly once."""
        placeholders = [
            self.FIRST_NUMBER + i if kind is int else f"zzplaceholder{i}zz"
            for i, kind in enumerate(kinds)
        ]
        address = reverse(name, args=placeholders)
        texts, writers, rest = [], [], address
        for placeholder in placeholders:
            write = self._writer(placeholder, address)
            if write is None or rest.count(write(placeholder)) != 1:
                return None
            before, rest = rest.split(write(placeholder))
            texts.append(before)
            writers.append(write)
        texts.append(rest)
        return texts, writers

    def _writer(self, placeholder: int | str, address: str):
        if isinstance(placeholder, str):
            return self._text if placeholder in address else None
        if opaque_ids.encode(placeholder) in address:
            return self._opaque
        return self._number if str(placeholder) in address else None

    @classmethod
    def _text(cls, value) -> str | None:
        return value if isinstance(value, str) and cls.SAFE_TEXT.fullmatch(value) else None

    @staticmethod
    def _opaque(value: int) -> str | None:
        return opaque_ids.encode(value) if 0 <= value <= opaque_ids.LARGEST_ID else None

    @staticmethod
    def _number(value: int) -> str | None:
        return str(value) if value >= 0 else None


@dataclass
class TaskRow:
    task: Task
    review: "ReviewSummary"
    due_on: date | None
    status: str
    agency_name: str = ""
    covering_for: User | None = None
    links: Links = field(default_factory=Links, repr=False, compare=False)

    @property
    def status_label(self) -> str:
        return STATUS_TAGS[self.status][0]

    @property
    def tag_class(self) -> str:
        return STATUS_TAGS[self.status][1]

    @property
    def sort_key(self):
        return (self.due_on is None, self.due_on or date.max, self.review.reference)

    # The task list's links and title, worked out here rather than in the template: a template
    # pays a variable lookup for each dot and a ``{% url %}`` tag for each branch, row by row.
    @cached_property
    def review_url(self) -> str:
        return self.links("reviews:detail", self.review.reference)

    @cached_property
    def url(self) -> str:
        """Where the task is done: a panel comment, an agency's part, a step of the review, or
        the review itself."""
        data, reference = self.task.data, self.review.reference
        if data.get("participant"):
            return self.links("tasks:panel", reference, self.task.pk)
        if data.get("review_agency"):
            return self.links("tasks:agency", reference, self.task.pk)
        if data.get("step"):
            return self.links("reviews:step", reference, data["step"])
        return self.review_url

    @cached_property
    def release_url(self) -> str:
        return self.links("tasks:release", self.task.pk)

    @cached_property
    def claim_url(self) -> str:
        return self.links("tasks:claim", self.task.pk)

    @cached_property
    def reassign_url(self) -> str:
        return self.links("tasks:reassign", self.task.pk)

    @property
    def title(self) -> str:
        return self.task.data.get("title") or self.task.title


def task_status(review: "Review | ReviewSummary", due_on: date | None, today: date) -> str:
    if review.is_paused:
        return "paused"
    if due_on is None:
        return "no_date"
    if due_on < today:
        return "overdue"
    return "due_soon" if (due_on - today).days <= DUE_SOON_DAYS else "on_time"


def open_task_rows(user) -> tuple[list[TaskRow], list[TaskRow], list[TaskRow]]:
    """The user's own open tasks, the unclaimed tasks of roles they hold, and the tasks of people
    they cover for today, each sorted by due date. Only reviews the user (or, for cover, the
    person covered) may see are considered (need to know, in one place)."""
    mine, queue, covering, *_read = task_lists(user)
    return mine, queue, covering


class TaskLists(NamedTuple):
    """``open_task_rows``'s three lists, and the roles the person holds (``RolesHeld``) that
    decided them and what was read of them (``Person``), for the page's other questions (may
    they move someone's tasks? which pages does the menu offer?)."""

    mine: list[TaskRow]
    queue: list[TaskRow]
    covering: list[TaskRow]
    held: "RolesHeld"
    person: "Person"


def task_lists(user) -> TaskLists:
    """``open_task_rows``, with the roles held: the page's queries are the same however many
    tasks there are (see ``_rows``)."""
    person = Person.read(user)
    held = RolesHeld(user, person=person)
    covers = person.covers
    # Most people, most days, cover for nobody and see only what they see in their own right.
    # Covering for someone, a person also sees what that person sees in that partnership: the
    # reviews as ``selectors.review_ids_visible_to`` builds them, covers and all.
    rows = _rows(_visible_reviews(user), held) if covers else _own_rows(held)
    mine, queue = [], []
    for row in rows:
        if row.task.owner_id == user.pk:
            mine.append(row)
        elif row.task.status == STATUS.NEW and held.holds(row.task, row.review):
            queue.append(row)
    covering = _covering_rows(user, covers)
    return TaskLists(_sorted(mine), _sorted(queue), _sorted(covering), held, person)


# Stand in for the person, for today and for the review's content type in SQL compiled once per
# process (``_compiled``): nobody's id, no day anybody works on, and no content type. The content
# type is looked up at each use: a test that empties the database makes the types again, with
# new ids.
SOMEONE = -7_331_113
SOMEDAY = date(1, 2, 3)
SOMEKIND = -7_331_114


def _compiled(queryset: QuerySet, alias: str) -> tuple[str, tuple]:
    """The SQL and parameters of a query about ``SOMEONE`` (and perhaps ``SOMEDAY``), for
    ``_run`` to ask about anybody on any day.

    The task list's queries are the same for everybody but for who they are and the day: the
    ORM took longer to compile each of them than PostgreSQL takes to answer it, so each is
    compiled once per process (as ``notifications.reminders._due_sql`` is)."""
    sql, params = queryset.query.get_compiler(using=alias).as_sql()
    if SOMEONE not in params:  # the person must stay a parameter, or the cached SQL would be wrong
        raise RuntimeError(f"A task list query has parameters {params!r}, not the person.")
    return sql, tuple(params)


def _run(compiled, model, person_id: int) -> list[tuple]:
    """The rows of ``compiled(alias)`` (a ``_compiled`` query) for this person, today."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, params = compiled(alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, _about(params, person_id, connection))
        return cursor.fetchall()


def _about(params: tuple, person_id: int, connection) -> list:
    """A ``_compiled`` query's parameters for this person, today (and reviews' content type)."""
    day = connection.ops.adapt_datefield_value(timezone.localdate())
    someday = connection.ops.adapt_datefield_value(SOMEDAY)
    stand_ins = {SOMEONE: person_id}
    if SOMEKIND in params:
        stand_ins[SOMEKIND] = (
            ContentType.objects.db_manager(connection.alias).get_for_model(Review).pk
        )
    return [stand_ins.get(p, p) if type(p) is int else day if p == someday else p for p in params]


@lru_cache(maxsize=8)
def _memberships_sql(alias: str) -> tuple[str, tuple]:
    memberships = Membership.objects.filter(user_id=SOMEONE).order_by()
    return _compiled(memberships.values_list("partnership_id", "role", "agency_id"), alias)


def _participations(user_id: int) -> QuerySet:
    # No ordering: the model's default one joins people and agencies for nothing here.
    return Participant.objects.active().filter(user_id=user_id).order_by()


@lru_cache(maxsize=8)
def _participations_sql(alias: str) -> tuple[str, tuple]:
    participations = _participations(SOMEONE)
    return _compiled(participations.values_list("pk", "review_id", "role", "agency_id"), alias)


# What each row of ``_person_sql`` is about (its first column).
MEMBERSHIP, PARTICIPATION, COVER, REGIONAL_ACCESS = range(4)


@lru_cache(maxsize=8)
def _person_sql(alias: str) -> tuple[str, tuple]:
    """``_memberships_sql``, ``_participations_sql``, whom the person covers for today and
    their regional access as one query (``Person.read``): each is a round trip otherwise.

    Each row is (what it is about, then four columns): a membership's partnership, agency,
    nothing and role; a participation's id, review, agency and role; a cover's person,
    partnership, place in the covers' order and nothing; a regional access's id."""
    number, text = BigIntegerField(), CharField()
    nothing, no_text = Value(None, output_field=number), Value(None, output_field=text)

    def about(kind: int) -> Value:
        return Value(kind, output_field=IntegerField())

    memberships = (
        Membership.objects.filter(user_id=SOMEONE)
        .order_by()
        .values_list(about(MEMBERSHIP), "partnership_id", "agency_id", nothing, "role")
    )
    participations = _participations(SOMEONE).values_list(
        about(PARTICIPATION), "pk", "review_id", "agency_id", "role"
    )
    # A UNION's parts may not be ordered (SQLite): each cover says its place instead.
    place = Window(RowNumber(), order_by=Cover._meta.ordering)
    covers = (
        Cover.objects.active(SOMEDAY)
        .filter(delegate_id=SOMEONE)
        .order_by()
        .values_list(about(COVER), "person_id", "partnership_id", place, no_text)
    )
    regional = (
        RegionalAccess.objects.filter(user_id=SOMEONE)
        .order_by()
        .values_list(about(REGIONAL_ACCESS), "pk", nothing, nothing, no_text)
    )
    return _compiled(memberships.union(participations, covers, regional, all=True), alias)


@dataclass
class Person:
    """What the task list needs to know of the person before reading their tasks, read in one
    query (``_person_sql``)."""

    memberships: list[tuple[int, str, int | None]]  # (partnership, role, agency)
    participations: list[tuple[int, int, str, int | None]]  # (id, review, role, agency)
    covers: list[tuple[int, int]]  # whom they cover for today and where, in the covers' order
    regional_access: bool

    @classmethod
    def read(cls, user) -> "Person":
        memberships, participations, covers, regional_access = [], [], [], False
        for kind, first, second, third, role in _run(_person_sql, Membership, user.pk):
            if kind == MEMBERSHIP:
                memberships.append((first, role, second))
            elif kind == PARTICIPATION:
                participations.append((first, second, role, third))
            elif kind == COVER:
                covers.append((third, first, second))
            else:
                regional_access = True
        return cls(
            memberships,
            participations,
            [(person_id, partnership_id) for _place, person_id, partnership_id in sorted(covers)],
            regional_access,
        )

    def navigation(self) -> dict:
        """``project.context_processors._navigation`` from what was read here, without its
        query: the dashboard for those who manage a partnership (coordinators and CSP chairs,
        not for an agency), the statistics for them and for regional and national leads.
        Tests compare the two person by person."""
        manages = any(
            role in selectors.PARTNERSHIP_WIDE_ROLES and agency_id is None
            for _partnership_id, role, agency_id in self.memberships
        )
        return navigation_of(manages=manages, regional=self.regional_access)


class RolesHeld:
    """The roles one person holds on a set of reviews, read with two queries (or from what
    ``Person`` read), so that ``holds`` answers ``workflows.services.tasks.holds_role`` for
    every task of a task list without a query per task (the list stays at a fixed number of
    queries however many tasks the person's reviews hold). Keep the two in step: tests compare
    them task by task."""

    def __init__(
        self,
        user,
        review_ids: QuerySet | Iterable[int] | None = None,
        *,
        person: Person | None = None,
    ):
        """``review_ids`` narrows the person's participations to some reviews; None reads them
        all, which for a person's own list are exactly the reviews they see by taking part
        (``selectors.reviews_visible_to``), without sending hundreds of review ids again.
        ``person`` is what ``Person.read`` read of them, to read nothing again."""
        self.user = user
        roles = defaultdict(set)
        if person is not None:
            memberships = person.memberships
        else:
            memberships = _run(_memberships_sql, Membership, user.pk)
        for partnership_id, role, _agency_id in memberships:
            roles[partnership_id].add(role)
        self.partnership_roles = roles
        if person is not None and review_ids is None:
            taking_part = person.participations
        elif review_ids is None:
            taking_part = _run(_participations_sql, Participant, user.pk)
        else:
            taking_part = (
                _participations(user.pk)
                .filter(review_id__in=review_ids)
                .values_list("pk", "review_id", "role", "agency_id")
            )
        self.review_roles = defaultdict(set)
        self.agency_roles = set()
        self.participant_ids = set()
        for pk, review_id, role, agency_id in taking_part:
            self.review_roles[review_id].add(role)
            self.agency_roles.add((review_id, role, agency_id))
            self.participant_ids.add((pk, review_id))
        self.review_agencies: dict[int, tuple[int, int]] = {}

    def coordinates_somewhere(self) -> bool:
        """Whether the person coordinates any partnership (``coordinated_partnerships(user)
        .exists()``, from the memberships read here)."""
        return any("coordinator" in roles for roles in self.partnership_roles.values())

    def candidate_roles(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The roles whose unclaimed tasks ``holds`` could say yes to (a role they hold
        somewhere), the agencies' roles apart: (other roles, agency roles)."""
        roles = {"independent_chair", "report_author"}
        roles |= {role for held in self.partnership_roles.values() for role in held}
        roles |= {role for held in self.review_roles.values() for role in held}
        return tuple(sorted(roles - AGENCY_ROLES)), tuple(sorted(roles & AGENCY_ROLES))

    def candidates(self) -> Q:
        """The tasks ``holds`` could say yes to, for the database to narrow the list first: the
        person's own, and unclaimed ones of a role they hold somewhere (or of no named role)."""
        return _candidates(self.user.pk, *self.candidate_roles())

    def know(
        self,
        reviews: dict[int, "Review | ReviewSummary"],
        review_agencies: dict[int, tuple[int, int]],
    ):
        """The reviews with tasks and their agencies ((review, agency) by review agency)."""
        self.review_agencies.update(review_agencies)
        # ``permissions.roles_in`` reads this cache: the page's other checks need no query.
        cache = self.user.__dict__.setdefault("_review_roles", {})
        partnerships = {review.partnership_id for review in reviews.values()}
        for partnership_id in partnerships | set(self.partnership_roles):
            cache.setdefault(partnership_id, self.partnership_roles.get(partnership_id, set()))

    def holds(self, task: Task, review: "Review | ReviewSummary") -> bool:
        role = task.data.get("role")
        user = self.user
        if role == "independent_chair":
            return review.independent_chair_id == user.pk
        if role == "report_author":
            return (
                review.independent_chair_id == user.pk
                or "report_author" in self.review_roles[review.pk]
            )
        if role == "csp_chair":
            return "csp_chair" in self.partnership_roles.get(review.partnership_id, ())
        if role in ("agency_author", "senior_manager"):
            review_id, agency_id = self.review_agencies.get(
                task.data.get("review_agency"), (None, None)
            )
            return review_id == review.pk and (review.pk, role, agency_id) in self.agency_roles
        if role == "panel_member":
            return (task.data.get("participant"), review.pk) in self.participant_ids
        return "coordinator" in self.partnership_roles.get(review.partnership_id, ())


def _candidates(user_id: int, roles: tuple[str, ...], agency_roles: tuple[str, ...]) -> Q:
    """``RolesHeld.candidates`` for a person's id and the roles they hold."""
    waiting = Q(data__role__in=list(roles)) | ~Q(data__has_key="role")
    if agency_roles:
        # An agency's tasks only for that agency's people: someone on many reviews would
        # otherwise read every other agency's waiting tasks, for ``holds`` to refuse them.
        waiting |= Q(data__role__in=list(agency_roles)) & Q(
            In(KeyTextTransform("review_agency", "data"), _agencies_taking_part(user_id))
        )
    return Q(owner_id=user_id) | (Q(status=STATUS.NEW) & waiting)


def _agencies_taking_part(user_id: int) -> QuerySet:
    """The review agencies the person works for, their ids as text (as a task's data reads as
    text), as a subquery. Led by the person's participations, each finding its agency by the
    (review, agency) key: PostgreSQL would otherwise read every review agency."""
    agency = ReviewAgency.objects.filter(
        review_id=OuterRef("review_id"), agency_id=OuterRef("agency_id")
    )
    return (
        Participant.objects.active()
        .filter(user_id=user_id, role__in=AGENCY_ROLES)
        .order_by()  # the model's default ordering joins people and agencies for nothing
        .values(text_id=Cast(Subquery(agency.values("pk")), TextField()))
    )


def _covering_rows(user, covers: list[tuple[int, int]]) -> list[TaskRow]:
    """The tasks a person away has claimed, or is waiting for in their role, that ``user`` now
    does for them (``covers``: whom ``user`` covers for today, and where); tasks ``user`` has or
    could take in their own right are listed there."""
    if not covers:
        return []  # as most people, most days
    people = User.objects.in_bulk({person_id for person_id, _partnership_id in covers})
    rows = []
    for person_id, partnership_id in covers:
        person = people[person_id]
        review_ids = _visible_reviews(person, partnership_id=partnership_id)
        theirs_held, mine_held = RolesHeld(person, review_ids), RolesHeld(user, review_ids)
        for row in _rows(review_ids, theirs_held, also=mine_held):
            task = row.task
            theirs = task.owner_id == person.pk or (
                task.status == STATUS.NEW
                and theirs_held.holds(task, row.review)
                and not mine_held.holds(task, row.review)
            )
            if theirs and task.owner_id != user.pk:
                row.covering_for = person
                rows.append(row)
    return rows


def _visible_reviews(user, partnership_id: int | None = None) -> QuerySet:
    """The ids of the reviews ``user`` may see, as a subquery: someone with a long history sees
    hundreds of closed reviews, so only the reviews with open tasks are read (``_rows``)."""
    if partnership_id is None:
        return selectors.review_ids_visible_to(user)
    return selectors.reviews_visible_to(user).filter(partnership_id=partnership_id).values("pk")


# What a row reads of its task and review (``TaskRow``, ``RolesHeld.holds``, the page,
# ``permissions.roles_in``); the task's in the model's field order, as ``Model.from_db`` takes them.
TASK_FIELDS = [
    f.attname
    for f in Task._meta.concrete_fields
    if f.attname in {"id", "flow_task", "status", "owner_id", "process_id", "data"}
]
REVIEW_FIELDS = (
    "id",
    "reference",
    "victim_pseudonym",
    "stage",
    "partnership_id",
    "independent_chair_id",
)


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """What a task list row reads of its review: made from the columns the list reads, at a
    fraction of the cost of a ``Review`` (whose state machine watches each one made)."""

    pk: int
    reference: str
    victim_pseudonym: str
    stage: str
    partnership_id: int
    independent_chair_id: int | None

    is_paused = Review.is_paused


@lru_cache(maxsize=64)
def _candidate_tasks_sql(alias: str, roles: tuple, agency_roles: tuple) -> tuple[str, tuple]:
    """The SQL of the open human tasks someone holding these roles could have in their list
    (``RolesHeld.candidates``), each with the review it is for and the deadline rule and review
    agency it names, with ``SOMEONE`` for the person's id among its parameters.

    Compiled once per process for each set of roles (a handful; see ``_compiled``). Only the
    columns a row reads: a person sees many tasks of other agencies that ``holds`` then
    refuses, and each unused column costs on every one."""
    tasks = (
        Task.objects.filter(
            _candidates(SOMEONE, roles, agency_roles), flow_task_type="HUMAN", status__in=OPEN
        )
        .order_by()
        .annotate(
            review_id=F("process__artifact_object_id"),
            deadline_rule=KT("data__deadline"),
            review_agency_id=Cast(KT("data__review_agency"), BigIntegerField()),
        )
        .values_list(*TASK_FIELDS, "created", "review_id", "deadline_rule", "review_agency_id")
    )
    return _compiled(tasks, alias)


def _work_processes(review_ids: QuerySet, alias: str) -> tuple[str, tuple]:
    """The SQL of the work flow processes (a review's own, its panel comments) of these reviews,
    with ``SOMEKIND`` for reviews' content type (``_about``). The content type lets PostgreSQL
    find them by viewflow's (content type, object) index.

    On PostgreSQL the reviews are ``= ANY(ARRAY(...))``, as the processes are in ``_rows_sql``:
    given ``IN (...)`` PostgreSQL reads every process of the service to join them to the
    reviews, rather than looking up the few hundred a person sees. SQL around the ORM's
    reviews, as the ORM writes only ``IN``."""
    connection = connections[alias]
    reviews_sql, reviews_params = review_ids.query.get_compiler(using=alias).as_sql()
    q = connection.ops.quote_name
    column = {
        name: q(Process._meta.get_field(name).column)
        for name in ("id", "flow_class", "artifact_content_type", "artifact_object_id")
    }
    if connection.vendor == "postgresql":
        among = f"= ANY(ARRAY({reviews_sql}))"
    else:
        among = f"IN ({reviews_sql})"
    flow_classes = ", ".join(["%s"] * len(WORK_FLOWS))
    sql = (
        f"SELECT {column['id']} FROM {q(Process._meta.db_table)} "
        f"WHERE {column['flow_class']} IN ({flow_classes}) "
        f"AND {column['artifact_content_type']} = %s "
        f"AND {column['artifact_object_id']} {among}"
    )
    flow_field = Process._meta.get_field("flow_class")
    flows = [flow_field.get_db_prep_value(flow, connection) for flow in WORK_FLOWS]
    return sql, (*flows, SOMEKIND, *reviews_params)


def _rows_sql(tasks_sql: str, processes_sql: str, connection) -> str:
    """The tasks (``_candidate_tasks_sql``) of the processes (``_work_processes``), newest first,
    with their reviews, the due date of the deadline each names and the agency it is for: one
    query rather than five. SQL around the ORM's: the ORM cannot join a review to a process (a
    generic relation), and joins compiled as subqueries cost more than reading them.

    On PostgreSQL the processes are ``= ANY(ARRAY(...))``: worked out once, before any task is
    read, their few open tasks are then found by ``dashboard_open_task_process``. Given
    ``IN (...)`` PostgreSQL cannot tell how few processes there are, and reads every open task
    of the service to join them (tens of milliseconds at national scale)."""
    q = connection.ops.quote_name
    review, deadline, review_agency, agency = (
        q(model._meta.db_table) for model in (Review, Deadline, ReviewAgency, Agency)
    )
    task_columns = ", ".join(f"t.{q(name)}" for name in TASK_FIELDS)
    review_columns = ", ".join(
        f"r.{q(Review._meta.get_field(name).column)}" for name in REVIEW_FIELDS
    )
    if connection.vendor == "postgresql":
        among = f"= ANY(ARRAY({processes_sql}))"
    else:
        among = f"IN ({processes_sql})"
    return (
        f"SELECT {task_columns}, {review_columns}, d.{q('due_on')}, ra.{q('review_id')}, "
        f"ra.{q('agency_id')}, a.{q('name')} "
        f"FROM ({tasks_sql}) t "
        f"INNER JOIN {review} r ON r.{q('id')} = t.{q('review_id')} "
        f"LEFT OUTER JOIN {deadline} d "
        f"ON d.{q('review_id')} = t.{q('review_id')} AND d.{q('rule')} = t.{q('deadline_rule')} "
        f"LEFT OUTER JOIN {review_agency} ra ON ra.{q('id')} = t.{q('review_agency_id')} "
        f"LEFT OUTER JOIN {agency} a ON a.{q('id')} = ra.{q('agency_id')} "
        f"WHERE t.{q('process_id')} {among} "
        f"ORDER BY t.{q('created')} DESC"
    )


def _rows(
    review_ids: QuerySet, held: "RolesHeld", also: "RolesHeld | None" = None
) -> list[TaskRow]:
    """The open tasks of these reviews' work flow processes that ``held``'s person could have in
    their list, newest first, each with its review, due date and agency (``_rows_sql``)."""
    alias = router.db_for_read(Task)
    connection = connections[alias]
    tasks_sql, tasks_params = _candidate_tasks_sql(alias, *held.candidate_roles())
    try:
        processes_sql, processes_params = _work_processes(review_ids, alias)
    except EmptyResultSet:  # no reviews at all (``Review.objects.none()``)
        return []
    sql = _rows_sql(tasks_sql, processes_sql, connection)
    params = _about((*tasks_params, *processes_params), held.user.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return _made_rows(found, connection, held, also)


def _own_rows(held: "RolesHeld") -> list[TaskRow]:
    """``_rows`` of the reviews ``held``'s person sees in their own right, by SQL compiled once
    per process for each set of roles (``_own_rows_sql``)."""
    alias = router.db_for_read(Task)
    connection = connections[alias]
    sql, params = _own_rows_sql(alias, *held.candidate_roles())
    with connection.cursor() as cursor:
        cursor.execute(sql, _about(params, held.user.pk, connection))
        found = cursor.fetchall()
    return _made_rows(found, connection, held)


@lru_cache(maxsize=64)
def _own_rows_sql(alias: str, roles: tuple, agency_roles: tuple) -> tuple[str, tuple]:
    """``_rows``'s SQL for the reviews ``SOMEONE`` sees in their own right
    (``selectors.review_ids_seen_in_own_right``), compiled once (see ``_compiled``): building
    the reviews' subqueries in the ORM for each page took longer than PostgreSQL took to answer
    the whole query."""
    tasks_sql, tasks_params = _candidate_tasks_sql(alias, roles, agency_roles)
    someone = User(pk=SOMEONE)
    processes_sql, processes_params = _work_processes(
        selectors.review_ids_seen_in_own_right(someone), alias
    )
    sql = _rows_sql(tasks_sql, processes_sql, connections[alias])
    return sql, (*tasks_params, *processes_params)


def _made_rows(
    found: list[tuple], connection, held: "RolesHeld", also: "RolesHeld | None" = None
) -> list[TaskRow]:
    """The rows of ``_rows_sql``'s answer, each with its review, due date and agency; ``held``
    (and ``also``) told the reviews and their agencies."""
    alias = connection.alias
    flow_task, data = Task._meta.get_field("flow_task"), Task._meta.get_field("data")
    n_task, n_review = len(TASK_FIELDS), len(REVIEW_FIELDS)
    reviews: dict[int, ReviewSummary] = {}
    review_agencies: dict[int, tuple[int, int]] = {}
    agencies: dict[int, str] = {}
    loaded = []
    for values in found:
        task_values = list(values[:n_task])
        # The conversions the ORM would make: the task's node, and its data from JSON.
        task_values[1] = flow_task.from_db_value(task_values[1], None, connection)
        task_values[-1] = data.from_db_value(task_values[-1], None, connection)
        task = Task.from_db(alias, TASK_FIELDS, task_values)
        review_id = values[n_task]
        review = reviews.get(review_id)
        if review is None:
            review = reviews[review_id] = ReviewSummary(*values[n_task : n_task + n_review])
        due_on, agency_review_id, agency_id, agency_name = values[n_task + n_review :]
        if isinstance(due_on, str):  # SQLite answers dates as text
            due_on = date.fromisoformat(due_on)
        if agency_review_id is not None:
            named = task.data["review_agency"]
            review_agencies[named] = (agency_review_id, agency_id)
            agencies[named] = agency_name
        loaded.append((task, review, due_on))
    # As before: only the agencies of the listed reviews (a task names its own review's).
    review_agencies = {pk: pair for pk, pair in review_agencies.items() if pair[0] in reviews}
    for person in (held, also):
        if person is not None:
            person.know(reviews, review_agencies)
    today = timezone.localdate()
    links = Links()
    rows = []
    for task, review, due_on in loaded:
        named = task.data.get("review_agency")
        agency_name = agencies[named] if named in review_agencies else ""
        status = task_status(review, due_on, today)
        rows.append(TaskRow(task, review, due_on, status, agency_name, links=links))
    return rows


def _sorted(rows: list[TaskRow]) -> list[TaskRow]:
    return sorted(rows, key=lambda row: row.sort_key)


def review_for_doer(user, reference: str) -> Review:
    """The review ``user`` may see or, failing that, one they may work on today because they
    cover for someone who may see it; 404 otherwise."""
    try:
        return selectors.review_for(user, reference)
    except Http404:
        for cover in Cover.objects.active().filter(delegate=user).select_related("person"):
            review = (
                selectors.reviews_visible_to(cover.person)
                .filter(reference=reference, partnership_id=cover.partnership_id)
                .select_related("partnership", "independent_chair")
                .first()
            )
            if review is not None:
                return review
        raise
