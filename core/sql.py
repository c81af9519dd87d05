"""Small helpers for the set-based batch jobs that write in SQL on PostgreSQL and SQLite alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def db_date(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def db_now() -> tuple[dt.datetime, Any]:
    now = timezone.now()
    return now, connection.ops.adapt_datetimefield_value(now)


def id_in(column: str, name: str, ids: Sequence[int] | Sequence[str]) -> tuple[str, dict[str, Any]]:
    """`column` is one of `ids` (numbers or strings): one array parameter on PostgreSQL, one per value elsewhere."""
    if on_postgresql():
        return f"{column} = ANY(%({name})s)", {name: list(ids)}
    names = [f"{name}_{index}" for index in range(len(ids))]
    return f"{column} IN ({', '.join(f'%({each})s' for each in names)})", dict(zip(names, ids, strict=True))


def values_cte(name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, dict[str, Any]]:
    """A named VALUES list for a WITH clause: `name (columns) AS (VALUES (...), ...)`, with its parameters."""
    params: dict[str, Any] = {}
    tuples = []
    for row_index, row in enumerate(rows):
        names = [f"{name}_{row_index}_{column_index}" for column_index in range(len(columns))]
        params.update(zip(names, row, strict=True))
        tuples.append("(" + ", ".join(f"%({each})s" for each in names) + ")")
    return f"{name} ({', '.join(columns)}) AS (VALUES {', '.join(tuples)})", params


def fetch(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# psycopg prepares a statement after this many runs; Django leaves it off (None) for poolers' sake, so the
# connections are set to this only when a statement asks to be prepared: then no other is, ever.
_PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


def fetch_prepared(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """fetch(), for the hottest statements: on PostgreSQL, prepared once per connection and then only run.

    Planning a five-table lookup costs PostgreSQL more than running it, and Django's client-side binding
    costs Python as much again; a prepared statement with server-side parameters costs neither. Prepared
    statements belong to a database session: behind PgBouncer in transaction mode (before 1.21) set
    COUNCIL_DB_PREPARED_STATEMENTS=false. Not seen by Django's query log (connection.queries)."""
    if not (on_postgresql() and settings.COUNCIL_DB_PREPARED_STATEMENTS):
        return fetch(sql, params)
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _PREPARE_ONLY_WHEN_ASKED
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:  # server-side binding
        cursor.execute(sql, params, prepare=True)
        return list(cursor.fetchall())


def execute(sql: str, params: Mapping[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
