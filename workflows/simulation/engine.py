"""The day loop: move the clock a day at a time and do that day's work through the real services.

Each review follows a script (a generator) written from its plan: it does one step and yields
the day it wants to be woken next. Agency branches and pauses run as scripts of their own beside
their review's. Every morning the clock is set to the day (time-machine), the scripts due that
day run, then the real reminder sweep, the daily digest and a delivery pass over the outbox.
"""

import contextlib
import heapq
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail

from notifications.digest import digests_send
from notifications.models import Email, EmailStatus
from notifications.reminders import reminders_sweep
from notifications.sending import SendFailed, email_send
from workflows.models import DocumentKind, ParticipantRole, Review
from workflows.publication.samples import publication_ready
from workflows.qa.selectors import PACK_KINDS
from workflows.services.agency_reports import agency_task_complete
from workflows.services.errors import TransitionRefused
from workflows.services.lifecycle import review_transition
from workflows.services.participants import participant_invite
from workflows.services.reviews import review_start
from workflows.services.tasks import OPEN, process_for
from workflows.simulation.documents import simulated_upload
from workflows.simulation.plan import ReviewPlan
from workflows.simulation.world import Area
from workflows.stages import PAUSABLE, Stage

PSEUDONYMS = ["Rose", "Daisy", "Iris", "Fern", "Holly", "Violet", "Poppy", "Willow", "Ivy", "Hazel"]
AREAS = ["Explain how the agencies shared risk assessments.", "Add the housing team's contacts."]
REASON = "Recorded by the simulation."


class SimulationError(Exception):
    """A step the plan expected to work was refused: the engine or the service is wrong."""


@dataclass
class Context:
    """What a review's scripts share: the latest review row and whether it is paused."""

    plan: ReviewPlan
    area: Area
    review: Review | None = None
    paused: bool = False
    resume_on: date | None = None
    branches_left: int = 0
    review_agencies: dict = field(default_factory=dict)  # agency id -> ReviewAgency pk


@dataclass
class Counts:
    steps: int = 0
    agency_tasks: int = 0
    sweep_reminders: int = 0
    sweep_escalations: int = 0
    digests: int = 0
    delivered: int = 0


class Simulation:
    """Drive ``plans`` over ``days`` days from ``start`` in the simulated ``areas``."""

    def __init__(self, *, areas: list[Area], plans: list[ReviewPlan], start: date, days: int, seed):
        self.areas, self.plans, self.start, self.days = areas, plans, start, days
        self.rng = Random(seed)
        self.today = start
        self.counts = Counts()
        self._queue: list = []
        self._order = itertools.count()
        self._zone = ZoneInfo(settings.TIME_ZONE)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def run(self) -> Counts:
        import time_machine  # a test extra: the command checks it is installed

        for plan in self.plans:
            self._schedule(self.start + timedelta(days=plan.notified_day), self._review(plan))
        for offset in range(self.days):
            self.today = self.start + timedelta(days=offset)
            moment = datetime.combine(self.today, time(9), tzinfo=self._zone)
            with time_machine.travel(moment, tick=False):
                self._run_due_scripts()
                self._chase_and_deliver()
        return self.counts

    # The scheduler.

    def _schedule(self, day: date, script) -> None:
        heapq.heappush(self._queue, (day, next(self._order), script))

    def _spawn(self, script) -> None:
        """Start a script now: it runs up to its first wait."""
        self._step(script)

    def _step(self, script) -> None:
        try:
            wake = next(script)
        except StopIteration:
            return
        self._schedule(max(wake, self.today), script)

    def _run_due_scripts(self) -> None:
        while self._queue and self._queue[0][0] <= self.today:
            _, _, script = heapq.heappop(self._queue)
            self._step(script)

    def _chase_and_deliver(self) -> None:
        result = reminders_sweep(today=self.today)
        self.counts.sweep_reminders += result.reminders
        self.counts.sweep_escalations += result.escalations
        self.counts.digests += len(digests_send())
        self.deliver()

    def deliver(self) -> None:
        """Send every outbox row that is waiting, as the worker would (the same function)."""
        now_waiting = Email.objects.filter(status=EmailStatus.READY).order_by("pk")
        for pk in now_waiting.values_list("pk", flat=True):
            # A failure puts the row back to "ready" with a back-off, or to "failed".
            with contextlib.suppress(SendFailed):
                email_send(pk)
        # The locmem backend keeps every message in memory: count them and let them go.
        self.counts.delivered += len(getattr(mail, "outbox", []))
        mail.outbox = []

    # Waiting.

    def _after(self, ctx: Context, days: int):
        """Wait ``days`` days, and then for as long as the review is paused."""
        yield self.today + timedelta(days=days)
        while ctx.paused:
            yield ctx.resume_on + timedelta(days=self.rng.randint(1, 7))

    # A review's script.

    def _review(self, plan: ReviewPlan):
        ctx = Context(plan=plan, area=self.areas[plan.partnership_index])
        self._notify(ctx)
        if plan.scoping:
            yield from self._after(ctx, self.rng.randint(1, 5))
            self._take(ctx, "start_scoping", ctx.area.coordinator)
        yield self.start + timedelta(days=plan.notified_day + plan.decision_days)
        if not plan.commissioned:
            yield from self._not_commissioned(ctx)
            return
        self._take(ctx, "decide_to_commission", ctx.area.csp_chair, reason=REASON)
        self._invite_agency_people(ctx)
        yield from self._setup(ctx)
        yield from self._agency_reports(ctx)
        yield from self._drafting_to_approval(ctx)
        yield from self._after(ctx, plan.publish_days)
        publication_ready(review=ctx.review, by=ctx.area.coordinator, complete_areas=True)
        self._take(ctx, "publish", ctx.area.coordinator)
        yield from self._after(ctx, plan.close_days)
        self._take(ctx, "close", ctx.area.csp_chair, reason="Every action is complete.")

    def _notify(self, ctx: Context) -> None:
        plan, area = ctx.plan, ctx.area
        ctx.review = review_start(
            partnership=area.partnership,
            by=area.coordinator,
            date_of_death=self.today - timedelta(days=plan.death_days_before),
            notified_on=self.today,
            referred_by="Simulated Police",
            # Invented, and made of no word the simulated documents use.
            victim_real_name=f"Zyva Simvict{plan.number:04d}",
            perpetrator_real_name=f"Quon Simperp{plan.number:04d}",
            agencies=[area.agencies[agency.index].agency for agency in plan.agencies],
        )
        ctx.review_agencies = dict(ctx.review.review_agencies.values_list("agency_id", "pk"))

    def _not_commissioned(self, ctx: Context):
        plan, area = ctx.plan, ctx.area
        self._take(ctx, "decide_not_to_commission", area.csp_chair, reason=REASON)
        if plan.challenged:
            yield from self._after(ctx, plan.challenge_days)
            self._take(ctx, "record_home_office_challenge", area.coordinator, reason=REASON)
            yield from self._after(ctx, self.rng.randint(7, 30))
            self._take(ctx, "record_challenge_withdrawn", area.coordinator, reason=REASON)
        yield from self._after(ctx, plan.close_days)
        self._take(ctx, "close", area.csp_chair, reason="The decision not to review stands.")

    def _setup(self, ctx: Context):
        plan, area = ctx.plan, ctx.area
        self._maybe_pause(ctx, Stage.SETUP)
        yield from self._after(ctx, plan.chair_days)
        self._take(
            ctx,
            "appoint_independent_chair",
            area.coordinator,
            chair=self.rng.choice(area.chairs),
            victim_pseudonym=PSEUDONYMS[plan.number % len(PSEUDONYMS)],
            perpetrator_pseudonym="Mr P",
        )
        yield from self._after(ctx, plan.setup_days)
        self._take(ctx, "complete_setup", area.coordinator)
        self._maybe_pause(ctx, Stage.TERMS_OF_REFERENCE)
        yield from self._after(ctx, plan.terms_days)
        self._take(ctx, "agree_terms_of_reference", ctx.review.independent_chair)

    def _agency_reports(self, ctx: Context):
        self._maybe_pause(ctx, Stage.AGENCY_REPORTS)
        ctx.branches_left = len(ctx.plan.agencies)
        for agency_plan in ctx.plan.agencies:
            self._spawn(self._agency_branch(ctx, agency_plan))
        while ctx.branches_left:
            yield self.today + timedelta(days=1)
        yield from self._after(ctx, ctx.plan.agency_wrap_up_days)
        self._take(ctx, "complete_agency_reports", ctx.review.independent_chair)

    def _drafting_to_approval(self, ctx: Context):
        plan, coordinator = ctx.plan, ctx.area.coordinator
        self._maybe_pause(ctx, Stage.DRAFTING)
        yield from self._after(ctx, plan.draft_days)
        for round_number, (outcome, waited) in enumerate(
            zip(plan.qa_outcomes, plan.qa_days, strict=True)
        ):
            if round_number:  # a resubmission: redraft on top of the first versions
                yield from self._after(ctx, plan.redraft_days)
            for kind in PACK_KINDS:
                simulated_upload(review=ctx.review, kind=kind, by=coordinator)
            self._take(ctx, "complete_draft", ctx.review.independent_chair)
            yield from self._after(ctx, plan.sign_off_days)
            self._take(ctx, "sign_off", ctx.area.csp_chair)
            yield from self._after(ctx, plan.submit_days if not round_number else 3)
            self._take(ctx, "submit_to_home_office", coordinator)
            yield from self._after(ctx, waited)
            simulated_upload(review=ctx.review, kind=DocumentKind.QA_LETTER, by=coordinator)
            effects = {"areas": AREAS} if outcome == "approved_subject_to_changes" else {}
            self._take(ctx, f"record_qa_{outcome}", coordinator, effects=effects, reason=REASON)

    # Pauses for criminal proceedings.

    def _maybe_pause(self, ctx: Context, stage: str) -> None:
        pause = ctx.plan.pause
        if pause is not None and pause.stage == stage:
            self._spawn(self._pause(ctx))

    def _pause(self, ctx: Context):
        pause = ctx.plan.pause
        yield self.today + timedelta(days=pause.after_days)
        if ctx.review.stage not in PAUSABLE:
            return
        self._take(
            ctx,
            "pause",
            ctx.area.csp_chair,
            pause_reason="criminal_proceedings",
            reason="Awaiting the criminal trial.",
        )
        ctx.paused, ctx.resume_on = True, self.today + timedelta(days=pause.length_days)
        yield ctx.resume_on
        self._take(ctx, "resume", ctx.area.csp_chair, reason="The trial has ended.")
        ctx.paused = False

    # An agency's branch: scoping answer, report, sign-off, the chair's acceptance.

    def _agency_branch(self, ctx: Context, agency_plan):
        people = ctx.area.agencies[agency_plan.index]
        yield from self._after(ctx, agency_plan.scoping_days)
        answer = "involved" if agency_plan.involved else "not_involved"
        self._agency_task(ctx, "agency_scoping", people.agency, people.author, answer=answer)
        rounds = 2 if agency_plan.involved and agency_plan.sent_back else 1
        for round_number in range(rounds if agency_plan.involved else 0):
            report_days = agency_plan.report_days if not round_number else self.rng.randint(7, 21)
            yield from self._after(ctx, report_days)
            for kind in (DocumentKind.CHRONOLOGY, DocumentKind.AGENCY_REPORT):
                simulated_upload(
                    review=ctx.review, kind=kind, by=people.author, agency=people.agency
                )
            self._agency_task(ctx, "agency_report", people.agency, people.author)
            yield from self._after(ctx, agency_plan.sign_off_days)
            self._agency_task(ctx, "agency_sign_off", people.agency, people.manager)
            yield from self._after(ctx, agency_plan.acceptance_days)
            send_back = round_number + 1 < rounds
            self._agency_task(
                ctx,
                "agency_acceptance",
                people.agency,
                ctx.review.independent_chair,
                answer="send_back" if send_back else "accept",
                comments="Add the dates of each contact." if send_back else "",
            )
        ctx.branches_left -= 1

    # Doing things through the services.

    def _take(self, ctx: Context, action: str, by, effects=None, **details) -> None:
        try:
            ctx.review = review_transition(
                review=ctx.review, action=action, by=by, on=self.today, effects=effects, **details
            )
        except TransitionRefused as refused:
            raise SimulationError(f"{ctx.review.reference} {action}: {refused}") from refused
        self.counts.steps += 1

    def _agency_task(self, ctx: Context, node: str, agency, by, **answers) -> None:
        task = self._open_agency_task(ctx, node, agency)
        try:
            agency_task_complete(task=task, review=ctx.review, by=by, on=self.today, **answers)
        except TransitionRefused as refused:
            raise SimulationError(f"{ctx.review.reference} {node}: {refused}") from refused
        self.counts.agency_tasks += 1

    def _open_agency_task(self, ctx: Context, node: str, agency):
        review_agency = ctx.review_agencies[agency.pk]
        for task in process_for(ctx.review).task_set.filter(status__in=OPEN).order_by("pk"):
            if task.flow_task.name == node and task.data.get("review_agency") == review_agency:
                return task
        raise SimulationError(f"{ctx.review.reference}: no open {node} task for {agency}")

    def _invite_agency_people(self, ctx: Context) -> None:
        """The coordinator adds each agency's author and senior manager to the review."""
        for agency_plan in ctx.plan.agencies:
            people = ctx.area.agencies[agency_plan.index]
            for user, role in (
                (people.author, ParticipantRole.AGENCY_AUTHOR),
                (people.manager, ParticipantRole.SENIOR_MANAGER),
            ):
                participant_invite(
                    review=ctx.review,
                    email=user.email,
                    full_name=user.full_name,
                    role=role,
                    agency=people.agency,
                    by=ctx.area.coordinator,
                )
