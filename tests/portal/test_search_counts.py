"""The anonymous search counts (portal.stats): two processes flushing at once never deadlock, and a write
that fails keeps the counts and never fails the search that triggered it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction

from portal import stats
from portal.models import SearchCount

DAY = "2026-11-23"
FOUND = (DAY, "api", "number", "found")
NONE = (DAY, "api", "number", "none")


@pytest.fixture
def empty_pending() -> Iterator[None]:
    with stats._lock:
        saved = stats._pending.copy()
        stats._pending.clear()
    yield
    with stats._lock:
        stats._pending.clear()
        stats._pending.update(saved)


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _counts() -> dict[str, int]:
    return dict(SearchCount.objects.values_list("outcome", "count"))


@pytest.mark.django_db(transaction=True)
def test_a_flush_takes_the_rows_locks_in_key_order_so_two_processes_never_deadlock(empty_pending):
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL's row locks")
    SearchCount.objects.create(day=DAY, channel="api", kind="number", outcome="found", count=1)
    SearchCount.objects.create(day=DAY, channel="api", kind="number", outcome="none", count=1)
    # given another process, mid-flush, holding the lock on the first row in key order ("found")
    other = connections.create_connection("default")
    other.connect()
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute(stats.UPSERT, [*FOUND, 10])
    # when this process flushes counts it gathered in the other order ("none" first), in a thread
    stats._pending[NONE] += 2
    stats._pending[FOUND] += 3
    flushed: dict[str, Any] = {}
    flusher_pid: dict[str, int] = {}

    def flush() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                flusher_pid["pid"] = cursor.fetchone()[0]
            flushed["written"] = stats.search_counts_flush()
        except Exception as error:  # noqa: BLE001 - reported below
            flushed["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=flush)
    thread.start()
    deadline = time.monotonic() + 10
    while ("pid" not in flusher_pid or not _waiting_on_a_lock(flusher_pid["pid"])) and time.monotonic() < deadline:
        if not thread.is_alive():
            break
        time.sleep(0.01)
    # then the flush waits on "found" holding nothing, so the other process can go on to "none" and commit
    with other.cursor() as cursor:
        cursor.execute(stats.UPSERT, [*NONE, 20])
    other.commit()
    other.close()
    thread.join(timeout=10)
    assert flushed == {"written": 5}
    assert _counts() == {"found": 1 + 10 + 3, "none": 1 + 20 + 2}


@pytest.mark.django_db
def test_a_failed_write_keeps_the_counts_for_the_next_flush_and_raises_nothing(empty_pending, monkeypatch):
    stats._pending[FOUND] += 4
    monkeypatch.setattr(stats, "UPSERT", "INSERT INTO portal_searchcount_missing VALUES (%s, %s, %s, %s, %s)")
    with transaction.atomic():  # as in a page's request: the failure must not break its transaction
        assert stats.search_counts_flush() == 0
        assert SearchCount.objects.count() == 0  # the request's transaction still works
    assert stats._pending == {FOUND: 4}
    monkeypatch.undo()
    assert stats.search_counts_flush() == 4
    assert _counts() == {"found": 4}
