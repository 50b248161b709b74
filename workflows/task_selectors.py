"""Reads for the task list: whose work is open, on which review, due when."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import In
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from project import opaque_ids
from workflows import selectors
from workflows.flows import WORK_FLOWS
from workflows.models import Cover, Deadline, Membership, Participant, Review, ReviewAgency, User
from workflows.services.tasks import OPEN

DUE_SOON_DAYS = 7
AGENCY_ROLES = {"agency_author", "senior_manager"}
# What a task list row reads of a task and of its review (``TaskRow``, ``RolesHeld.holds``, the
# templates, ``permissions.roles_in``); the review's stage is also its state machine's field.
TASK_COLUMNS = ("flow_task", "status", "owner", "process", "data")
REVIEW_COLUMNS = ("reference", "victim_pseudonym", "stage", "partnership", "independent_chair")
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
    review: Review
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


def task_status(review: Review, due_on: date | None, today: date) -> str:
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
    processes = _work_processes(_visible_reviews(user))
    held = RolesHeld(user)
    rows = _rows(processes, held)
    mine, queue = [], []
    for row in rows:
        if row.task.owner_id == user.pk:
            mine.append(row)
        elif row.task.status == STATUS.NEW and held.holds(row.task, row.review):
            queue.append(row)
    return _sorted(mine), _sorted(queue), _sorted(_covering_rows(user))


class RolesHeld:
    """The roles one person holds on a set of reviews, read with two queries, so that
    ``holds`` answers ``workflows.services.tasks.holds_role`` for every task of a task list
    without a query per task (the list stays at a fixed number of queries however many tasks
    the person's reviews hold). Keep the two in step: tests compare them task by task."""

    def __init__(self, user, review_ids: QuerySet | Iterable[int] | None = None):
        """``review_ids`` narrows the person's participations to some reviews; None reads them
        all, which for a person's own list are exactly the reviews they see by taking part
        (``selectors.reviews_visible_to``), without sending hundreds of review ids again."""
        self.user = user
        roles = defaultdict(set)
        for partnership_id, role in Membership.objects.filter(user=user).values_list(
            "partnership_id", "role"
        ):
            roles[partnership_id].add(role)
        self.partnership_roles = roles
        # No ordering: the model's default one joins people and agencies for nothing here.
        taking_part = Participant.objects.active().filter(user=user).order_by()
        if review_ids is not None:
            taking_part = taking_part.filter(review_id__in=review_ids)
        self.review_roles = defaultdict(set)
        self.agency_roles = set()
        self.participant_ids = set()
        for pk, review_id, role, agency_id in taking_part.values_list(
            "pk", "review_id", "role", "agency_id"
        ):
            self.review_roles[review_id].add(role)
            self.agency_roles.add((review_id, role, agency_id))
            self.participant_ids.add((pk, review_id))
        self.review_agencies: dict[int, tuple[int, int]] = {}

    def candidates(self) -> Q:
        """The tasks ``holds`` could say yes to, for the database to narrow the list first: the
        person's own, and unclaimed ones of a role they hold somewhere (or of no named role)."""
        roles = {"independent_chair", "report_author"}
        roles |= {role for held in self.partnership_roles.values() for role in held}
        roles |= {role for held in self.review_roles.values() for role in held}
        waiting = Q(data__role__in=sorted(roles - AGENCY_ROLES)) | ~Q(data__has_key="role")
        if roles & AGENCY_ROLES:
            # An agency's tasks only for that agency's people: someone on many reviews would
            # otherwise read every other agency's waiting tasks, for ``holds`` to refuse them.
            waiting |= Q(data__role__in=sorted(roles & AGENCY_ROLES)) & Q(
                In(KeyTextTransform("review_agency", "data"), self._agencies_taking_part())
            )
        return Q(owner=self.user) | (Q(status=STATUS.NEW) & waiting)

    def _agencies_taking_part(self) -> QuerySet:
        """The review agencies the person works for, their ids as text (as a task's data reads
        as text), as a subquery. Led by the person's participations, each finding its agency by
        the (review, agency) key: PostgreSQL would otherwise read every review agency."""
        agency = ReviewAgency.objects.filter(
            review_id=OuterRef("review_id"), agency_id=OuterRef("agency_id")
        )
        return (
            Participant.objects.active()
            .filter(user=self.user, role__in=AGENCY_ROLES)
            .order_by()  # the model's default ordering joins people and agencies for nothing
            .values(text_id=Cast(Subquery(agency.values("pk")), TextField()))
        )

    def know(self, reviews: dict[int, Review], review_agencies: dict[int, tuple[int, int]]):
        """The reviews with tasks and their agencies ((review, agency) by review agency)."""
        self.review_agencies.update(review_agencies)
        # ``permissions.roles_in`` reads this cache: the page's other checks need no query.
        cache = self.user.__dict__.setdefault("_review_roles", {})
        partnerships = {review.partnership_id for review in reviews.values()}
        for partnership_id in partnerships | set(self.partnership_roles):
            cache.setdefault(partnership_id, self.partnership_roles.get(partnership_id, set()))

    def holds(self, task: Task, review: Review) -> bool:
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


def _covering_rows(user) -> list[TaskRow]:
    """The tasks a person away has claimed, or is waiting for in their role, that ``user`` now
    does for them; tasks ``user`` has or could take in their own right are listed there."""
    rows = []
    for cover in Cover.objects.active().filter(delegate=user).select_related("person"):
        person = cover.person
        processes = _work_processes(_visible_reviews(person, partnership_id=cover.partnership_id))
        review_ids = set(processes.values())
        theirs_held, mine_held = RolesHeld(person, review_ids), RolesHeld(user, review_ids)
        for row in _rows(processes, theirs_held, also=mine_held):
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
    visible = selectors.reviews_visible_to(user)
    if partnership_id is not None:
        visible = visible.filter(partnership_id=partnership_id)
    return visible.values("pk")


def _work_processes(review_ids: QuerySet) -> dict[int, int]:
    """The review id of each work flow process (a review's own, its panel comments) of these
    reviews, by process id.

    Read apart from the tasks on purpose: with the reviews as a subquery PostgreSQL cannot tell
    how few they are and reads every open task of the service to join them to the reviews (tens
    of milliseconds at national scale); given the process ids it reads only these processes'
    open tasks, by ``dashboard_open_task_process``. The content type lets it find the processes
    by viewflow's (content type, object) index."""
    processes = Process.objects.filter(
        flow_class__in=WORK_FLOWS,
        artifact_content_type=ContentType.objects.get_for_model(Review),
        artifact_object_id__in=review_ids,
    )
    return dict(processes.order_by().values_list("pk", "artifact_object_id"))


def _rows(
    processes: dict[int, int], held: RolesHeld, also: RolesHeld | None = None
) -> list[TaskRow]:
    """The open tasks of these processes (see ``_work_processes``) that ``held``'s person could
    have in their list."""
    tasks = list(
        Task.objects.filter(
            held.candidates(),
            flow_task_type="HUMAN",
            status__in=OPEN,
            process_id__in=list(processes),
        )
        # Not the process (``processes`` says whose review it is) nor the owner (the list needs
        # only their id); only the columns a row reads: a person sees many tasks of other
        # agencies that ``holds`` then refuses, and each unused column costs on every one.
        .only(*TASK_COLUMNS)
    )
    # Not the partnership: the list needs only its id (``permissions.roles_in`` is cached).
    reviews = Review.objects.only(*REVIEW_COLUMNS).in_bulk(
        {processes[task.process_id] for task in tasks}
    )
    deadlines = _deadlines_by_review(reviews, {task.data.get("deadline") for task in tasks})
    # Only the review agencies the tasks name (their agency's name, and ``holds``), not every
    # agency of every review: a review has a dozen or more.
    named = {task.data.get("review_agency") for task in tasks} - {None}
    scope = ReviewAgency.objects.filter(pk__in=list(named))
    agencies, review_agencies = {}, {}
    for pk, review_id, agency_id, name in scope.values_list(
        "pk", "review_id", "agency_id", "agency__name"
    ):
        if review_id not in reviews:
            continue  # as before: only the agencies of the listed reviews
        agencies[pk] = name
        review_agencies[pk] = (review_id, agency_id)
    for person in (held, also):
        if person is not None:
            person.know(reviews, review_agencies)
    today = timezone.localdate()
    links = Links()
    rows = []
    for task in tasks:
        review = reviews[processes[task.process_id]]
        due_on = deadlines.get((review.pk, task.data.get("deadline")))
        agency_name = agencies.get(task.data.get("review_agency"), "")
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


def _deadlines_by_review(reviews: dict, rules: set) -> dict:
    # Only the rules the tasks run against: an action plan adds a deadline per recommendation.
    rows = Deadline.objects.filter(
        review_id__in=list(reviews), rule__in=rules - {None}
    ).values_list("review_id", "rule", "due_on")
    return {(review_id, rule): due_on for review_id, rule, due_on in rows}
