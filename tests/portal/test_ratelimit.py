"""The rate-limit counters (portal.ratelimit), on Redis as in production and on local memory as in the demo."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.cache import cache

from portal import ratelimit
from tests.conftest import require

REDIS_URL = "redis://127.0.0.1:6379/10"


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.exceptions.ConnectionError:
        return False


def _use(settings: Any, kind: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    if kind == "redis":
        require(_redis_available(), "Redis on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": prefix,
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}}


@pytest.fixture(params=["redis", "locmem"])
def backend(request: Any, settings: Any) -> str:
    _use(settings, request.param)
    return str(request.param)


def _end_window(backend: str, key: str) -> None:
    """What the window's expiry does, without waiting for it."""
    if backend == "redis":
        ratelimit.redis_client(REDIS_URL).delete(cache.make_and_validate_key(f"ratelimit:{key}"))
    else:
        cache.delete(f"ratelimit:{key}")


@pytest.mark.parametrize(("rate", "expected"), [("600/min", (600, 60)), ("3/s", (3, 1)), ("10/hour", (10, 3600))])
def test_rates_are_read_as_count_and_period(rate, expected):
    assert ratelimit.parse_rate(rate) == expected


def test_a_caller_past_the_limit_waits_for_the_window_to_end(backend):
    # given a limit of three a minute
    # when a caller makes four requests
    answers = [ratelimit.hit("anon:192.0.2.1", "3/min") for _ in range(4)]
    # then the first three pass and the fourth is told to wait, at most the window
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None
    assert 1 <= answers[3] <= 60
    # and every further request in the window is refused too
    assert ratelimit.hit("anon:192.0.2.1", "3/min") is not None


def test_callers_are_counted_apart(backend):
    for _ in range(3):
        ratelimit.hit("key:1", "3/min")
    assert ratelimit.hit("key:1", "3/min") is not None
    assert ratelimit.hit("key:2", "3/min") is None


def test_a_new_window_starts_a_new_count(backend):
    for _ in range(4):
        ratelimit.hit("key:7", "3/min")
    assert ratelimit.hit("key:7", "3/min") is not None
    # when the window ends
    _end_window(backend, "key:7")
    # then the caller has the whole limit again
    assert [ratelimit.hit("key:7", "3/min") for _ in range(4)][:3] == [None, None, None]


def test_a_raised_rate_applies_to_the_open_window(backend):
    for _ in range(3):
        ratelimit.hit("key:9", "3/min")
    assert ratelimit.hit("key:9", "3/min") is not None
    assert ratelimit.hit("key:9", "10/min") is None


def test_on_redis_the_counter_expires_with_its_window(settings):
    _use(settings, "redis")
    ratelimit.hit("key:11", "5/min")
    client = ratelimit.redis_client(REDIS_URL)
    cache_key = cache.make_and_validate_key("ratelimit:key:11")
    assert int(client.get(cache_key)) == 1
    assert 0 < client.pttl(cache_key) <= 60_000


def test_on_redis_a_counter_left_without_expiry_is_given_one(settings):
    # given a counter past the limit with no expiry (its process stopped between INCR and EXPIRE)
    _use(settings, "redis")
    client = ratelimit.redis_client(REDIS_URL)
    cache_key = cache.make_and_validate_key("ratelimit:key:12")
    client.set(cache_key, 9)
    # when the caller comes back, they are refused for one window
    assert ratelimit.hit("key:12", "3/min") == 60
    # and the counter now ends with that window, so the caller is not shut out for good
    assert 0 < client.pttl(cache_key) <= 60_000
