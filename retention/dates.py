"""When a retention period ends: the council's local date a record's retention started, plus the period's months.

The same calendar arithmetic on PostgreSQL and SQLite: a month later than 31 January is the last day of
February (PostgreSQL's date + interval; SQLite gets `retention_add_months`, registered on each connection).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import DateField, Func
from django.db.models.expressions import Combinable


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved on by whole months, kept to the last day of a shorter month."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class LocalDatePlusMonths(Func):
    """The local date (in `zone`) of a moment, plus whole months: the day a retention period ends."""

    output_field = DateField()

    def __init__(self, moment: Combinable | str, *, months: int, zone: str) -> None:
        super().__init__(moment)
        self.months = int(months)
        self.zone = str(zone)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:  # type: ignore[override]
        moment_sql, moment_params = compiler.compile(self.get_source_expressions()[0])
        if connection.vendor == "postgresql":
            sql = f"(timezone(%s, {moment_sql})::date + make_interval(months => %s))::date"
            return sql, (self.zone, *moment_params, self.months)
        return f"retention_add_months({moment_sql}, %s, %s)", (*moment_params, self.months, self.zone)


def _sqlite_add_months(moment: str | None, months: int, zone: str) -> str | None:
    if moment is None:
        return None
    stored = dt.datetime.fromisoformat(moment)
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.UTC)  # SQLite holds aware datetimes in UTC, without an offset
    local = stored.astimezone(zoneinfo.ZoneInfo(zone)).date()
    return add_months(local, int(months)).isoformat()


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("retention_add_months", 3, _sqlite_add_months, deterministic=True)
