"""Accent- and case-insensitive matching that gives the same answers on PostgreSQL and SQLite.

PostgreSQL: `core_fold(text)` is an IMMUTABLE SQL wrapper around `unaccent(lower(text))`, created by
core's migration with the `unaccent` and `pg_trgm` extensions, so a trigram GIN index can cover it.
SQLite: the same name is registered on each connection as a Python function doing the same fold.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import CharField, Func

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
    function = "core_fold"
    output_field = CharField()


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("core_fold", 1, fold, deterministic=True)
