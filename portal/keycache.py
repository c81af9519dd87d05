"""Each web process remembers the API keys it has already checked, so a keyed request need not ask the
database again.

Every keyed API request must find its key (services.api_key_find: one query, a database round trip).
An employer's system sends many requests with one key, so each process remembers the keys it has found,
by the SHA-256 of the whole key, for at most MAX_AGE seconds. It does so only when the cache is Redis,
as in production. A key that was not found is never remembered.

Revocation is still seen at once, by every process. A remembered key is used only while the **key
generation** in Redis is the one read before the key was looked up. Any save or delete of an ApiKey or
an EmployerOrganisation sets a new generation once its transaction commits (portal/apps.py). That
covers a revocation, and an organisation switched off in the admin. The generation is read in the same
Redis round trip as the key's rate-limit counter (ratelimit.hit_and_read). So a remembered key costs
no round trip beyond the one every request makes anyway.

When Redis cannot be reached, nothing is remembered or used: every request asks the database. The
generation is a random token, not a counter, so a Redis that restarts empty invalidates every process's
memory as well.

One gap remains. A change committed while Redis is unreachable cannot set a new generation; this is
logged as an error. A process that remembered the key, and made no request while Redis was down, may
then accept it until its memory of the key is MAX_AGE old.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from core.cache import guarded, outage_for
from portal import ratelimit

logger = logging.getLogger(__name__)

MAX_AGE = 60.0
MAX_KEYS = 1000
GENERATION = "api-keys:generation"


@dataclass(frozen=True)
class Remembered:
    row: tuple[Any, ...]  # services.api_key_find's row, made into a new ApiKey for each request
    generation: str
    at: float


_remembered: dict[str, Remembered] = {}


def generation_key() -> str:
    """The generation's Redis key, with the cache's prefix and version."""
    return cache.make_and_validate_key(GENERATION)


def current_generation() -> str | None:
    """The key generation (a new one is made when Redis has none), or None when the cache is not Redis or
    cannot be reached: then nothing may be remembered."""
    location = ratelimit.redis_location()
    if location is None:
        return None

    def read() -> str | None:
        client = ratelimit.redis_client(location)
        key = generation_key()
        client.set(key, secrets.token_hex(8), nx=True)
        value = client.get(key)
        return value.decode() if isinstance(value, bytes) else value

    return guarded(outage_for(location), read, lambda: None)


def keys_changed() -> None:
    """Keys or organisations changed (and committed): no process may use the keys it remembers."""
    location = ratelimit.redis_location()
    if location is None:
        return

    def bump() -> None:
        ratelimit.redis_client(location).set(generation_key(), secrets.token_hex(8))

    def unreachable() -> None:
        logger.error(
            "API keys changed while Redis was unreachable: processes may accept keys they remember for up to "
            "%s s (portal/keycache.py)",
            int(MAX_AGE),
        )

    guarded(outage_for(location), bump, unreachable)


def recall(digest: str) -> Remembered | None:
    remembered = _remembered.get(digest)
    if remembered is not None and time.monotonic() - remembered.at > MAX_AGE:
        _remembered.pop(digest, None)
        return None
    return remembered


def remember(digest: str, row: tuple[Any, ...], generation: str) -> None:
    if len(_remembered) >= MAX_KEYS:
        _remembered.clear()
    _remembered[digest] = Remembered(row=row, generation=generation, at=time.monotonic())


def forget(digest: str | None = None) -> None:
    """Forget one key (by its digest), or every key."""
    if digest is None:
        _remembered.clear()
    else:
        _remembered.pop(digest, None)
