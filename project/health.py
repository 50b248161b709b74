"""``/healthz``: is each part this service depends on reachable?"""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from project.celery import app as celery_app


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_migrations() -> str:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not pending else f"{len(pending)} migrations not applied"


def check_broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        # kombu's Redis transport connects lazily: ask the server itself to answer.
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()
    return "ok"


CHECKS = {"database": check_database, "migrations": check_migrations, "broker": check_broker}


def run_check(check) -> str:
    try:
        return check()
    except Exception as error:  # noqa: BLE001 - any failure is the answer this page reports
        return f"error: {type(error).__name__}: {error}"[:300]


@never_cache
def healthz(request):
    """JSON of each part's state; 503 when any part is not "ok"."""
    results = {name: run_check(check) for name, check in CHECKS.items()}
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
