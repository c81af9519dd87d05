"""Anonymous counts of public searches: by day, channel (web, api), kind and outcome. No one's queries,
addresses or keys are kept. Counts are held in the process and written in one upsert every
settings.COUNCIL_SEARCH_COUNT_FLUSH_EVERY searches (and at exit), so the hottest paths pay no write."""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: Counter[tuple[str, str, str, str]] = Counter()

UPSERT = (
    "INSERT INTO portal_searchcount (day, channel, kind, outcome, count) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (day, channel, kind, outcome) DO UPDATE SET count = portal_searchcount.count + excluded.count"
)


_PROBLEM_OUTCOMES = {"invalid-number": "invalid", "too-short": "short"}


def search_outcome(*, problem: str | None, found: bool) -> str:
    """One vocabulary for every channel: found, none, invalid (a number failing its check), short."""
    if problem is not None:
        return _PROBLEM_OUTCOMES.get(problem, "invalid")
    return "found" if found else "none"


def search_counted(*, channel: str, kind: str, outcome: str, times: int = 1) -> None:
    key = (timezone.localdate().isoformat(), channel, kind, outcome)
    with _lock:
        _pending[key] += times
        due = sum(_pending.values()) > settings.COUNCIL_SEARCH_COUNT_FLUSH_EVERY
    if due:
        search_counts_flush()


def search_counts_flush() -> int:
    """Write the counts held so far. Returns how many searches were written.

    The rows are written in key order. Processes flush at the same moments, and psycopg sends the upserts
    as one pipeline, which is one transaction. Two processes taking the same rows' locks in different
    orders would deadlock, and a search would fail for its statistics. A write that fails all the same
    (the database busy or gone) keeps the counts for the next flush and never fails the search."""
    with _lock:
        rows = sorted((*key, count) for key, count in _pending.items())
        _pending.clear()
    if not rows:
        return 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint inside a request's transaction
            cursor.executemany(UPSERT, rows)
    except DatabaseError:
        logger.warning("search counts not written; kept for the next flush", exc_info=True)
        with _lock:
            for day, channel, kind, outcome, count in rows:
                _pending[(day, channel, kind, outcome)] += count
        return 0
    return sum(row[4] for row in rows)


def _flush_at_exit() -> None:
    try:
        search_counts_flush()
    except Exception:  # noqa: BLE001 - the process is ending; counts are best effort by design
        return


atexit.register(_flush_at_exit)
