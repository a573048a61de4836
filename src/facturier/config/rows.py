"""Cheap existence checks for hot paths: one prepared statement per (model, columns), no ORM compilation.

The audit event's receivers (webhooks, connectors) ask on every event whether the organisation has
anything listening; nearly always it has not, and compiling an ORM query for that cost more than the
query itself. A per-process cache of the answer would go stale when another process adds an endpoint,
so the database is asked every time — through a statement built once per process.

A batch (`invoicing.services.documents_issue`: one member's action issuing many documents) asks
once per batch instead: inside `answers_held()`, each distinct question is put to the database the
first time and its answer kept until the block ends, as if every document of the batch had been
issued when the batch started. Outside such a block nothing is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.db import connections, router
from django.db.models import Model

_held: ContextVar[dict | None] = ContextVar("facturier_rows_held", default=None)


@contextmanager
def answers_held() -> Iterator[None]:
    """Within the block, `any_row` asks each distinct question once and keeps the answer (a batch's view)."""
    token = _held.set({})
    try:
        yield
    finally:
        _held.reset(token)


@cache
def _statement(model: type[Model], columns: tuple[str, ...], vendor: str) -> str:
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(column).column for column in columns]
    where = " AND ".join(f"{quote(field)} = %s" for field in fields)
    return f"SELECT 1 FROM {quote(model._meta.db_table)} WHERE {where} LIMIT 1"


def any_row(model: type[Model], **equals) -> bool:
    """Whether a row of `model` has every given column equal to the given value (the default database)."""
    held = _held.get()
    key = (model, tuple(sorted(equals.items())))
    if held is not None and key in held:
        return held[key]
    connection = connections[router.db_for_read(model)]
    columns = tuple(equals)
    with connection.cursor() as cursor:
        cursor.execute(_statement(model, columns, connection.vendor), [equals[c] for c in columns])
        answer = cursor.fetchone() is not None
    if held is not None:
        held[key] = answer
    return answer


@cache
def _reader(model: type[Model], columns: tuple[str, ...], order: str | None, lock: bool, vendor: str):
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    where = " AND ".join(f"{quote(model._meta.get_field(c).column)} = %s" for c in columns)
    sql = f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(table)} WHERE {where}"
    if order:
        sql += f" ORDER BY {quote(model._meta.get_field(order).column)}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return sql, [f.attname for f in fields], converters


def rows_of(model: type[Model], *, order: str | None = None, lock: bool = False, **equals) -> list[Model]:
    """The instances of `model` whose columns equal the given values (every column read, converted as
    the ORM converts them), ordered by one field, `lock`: `FOR UPDATE` of these rows only (where the
    database has it). One statement per (model, columns, order, lock) written once per process: for
    the hot paths where compiling an ORM query costs more than running it."""
    connection = connections[router.db_for_read(model)]
    columns = tuple(equals)
    sql, names, converters = _reader(model, columns, order, lock, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [equals[c] for c in columns])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = list(row)
        for i, convs, col in converters:
            for convert in convs:
                values[i] = convert(values[i], col, connection)
        found.append(model.from_db(connection.alias, names, values))
    return found
