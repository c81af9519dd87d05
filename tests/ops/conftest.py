"""Fixtures for the operations tests: a loopback port nothing listens on, and the cache pointed at it."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from core.cache import outages_reset

REDIS_URL = "redis://127.0.0.1:6379/10"


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening: bound by the system, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def use_cache(settings: Any, location: str) -> None:
    """Make the default cache production's ResilientRedisCache at `location`, with a fresh key prefix."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def redis_down(settings: Any, closed_port: int) -> Iterator[str]:
    """The shared cache (and so the rate limits) on a Redis that cannot be reached."""
    location = f"redis://127.0.0.1:{closed_port}/1"
    outages_reset()
    use_cache(settings, location)
    yield location
    caches["default"].close()
    outages_reset()
