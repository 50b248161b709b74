"""Which database the benchmark uses: always one of its own, never a developer's.

``BENCH_DATABASE_URL`` if set; else ``DATABASE_URL``'s database with ``_bench`` appended (created
when missing); else SQLite at ``var/bench/bench.sqlite3``. These run before Django is set up, so
that the URL can be put into ``DATABASE_URL`` for this process and every child it starts (the
outbox benchmark's Celery worker, the load test's gunicorn).
"""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SQLITE_PATH = BASE_DIR / "var" / "bench" / "bench.sqlite3"
SUFFIX = "_bench"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    vendor: str  # "postgresql" or "sqlite"
    name: str
    source: str  # how it was chosen, for the run's first lines

    @property
    def is_postgresql(self) -> bool:
        return self.vendor == "postgresql"


def bench_database(environ=os.environ) -> BenchDatabase:
    """The benchmark's database, from the environment (nothing is created here)."""
    explicit = environ.get("BENCH_DATABASE_URL", "").strip()
    if explicit:
        return _described(explicit, "BENCH_DATABASE_URL")
    developer = environ.get("DATABASE_URL", "").strip()
    if developer:
        parts = urlsplit(developer)
        name = parts.path.lstrip("/")
        if not name:
            raise ValueError("DATABASE_URL names no database, so the bench cannot name its own.")
        bench_name = name if name.endswith(SUFFIX) else name + SUFFIX
        url = urlunsplit(parts._replace(path="/" + bench_name))
        return _described(url, f"DATABASE_URL with {SUFFIX} appended")
    return BenchDatabase(
        url=f"sqlite:///{SQLITE_PATH}",
        vendor="sqlite",
        name=str(SQLITE_PATH),
        source="no DATABASE_URL",
    )


def _described(url: str, source: str) -> BenchDatabase:
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres"):
        return BenchDatabase(url, "postgresql", parts.path.lstrip("/"), source)
    if parts.scheme == "sqlite":
        return BenchDatabase(url, "sqlite", parts.path.lstrip("/") or ":memory:", source)
    raise ValueError(f"The bench runs on PostgreSQL or SQLite, not {parts.scheme}.")


def database_create(database: BenchDatabase) -> bool:
    """Create the database if it does not exist yet; True when it was created."""
    if not database.is_postgresql:
        Path(database.name).parent.mkdir(parents=True, exist_ok=True)
        return not Path(database.name).exists()
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(database.url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database.name]
        ).fetchone()
        if found:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))
    return True


def database_use(database: BenchDatabase) -> None:
    """Point this process (and its children) at the bench database; call before Django's setup."""
    os.environ["DATABASE_URL"] = database.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
