"""Writing thousands of new rows at once: the reminder sweep's emails.

Django's ``bulk_create`` on PostgreSQL sends each column as an array for ``UNNEST``, and with
the client-side parameter binding Django uses, psycopg escapes every string in those arrays with
a regular expression: for the sweep's 2,437 emails that took longer than PostgreSQL took to store
them. ``COPY`` sends the rows as they are. It returns no keys, so they are taken from the table's
sequence first, one statement for all of them, and given to the objects, as ``bulk_create``
would. Elsewhere (SQLite), and for a handful of rows, this is ``bulk_create``.
"""

import functools
import operator
from datetime import date, datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

# Below this many rows, bulk_create's one statement is as quick and simpler.
COPY_FROM = 50


def rows_insert(model: type[models.Model], objects: list[models.Model]) -> list[models.Model]:
    """Insert ``objects`` (new, unsaved) and give each its primary key; returns them."""
    if connection.vendor != "postgresql" or len(objects) < COPY_FROM:
        return model.objects.bulk_create(objects)
    # The connection itself: ``connection`` stands in for it, and looks it up at every use.
    db = connections[DEFAULT_DB_ALIAS]
    for obj, key in zip(objects, _new_keys(db, model, len(objects)), strict=True):
        obj.pk = key
    columns = _columns(model)
    _copy(db, model, columns, [column.values(objects, db) for column in columns])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = db.alias
    return objects


def values_insert(
    model: type[models.Model], names: list[str], rows: list[tuple], *, keys: bool = False
) -> list:
    """Insert rows given as plain values of the fields ``names`` (attribute names), without
    making an object for each: for rows nobody reads back but for their keys, such as the links
    of a many-to-many relation. The other fields get their defaults, as a new object's would,
    and every value goes as ``bulk_create`` would send it. With ``keys``, returns the new rows'
    keys in order (else the table gives each its key, and this returns nothing).

    Only for fields that take their values as given: a date filled in on saving (``auto_now``)
    needs the object ``rows_insert`` is given."""
    columns = {column.attname: column for column in _columns(model)}
    if unknown := set(names) - set(columns):
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}.")
    if filled := [column.attname for column in columns.values() if not column.reads]:
        raise ValueError(f"{model.__name__} fills in {filled} on saving: use rows_insert.")
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        made = model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows]
        )
        return [obj.pk for obj in made] if keys else []
    db = connections[DEFAULT_DB_ALIAS]
    given = dict(zip(names, zip(*rows, strict=True), strict=True))
    sent, values, new_keys = [], [], []
    for column in columns.values():
        if column.attname in given:
            values.append(column.prepared(given[column.attname], db))
            if column.field.primary_key and keys:
                new_keys = list(given[column.attname])
        elif column.field.primary_key:
            if not keys:
                continue  # the table's own default
            new_keys = _new_keys(db, model, len(rows))
            values.append(new_keys)
        else:
            values.append(column.prepared([column.field.get_default() for _ in rows], db))
        sent.append(column)
    _copy(db, model, sent, values)
    return new_keys


def _new_keys(db, model: type[models.Model], count: int) -> list[int]:
    """Keys for ``count`` new rows, from the table's own sequence: ``COPY`` returns none."""
    meta = model._meta
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [key for (key,) in cursor.fetchall()]


def _copy(db, model: type[models.Model], columns: list, values: list[list]) -> None:
    """``COPY`` the rows whose values are given column by column (``values``, in the order of
    ``columns``): each column made by one list comprehension over the rows, since cell by cell
    the calls cost more than the values."""
    names = ", ".join(db.ops.quote_name(column.field.column) for column in columns)
    table = db.ops.quote_name(model._meta.db_table)
    # The driver's own cursor: Django's wrapper has no ``copy``.
    with db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)


class _Column:
    """How one field's values are taken from objects and sent, worked out once per model.

    The value is what ``bulk_create`` would send: ``pre_save`` first (a field filled in on
    adding gets its value), then the field's preparation. Most fields' ``pre_save`` only reads
    the attribute, and preparing an empty value, a key, a date, a moment with its time zone or
    (for a plain text field) a string gives it back as it is on PostgreSQL: for thousands of new
    emails, asking each field each time was a third of the time."""

    __slots__ = ("field", "attname", "reads", "kept")

    def __init__(self, field):
        self.field = field
        self.attname = field.attname
        self.reads = _only_reads(field)
        self.kept = _kept_type(field)

    def values(self, objects: list, db) -> list:
        """The column's values for ``objects``, in order, as they are sent."""
        if self.reads:
            return self.prepared(list(map(operator.attrgetter(self.attname), objects)), db)
        return self.prepared([self.field.pre_save(obj, True) for obj in objects], db)

    def prepared(self, values: list, db) -> list:
        """``values`` as they are sent (``get_db_prep_save``, unless it would change nothing)."""
        field, kept = self.field, self.kept
        if kept is None:
            return [v if v is None else field.get_db_prep_save(v, db) for v in values]
        if kept is datetime:
            return [
                v
                if v is None or (type(v) is datetime and v.tzinfo is not None)
                else field.get_db_prep_save(v, db)
                for v in values
            ]
        return [
            v if v is None or type(v) is kept else field.get_db_prep_save(v, db) for v in values
        ]


@functools.cache
def _columns(model: type[models.Model]) -> list[_Column]:
    return [_Column(field) for field in model._meta.concrete_fields if not field.generated]


def _only_reads(field) -> bool:
    """Whether the field's ``pre_save`` only reads its attribute (``Field.pre_save``); a date
    filled in on saving (``auto_now``, ``auto_now_add``) is not."""
    if isinstance(field, models.DateField):
        return not (field.auto_now or field.auto_now_add) and type(field).pre_save in (
            models.DateField.pre_save,
            models.DateTimeField.pre_save,
        )
    return type(field).pre_save is models.Field.pre_save


def _kept_type(field) -> type | None:
    """The type whose values (of exactly that type) the field sends as they are."""
    if isinstance(field, models.DateTimeField):
        return datetime  # with its time zone (``_Column.values``)
    if isinstance(field, models.DateField):
        return date
    if field.is_relation or isinstance(field, models.AutoField | models.IntegerField):
        return int
    if _prepares_as(field, models.BooleanField):
        return bool
    if _prepares_as(field, models.CharField) or _prepares_as(field, models.TextField):
        return str
    return None


def _prepares_as(field, base: type) -> bool:
    """Whether the field prepares its values as ``base`` does, overriding none of it."""
    steps = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")
    kind = type(field)
    return isinstance(field, base) and all(getattr(kind, s) is getattr(base, s) for s in steps)
