"""Counting the changes to what a partnership's dashboard shows, in the database itself.

A kept dashboard (``workflows.views.dashboard``, ADR 12) is good for as long as nothing it shows
has changed. Signals cannot say when that is: viewflow writes its tasks itself, and a queryset
update sends none. So each table the dashboard reads has triggers that add one to its
partnership's ``ChangeCount`` in the same transaction as the change, whoever makes it. A page
reads the counts of its partnerships first, then works the page out: a change committed after
the counts were read is seen by the next request, under the next count.

On PostgreSQL the count is one row per partnership updated in place, so two transactions
changing one partnership's reviews take its row in turn, and a count is never seen before the
change it counts is committed. SQLite runs one writer at a time anyway.
"""

from dataclasses import dataclass

from workflows.models.changes import EVERY_PARTNERSHIP, ChangeCount

COUNTS_TABLE = ChangeCount._meta.db_table


@dataclass(frozen=True)
class Counted:
    """A table the dashboard reads, and how to find the partnership of one of its rows.

    ``partnership`` is a SELECT of a column named ``partnership_id``, written over ``ROW`` (the
    new row, or the old one for a deletion). ``columns``: only an update of these counts (None:
    any update). ``updates_only``: a new or deleted row counts nothing.
    """

    table: str
    partnership: str
    columns: tuple[str, ...] | None = None
    updates_only: bool = False


def _of_review(column: str = "review_id") -> str:
    return f"SELECT partnership_id FROM workflows_review WHERE id = ROW.{column}"


COUNTED = (
    Counted("workflows_review", "SELECT ROW.partnership_id AS partnership_id"),
    Counted("workflows_reviewhistory", _of_review()),
    # Not ``next_action_on``: the reminder sweep moves it every day and no page shows it.
    Counted(
        "workflows_deadline",
        _of_review(),
        ("review_id", "rule", "title", "period", "statutory", "starts_on", "due_on", "met_on"),
    ),
    Counted("workflows_reviewagency", _of_review()),
    Counted("workflows_agency", "SELECT ROW.partnership_id AS partnership_id"),
    Counted("workflows_participant", _of_review()),
    Counted("workflows_membership", "SELECT ROW.partnership_id AS partnership_id"),
    Counted("workflows_pause", _of_review()),
    Counted("workflows_recommendation", _of_review()),
    Counted("workflows_cover", "SELECT ROW.partnership_id AS partnership_id"),
    Counted("workflows_partnership", "SELECT ROW.id AS partnership_id", ("name", "slug")),
    # A person's name or address shows on every partnership's pages they take part in; it
    # seldom changes, so it counts for every partnership. Not ``last_login``: every sign-in
    # sets it. A new person shows nowhere until they take part (which counts), so the row of
    # every partnership is not taken each time someone is invited.
    Counted(
        "workflows_user",
        f"SELECT {EVERY_PARTNERSHIP} AS partnership_id",
        ("email", "full_name", "is_active"),
        updates_only=True,
    ),
    # A process's artifact is its review (another kind of artifact with the same id only makes
    # a partnership's dashboard be worked out once more than it needed to be).
    Counted(
        "viewflow_task",
        "SELECT r.partnership_id FROM viewflow_process p "
        "JOIN workflows_review r ON r.id = p.artifact_object_id WHERE p.id = ROW.process_id",
    ),
)


def create_triggers_sql(vendor: str) -> list[str]:
    """The statements that create every table's triggers on this database."""
    if vendor == "postgresql":
        return [sql for counted in COUNTED for sql in _postgresql_create(counted)]
    return [sql for counted in COUNTED for sql in _sqlite_create(counted)]


def drop_triggers_sql(vendor: str) -> list[str]:
    """The statements that drop them again."""
    if vendor == "postgresql":
        return [
            statement
            for counted in COUNTED
            for statement in (
                f"DROP TRIGGER IF EXISTS {_name(counted)} ON {counted.table}",
                f"DROP TRIGGER IF EXISTS {_name(counted)}_update ON {counted.table}",
                f"DROP FUNCTION IF EXISTS {_name(counted)}()",
            )
        ]
    return [
        f"DROP TRIGGER IF EXISTS {_name(counted)}_{event}"
        for counted in COUNTED
        for event in ("insert", "update", "delete")
    ]


def _name(counted: Counted) -> str:
    return f"{counted.table}_count_change"


def _add_one(counted: Counted, row: str, current: str) -> str:
    """The statement that adds one to the count of the partnership of ``row`` (NEW or OLD);
    ``current`` is how the upsert names the count already there. SQLite's upsert needs the WHERE
    after a SELECT to tell its ON from a join's."""
    chosen = counted.partnership.replace("ROW.", f"{row}.")
    return (
        f"INSERT INTO {COUNTS_TABLE} (partnership_id, count) "
        f"SELECT found.partnership_id, 1 FROM ({chosen}) AS found "
        "WHERE found.partnership_id IS NOT NULL "
        f"ON CONFLICT (partnership_id) DO UPDATE SET count = {current} + 1;"
    )


def _postgresql_create(counted: Counted) -> list[str]:
    def add_one(row: str) -> str:
        return _add_one(counted, row, f"{COUNTS_TABLE}.count")

    function = (
        f"CREATE OR REPLACE FUNCTION {_name(counted)}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP = 'DELETE' THEN {add_one('OLD')}\n"
        f"  ELSE {add_one('NEW')}\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    statements = [function]
    if not counted.updates_only:
        statements.append(
            f"CREATE TRIGGER {_name(counted)} AFTER INSERT OR DELETE ON {counted.table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_name(counted)}()"
        )
    statements.append(
        f"CREATE TRIGGER {_name(counted)}_update AFTER {_update_event(counted)} "
        f"ON {counted.table} FOR EACH ROW {_changed(counted, 'IS DISTINCT FROM')}"
        f"EXECUTE FUNCTION {_name(counted)}()"
    )
    return statements


def _sqlite_create(counted: Counted) -> list[str]:
    def add_one(row: str) -> str:
        return _add_one(counted, row, "count")

    return [
        f"CREATE TRIGGER {_name(counted)}_{event} AFTER {when} ON {counted.table} FOR EACH ROW "
        f"{_changed(counted, 'IS NOT') if event == 'update' else ''}BEGIN {add_one(row)} END"
        for event, when, row in (
            ("insert", "INSERT", "NEW"),
            ("update", _update_event(counted), "NEW"),
            ("delete", "DELETE", "OLD"),
        )
        if event == "update" or not counted.updates_only
    ]


def _changed(counted: Counted, differs: str) -> str:
    """The WHEN clause of an update's trigger: one of the counted columns changed. Naming the
    columns (``UPDATE OF``) alone is not enough: Django's ``save()`` writes every column, changed
    or not, and a person saved with their name as it was must not count."""
    if not counted.columns:
        return ""
    changed = " OR ".join(f"OLD.{column} {differs} NEW.{column}" for column in counted.columns)
    return f"WHEN ({changed}) "


def _update_event(counted: Counted) -> str:
    return f"UPDATE OF {', '.join(counted.columns)}" if counted.columns else "UPDATE"


def change_counts(partnership_ids) -> tuple[tuple[int, int], ...]:
    """The change counts of these partnerships and of every partnership's row, as (id, count)
    pairs in order of id: what a kept page was worked out under. One query by primary key."""
    ids = sorted({EVERY_PARTNERSHIP, *partnership_ids})
    found = dict(
        ChangeCount.objects.filter(partnership_id__in=ids).values_list("partnership_id", "count")
    )
    return tuple((pk, found.get(pk, 0)) for pk in ids)
