"""The managers' dashboard: every live review of the partnerships a person manages.

Coordinators and CSP chairs (``selectors.PARTNERSHIP_WIDE_ROLES``) see their partnerships' live
reviews: stage and days in it, the next deadline and its status, who holds the next action and the
forecast of completion; the overdue and due-soon tasks grouped by agency; and the counts a board
report quotes. Everything is read in bulk and joined up here, so the page costs the same number of
queries however many reviews there are (the queries and their plans: docs/monitoring-queries.md).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from viewflow.workflow.models import Task

from notifications.outbox import email_queue
from workflows import selectors, timescales
from workflows.action_plan.progress import ActionPlans, action_plans_for
from workflows.flows import STAGE_TASKS, TASK_KINDS, ReviewFlow
from workflows.models import (
    Agency,
    Deadline,
    DeadlineStatus,
    Membership,
    Participant,
    ParticipantRole,
    Partnership,
    Review,
    ReviewAgency,
    ReviewHistory,
    Role,
    User,
)
from workflows.monitoring.forecast import Forecast, forecasts_for
from workflows.presenters import STATUS_TAGS
from workflows.services.tasks import OPEN
from workflows.stages import MAIN_PATH, Stage
from workflows.templatetags.govuk import govuk_date

# Closed reviews and those the partnership decided not to hold are not live. A decision the Home
# Office has challenged is: the partnership must still answer it.
NOT_LIVE = (Stage.CLOSED, Stage.NOT_COMMISSIONED)
LIVE_STAGES = [
    *MAIN_PATH[:2],
    Stage.HOME_OFFICE_CHALLENGE,
    *[stage for stage in MAIN_PATH[2:] if stage not in NOT_LIVE],
]
STAGE_ORDER = {stage: index for index, stage in enumerate(LIVE_STAGES)}
# The statutory guidance (2016, section 5) expects a review completed six months after the
# decision to hold it; the board counts the reviews past that, pauses or not.
COMPLETION_MONTHS = 6
# A review's restricted facts (see ``Review``).
RESTRICTED_FIELDS = ("victim_real_name", "perpetrator_real_name", "circumstances")

NO_DEADLINE = "none"
STATUS_CHOICES = [
    (DeadlineStatus.OVERDUE, "Overdue"),
    (DeadlineStatus.DUE_SOON, "Due soon"),
    (DeadlineStatus.ON_TRACK, "On track"),
    (DeadlineStatus.PAUSED, "Paused"),
    (NO_DEADLINE, "No open deadline"),
]
STATUS_ORDER = {code: index for index, (code, _label) in enumerate(STATUS_CHOICES)}
NO_CHAIR = "none"
# The forecast against the statutory completion deadline; once signed off, the actual date.
FORECAST_LABELS = {
    "late": "Late",
    "on_time": "On time",
    "completed_late": "Completed late",
    "completed": "Completed on time",
    "none": "No forecast",
}
FORECAST_TAGS = {
    "late": "govuk-tag--red",
    "on_time": "govuk-tag--green",
    "completed_late": "govuk-tag--orange",
    "completed": "govuk-tag--grey",
    "none": "govuk-tag--grey",
}
FORECAST_ORDER = {code: index for index, code in enumerate(FORECAST_LABELS)}

# Who a task in a role's queue waits for, in a word or two (a claimed task names its owner).
ROLE_NAMES = {
    Role.COORDINATOR: "Coordinator",
    Role.CSP_CHAIR: "CSP chair",
    Role.INDEPENDENT_CHAIR: "Independent chair",
    ParticipantRole.REPORT_AUTHOR: "Report author",
    ParticipantRole.AGENCY_AUTHOR: "Agency report author",
    ParticipantRole.SENIOR_MANAGER: "Agency senior manager",
}
# The tasks of the partnership's own roles are grouped under the partnership; the chair's (and
# the report author's, who drafts for the chair) under "Independent chair".
PARTNERSHIP_ROLES = (Role.COORDINATOR, Role.CSP_CHAIR)
CHAIR_ROLES = (Role.INDEPENDENT_CHAIR, ParticipantRole.REPORT_AUTHOR)
AGENCY_ROLES = (ParticipantRole.AGENCY_AUTHOR, ParticipantRole.SENIOR_MANAGER)
CHAIR_GROUP = "Independent chair"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    numeric: bool = False


# The table's columns, in order; the exports have exactly these (partnership only when the person
# manages more than one).
COLUMNS = (
    Column("reference", "Reference"),
    Column("pseudonym", "Pseudonym"),
    Column("partnership", "Partnership"),
    Column("stage", "Stage"),
    Column("days_in_stage", "Days in stage", numeric=True),
    Column("next_deadline", "Next deadline"),
    Column("due_on", "Due"),
    Column("status", "Status"),
    Column("holder", "Next action with"),
    Column("completion_on", "Forecast completion"),
    Column("forecast", "Forecast"),
)
COLUMN_KEYS = {column.key for column in COLUMNS}
DEFAULT_SORT = "due_on"
# Rows per page of the review table and of the overdue and due-soon tasks: a coordinator of 300
# live reviews works down the most urgent, and a page of 300 rows with 300 "Chase" forms took a
# second to build and 800 KB to send. The exports keep every row.
PAGE_SIZE = 25
TASKS_PAGE_SIZE = 25
# Sorting by these needs every row's forecast; by any other column only the page's are worked out.
FORECAST_SORTS = ("completion_on", "forecast")


@dataclass
class ReviewRow:
    """One live review as the dashboard shows it."""

    review: "LiveReview"
    stage: str  # the stage the work is at, looking through a pause
    days_in_stage: int
    deadline: "OpenDeadline | None"
    status: str  # the next deadline's status, or NO_DEADLINE
    holder: str
    forecast: Forecast | None

    @property
    def status_label(self) -> str:
        return dict(STATUS_CHOICES)[self.status]

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS.get(self.status, "govuk-tag--grey")

    @property
    def forecast_status(self) -> str:
        if self.forecast is None or self.forecast.completion_on is None:
            return "none"
        if self.review.signed_off_on is not None:
            return "completed_late" if self.forecast.late else "completed"
        return "late" if self.forecast.late else "on_time"

    @property
    def forecast_tag(self) -> str:
        return FORECAST_TAGS[self.forecast_status]

    def value(self, key: str):
        """The cell's value for a spreadsheet: text, a whole number, a date or None."""
        return CELL_VALUES[key](self)

    def text(self, key: str) -> str:
        """The cell as the page writes it (and the CSV export)."""
        value = self.value(key)
        if key == "due_on" and value is None and self.deadline is not None:
            return "Clock stopped"
        if isinstance(value, date):
            return govuk_date(value)
        return "" if value is None else str(value)

    @property
    def stage_label(self) -> str:
        label = Stage(self.stage).label
        return f"Paused ({label})" if self.review.is_paused else label


# Each column's cell of a row, worked out only for the column asked for: a page writes 275 cells.
CELL_VALUES = {
    "reference": lambda row: row.review.reference,
    "pseudonym": lambda row: row.review.victim_pseudonym or "Not agreed yet",
    "partnership": lambda row: row.review.partnership.name,
    "stage": lambda row: row.stage_label,
    "days_in_stage": lambda row: row.days_in_stage,
    "next_deadline": lambda row: row.deadline.title if row.deadline else "",
    "due_on": lambda row: row.deadline.due_on if row.deadline else None,
    "status": lambda row: row.status_label,
    "holder": lambda row: row.holder,
    "completion_on": lambda row: row.forecast.completion_on if row.forecast else None,
    "forecast": lambda row: FORECAST_LABELS[row.forecast_status],
}


@dataclass(eq=False, slots=True)
class OpenTask:
    """An open task of a review's flow as the dashboard reads it: what it shows and works from,
    read as plain values. Loading viewflow's tasks (and their processes) took a quarter of the
    page's time for a partnership's 600 open tasks. ``Holders.of`` and ``task_title`` read it as
    they read a ``Task``."""

    pk: int
    review_id: int
    flow_task: object  # the flow's node, as ``Task.flow_task``
    owner_id: int | None
    owner: User | None  # only the fields a holder is shown by
    data: dict  # of the task's data, only the keys the dashboard reads


@dataclass(eq=False, slots=True)
class AgencyInScope:
    """An agency in a review's scope, as ``ReviewAgency`` with only what the dashboard reads: a
    busy partnership has a thousand."""

    pk: int
    review_id: int
    agency_id: int
    agency: Agency  # its id and name


@dataclass
class TaskRow:
    """An overdue or due-soon task, the people it waits for and the deadline it runs against."""

    task: OpenTask
    review: "LiveReview"
    title: str
    group: str
    holders: list[User]
    deadline: "OpenDeadline"
    status: str

    @property
    def due_on(self) -> date:
        return self.deadline.due_on

    @property
    def holder_names(self) -> str:
        return ", ".join(person.full_name or person.email for person in self.holders)

    @property
    def status_label(self) -> str:
        return DeadlineStatus(self.status).label

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS[self.status]


@dataclass
class TaskGroup:
    """An agency's (or the partnership's, or the chair's) tasks on this page of the list, with
    its counts over every page."""

    name: str
    rows: list[TaskRow]
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class Counts:
    """What a board report quotes, across every live review (whatever the filters)."""

    live: int
    overdue_deadlines: int
    paused: int
    past_six_months: int


@dataclass(frozen=True)
class Filters:
    """The dashboard's state, all of it in the query string so that a reload or a bookmark keeps
    it. A value that is not on offer (an old bookmark) is ignored."""

    stage: str = ""
    status: str = ""
    chair: str = ""
    agency: str = ""
    sort: str = DEFAULT_SORT
    order: str = "asc"
    # The page of the review table and of the task list (1 when absent, or not a number).
    page: int = 1
    tasks_page: int = 1

    @classmethod
    def from_params(cls, params, options: "Options") -> "Filters":
        def chosen(name: str, choices) -> str:
            value = params.get(name, "")
            return value if value in {code for code, _label in choices} else ""

        sort = params.get("sort", "")
        return cls(
            stage=chosen("stage", options.stages),
            status=chosen("status", options.statuses),
            chair=chosen("chair", options.chairs),
            agency=chosen("agency", options.agencies),
            sort=sort if sort in COLUMN_KEYS else DEFAULT_SORT,
            order="desc" if params.get("order") == "desc" else "asc",
            page=_page_number(params.get("page")),
            tasks_page=_page_number(params.get("tasks_page")),
        )

    @property
    def active(self) -> bool:
        return bool(self.stage or self.status or self.chair or self.agency)

    def query_string(self, **changes) -> str:
        """This state (with ``changes``) as a query string, leaving out what is by default."""
        state = {**self.__dict__, **changes}
        if state["sort"] == DEFAULT_SORT and state["order"] == "asc":
            del state["sort"], state["order"]
        for name in ("page", "tasks_page"):
            if state[name] == 1:
                del state[name]
        return urlencode({name: value for name, value in state.items() if value})

    def sort_link(self, key: str) -> str:
        """The query string that sorts by ``key``: ascending first, then the other way; back to
        the table's first page, since its rows move."""
        order = "desc" if self.sort == key and self.order == "asc" else "asc"
        return self.query_string(sort=key, order=order, page=1)


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


@dataclass(frozen=True)
class Pager:
    """One page of a list, and the links to the others for the GOV.UK pagination component.

    A page number beyond the last (an old bookmark, after reviews closed) shows the first page
    rather than an error: like a filter value no longer on offer, it is ignored."""

    number: int
    size: int
    total: int
    param: str  # "page" or "tasks_page"
    filters: Filters
    anchor: str = ""

    @classmethod
    def of(cls, wanted: int, size: int, total: int, param: str, filters: Filters, anchor=""):
        pages = max((total + size - 1) // size, 1)
        return cls(wanted if wanted <= pages else 1, size, total, param, filters, anchor)

    @property
    def pages(self) -> int:
        return max((self.total + self.size - 1) // self.size, 1)

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_shown(self) -> int:
        return min(self.start + 1, self.total)

    @property
    def last_shown(self) -> int:
        return min(self.start + self.size, self.total)

    def slice(self, items: list) -> list:
        return items[self.start : self.start + self.size]

    def link(self, number: int) -> str:
        query = self.filters.query_string(**{self.param: number})
        return f"?{query}{self.anchor}" if query else f"?{self.param}=1{self.anchor}"

    @property
    def previous_link(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next_link(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None

    @property
    def items(self) -> list[dict]:
        """The first and last pages, and those next to this one; "⋯" for a gap."""
        wanted = {1, self.pages, self.number - 1, self.number, self.number + 1}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        items, previous = [], 0
        for number in numbers:
            if number > previous + 1:
                items.append({"ellipsis": True})
            items.append(
                {"number": number, "link": self.link(number), "current": number == self.number}
            )
            previous = number
        return items


@dataclass(frozen=True)
class Options:
    """The choices each filter offers, from every live review (so none vanishes on filtering)."""

    stages: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    chairs: list[tuple[str, str]]
    agencies: list[tuple[str, str]]


@dataclass
class Dashboard:
    partnerships: dict[int, str]
    rows: list[ReviewRow]  # filtered and sorted: every one (the exports write them all)
    total: int  # live reviews before filtering
    task_groups: list[TaskGroup]  # this page of the tasks, grouped
    counts: Counts
    filters: Filters
    options: Options
    today: date
    pager: Pager
    task_pager: Pager
    # The reviews in action plan monitoring: recommendations signed off and overdue.
    action_plans: ActionPlans | None = None

    @property
    def columns(self) -> list[Column]:
        """The columns shown (and exported): the partnership only when there is a choice."""
        many = len(self.partnerships) > 1
        return [column for column in COLUMNS if many or column.key != "partnership"]

    @property
    def headings(self) -> list[dict]:
        """Each column heading with its sort link and its ``aria-sort`` value."""
        headings = []
        for column in self.columns:
            current = self.filters.sort == column.key
            order = "ascending" if self.filters.order == "asc" else "descending"
            headings.append(
                {
                    "column": column,
                    "link": self.filters.sort_link(column.key),
                    "aria_sort": order if current else "none",
                }
            )
        return headings

    def page_rows(self) -> list[tuple[ReviewRow, list[tuple[Column, str]]]]:
        """Each row with its cells as the page writes them, column by column."""
        return [(row, [(c, row.text(c.key)) for c in self.columns]) for row in self.shown]

    @property
    def shown(self) -> list[ReviewRow]:
        """This page's rows."""
        return self.pager.slice(self.rows)

    @property
    def sorted_by(self) -> str:
        heading = next(c.heading for c in COLUMNS if c.key == self.filters.sort)
        order = "ascending" if self.filters.order == "asc" else "descending"
        return f"{heading.lower()}, {order}"

    def table(self) -> list[list]:
        """The rows as the exports write them: one list of values per review."""
        return [[row.value(column.key) for column in self.columns] for row in self.rows]


def managed_partnerships(user) -> dict[int, str]:
    """The partnerships ``user`` manages as coordinator or CSP chair: id to name, by name."""
    if not getattr(user, "is_authenticated", False):
        return {}
    managed = selectors.partnerships_managed_by(user).order_by("name")
    return dict(managed.values_list("pk", "name"))


# The deadlines the dashboard reads: the open ones (the next deadline, its status, a task's
# deadline, the counts) and the completion deadline, met or not (the forecast's statutory date).
# A busy review has met a score of others; read, they were most of the page's model instances.
READ_DEADLINE = Q(met_on__isnull=True) | Q(rule="completion")
DASHBOARD_DEADLINES = Deadline.objects.filter(READ_DEADLINE).only(
    "id", "review_id", "rule", "title", "starts_on", "period", "due_on", "met_on"
)


def live_reviews(user, partnership_ids: Iterable[int]) -> QuerySet[Review]:
    """The live reviews of these partnerships that ``user`` may see, each with the date it
    entered the stage its work is at (a pause and its resumption do not count as entering)."""
    entered = (
        ReviewHistory.objects.filter(review=OuterRef("pk"), to_stage=OuterRef("work_stage"))
        .exclude(from_stage=OuterRef("work_stage"))
        .exclude(from_stage=Stage.PAUSED)
        .order_by("-at", "-pk")
        .values("effective_on")[:1]
    )
    return (
        selectors.reviews_visible_to(user)
        .filter(partnership_id__in=list(partnership_ids))
        .exclude(stage__in=NOT_LIVE)
        .annotate(
            work_stage=Case(
                When(stage=Stage.PAUSED, then=F("stage_before_pause")),
                default=F("stage"),
                output_field=CharField(),
            ),
            stage_entered_on=Subquery(entered),
        )
        .select_related("partnership", "independent_chair")
        .prefetch_related(Prefetch("deadlines", queryset=DASHBOARD_DEADLINES))
        # Nothing on the dashboard or in its exports needs them: they are never even read.
        .defer(*RESTRICTED_FIELDS)
        .order_by("reference")
    )


@dataclass(eq=False, slots=True)
class LiveReview:
    """A live review as the dashboard reads it: the columns it shows or works from (those of
    ``REVIEW_FIELDS``), with its partnership and chair, and when it entered the stage its work
    is at. Read as plain values: 300 model instances of a 41-column review, with their
    relations, were a third of the page's time. The forecasts, the holders of tasks and the
    action plans read it as they read a ``Review``."""

    pk: int
    reference: str
    victim_pseudonym: str
    partnership_id: int
    partnership: Partnership  # its id, name and slug
    stage: str
    stage_before_pause: str
    independent_chair_id: int | None
    independent_chair: User | None  # the fields a holder is shown by
    notified_on: date
    commissioned: bool
    commissioned_on: date | None
    signed_off_on: date | None
    published_on: date | None
    work_stage: str  # ``live_reviews``'s annotations
    stage_entered_on: date | None

    # The model's own definitions, so that the two cannot disagree.
    is_paused = Review.is_paused
    working_stage = Review.working_stage

    @property
    def id(self) -> int:
        return self.pk

    def __str__(self) -> str:
        return self.reference


# The columns of ``LiveReview`` read from the review, in its order.
REVIEW_FIELDS = (
    "pk",
    "reference",
    "victim_pseudonym",
    "partnership_id",
    "stage",
    "stage_before_pause",
    "independent_chair_id",
    "notified_on",
    "commissioned",
    "commissioned_on",
    "signed_off_on",
    "published_on",
    "work_stage",
    "stage_entered_on",
)
PERSON_COLUMNS = ("id", "email", "full_name", "is_active")  # in the model's order (``from_db``)


def _read_reviews(live: QuerySet[Review], partnership_ids: Iterable[int]) -> dict[int, LiveReview]:
    """The live reviews by id, in order of reference, each with its partnership and chair
    (see ``LiveReview``). The partnerships are read on their own: joined to the reviews,
    PostgreSQL scanned the partnerships once per review."""
    partnerships = {
        partnership.pk: partnership
        for partnership in Partnership.objects.filter(pk__in=list(partnership_ids)).only(
            "id", "name", "slug"
        )
    }
    rows = live.prefetch_related(None).values_list(
        *REVIEW_FIELDS, *(f"independent_chair__{name}" for name in PERSON_COLUMNS[1:])
    )
    chairs, reviews = {}, {}
    split = len(REVIEW_FIELDS)
    for row in rows:
        values = dict(zip(REVIEW_FIELDS, row[:split], strict=True))
        chair = None
        chair_id = values["independent_chair_id"]
        if chair_id is not None:
            chair = chairs.get(chair_id)
            if chair is None:
                chair = User.from_db(live.db, PERSON_COLUMNS, (chair_id, *row[split:]))
                chairs[chair_id] = chair
        review = LiveReview(
            **values, partnership=partnerships[values["partnership_id"]], independent_chair=chair
        )
        reviews[review.pk] = review
    return reviews


@dataclass(eq=False, slots=True)
class OpenDeadline:
    """A deadline as the dashboard reads it (the rows of ``DASHBOARD_DEADLINES``): plain
    values, for a third of the time of the model instances."""

    pk: int
    review_id: int
    rule: str
    title: str
    period: str
    starts_on: date
    due_on: date | None
    met_on: date | None

    # The model's own rule for the status, so that the two cannot disagree.
    status = Deadline.status


DEADLINE_FIELDS = ("pk", "review_id", "rule", "title", "period", "starts_on", "due_on", "met_on")


def _read_deadlines(review_ids: list[int]) -> dict[int, list[OpenDeadline]]:
    """Each review's deadlines of ``DASHBOARD_DEADLINES``, due first first (a stopped clock
    last), the order the prefetch of them had."""
    deadlines = defaultdict(list)
    # The same condition as ``DASHBOARD_DEADLINES``, as a CASE: written as the condition
    # itself, PostgreSQL read every open deadline of every partnership by the index of open
    # deadlines, then kept these reviews' (7 ms); this way it reads these reviews' deadlines
    # by their review and keeps the open ones and the completion deadline (2 ms).
    read = Case(When(READ_DEADLINE, then=True), default=False, output_field=BooleanField())
    rows = (
        Deadline.objects.filter(review_id__in=review_ids)
        .alias(read=read)
        .filter(read=True)
        .order_by("due_on", "pk")
        .values_list(*DEADLINE_FIELDS)
    )
    for values in rows:
        deadline = OpenDeadline(*values)
        deadlines[deadline.review_id].append(deadline)
    return deadlines


def _next_deadline(deadlines: list[OpenDeadline]) -> OpenDeadline | None:
    """The open deadline due first (a stopped clock sorts last), as ``presenters.next_deadline``."""
    open_deadlines = [d for d in deadlines if d.met_on is None]
    return min(open_deadlines, key=lambda d: (d.due_on is None, d.due_on), default=None)


def _agency_choices(review_ids: list[int]) -> dict[str, str]:
    """Every agency in the reviews' scope, once: id (as the filter writes it) to name. A busy
    partnership's reviews have a thousand agencies in scope between them, but a dozen agencies."""
    rows = (
        ReviewAgency.objects.filter(review_id__in=review_ids)
        .values_list("agency_id", "agency__name")
        .distinct()
    )
    return {str(agency_id): name for agency_id, name in rows}


def _reviews_with_agency(review_ids: list[int], agency_id: str) -> set[int]:
    """The reviews that have the agency ``agency_id`` (a choice the filter offers) in scope."""
    return set(
        ReviewAgency.objects.filter(review_id__in=review_ids, agency_id=int(agency_id)).values_list(
            "review_id", flat=True
        )
    )


def _read_agencies(review_ids: list[int], pks) -> dict[int, AgencyInScope]:
    """The agencies in the reviews' scope with these ``ReviewAgency`` ids (those the tasks
    shown name), by that id, in order of it."""
    agencies, in_scope = {}, {}
    rows = (
        ReviewAgency.objects.filter(pk__in=list(pks), review_id__in=review_ids)
        .order_by("pk")
        .values_list("pk", "review_id", "agency_id", "agency__name")
    )
    for pk, review_id, agency_id, name in rows:
        agency = agencies.get(agency_id)
        if agency is None:
            agency = agencies[agency_id] = Agency.from_db(
                rows.db, ("id", "name"), (agency_id, name)
            )
        in_scope[pk] = AgencyInScope(pk, review_id, agency_id, agency)
    return in_scope


# The keys of a task's data the dashboard reads: as text, except the review agency's id.
TASK_DATA_KEYS = ("role", "deadline", "title")


def _read_open_tasks(review_ids: list[int]) -> list[OpenTask]:
    """The open human tasks of the reviews' flows, as ``open_review_tasks`` finds them, read
    as values (see ``OpenTask``)."""
    tasks = _open_tasks_of(review_ids).annotate(
        # The node's reference as stored: each distinct one is looked up in the flow once.
        node=ExpressionWrapper(F("flow_task"), output_field=CharField()),
        review_agency=KeyTransform("review_agency", "data"),
        **{f"data_{key}": KeyTextTransform(key, "data") for key in TASK_DATA_KEYS},
    )
    rows = tasks.values_list(
        "pk",
        "process__artifact_object_id",
        "node",
        *(f"owner__{name}" for name in PERSON_COLUMNS),
        "review_agency",
        *(f"data_{key}" for key in TASK_DATA_KEYS),
    )
    flow_task_field = Task._meta.get_field("flow_task")
    nodes, owners, found = {}, {}, []
    owner_columns = slice(3, 3 + len(PERSON_COLUMNS))
    for row in rows:
        pk, review_id, node = row[:3]
        owner, (review_agency, *data) = row[owner_columns], row[owner_columns.stop :]
        if node not in nodes:
            nodes[node] = flow_task_field.from_db_value(node, None, None)
        person = None
        if owner[0] is not None:
            person = owners.get(owner[0])
            if person is None:
                person = owners[owner[0]] = User.from_db(rows.db, PERSON_COLUMNS, owner)
        values = dict(zip(TASK_DATA_KEYS, data, strict=True), review_agency=review_agency)
        found.append(
            OpenTask(
                pk=pk,
                review_id=review_id,
                flow_task=nodes[node],
                owner_id=owner[0],
                owner=person,
                data={key: value for key, value in values.items() if value is not None},
            )
        )
    return found


def _open_tasks_of(review_ids: list[int]) -> QuerySet[Task]:
    return Task.objects.filter(
        process__flow_class=ReviewFlow,
        process__artifact_content_type=ContentType.objects.get_for_model(Review),
        process__artifact_object_id__in=review_ids,
        flow_task_type="HUMAN",
        status__in=OPEN,
    ).order_by("created", "pk")


def open_review_tasks(review_ids: list[int]) -> list[Task]:
    """The open human tasks of the reviews' flows (panel comments are requests of their own).

    The content type lets PostgreSQL find the processes by viewflow's (content type, object)
    index, then each process's open tasks by ``dashboard_open_task_process``."""
    return list(_open_tasks_of(review_ids).select_related("process", "owner"))


PERSON_FIELDS = ("user_id", "user__email", "user__full_name", "user__is_active")


class Holders:
    """Who each task waits for, as ``workflows.holders.task_holders`` says, read in bulk: a
    claimed task its owner, else everyone who holds the task's role on the review."""

    def __init__(self, reviews: dict[int, Review], review_agencies: dict[int, ReviewAgency]):
        self.review_agencies = review_agencies
        self.partnership_people = defaultdict(list)
        memberships = Membership.objects.filter(
            partnership_id__in={review.partnership_id for review in reviews.values()},
            role__in=PARTNERSHIP_ROLES,
            agency__isnull=True,
            user__is_active=True,
        ).select_related("user")
        for membership in memberships.order_by("user__email"):
            self.partnership_people[(membership.partnership_id, membership.role)].append(
                membership.user
            )
        # (agency id, person) for each role on each review. Read as plain values, and each person
        # once: a busy partnership has thousands of participations but few distinct people.
        self.participants = defaultdict(list)
        taking_part = list(
            Participant.objects.active()
            .filter(
                review_id__in=list(reviews),
                role__in=[ParticipantRole.REPORT_AUTHOR, *AGENCY_ROLES],
                user__is_active=True,
            )
            .order_by("user__email")
            .values_list("review_id", "role", "agency_id", *PERSON_FIELDS)
        )
        people = {}
        for review_id, role, agency_id, *person in taking_part:
            if person[0] not in people:
                # The fields a holder is shown by; any other is read if ever asked for.
                people[person[0]] = User.from_db(
                    "default", ["id", "email", "full_name", "is_active"], person
                )
            self.participants[(review_id, role)].append((agency_id, people[person[0]]))

    def of(self, task: Task, review: Review) -> list[User]:
        if task.owner_id is not None:
            return [task.owner] if task.owner.is_active else []
        role = task.data.get("role")
        chair = review.independent_chair
        chairs = [chair] if chair is not None and chair.is_active else []
        if role in PARTNERSHIP_ROLES:
            return _unique(self.partnership_people[(review.partnership_id, role)])
        if role == Role.INDEPENDENT_CHAIR:
            return chairs
        if role == ParticipantRole.REPORT_AUTHOR:
            authors = [person for _agency, person in self.participants[(review.pk, role)]]
            return _unique(authors) or chairs
        if role in AGENCY_ROLES:
            review_agency = self.review_agencies.get(task.data.get("review_agency"))
            if review_agency is None:
                return []
            people = self.participants[(review.pk, role)]
            return _unique(person for agency, person in people if agency == review_agency.agency_id)
        return []


def _unique(users) -> list[User]:
    seen, unique = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append(user)
    return unique


def dashboard_for(
    user, partnerships: dict[int, str], params, *, today: date, paged: bool = False
) -> Dashboard:
    """Everything the dashboard shows ``user`` about the partnerships they manage (from
    ``managed_partnerships``), filtered and sorted by the query parameters ``params``.

    ``paged``: forecasts and task holders are worked out only for the page asked for (the page
    itself); otherwise for every row (the exports). The counts are the database's, over every
    live review, whatever the filters."""
    reviews = _read_reviews(live_reviews(user, partnerships), partnerships)
    deadlines = _read_deadlines(list(reviews))
    tasks = _read_open_tasks(list(reviews))
    stage_tasks = _stage_tasks(reviews, tasks)
    rows = [
        _row(review, deadlines[pk], stage_tasks.get(pk), today) for pk, review in reviews.items()
    ]
    options = _options(reviews, _agency_choices(list(reviews)))
    filters = Filters.from_params(params, options)
    with_agency = _reviews_with_agency(list(reviews), filters.agency) if filters.agency else None
    matching = [row for row in rows if _matches(row, filters, with_agency)]
    if not paged or filters.sort in FORECAST_SORTS:
        _add_forecasts(matching, deadlines, today)
    shown = _sorted(matching, filters)
    pager = Pager.of(filters.page if paged else 1, PAGE_SIZE if paged else len(shown) or 1,
                     len(shown), "page", filters)  # fmt: skip
    if paged and filters.sort not in FORECAST_SORTS:
        _add_forecasts(pager.slice(shown), deadlines, today)
    shown_ids = {row.review.pk for row in shown}
    urgent = _urgent_tasks(
        [task for task in tasks if task.review_id in shown_ids], reviews, deadlines, today
    )
    # The agencies the urgent tasks are for: their groups' names and counts, and their holders.
    review_agencies = _read_agencies(
        list(reviews),
        {task.data["review_agency"] for task, *_ in urgent if "review_agency" in task.data},
    )
    task_pager = Pager.of(
        filters.tasks_page if paged else 1,
        TASKS_PAGE_SIZE if paged else len(urgent) or 1,
        len(urgent),
        "tasks_page",
        filters,
        "#tasks",
    )
    on_page = task_pager.slice(urgent)
    holders = Holders({task_review.pk: task_review for _t, task_review, _d, _s in on_page},
                      review_agencies)  # fmt: skip
    task_rows = _task_rows(on_page, review_agencies, holders)
    return Dashboard(
        partnerships=partnerships,
        rows=shown,
        total=len(rows),
        task_groups=_grouped(task_rows, urgent, review_agencies),
        counts=_counts(reviews, deadlines, today),
        filters=filters,
        options=options,
        today=today,
        pager=pager,
        task_pager=task_pager,
        action_plans=action_plans_for(reviews, partnerships, today),
    )


def _add_forecasts(rows: list[ReviewRow], deadlines: dict[int, list[OpenDeadline]], today: date):
    completion = {
        row.review.pk: deadline
        for row in rows
        for deadline in deadlines[row.review.pk]
        if deadline.rule == "completion"
    }
    forecasts = forecasts_for([row.review for row in rows], today=today, completion=completion)
    for row in rows:
        row.forecast = forecasts.get(row.review.pk)


def _stage_tasks(reviews: dict[int, LiveReview], tasks: list[OpenTask]) -> dict[int, OpenTask]:
    """Each review's open task for its stage (not an agency's branch)."""
    found = {}
    for task in tasks:
        review = reviews[task.review_id]
        node = STAGE_TASKS.get(review.work_stage)
        if task.flow_task is not None and task.flow_task.name == node:
            found.setdefault(review.pk, task)
    return found


def _row(review: LiveReview, deadlines, stage_task: OpenTask | None, today: date) -> ReviewRow:
    deadline = _next_deadline(deadlines)
    entered_on = review.stage_entered_on or review.notified_on
    return ReviewRow(
        review=review,
        stage=review.work_stage,
        days_in_stage=max((today - entered_on).days, 0),
        deadline=deadline,
        status=deadline.status(today) if deadline else NO_DEADLINE,
        holder=_holder(stage_task),
        forecast=None,  # added for the rows shown (``_add_forecasts``)
    )


def _holder(task: OpenTask | None) -> str:
    """Who holds the next action: the task's owner once claimed, else its role."""
    if task is None:
        return "No open task"
    if task.owner is not None:
        return str(task.owner)
    return ROLE_NAMES.get(task.data.get("role"), "")


def _options(reviews: dict[int, LiveReview], agencies: dict[str, str]) -> Options:
    chairs = {
        str(review.independent_chair_id): str(review.independent_chair)
        for review in reviews.values()
        if review.independent_chair_id
    }
    return Options(
        stages=[(stage.value, stage.label) for stage in LIVE_STAGES],
        statuses=list(STATUS_CHOICES),
        chairs=[
            *sorted(chairs.items(), key=lambda item: item[1].lower()),
            (NO_CHAIR, "No chair appointed yet"),
        ],
        agencies=sorted(agencies.items(), key=lambda item: item[1].lower()),
    )


def _matches(row: ReviewRow, filters: Filters, with_agency: set[int] | None) -> bool:
    """Whether the row passes the filters (``with_agency``: the reviews with the agency chosen
    in scope, when one is)."""
    review = row.review
    chair = str(review.independent_chair_id) if review.independent_chair_id else NO_CHAIR
    return (
        (not filters.stage or row.stage == filters.stage)
        and (not filters.status or row.status == filters.status)
        and (not filters.chair or chair == filters.chair)
        and (not filters.agency or review.pk in with_agency)
    )


SORT_KEYS = {
    "reference": lambda row: row.review.reference,
    "pseudonym": lambda row: row.review.victim_pseudonym.lower() or None,
    "partnership": lambda row: row.review.partnership.name,
    "stage": lambda row: STAGE_ORDER.get(row.stage, len(STAGE_ORDER)),
    "days_in_stage": lambda row: row.days_in_stage,
    "next_deadline": lambda row: row.deadline.title if row.deadline else None,
    "due_on": lambda row: row.deadline.due_on if row.deadline else None,
    "status": lambda row: STATUS_ORDER[row.status],
    "holder": lambda row: row.holder.lower(),
    "completion_on": lambda row: row.forecast.completion_on if row.forecast else None,
    "forecast": lambda row: FORECAST_ORDER[row.forecast_status],
}


def _sorted(rows: list[ReviewRow], filters: Filters) -> list[ReviewRow]:
    """Sorted by the chosen column, then by reference; empty cells last either way."""
    key = SORT_KEYS[filters.sort]
    rows = sorted(rows, key=lambda row: row.review.reference)
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    # Python's sort is stable: sorting by the column keeps the references in order within it.
    return sorted(present, key=key, reverse=filters.order == "desc") + missing


def _urgent_tasks(tasks, reviews, deadlines, today: date) -> list[tuple]:
    """The overdue and due-soon tasks, most urgent first: the one due first leads (an overdue
    task is due before any due soon), then by review: (task, review, deadline, status)."""
    urgent = []
    for task in tasks:
        review = reviews[task.review_id]
        deadline = _deadline_of(deadlines[review.pk], task.data.get("deadline"))
        status = deadline.status(today) if deadline else None
        if status in (DeadlineStatus.OVERDUE, DeadlineStatus.DUE_SOON):
            urgent.append((task, review, deadline, status))
    return sorted(urgent, key=lambda item: (item[2].due_on, item[1].reference))


def _task_rows(urgent, review_agencies, holders: Holders) -> list[TaskRow]:
    return [
        TaskRow(
            task=task,
            review=review,
            title=task_title(task),
            group=_group(task, review, review_agencies),
            holders=holders.of(task, review),
            deadline=deadline,
            status=status,
        )
        for task, review, deadline, status in urgent
    ]


def _deadline_of(deadlines: list[OpenDeadline], rule: str | None) -> OpenDeadline | None:
    return next((d for d in deadlines if rule and d.rule == rule), None)


def task_title(task: Task | OpenTask) -> str:
    kind = TASK_KINDS.get(task.flow_task.name) if task.flow_task else None
    return task.data.get("title") or (kind.title if kind else str(task.flow_task))


def _group(task: OpenTask, review: LiveReview, review_agencies: dict[int, AgencyInScope]) -> str:
    """The agency a task's work is for; the partnership's own roles' tasks come under the
    partnership, the chair's under "Independent chair"."""
    review_agency = review_agencies.get(task.data.get("review_agency"))
    if review_agency is not None:
        return review_agency.agency.name
    if task.data.get("role") in CHAIR_ROLES:
        return CHAIR_GROUP
    return review.partnership.name


def _grouped(rows: list[TaskRow], urgent, review_agencies) -> list[TaskGroup]:
    """This page's tasks by group, the groups with the most overdue tasks (over every page)
    first, so the agency holding reviews up leads; within a group, the task due first leads."""
    overdue, due_soon = defaultdict(int), defaultdict(int)
    for task, review, _deadline, status in urgent:
        group = _group(task, review, review_agencies)
        if status == DeadlineStatus.OVERDUE:
            overdue[group] += 1
        else:
            due_soon[group] += 1
    groups = defaultdict(list)
    for row in rows:
        groups[row.group].append(row)
    ordered = [
        TaskGroup(
            name,
            sorted(group, key=lambda row: (row.due_on, row.review.reference)),
            overdue[name],
            due_soon[name],
        )
        for name, group in groups.items()
    ]
    return sorted(
        ordered, key=lambda group: (-group.overdue, -(group.overdue + group.due_soon), group.name)
    )


def _counts(
    reviews: dict[int, LiveReview], deadlines: dict[int, list[OpenDeadline]], today: date
) -> Counts:
    """The board's counts over every live review, whatever the filters: counted from the
    reviews and open deadlines already read (two aggregate queries over the same rows cost more
    than counting them here)."""
    decided_by = _six_months_before(today)
    past_six_months = [
        review
        for review in reviews.values()
        if review.commissioned_on is not None
        and review.commissioned_on <= decided_by
        and review.signed_off_on is None
    ]
    # ``Deadline.status`` is "overdue" for an unmet deadline due before today.
    overdue = [
        deadline
        for review_deadlines in deadlines.values()
        for deadline in review_deadlines
        if deadline.met_on is None and deadline.due_on is not None and deadline.due_on < today
    ]
    return Counts(
        live=len(reviews),
        overdue_deadlines=len(overdue),
        paused=sum(1 for review in reviews.values() if review.stage == Stage.PAUSED),
        past_six_months=len(past_six_months),
    )


def _six_months_before(today: date) -> date:
    """The latest decision date six months past by ``today`` (``_past_six_months``): months
    end on different days, so found from the calendar, not subtracted."""
    day = timescales.add_months(today, -COMPLETION_MONTHS) + timedelta(days=4)
    while timescales.add_months(day, COMPLETION_MONTHS) >= today:
        day -= timedelta(days=1)
    return day


def _past_six_months(review: Review, today: date) -> bool:
    """Six months have passed since the decision to hold the review and it is not completed
    (signed off locally)."""
    decided = review.commissioned_on
    if decided is None or review.signed_off_on is not None:
        return False
    return timescales.add_months(decided, COMPLETION_MONTHS) < today


def chaseable_task(user, partnerships, task_id: int) -> tuple[Task, Review] | None:
    """An open task of a live review of the ``partnerships`` that ``user`` manages, and its
    review; None otherwise."""
    task = (
        Task.objects.filter(
            pk=task_id, process__flow_class=ReviewFlow, flow_task_type="HUMAN", status__in=OPEN
        )
        .select_related("process", "owner")
        .first()
    )
    if task is None:
        return None
    review = live_reviews(user, partnerships).filter(pk=task.process.artifact_object_id).first()
    return (task, review) if review is not None else None


def task_chase(*, task: Task, review: Review, by) -> list:
    """Email the people ``task`` waits for, asking them to finish it, from ``by``. Returns the
    emails queued (none when nobody holds the task yet); they go once the transaction commits."""
    with transaction.atomic():
        return email_queue("task_chased", task=task, review=review, by=by)
