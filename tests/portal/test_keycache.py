"""API keys a process has found are used again without asking the database (portal.keycache), on Redis as
in production, and a revoked key, or a key of an organisation switched off, is still refused at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.cache import outages_reset
from portal import keycache, ratelimit
from portal import services as portal_services
from tests.licensing.conftest import free_loopback_port
from tests.portal.test_api import _auth, _employer, _problem
from tests.portal.test_ratelimit import REDIS_URL, _use

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    keycache.forget()
    yield
    keycache.forget()
    outages_reset()


@pytest.fixture
def lookups(monkeypatch: Any) -> list[str]:
    """Each database lookup of a key, as it happens."""
    asked: list[str] = []
    real = portal_services.api_key_row

    def counted(raw_key: str) -> Any:
        asked.append(raw_key)
        return real(raw_key)

    monkeypatch.setattr(portal_services, "api_key_row", counted)
    return asked


def _counter(key_pk: int) -> int:
    value = ratelimit.redis_client(REDIS_URL).get(cache.make_and_validate_key(f"ratelimit:key:{key_pk}"))
    return int(value or 0)


def test_a_key_found_once_is_used_again_without_the_database_and_each_request_is_counted_once(
    client, council, settings, lookups
):
    _use(settings, "redis")
    _organisation, _user, key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    # when the same key makes three requests
    for _ in range(3):
        assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    # then the database was asked for it once, and the rate limit counted three requests, not more
    assert lookups == [raw_key]
    assert _counter(key.pk) == 3


def test_the_limit_still_holds_for_a_remembered_key(client, council, settings, lookups):
    _use(settings, "redis")
    settings.COUNCIL_API_KEY_RATE = "2/min"
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    assert [client.get(url, **_auth(raw_key)).status_code for _ in range(2)] == [HTTPStatus.OK] * 2
    response = client.get(url, **_auth(raw_key))
    _problem(response, HTTPStatus.TOO_MANY_REQUESTS)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert lookups == [raw_key]


def test_a_revoked_key_is_refused_at_once_though_the_process_remembered_it(
    client, council, settings, lookups, django_capture_on_commit_callbacks
):
    _use(settings, "redis")
    _organisation, user, key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    assert lookups == [raw_key]  # remembered
    # when it is revoked (and the revocation commits)
    with django_capture_on_commit_callbacks(execute=True):
        portal_services.api_key_revoke(actor=user, key=key, reason="Laptop stolen")
    # then the very next request is refused: the new generation made the process ask the database again
    body = _problem(client.get(url, **_auth(raw_key)), HTTPStatus.UNAUTHORIZED)
    assert body["detail"] == "The API key is not valid, or has been revoked."
    assert lookups == [raw_key, raw_key]
    # and it is not remembered as valid: the next request asks again, and is refused again
    _problem(client.get(url, **_auth(raw_key)), HTTPStatus.UNAUTHORIZED)
    assert lookups == [raw_key, raw_key, raw_key]


def test_a_key_of_an_organisation_switched_off_in_the_admin_is_refused_at_once(
    client, council, settings, django_capture_on_commit_callbacks
):
    _use(settings, "redis")
    organisation, _user, _key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    # when a council administrator unticks "active" (the admin saves the model)
    organisation.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        organisation.save()
    _problem(client.get(url, **_auth(raw_key)), HTTPStatus.UNAUTHORIZED)


def test_a_redis_that_lost_its_data_makes_every_process_ask_again(client, council, settings, lookups):
    _use(settings, "redis")
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    # when Redis restarts empty: the generation is gone
    ratelimit.redis_client(REDIS_URL).delete(keycache.generation_key())
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    assert lookups == [raw_key, raw_key]
    # and a new generation was made, which the next request uses
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    assert lookups == [raw_key, raw_key]


def test_with_redis_unreachable_nothing_is_remembered_and_keys_still_work(client, council, settings, lookups):
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_loopback_port()}/0",
            "KEY_PREFIX": prefix,
        }
    }
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    assert [client.get(url, **_auth(raw_key)).status_code for _ in range(3)] == [HTTPStatus.OK] * 3
    assert lookups == [raw_key] * 3


def test_without_redis_nothing_is_remembered(client, council, settings, lookups):
    _use(settings, "locmem")
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    assert [client.get(url, **_auth(raw_key)).status_code for _ in range(2)] == [HTTPStatus.OK] * 2
    assert lookups == [raw_key] * 2


def test_a_memory_older_than_max_age_is_not_used(client, council, settings, lookups, monkeypatch):
    _use(settings, "redis")
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")  # a keyed operation: the same authentication as every other
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    monkeypatch.setattr(keycache, "MAX_AGE", -1.0)
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    assert lookups == [raw_key, raw_key]
