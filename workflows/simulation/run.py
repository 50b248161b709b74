"""One simulation from start to figures: the safety checks, the world, the plans, the day loop.

Files go to a temporary folder that is removed at the end, email to Django's in-memory backend,
and Celery tasks run in this process: nothing leaves the building and no worker is needed.
"""

import logging
import shutil
import tempfile
import time
from datetime import date, timedelta
from random import Random

from django.conf import settings
from django.test import override_settings

from workflows.simulation.engine import Simulation
from workflows.simulation.figures import figures_compute
from workflows.simulation.plan import plans_make
from workflows.simulation.world import real_reviews_exist, simulated_partnerships, world_create

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
FILE_STORAGE = "django.core.files.storage.FileSystemStorage"
QUIET_LOGGERS = ("workflows", "notifications", "celery", "weasyprint", "fontTools")


class SimulationRefused(Exception):
    """The database is not one to simulate into; the message says why."""


def simulation_refusals(*, force: bool) -> list[str]:
    """Why the simulation must not run against this database (empty when it may)."""
    refusals = []
    if settings.PRODUCTION:
        refusals.append("The simulation refuses to run with production settings.")
    if settings.STORAGES["default"]["BACKEND"] != FILE_STORAGE:
        refusals.append("Documents are stored in a bucket: simulate with local file storage.")
    if simulated_partnerships().exists():
        refusals.append(
            "This database already holds a simulation (partnerships whose slug starts 'sim-'): "
            "simulate into a new, empty database."
        )
    if real_reviews_exist() and not force:
        refusals.append(
            "This database holds reviews that are not simulated: simulate into a database of "
            "its own, or pass --force if you really mean to add simulated reviews to it."
        )
    return refusals


def simulation_run(
    *, reviews: int, partnerships: int, days: int, seed: int, start: date, force: bool = False
) -> dict:
    """Simulate ``reviews`` reviews over ``partnerships`` partnerships for ``days`` days from
    ``start``; return the figures (see ``workflows.simulation.figures``)."""
    refusals = simulation_refusals(force=force)
    if refusals:
        raise SimulationRefused(" ".join(refusals))
    began = time.monotonic()
    media = tempfile.mkdtemp(prefix="dhr-simulate-")
    try:
        with _quiet(), _eager_celery(), override_settings(MEDIA_ROOT=media, EMAIL_BACKEND=LOCMEM):
            figures = _simulate(reviews, partnerships, days, seed, start)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return {
        "reviews": reviews,
        "partnerships": partnerships,
        "days": days,
        "start": start.isoformat(),
        "end": (start + timedelta(days=days - 1)).isoformat(),
        "seed": seed,
        **figures,
        "seconds": round(time.monotonic() - began, 1),
    }


def _simulate(reviews, partnerships, days, seed, start) -> dict:
    areas = world_create(partnerships=partnerships, rng=Random(seed))
    plans = plans_make(
        reviews=reviews,
        partnerships=partnerships,
        agency_counts=[len(area.agencies) for area in areas],
        days=days,
        seed=seed,
    )
    simulation = Simulation(areas=areas, plans=plans, start=start, days=days, seed=seed)
    counts = simulation.run()
    figures = figures_compute(end=simulation.end)
    figures["engine"] = {
        "lifecycle_steps": counts.steps,
        "agency_tasks": counts.agency_tasks,
        "sweep_reminders": counts.sweep_reminders,
        "sweep_escalations": counts.sweep_escalations,
        "digests": counts.digests,
        "messages_delivered": counts.delivered,
    }
    return figures


class _quiet:
    """Each step logs a line; thousands of them would drown the figures."""

    def __enter__(self):
        self.levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)

    def __exit__(self, *exc):
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)


class _eager_celery:
    """Run the outbox's send tasks in this process as their transactions commit, as the test
    suite does, so the simulation never puts tasks on a real broker."""

    def __enter__(self):
        from project.celery import app

        self.app, self.was = app, app.conf.task_always_eager
        app.conf.task_always_eager = True

    def __exit__(self, *exc):
        self.app.conf.task_always_eager = self.was
