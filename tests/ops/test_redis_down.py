"""Acceptance 6: with Redis unreachable the health report degrades and the public register still serves.

The cache is production's (core.cache.ResilientRedisCache) pointed at a loopback port nothing listens on,
so every call to Redis really fails to connect, as it would with Redis stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.cache import LOG_EVERY_SECONDS, outage_for
from portal import ratelimit
from portal.services import api_key_issue, member_add, organisation_create
from tests import factories
from tests.portal.test_public_register import _register

pytestmark = pytest.mark.django_db


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def cache_warnings() -> Iterator[list[logging.LogRecord]]:
    handler = _Records()
    logger = logging.getLogger("core.cache")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_health_degrades_while_the_public_register_serves(client, categories, registrar, redis_down, cache_warnings):
    # given a practitioner on the register, an employer's API key, and Redis unreachable
    entry = _register(categories, registrar, "José", "Núñez")
    organisation = organisation_create(actor=None, name="Ubuntu Care")
    user = factories.UserFactory()
    member_add(actor=None, organisation=organisation, user=user)
    _key, raw_key = api_key_issue(actor=user, organisation=organisation, name="HR system")
    number = entry.registration_number
    # when the load balancer asks for the health report
    health = client.get(reverse("health"))
    # then the site reports itself degraded, yet able to serve (200), with the cache's failure named
    assert health.status_code == HTTPStatus.OK
    report = health.json()
    assert report["status"] == "degraded"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["cache"] == {
        "ok": False,
        "duration_ms": report["checks"]["cache"]["duration_ms"],
        "detail": "ConnectionError",
    }
    # and the public pages and the API, which use the cache and the rate limits, still answer
    pages = {
        "home": client.get(reverse("portal:home")),
        "search": client.get(reverse("portal:register-search"), {"q": "Nunez"}),
        "record": client.get(reverse("portal:register-record", args=[number])),
        "statement": client.get(reverse("portal:statement-json", args=[number])),
        "api": client.get(reverse("api:practitioner-detail", args=[number]), HTTP_AUTHORIZATION=f"Bearer {raw_key}"),
    }
    assert {name: response.status_code for name, response in pages.items()} == dict.fromkeys(pages, HTTPStatus.OK)
    assert "Núñez" in pages["search"].content.decode()
    assert pages["api"].json()["registration_number"] == number
    # and the outage was logged once, not once per call
    assert len(cache_warnings) == 1
    assert "unreachable" in cache_warnings[0].getMessage()


def test_rate_limits_still_apply_in_each_process_while_redis_is_down(client, council, settings, redis_down):
    # given a limit of three searches a minute, and Redis unreachable
    settings.COUNCIL_ANONYMOUS_RATE = "3/min"
    # when one address searches four times
    answers = [client.get(reverse("portal:register-search"), {"q": "Nunez"}).status_code for _ in range(4)]
    # then the fourth is refused, counted in this process's memory
    assert answers == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_an_unreachable_redis_is_an_empty_cache_that_keeps_nothing(redis_down):
    # when every kind of call is made against the unreachable Redis
    cache.set("a", 1)
    # then reads miss, writes are dropped, and counters behave as missing keys
    assert cache.get("a") is None
    assert cache.get("a", "fallback") == "fallback"
    assert cache.add("a", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("a") is False
    assert cache.delete("a") is False
    assert cache.get_or_set("memo", 42) == 42
    with pytest.raises(ValueError, match="not found"):
        cache.incr("a")


def test_after_a_failure_redis_is_not_tried_again_for_a_few_seconds(redis_down, monkeypatch):
    # given a failure just seen
    assert cache.get("a") is None
    outage = outage_for(redis_down)
    assert outage.is_down()
    # when the cache is used again at once, no connection is attempted
    calls: list[Any] = []
    monkeypatch.setattr(type(cache._cache), "get_client", lambda *args, **kwargs: calls.append(args))  # type: ignore[attr-defined]
    assert cache.get("a", "missed") == "missed"
    assert calls == []


def test_the_outage_is_reported_again_after_a_while_with_the_calls_it_cost(redis_down, cache_warnings, monkeypatch):
    # given an outage reported once
    outage = outage_for(redis_down)
    outage.failed(ConnectionError("refused"))
    for _ in range(5):
        outage.skipped()
    assert len(cache_warnings) == 1
    # when the next failure comes after LOG_EVERY_SECONDS
    import core.cache

    later = core.cache.time.monotonic() + LOG_EVERY_SECONDS + 1
    monkeypatch.setattr(core.cache.time, "monotonic", lambda: later)
    outage.failed(ConnectionError("refused"))
    # then it is reported again, counting the calls since the first report
    assert len(cache_warnings) == 2
    assert cache_warnings[1].args[1] == 6


def test_rate_limit_counts_fall_back_to_this_process_and_forget_at_the_window_end(redis_down, monkeypatch):
    # given Redis unreachable and a caller who used up a limit of two a minute
    assert [ratelimit.hit("anon:198.51.100.7", "2/min") for _ in range(3)][:2] == [None, None]
    assert ratelimit.hit("anon:198.51.100.7", "2/min") is not None
    assert ratelimit.hit("anon:198.51.100.8", "2/min") is None  # another caller counts apart
    # when the window ends
    later = ratelimit.time.monotonic() + 61
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: later)
    # then the caller has the whole limit again
    assert ratelimit.hit("anon:198.51.100.7", "2/min") is None
