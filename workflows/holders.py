"""Who holds a piece of work: the people a task waits for, and the people a deadline waits for.

Reminders and escalations go to these people. A claimed task is held by its owner; a task still
in a role's queue is held by everyone who holds that role on the review.

The rules below read the facts they need (a partnership's coordinators, a review's participants,
its open tasks) through a *book*. The default book asks the database each time, which suits one
event about one review. ``HolderBook`` reads the same facts for many reviews in a few queries,
which is how the reminder sweep asks about a thousand deadlines at once; both answer alike, so
there is one set of rules.
"""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from viewflow.workflow.models import Process, Task

from workflows.flows import WORK_FLOWS
from workflows.models import (
    Deadline,
    Membership,
    Participant,
    ParticipantRole,
    Recommendation,
    Review,
    ReviewAgency,
    Role,
    User,
)
from workflows.models.participants import AGENCY_ROLES
from workflows.services.tasks import OPEN

RECOMMENDATION_RULE_PREFIX = "recommendation-"
PARTNERSHIP_ROLES = (Role.COORDINATOR, Role.CSP_CHAIR)
# The roles on a review whose queued tasks wait for the review's participants in that role.
PARTICIPANT_ROLES = (ParticipantRole.REPORT_AUTHOR, *AGENCY_ROLES)
# What an email to a holder needs of them, read as plain values (``HolderBook``).
PERSON_FIELDS = ("user_id", "user__email", "user__full_name", "user__is_active")
PERSON_COLUMNS = ["id", "email", "full_name", "is_active"]
# What the rules and the emails read of a task, in the model's field order, as
# ``Model.from_db`` takes them (``HolderBook``).
TASK_FIELDS = [
    f.attname
    for f in Task._meta.concrete_fields
    if f.attname in {"id", "flow_task", "status", "owner_id", "process_id", "data"}
]
OWNER_FIELDS = ("owner__email", "owner__full_name", "owner__is_active")


class DatabaseBook:
    """The facts the rules need, read from the database when asked."""

    def partnership_people(self, partnership_id: int, role: str) -> list[User]:
        users = User.objects.filter(
            is_active=True,
            memberships__partnership_id=partnership_id,
            memberships__role=role,
            memberships__agency__isnull=True,
        )
        return list(users.distinct().order_by("email"))

    def participants(self, review: Review, roles: tuple, agency_id: int | None) -> list[User]:
        active = Participant.objects.active().filter(review=review, user__is_active=True)
        if roles:
            active = active.filter(role__in=roles)
        if agency_id is not None:
            active = active.filter(agency_id=agency_id)
        return _unique(participant.user for participant in active.select_related("user"))

    def agency_of(self, review_agency_id) -> int | None:
        return (
            ReviewAgency.objects.filter(pk=review_agency_id)
            .values_list("agency_id", flat=True)
            .first()
        )

    def panel_member(self, participant_id) -> list[User]:
        found = Participant.objects.active().filter(pk=participant_id)
        return _unique(participant.user for participant in found.select_related("user"))

    def open_tasks(self, review: Review, deadline_rule: str | None) -> list[Task]:
        tasks = Task.objects.filter(
            process__flow_class__in=WORK_FLOWS,
            process__artifact_object_id=review.pk,
            flow_task_type="HUMAN",
            status__in=OPEN,
        ).select_related("owner")
        if deadline_rule is not None:
            tasks = tasks.filter(data__deadline=deadline_rule)
        return list(tasks.order_by("created", "pk"))

    def recommendation_owner(self, review_id: int, number: int) -> list[User]:
        return _unique(
            User.objects.filter(
                recommendations__review_id=review_id, recommendations__number=number
            )
        )


DATABASE = DatabaseBook()


class HolderBook(DatabaseBook):
    """The same facts for a set of reviews, read up front in six queries whatever their number.

    Anything asked about a review outside the set falls back to the database.
    """

    def __init__(self, reviews: list[Review], *, deadline_rules: set[str] | None = None):
        """``deadline_rules``: read only the tasks against these deadlines (all open tasks when
        None); the book then answers only for them, and asks the database about any other."""
        self.review_ids = {review.pk for review in reviews}
        self.deadline_rules = deadline_rules
        partnership_ids = {review.partnership_id for review in reviews}
        self.people = defaultdict(list)
        memberships = Membership.objects.filter(
            partnership_id__in=partnership_ids,
            role__in=PARTNERSHIP_ROLES,
            agency__isnull=True,
            user__is_active=True,
        ).select_related("user")
        for membership in memberships.order_by("user__email", "pk"):
            people = self.people[(membership.partnership_id, membership.role)]
            if all(person.pk != membership.user_id for person in people):
                people.append(membership.user)
        self.tasks = defaultdict(list)
        # The reviews' work flow processes first, then their open tasks by process: PostgreSQL
        # finds a known process's few open tasks by ``dashboard_open_task_process``, where
        # joining the processes in made it read every open task of the service.
        processes = dict(
            Process.objects.filter(
                flow_class__in=WORK_FLOWS,
                artifact_content_type=ContentType.objects.get_for_model(Review),
                artifact_object_id__in=self.review_ids,
            )
            .order_by()
            .values_list("pk", "artifact_object_id")
        )
        tasks = Task.objects.filter(
            process_id__in=list(processes), flow_task_type="HUMAN", status__in=OPEN
        )
        if deadline_rules is not None:
            tasks = tasks.filter(data__deadline__in=list(deadline_rules))
        # Only what the rules and the emails read of a task, as plain values: a batch has a
        # thousand or more, and a model instance for each one's process and owner cost more
        # than reading them. Each owner is made once (a batch has few people, many tasks).
        owners = {}
        for *values, email, full_name, is_active in tasks.order_by("created", "pk").values_list(
            *TASK_FIELDS, *OWNER_FIELDS
        ):
            task = Task.from_db(tasks.db, TASK_FIELDS, values)
            if task.owner_id is not None:
                if task.owner_id not in owners:
                    person = [task.owner_id, email, full_name, is_active]
                    owners[task.owner_id] = User.from_db(tasks.db, PERSON_COLUMNS, person)
                task.owner = owners[task.owner_id]
            self.tasks[int(processes[task.process_id])].append(task)
        # The participants a task in a role's queue waits for, and only on the reviews that have
        # such a task: a review has a score of participants, and most tasks are claimed.
        self.queued = {
            review_id
            for review_id, tasks in self.tasks.items()
            for task in tasks
            if task.owner_id is None and task.data.get("role") in PARTICIPANT_ROLES
        }
        # Participant's own ordering, as ``DatabaseBook.participants`` reads them; as plain
        # values, each person made once (a batch has thousands of participations, few people).
        self.taking_part = defaultdict(list)
        people = {}
        for review_id, role, agency_id, *person in (
            Participant.objects.active()
            .filter(review_id__in=self.queued, role__in=PARTICIPANT_ROLES, user__is_active=True)
            .values_list("review_id", "role", "agency_id", *PERSON_FIELDS)
        ):
            if person[0] not in people:
                people[person[0]] = User.from_db("default", PERSON_COLUMNS, person)
            self.taking_part[review_id].append((role, agency_id, people[person[0]]))
        self.agencies = dict(
            ReviewAgency.objects.filter(review_id__in=self.queued).values_list("pk", "agency_id")
        )
        self.owners = defaultdict(list)
        for recommendation in Recommendation.objects.filter(
            review_id__in=self.review_ids, owner__isnull=False
        ).select_related("owner"):
            self.owners[(recommendation.review_id, recommendation.number)].append(
                recommendation.owner
            )

    def partnership_people(self, partnership_id: int, role: str) -> list[User]:
        return list(self.people[(partnership_id, role)])

    def participants(self, review: Review, roles: tuple, agency_id: int | None) -> list[User]:
        if review.pk not in self.queued or not roles or not set(roles) <= set(PARTICIPANT_ROLES):
            return super().participants(review, roles, agency_id)
        return _unique(
            person
            for role, agency, person in self.taking_part[review.pk]
            if (not roles or role in roles) and (agency_id is None or agency == agency_id)
        )

    def agency_of(self, review_agency_id) -> int | None:
        if review_agency_id in self.agencies:
            return self.agencies[review_agency_id]
        return super().agency_of(review_agency_id)

    def open_tasks(self, review: Review, deadline_rule: str | None) -> list[Task]:
        if review.pk not in self.review_ids or not self._read_tasks_of(deadline_rule):
            return super().open_tasks(review, deadline_rule)
        tasks = self.tasks[review.pk]
        if deadline_rule is not None:
            tasks = [task for task in tasks if task.data.get("deadline") == deadline_rule]
        return list(tasks)

    def _read_tasks_of(self, deadline_rule: str | None) -> bool:
        if self.deadline_rules is None:
            return True
        return deadline_rule is not None and deadline_rule in self.deadline_rules

    def recommendation_owner(self, review_id: int, number: int) -> list[User]:
        if review_id not in self.review_ids:
            return super().recommendation_owner(review_id, number)
        return _unique(self.owners[(review_id, number)])


def partnership_people(partnership_id: int, role: str, book: DatabaseBook = DATABASE) -> list[User]:
    """The active people who hold ``role`` (coordinator, CSP chair) in a partnership."""
    return book.partnership_people(partnership_id, role)


def coordinators(review: Review, book: DatabaseBook = DATABASE) -> list[User]:
    return book.partnership_people(review.partnership_id, Role.COORDINATOR)


def csp_chairs(review: Review, book: DatabaseBook = DATABASE) -> list[User]:
    return book.partnership_people(review.partnership_id, Role.CSP_CHAIR)


def participants(
    review: Review, *roles: str, agency_id: int | None = None, book: DatabaseBook = DATABASE
) -> list[User]:
    """The active people taking part in ``review`` in any of ``roles`` (all roles when none)."""
    return book.participants(review, roles, agency_id)


def task_holders(task: Task, review: Review, book: DatabaseBook = DATABASE) -> list[User]:
    """The people ``task`` waits for: its owner once claimed, else everyone in its role."""
    if task.owner_id is not None:
        return [task.owner] if task.owner.is_active else []
    role = task.data.get("role")
    if role == "coordinator":
        return coordinators(review, book)
    if role == "csp_chair":
        return csp_chairs(review, book)
    if role == "independent_chair":
        return _unique([review.independent_chair] if review.independent_chair_id else [])
    if role == "report_author":
        authors = participants(review, "report_author", book=book)
        chair = [review.independent_chair] if review.independent_chair_id else []
        return authors or _unique(chair)
    if role in ("agency_author", "senior_manager"):
        agency_id = book.agency_of(task.data.get("review_agency"))
        return participants(review, role, agency_id=agency_id, book=book) if agency_id else []
    if role == "panel_member":
        return book.panel_member(task.data.get("participant"))
    return []


def open_tasks(
    review: Review, deadline_rule: str | None = None, book: DatabaseBook = DATABASE
) -> list[Task]:
    """The review's open human tasks (against one deadline when ``deadline_rule`` is given)."""
    return book.open_tasks(review, deadline_rule)


def deadline_tasks(deadline: Deadline, book: DatabaseBook = DATABASE) -> list[Task]:
    """The open tasks a deadline waits on; panel comments never hold a statutory date up."""
    tasks = open_tasks(deadline.review, deadline.rule, book)
    return [task for task in tasks if task.data.get("role") != "panel_member"]


def deadline_holders(
    deadline: Deadline, tasks: list[Task] | None = None, book: DatabaseBook = DATABASE
) -> list[User]:
    """The people a deadline waits for: the holders of its open tasks, or, where no task is
    open against it, the coordinators who keep the timetable. ``tasks``: the deadline's open
    tasks when the caller has already read them (``deadline_tasks``)."""
    review = deadline.review
    if deadline.rule.startswith(RECOMMENDATION_RULE_PREFIX):
        return recommendation_holders(deadline, book)
    tasks = deadline_tasks(deadline, book) if tasks is None else tasks
    people = _unique(person for task in tasks for person in task_holders(task, review, book))
    return people or coordinators(review, book)


def recommendation_holders(deadline: Deadline, book: DatabaseBook = DATABASE) -> list[User]:
    """A recommendation's deadline waits for its owner; the coordinators when it has none."""
    number = deadline.rule.removeprefix(RECOMMENDATION_RULE_PREFIX)
    owner = book.recommendation_owner(deadline.review_id, int(number)) if number.isdigit() else []
    return owner or coordinators(deadline.review, book)


def _unique(users) -> list[User]:
    seen, unique = set(), []
    for user in users:
        if user is not None and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            unique.append(user)
    return unique
