"""Who holds a piece of work: the people a task waits for, and the people a deadline waits for.

Reminders and escalations go to these people. A claimed task is held by its owner; a task still
in a role's queue is held by everyone who holds that role on the review.
"""

from viewflow.workflow.models import Task

from workflows.flows import WORK_FLOWS
from workflows.models import Deadline, Participant, Review, ReviewAgency, Role, User
from workflows.services.tasks import OPEN


def partnership_people(partnership_id: int, role: str) -> list[User]:
    """The active people who hold ``role`` (coordinator, CSP chair) in a partnership."""
    users = User.objects.filter(
        is_active=True,
        memberships__partnership_id=partnership_id,
        memberships__role=role,
        memberships__agency__isnull=True,
    )
    return list(users.distinct().order_by("email"))


def coordinators(review: Review) -> list[User]:
    return partnership_people(review.partnership_id, Role.COORDINATOR)


def csp_chairs(review: Review) -> list[User]:
    return partnership_people(review.partnership_id, Role.CSP_CHAIR)


def participants(review: Review, *roles: str, agency_id: int | None = None) -> list[User]:
    """The active people taking part in ``review`` in any of ``roles`` (all roles when none)."""
    active = Participant.objects.active().filter(review=review, user__is_active=True)
    if roles:
        active = active.filter(role__in=roles)
    if agency_id is not None:
        active = active.filter(agency_id=agency_id)
    return _unique(participant.user for participant in active.select_related("user"))


def task_holders(task: Task, review: Review) -> list[User]:
    """The people ``task`` waits for: its owner once claimed, else everyone in its role."""
    if task.owner_id is not None:
        return [task.owner] if task.owner.is_active else []
    role = task.data.get("role")
    if role == "coordinator":
        return coordinators(review)
    if role == "csp_chair":
        return csp_chairs(review)
    if role == "independent_chair":
        return _unique([review.independent_chair] if review.independent_chair_id else [])
    if role == "report_author":
        authors = participants(review, "report_author")
        chair = [review.independent_chair] if review.independent_chair_id else []
        return authors or _unique(chair)
    if role in ("agency_author", "senior_manager"):
        agency_id = (
            ReviewAgency.objects.filter(pk=task.data.get("review_agency"))
            .values_list("agency_id", flat=True)
            .first()
        )
        return participants(review, role, agency_id=agency_id) if agency_id else []
    if role == "panel_member":
        found = Participant.objects.active().filter(pk=task.data.get("participant"))
        return _unique(participant.user for participant in found.select_related("user"))
    return []


def open_tasks(review: Review, deadline_rule: str | None = None) -> list[Task]:
    """The review's open human tasks (against one deadline when ``deadline_rule`` is given)."""
    tasks = Task.objects.filter(
        process__flow_class__in=WORK_FLOWS,
        process__artifact_object_id=review.pk,
        flow_task_type="HUMAN",
        status__in=OPEN,
    ).select_related("owner")
    if deadline_rule is not None:
        tasks = tasks.filter(data__deadline=deadline_rule)
    return list(tasks.order_by("created", "pk"))


def deadline_tasks(deadline: Deadline) -> list[Task]:
    """The open tasks a deadline waits on; panel comments never hold a statutory date up."""
    tasks = open_tasks(deadline.review, deadline.rule)
    return [task for task in tasks if task.data.get("role") != "panel_member"]


def deadline_holders(deadline: Deadline, tasks: list[Task] | None = None) -> list[User]:
    """The people a deadline waits for: the holders of its open tasks, or, where no task is
    open against it, the coordinators who keep the timetable. ``tasks``: the deadline's open
    tasks when the caller has already read them (``deadline_tasks``)."""
    review = deadline.review
    if deadline.rule.startswith("recommendation-"):
        return recommendation_holders(deadline)
    tasks = deadline_tasks(deadline) if tasks is None else tasks
    people = _unique(person for task in tasks for person in task_holders(task, review))
    return people or coordinators(review)


def recommendation_holders(deadline: Deadline) -> list[User]:
    """A recommendation's deadline waits for its owner; the coordinators when it has none."""
    number = deadline.rule.removeprefix("recommendation-")
    owner = (
        User.objects.filter(
            recommendations__review_id=deadline.review_id, recommendations__number=number
        )
        if number.isdigit()
        else User.objects.none()
    )
    return _unique(owner) or coordinators(deadline.review)


def _unique(users) -> list[User]:
    seen, unique = set(), []
    for user in users:
        if user is not None and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            unique.append(user)
    return unique
