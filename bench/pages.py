"""Server time and query count of the pages managers and participants open most, on the bench
data, each against a baseline measured in the same run.

Requests go through Django's test client in this process: the whole middleware stack, the view
and the template, with no network in between. Each page is asked for a few times to warm up,
then ``REQUESTS`` rounds are timed, each round asking for every page once in turn (without query
capture, whose bookkeeping would slow the pages with most queries), then each page once more
under ``CaptureQueriesContext`` to count its queries.

The baseline is ``/bench/minimal/`` (``bench.urls``): the same base template, the same middleware
and one query. The peer of "My tasks" is viewflow's own inbox over the same flows, user and data.
"""

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench.results import Result

WARM_UP = 3
REQUESTS = 25
PEER_MIDDLEWARE = "viewflow.middleware.SiteMiddleware"
# The dashboard and "My tasks" may cost at most this many times the minimal page.
PAGE_TARGET = 2.5


@dataclass
class Timing:
    """One page's figures: server times in milliseconds, and its query count."""

    label: str
    url: str
    times: list[float]
    queries: int
    size: int

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@contextmanager
def bench_urls():
    """The bench URLconf (the product's plus the baseline and the peer), in this process only.

    viewflow's stock frontend needs its ``SiteMiddleware``; on any other page it does nothing.
    """
    middleware = [*settings.MIDDLEWARE]
    if PEER_MIDDLEWARE not in middleware:
        middleware.append(PEER_MIDDLEWARE)
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ROOT_URLCONF="bench.urls", MIDDLEWARE=middleware, ALLOWED_HOSTS=hosts):
        yield


def client_for(email: str) -> Client:
    """A client signed in as ``email``, with their authenticator confirmed when they have one
    (coordinators and chairs sign in with two factors)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from workflows.models import User

    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(
            f"{url} answered {response.status_code} (to {response.get('Location', '')}), not 200: "
            "the bench user cannot see the page it measures."
        )
    return response


def time_pages(pages: list[tuple[str, str, Client, str]], *, requests: int = REQUESTS, log=print):
    """Time every page in rounds: each round asks for each page once, in turn.

    Interleaving puts every page and its baseline under the same moment's load, so a ratio
    compares pages, not whatever else the machine was doing while one of them ran (timing one
    page's requests after another's made "My tasks" against viewflow's inbox swing from 0.7 to
    1.8 between runs on a busy machine).
    """
    for _key, _label, client, url in pages:
        for _ in range(WARM_UP):
            _get(client, url)
    times = {key: [] for key, *_ in pages}
    for _ in range(requests):
        for key, _label, client, url in pages:
            began = time.perf_counter()
            _get(client, url)
            times[key].append((time.perf_counter() - began) * 1000)
    timings = {}
    for key, label, client, url in pages:
        with CaptureQueriesContext(connection) as captured:
            size = len(_get(client, url).content)
        timing = Timing(label, url, times[key], len(captured), size)
        log(
            f"  {label}: median {timing.median:.1f} ms, p95 {timing.p95:.1f} ms, "
            f"{timing.queries} queries, {timing.size / 1024:.0f} KB"
        )
        timings[key] = timing
    return timings


def measure(facts: dict, *, requests: int = REQUESTS, log=print) -> list[Result]:
    """Every page figure, as result rows (see ``bench.results``)."""
    busiest = facts["busiest"]["slug"].removeprefix("bench-")
    small = facts["small"]["slug"].removeprefix("bench-")
    participant = facts["participant"]
    with bench_urls():
        coordinator = client_for(f"coordinator-1.{busiest}@bench.example")
        lead = client_for("regional-lead@bench.example")
        author = client_for(participant)
        pages = [
            ("minimal", "Minimal page (base template, one query)", coordinator, "/bench/minimal/"),
            ("dashboard", "Dashboard, busiest partnership", coordinator, "/dashboard/"),
            (
                "dashboard_small",
                "Dashboard, a partnership with a tenth of the reviews",
                client_for(f"coordinator-1.{small}@bench.example"),
                "/dashboard/",
            ),
            ("regional", "Regional view", lead, f"/statistics/region/{facts['region']['slug']}/"),
            (
                "regional_small",
                "Regional view, a region of one small partnership",
                lead,
                f"/statistics/region/{facts['small_region']['slug']}/",
            ),
            ("my_tasks", "My tasks", author, "/tasks/"),
            (
                "my_tasks_small",
                "My tasks, a participant in a tenth of the reviews",
                client_for(f"police-author.{small}@bench.example"),
                "/tasks/",
            ),
            (
                "inbox",
                "viewflow's stock inbox (the peer)",
                author,
                "/bench/viewflow/workflow/inbox/",
            ),
        ]
        timings = time_pages(pages, requests=requests, log=log)
        timings["dashboard_afresh"] = time_dashboard_afresh(
            coordinator,
            "Dashboard, busiest partnership, worked out afresh",
            requests=requests,
            log=log,
        )
        timings["dashboard_small_afresh"] = time_dashboard_afresh(
            pages[2][2],
            "Dashboard, a tenth of the reviews, worked out afresh",
            requests=requests,
            log=log,
        )
        timings["regional_afresh"] = time_figures_afresh(
            lead, f"/statistics/region/{facts['region']['slug']}/", facts["region"]["slug"], log=log
        )
    return page_results(timings, facts)


def time_figures_afresh(client: Client, url: str, slug: str, *, requests: int = 10, log=print):
    """The regional view with its figures worked out for each request, as the first person to
    open it in ten minutes sees it (``workflows.views.statistics``): its kept copy is removed
    before each one."""
    from django.utils import timezone

    from workflows.models import Region
    from workflows.views.statistics import figures_cache_key

    key = figures_cache_key(
        f"region-{Region.objects.get(slug=slug).pk}", "", timezone.localdate(), suppress=True
    )
    return time_afresh(client, url, key, "Regional view, figures worked out afresh", requests, log)


def time_dashboard_afresh(client: Client, label: str, *, requests: int = REQUESTS, log=print):
    """The dashboard worked out for each request, as its manager sees it after any change to
    what it shows (``workflows.views.dashboard``): their kept page is removed before each one."""
    from django.http import QueryDict
    from django.utils import timezone

    from workflows.models import User
    from workflows.monitoring.dashboard import managed_partnerships
    from workflows.views.dashboard import dashboard_cache_key

    person = User.objects.get(pk=client.session["_auth_user_id"])
    key = dashboard_cache_key(
        person, managed_partnerships(person), QueryDict(""), timezone.localdate()
    )
    return time_afresh(client, "/dashboard/", key, label, requests, log)


def time_afresh(client: Client, url: str, key: str, label: str, requests: int, log) -> Timing:
    """A page timed with its kept copy (cache ``key``) removed before each request, then once
    more to count its queries."""
    from django.core.cache import cache

    for _ in range(WARM_UP):
        cache.delete(key)
        _get(client, url)
    times = []
    for _ in range(requests):
        cache.delete(key)
        began = time.perf_counter()
        _get(client, url)
        times.append((time.perf_counter() - began) * 1000)
    if cache.get(key) is None:
        raise RuntimeError(f"{url} is not kept under {key}: the bench would time something else.")
    cache.delete(key)
    with CaptureQueriesContext(connection) as captured:
        size = len(_get(client, url).content)
    timing = Timing(label, url, times, len(captured), size)
    log(
        f"  {label}: median {timing.median:.1f} ms, p95 {timing.p95:.1f} ms, "
        f"{timing.queries} queries"
    )
    return timing


def page_results(t: dict[str, Timing], facts: dict) -> list[Result]:
    """The figures as result rows: each page against the minimal page, query counts against the
    same page on a tenth of the data, and "My tasks" against viewflow's inbox."""
    live = facts["live"]
    minimal = t["minimal"]
    rows = [
        Result("Minimal page: median", minimal.median, "ms"),
        Result("Minimal page: p95", minimal.p95, "ms"),
        Result("Minimal page: queries", minimal.queries, "queries"),
    ]
    pages = [
        ("dashboard", f"Dashboard ({live['busiest']} live reviews)", "dashboard_small",
         f"{live['small']} live reviews"),
        ("regional", f"Regional view ({live['region']} live reviews)", "regional_small",
         f"{live['small_region']} live reviews"),
        ("my_tasks", f"My tasks ({facts['participant_tasks']} open tasks)", "my_tasks_small",
         "a participant in a tenth of the reviews"),
    ]  # fmt: skip
    for key, name, smaller, smaller_label in pages:
        page = t[key]
        rows += [
            Result.against(f"{name}: median", page.median, "ms", minimal.median,
                           f"<= {PAGE_TARGET} x minimal page", PAGE_TARGET),
            Result.against(f"{name}: p95", page.p95, "ms", minimal.p95,
                           f"<= {PAGE_TARGET} x minimal page", PAGE_TARGET),
            Result.against(f"{name}: queries", page.queries, "queries", t[smaller].queries,
                           f"no more than with {smaller_label}", 1.0),
        ]  # fmt: skip
    for key, smaller, name in (
        (
            "dashboard_afresh",
            "dashboard_small_afresh",
            f"Dashboard ({live['busiest']} live reviews), worked out afresh",
        ),
    ):
        # What a manager sees after a change to what the page shows: reported, with no target
        # of its own (the page's target is on the page as people see it, above); its queries
        # must not grow with the data either.
        page = t[key]
        rows += [
            Result(f"{name}: median", page.median, "ms", minimal.median,
                   page.median / minimal.median),
            Result(f"{name}: p95", page.p95, "ms", minimal.p95, page.p95 / minimal.p95),
            Result.against(f"{name}: queries", page.queries, "queries", t[smaller].queries,
                           f"no more than with {live['small']} live reviews", 1.0),
        ]  # fmt: skip
    afresh = t["regional_afresh"]
    rows.append(
        # The first request in ten minutes: reported, with no target of its own.
        Result(
            "Regional view, figures worked out afresh: median",
            afresh.median,
            "ms",
            minimal.median,
            afresh.median / minimal.median,
        )
    )
    inbox = t["inbox"]
    rows += [
        Result("viewflow stock inbox (peer): median", inbox.median, "ms"),
        Result("viewflow stock inbox (peer): queries", inbox.queries, "queries"),
        Result.against(
            f"My tasks ({facts['participant_tasks']} open tasks) vs viewflow inbox: median",
            t["my_tasks"].median,
            "ms",
            inbox.median,
            "faster than viewflow's stock inbox",
            1.0,
            strict=True,
        ),
    ]
    return rows
