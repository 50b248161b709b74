"""Writing thousands of new rows at once: the reminder sweep's emails.

Django's ``bulk_create`` on PostgreSQL sends each column as an array for ``UNNEST``, and with
the client-side parameter binding Django uses, psycopg escapes every string in those arrays with
a regular expression: for the sweep's 2,437 emails that took longer than PostgreSQL took to store
them. ``COPY`` sends the rows as they are. It returns no keys, so they are taken from the table's
sequence first, one statement for all of them, and given to the objects, as ``bulk_create``
would. Elsewhere (SQLite), and for a handful of rows, this is ``bulk_create``.
"""

from datetime import date, datetime

from django.db import connection, models

# Below this many rows, bulk_create's one statement is as quick and simpler.
COPY_FROM = 50


def rows_insert(model: type[models.Model], objects: list[models.Model]) -> list[models.Model]:
    """Insert ``objects`` (new, unsaved) and give each its primary key; returns them."""
    if connection.vendor != "postgresql" or len(objects) < COPY_FROM:
        return model.objects.bulk_create(objects)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.generated]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (key,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = key
        names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        table = connection.ops.quote_name(meta.db_table)
        # The driver's own cursor: Django's wrapper has no ``copy``.
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([_prepared(field, obj) for field in fields])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def _prepared(field, obj):
    """The column's value as ``bulk_create`` would send it (``pre_save`` first: a field filled
    in on adding gets its value). An empty value, a key, a date and a moment with its time zone
    go as they are, which is what preparing them gives on PostgreSQL: preparing the dates of
    thousands of new emails was a third of the time."""
    value = field.pre_save(obj, True)
    if value is None or _as_it_is(field, value):
        return value
    return field.get_db_prep_save(value, connection)


def _as_it_is(field, value) -> bool:
    if isinstance(field, models.DateTimeField):
        return isinstance(value, datetime) and value.tzinfo is not None
    if isinstance(field, models.DateField):
        return type(value) is date
    if field.is_relation or isinstance(field, models.AutoField | models.IntegerField):
        return type(value) is int
    return False
