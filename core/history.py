"""Set-based writes that still write their history rows.

simple-history's bulk_update_with_history runs Django's bulk_update, a CASE per row per field, which
is slow past a few thousand rows. When every row gets the same change, one UPDATE ... WHERE id IN
does the work, and `update_with_history` writes the history rows itself, with the same user and reason.
It is the one sanctioned QuerySet.update() on a tracked model.

The batch jobs go further and write in SQL (INSERT ... SELECT, UPDATE ... RETURNING). They copy the
rows they changed into the history tables with `history_insert_sql` (inside a PostgreSQL statement,
from a `RETURNING *` CTE) or `history_copy_rows` (its own statement, on any database): the same
columns simple-history writes, taken from the model's tracked fields, so the two never drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from django.db import connection, models

from core.models import User

HistoryType = Literal["+", "~"]
_HISTORY_TYPES = ("+", "~")
_REASON_LENGTH = 100


def save_with_history(instance: Any, *, actor: User | None, reason: str, fields: Sequence[str] | None = None) -> None:
    """Insert a tracked row (fields None) or save the named fields, with the history row's user and reason."""
    instance._history_user = actor
    instance._change_reason = reason[:_REASON_LENGTH]
    if fields is None:
        instance.save(force_insert=True)
    else:
        instance.save(update_fields=[*fields, "updated_at"])


def update_with_history(
    *,
    model: type[models.Model],
    objs: Sequence[models.Model],
    changes: Mapping[str, Any],
    actor: User | None,
    reason: str,
) -> int:
    """Apply `changes` to every object (in memory and with one UPDATE), then write one history row each."""
    if not objs:
        return 0
    for obj in objs:
        for field, value in changes.items():
            setattr(obj, field, value)
    updated = model._default_manager.filter(pk__in=[obj.pk for obj in objs]).update(**changes)
    model.history.bulk_history_create(  # type: ignore[attr-defined]
        list(objs), batch_size=1000, update=True, default_user=actor, default_change_reason=reason[:_REASON_LENGTH]
    )
    return int(updated)


def history_insert_sql(*, model: type[models.Model], source: str, history_type: HistoryType) -> str:
    """SQL that copies every row of `source` into `model`'s history table, one history row each.

    `source` is the model's own table or anything with its columns (a `RETURNING *` CTE). The SQL
    takes the named parameters made by `history_params`; append a WHERE clause to narrow `source`.
    """
    if history_type not in _HISTORY_TYPES:
        raise ValueError(f"history_type must be one of {_HISTORY_TYPES}, not {history_type!r}")
    history_model = model.history.model  # type: ignore[attr-defined]
    columns = [history_model._meta.get_field(field.name).column for field in history_model.tracked_fields]
    copied = ", ".join(columns)
    return (
        f"INSERT INTO {history_model._meta.db_table} "  # noqa: S608 - table and columns come from the model
        f"({copied}, history_date, history_user_id, history_change_reason, history_type) "
        f"SELECT {copied}, %(history_date)s, %(history_user_id)s, %(history_change_reason)s, '{history_type}' "
        f"FROM {source}"
    )


def history_params(*, actor: User | None, reason: str, history_date: dt.datetime) -> dict[str, Any]:
    """The parameters of `history_insert_sql`: who, why (cut to the column's 100 characters) and when."""
    return {
        "history_date": connection.ops.adapt_datetimefield_value(history_date),
        "history_user_id": actor.pk if actor is not None else None,
        "history_change_reason": reason[:_REASON_LENGTH],
    }


def history_copy_rows(
    *, model: type[models.Model], where: str, params: Mapping[str, Any], history_type: HistoryType
) -> int:
    """Write a history row for each row of `model`'s table matching `where` (SQL with named parameters).

    `params` holds the WHERE clause's parameters and those of `history_params`.
    """
    sql = history_insert_sql(model=model, source=model._meta.db_table, history_type=history_type)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} WHERE {where}", params)
        return int(cursor.rowcount)
