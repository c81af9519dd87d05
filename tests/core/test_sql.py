"""core.sql.fetch_prepared: the hot lookups, planned once per connection on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.utils import ProgrammingError

from core.sql import fetch_prepared

SQL = "SELECT %(a)s::int + %(b)s::int, 'prepared-statement-probe'"


def _prepared_here(marker: str = "probe") -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_statement_is_prepared_once_and_then_reused(settings):
    settings.COUNCIL_DB_PREPARED_STATEMENTS = True
    # when the same statement runs three times with different parameters
    answers = [fetch_prepared(SQL, {"a": n, "b": 1}) for n in range(3)]
    # then each has its own answer, and the session holds the statement prepared once
    assert answers == [
        [(1, "prepared-statement-probe")],
        [(2, "prepared-statement-probe")],
        [(3, "prepared-statement-probe")],
    ]
    assert len(_prepared_here("prepared-statement-probe")) == 1
    # and other statements on the connection are still not prepared
    with connection.cursor() as cursor:
        for _ in range(10):
            cursor.execute("SELECT 'unprepared-probe' WHERE %s", [True])
    assert all("unprepared" not in statement for statement in _prepared_here())


@pytest.mark.django_db
def test_turned_off_it_runs_as_any_other_query(settings):
    settings.COUNCIL_DB_PREPARED_STATEMENTS = False
    sql = "SELECT %(a)s::int + %(b)s::int, 'turned-off-probe'"
    assert fetch_prepared(sql, {"a": 40, "b": 2}) == [(42, "turned-off-probe")]
    assert _prepared_here("turned-off") == []


@pytest.mark.django_db
def test_database_errors_are_django_errors(settings):
    settings.COUNCIL_DB_PREPARED_STATEMENTS = True
    with pytest.raises(ProgrammingError):
        fetch_prepared("SELECT * FROM no_such_table_here WHERE id = %(id)s", {"id": 1})
