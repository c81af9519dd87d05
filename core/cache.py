"""The shared cache on Redis, made so that a Redis outage is a cache miss and not a server error.

Production keeps the rate limits, allauth's sign-in limits and a few memoised values in Django's cache,
which is Redis (config/settings/production.py). Django's own RedisCache raises on every call when Redis
is down, so every page that touches the cache would answer 500. `ResilientRedisCache` catches the
connection errors and timeouts instead:

- a read is a miss (the default), a write is dropped, `incr` raises ValueError as for a missing key;
- after a failure the cache does not try Redis again for `RETRY_AFTER_SECONDS`, so a dead host costs
  one short timeout every few seconds per process, not one per cache call;
- the failure is logged once per `LOG_EVERY_SECONDS` per process, with the number of calls it cost,
  never once per request.

Short socket timeouts (`DEFAULT_OPTIONS`) keep a Redis that accepts connections but does not answer from
holding a request for long. portal.ratelimit, which talks to Redis directly, falls back the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

REDIS_ERRORS: tuple[type[Exception], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Seconds: connecting, and waiting for an answer. Redis on the same network answers in well under 1 ms.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
RETRY_AFTER_SECONDS = 5.0
LOG_EVERY_SECONDS = 60.0


class Outage:
    """Whether a Redis server is known to be down, shared by the threads and caches of one process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._logged_at: float | None = None
        self._failures = 0

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def failed(self, error: Exception) -> None:
        """Note a failure: skip the server for a while, and log at most once a minute."""
        now = time.monotonic()
        with self._lock:
            self._down_until = now + RETRY_AFTER_SECONDS
            self._failures += 1
            if self._logged_at is not None and now - self._logged_at < LOG_EVERY_SECONDS:
                return
            self._logged_at, failures, self._failures = now, self._failures, 0
        logger.warning(
            "Redis (%s) is unreachable; working without it (%d failed calls since the last report): %s",
            self.name,
            failures,
            error,
        )

    def skipped(self) -> None:
        with self._lock:
            self._failures += 1

    def reset(self) -> None:
        with self._lock:
            self._down_until = 0.0
            self._logged_at = None
            self._failures = 0


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def outage_for(name: str) -> Outage:
    """The one Outage of a server in this process (by its location)."""
    with _outages_lock:
        return _outages.setdefault(name, Outage(name))


def outages_reset() -> None:
    """Forget every known outage (tests, and a process that wants to retry at once)."""
    with _outages_lock:
        for outage in _outages.values():
            outage.reset()


def guarded[T](outage: Outage, call: Callable[[], T], fallback: Callable[[], T]) -> T:
    """`call()`, or `fallback()` when the server is known to be down or the call cannot reach it."""
    if outage.is_down():
        outage.skipped()
        return fallback()
    try:
        return call()
    except REDIS_ERRORS as error:
        outage.failed(error)
        return fallback()


def _missing_key(key: Any) -> int:
    raise ValueError(f"Key '{key}' not found.")


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, where an unreachable Redis behaves as an empty cache that keeps nothing."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self.outage = outage_for(str(self._servers[0]))  # type: ignore[attr-defined]

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return guarded(self.outage, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), _no)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return guarded(
            self.outage, lambda: super(ResilientRedisCache, self).get(key, default, version), lambda: default
        )

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        guarded(self.outage, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), _nothing)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return guarded(self.outage, lambda: super(ResilientRedisCache, self).touch(key, timeout, version), _no)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return guarded(self.outage, lambda: super(ResilientRedisCache, self).delete(key, version), _no)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return guarded(self.outage, lambda: super(ResilientRedisCache, self).get_many(keys, version), dict)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return guarded(self.outage, lambda: super(ResilientRedisCache, self).has_key(key, version), _no)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return guarded(
            self.outage,
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: _missing_key(key),
        )

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return guarded(self.outage, lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), list)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        guarded(self.outage, lambda: super(ResilientRedisCache, self).delete_many(keys, version), _nothing)

    def clear(self) -> None:
        guarded(self.outage, lambda: super(ResilientRedisCache, self).clear(), _nothing)


def _no() -> bool:
    return False


def _nothing() -> None:
    return None
