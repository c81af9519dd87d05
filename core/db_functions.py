"""Accent- and case-insensitive matching that gives the same answers on PostgreSQL and SQLite.

PostgreSQL: `core_fold(text)` is an IMMUTABLE SQL wrapper around `unaccent(lower(text))`, created by
core's migration with the `unaccent` and `pg_trgm` extensions, so a trigram GIN index can cover it.
SQLite: the same name is registered on each connection as a Python function doing the same fold.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import CharField, Func
from django.db.models.expressions import Col

# Letters that do not decompose under NFKD but that unaccent folds (the common Latin ones).
_EXTRA_FOLDS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "\u0131": "i"})


def fold(value: str | None) -> str | None:
    """Lower-case and strip accents: "José Núñez" -> "jose nunez"."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_EXTRA_FOLDS)


class Fold(Func):
    """core_fold(expression). A subclass may name columns whose fold PostgreSQL stores (`stored`: pairs of
    table and column, each with a `<column>_folded` column GENERATED ALWAYS AS (core_fold(column)) STORED
    made by a migration): the same value, read instead of computed. core_fold is an SQL function over
    unaccent, which is not inlined, so computing it for every row a trigram index leaves to recheck costs
    more than the rest of a name search."""

    function = "core_fold"
    output_field = CharField()
    stored: frozenset[tuple[str, str]] = frozenset()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        (source,) = self.get_source_expressions()
        target = getattr(source, "target", None)
        if isinstance(source, Col) and target is not None:
            table = target.model._meta.db_table
            if (table, target.column) in self.stored:
                alias = compiler.quote_name(source.alias) if source.alias else connection.ops.quote_name(table)
                return f"{alias}.{connection.ops.quote_name(target.column + '_folded')}", []
        return self.as_sql(compiler, connection, **extra_context)


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("core_fold", 1, fold, deterministic=True)
