"""Rate limits as counters: one round trip to Redis a request, whatever the rate.

A caller's window opens at their first request and lasts the rate's period; each request adds one to
the window's counter, and a request past the limit is refused until the window ends (its Retry-After).
This is a fixed window per caller, not a sliding log: DRF's SimpleRateThrottle keeps a list of
timestamps, one a request, read and written whole on every call, which at 600 a minute is a 600-item
list pickled twice a request. A counter costs the same at any rate. The price: a caller can make up to
twice the limit across the end of one window and the start of the next, which a per-minute limit can
bear.

With Redis as the default cache (production), the counter is one `INCR` on a client kept for the
process (and an `EXPIRE` when the INCR opened the window): one round trip for nearly every request.
Any other cache (tests, the demo's local memory) uses the cache API: add() then incr(), and the
window's end stored beside the counter.

When Redis cannot be reached (refused, or no answer within core.cache's short timeouts), the limits do
not fail the request: each process counts in its own memory until Redis answers again, so a caller gets
the limit once per web process rather than once in all. The outage is logged at most once a minute, and
Redis is not tried again for a few seconds after a failure (core.cache.Outage).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string

from core.cache import DEFAULT_OPTIONS, guarded, outage_for

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()
# The counters used while Redis is unreachable: key -> (window end, count), this process only.
_local: dict[str, tuple[float, int]] = {}
_local_lock = threading.Lock()
LOCAL_PRUNE_AT = 10_000


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/min' -> (600, 60). The period's first letter counts: s, m, h or d."""
    count, _sep, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0].lower()]


def redis_location() -> str | None:
    """The default cache's Redis server (the first, which takes writes), or None when it is not Redis."""
    config = settings.CACHES.get("default", {})
    backend = config.get("BACKEND", "")
    if not backend or not issubclass(import_string(backend), RedisCache):
        return None
    location = config.get("LOCATION")
    if isinstance(location, list | tuple):
        location = location[0]  # the first server takes writes, as Django's RedisCache does
    return str(location) if location else None


def redis_client(location: str) -> Any:
    """The process's client for a Redis server: no retries, core.cache's short timeouts."""
    client = _clients.get(location)
    if client is None:
        import redis

        with _clients_lock:
            client = _clients.setdefault(location, redis.Redis.from_url(location, retry=None, **DEFAULT_OPTIONS))
    return client


def _local_hit(cache_key: str, limit: int, period: int) -> int | None:
    """The same fixed window, counted in this process's memory (Redis is unreachable)."""
    now = time.monotonic()
    with _local_lock:
        if len(_local) >= LOCAL_PRUNE_AT:
            for stale in [key for key, (until, _count) in _local.items() if until <= now]:
                del _local[stale]
        until, count = _local.get(cache_key, (0.0, 0))
        if until <= now:
            until, count = now + period, 0
        count += 1
        _local[cache_key] = (until, count)
    if count <= limit:
        return None
    return max(1, math.ceil(until - now))


def _redis_hit(location: str, cache_key: str, limit: int, period: int, count: int | None = None) -> int | None:
    client = redis_client(location)
    if count is None:
        count = client.incr(cache_key)
    if count == 1:  # the first request of a window opens it
        client.expire(cache_key, period)
    if count <= limit:
        return None
    remaining_ms = client.pttl(cache_key)
    if remaining_ms < 0:  # a counter left without its expiry (a process stopped between INCR and EXPIRE)
        client.expire(cache_key, period)
        return period
    return max(1, math.ceil(remaining_ms / 1000))


def hit_and_read(key: str, rate: str, read_key: str) -> tuple[int | None, str | None] | None:
    """hit() on Redis, and the value of another Redis key (`read_key`, already made by the cache) read in the
    same round trip: (seconds to wait or None, the value or None). None when the cache is not Redis or
    Redis cannot be reached; then nothing was counted."""
    location = redis_location()
    if location is None:
        return None
    limit, period = parse_rate(rate)
    cache_key = cache.make_and_validate_key(f"ratelimit:{key}")

    def counted() -> tuple[int | None, str | None]:
        count, value = redis_client(location).pipeline(transaction=False).incr(cache_key).get(read_key).execute()
        wait = _redis_hit(location, cache_key, limit, period, count=int(count))
        return wait, value.decode() if isinstance(value, bytes) else value

    return guarded(outage_for(location), counted, lambda: None)


def hit(key: str, rate: str) -> int | None:
    """Count one request against `key`. None when it is within `rate`, else the seconds to wait."""
    limit, period = parse_rate(rate)
    cache_key = f"ratelimit:{key}"
    location = redis_location()
    if location is not None:
        cache_key = cache.make_and_validate_key(cache_key)  # the cache's prefix and version, as its own keys
        return guarded(
            outage_for(location),
            lambda: _redis_hit(location, cache_key, limit, period),
            lambda: _local_hit(cache_key, limit, period),
        )
    until_key = f"{cache_key}:until"
    now = time.time()
    cache.add(cache_key, 0, period)
    cache.add(until_key, now + period, period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window ended between add() and incr(): this request opens the next one
        cache.add(cache_key, 1, period)
        cache.set(until_key, now + period, period)
        count = 1
    if count <= limit:
        return None
    until = cache.get(until_key) or now + period
    return max(1, math.ceil(until - now))
