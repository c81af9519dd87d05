"""The health report for the load balancer: each dependency, whether it answered, and how long it took.

- **database**: a new connection to the default database with a 2-second connect timeout and a
  2-second statement timeout, then `SELECT 1`. Without it the public register cannot be served, so the
  endpoint answers 503 when it fails, and 200 otherwise.
- **cache**: a PING to the cache's Redis (0.25 s to connect, 0.5 s to answer). When it fails the site
  still serves: the cache behaves as empty and the rate limits count per process (core.cache).
- **broker**: a connection to CELERY_BROKER_URL (1 s). When it fails, tasks wait in the database's
  outbox and the periodic sweeps send them later (docs/operations.md).
- **workers**: a Celery `ping` broadcast that returns at the first worker's answer, or after
  COUNCIL_HEALTH_WORKER_TIMEOUT_SECONDS with none (0 turns it off).

A check that does not apply (a local-memory cache, an in-memory broker with eager tasks) is reported as
skipped. The overall status is "ok" when every check that ran passed, "degraded" when the database
answered but something else did not, and "unavailable" when the database did not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections

logger = logging.getLogger(__name__)

DATABASE_TIMEOUT_SECONDS = 2  # psycopg's shortest connect timeout
BROKER_TIMEOUT_SECONDS = 1.0


class Skipped(Exception):
    """A check that does not apply to this configuration; the message says why."""


@dataclass(frozen=True)
class Check:
    ok: bool
    duration_ms: float
    skipped: bool = False
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": self.ok, "duration_ms": self.duration_ms}
        if self.skipped:
            data["skipped"] = True
        if self.detail:
            data["detail"] = self.detail
        return {**data, **self.extra}


@dataclass(frozen=True)
class HealthReport:
    checks: dict[str, Check]

    @property
    def can_serve(self) -> bool:
        """The public register needs the database, and only the database."""
        return self.checks["database"].ok

    @property
    def status(self) -> str:
        if not self.can_serve:
            return "unavailable"
        return "ok" if all(check.ok for check in self.checks.values()) else "degraded"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checks": {name: check.as_dict() for name, check in self.checks.items()}}


def _timed(name: str, probe: Callable[[], dict[str, Any] | None]) -> Check:
    started = time.perf_counter()
    try:
        extra = probe() or {}
    except Skipped as reason:
        return Check(ok=True, duration_ms=_ms_since(started), skipped=True, detail=str(reason))
    except Exception as error:  # noqa: BLE001 - any failure of a dependency is a failed check, reported
        logger.warning("Health check %s failed: %s: %s", name, type(error).__name__, error)
        # Only the error's type leaves the process: its message may name internal hosts.
        return Check(ok=False, duration_ms=_ms_since(started), detail=type(error).__name__)
    return Check(ok=True, duration_ms=_ms_since(started), extra=extra)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def database_params() -> dict[str, Any]:
    """The default database's connection parameters, as Django would connect."""
    return dict(connections["default"].get_connection_params())


def database_probe() -> None:
    connection = connections["default"]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return
    import psycopg

    params = database_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["connect_timeout"] = DATABASE_TIMEOUT_SECONDS
    params["options"] = f"{params.get('options', '')} -c statement_timeout={DATABASE_TIMEOUT_SECONDS * 1000}".strip()
    with psycopg.connect(**params) as probe, probe.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_probe() -> None:
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        raise Skipped("the cache is not Redis")
    # Straight to the server: core.cache's ResilientRedisCache would report a dead Redis as a miss.
    backend._cache.get_client(write=True).ping()


def _broker_connection() -> Any:
    from kombu import Connection

    return Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "max_retries": 0,
        },
    )


def _broker_in_memory() -> bool:
    return str(settings.CELERY_BROKER_URL).startswith("memory://")


def broker_probe() -> None:
    if _broker_in_memory():
        raise Skipped("no broker: tasks run eagerly in the web process")
    with _broker_connection() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)


def workers_probe() -> dict[str, Any]:
    timeout = float(settings.COUNCIL_HEALTH_WORKER_TIMEOUT_SECONDS)
    if timeout <= 0:
        raise Skipped("the worker ping is turned off")
    if _broker_in_memory():
        raise Skipped("no broker: tasks run eagerly in the web process")
    from config.celery_app import app

    with _broker_connection() as connection:
        replies = app.control.ping(timeout=timeout, limit=1, connection=connection)
    if not replies:
        raise LookupError(f"no worker answered within {timeout:g} s")
    return {"workers_answering": len(replies)}


def health_report() -> HealthReport:
    """Run every check, each with its own short timeout."""
    checks = {
        "database": _timed("database", database_probe),
        "cache": _timed("cache", cache_probe),
        "broker": _timed("broker", broker_probe),
    }
    if checks["broker"].ok:
        checks["workers"] = _timed("workers", workers_probe)
    else:
        checks["workers"] = Check(ok=False, duration_ms=0.0, detail="broker unreachable")
    return HealthReport(checks=checks)
