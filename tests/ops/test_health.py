"""The health report (GET /health/): each dependency, its time, and 200 or 503 on the database alone."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from core import health
from core.access import PUBLIC, rule_for
from core.middleware import WITHOUT_COUNCIL_PATHS
from tests.conftest import require
from tests.ops.conftest import REDIS_URL, redis_available, use_cache

pytestmark = pytest.mark.django_db


def _checks(response) -> dict:
    return response.json()["checks"]


def test_every_dependency_answering_is_ok(client, settings):
    # given the cache on the machine's Redis and the demo's in-memory broker (tasks run eagerly)
    require(redis_available(), "Redis on 127.0.0.1:6379")
    use_cache(settings, REDIS_URL)
    # when the load balancer asks
    response = client.get(reverse("health"))
    # then it is told all is well, check by check, each timed
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"].startswith("max-age=0")
    report = response.json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "cache", "broker", "workers"}
    assert all(isinstance(check["duration_ms"], float) for check in report["checks"].values())
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["cache"]["ok"] is True
    assert report["checks"]["broker"] == {
        "ok": True,
        "duration_ms": report["checks"]["broker"]["duration_ms"],
        "skipped": True,
        "detail": "no broker: tasks run eagerly in the web process",
    }


def test_a_database_that_cannot_be_reached_is_503(client, closed_port, monkeypatch):
    # given the database's address pointing at a closed port (the health check's own connection)
    real = health.database_params
    monkeypatch.setattr(health, "database_params", lambda: {**real(), "host": "127.0.0.1", "port": closed_port})
    # when the load balancer asks
    response = client.get(reverse("health"))
    # then it is told to send no traffic here
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["status"] == "unavailable"
    assert _checks(response)["database"]["ok"] is False
    assert _checks(response)["database"]["detail"] == "OperationalError"


def test_an_unreachable_broker_degrades_but_serves(client, settings, closed_port):
    # given a broker nobody answers at
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    # when the load balancer asks
    response = client.get(reverse("health"))
    # then the site still takes traffic, and the broker and workers are reported down
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "degraded"
    assert _checks(response)["broker"]["ok"] is False
    assert _checks(response)["workers"] == {"ok": False, "duration_ms": 0.0, "detail": "broker unreachable"}


def test_a_broker_with_no_worker_reports_the_workers_down(client, settings):
    # given a reachable broker (a Redis database no worker listens on) and a short ping
    require(redis_available(), "Redis on 127.0.0.1:6379")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/11"
    settings.COUNCIL_HEALTH_WORKER_TIMEOUT_SECONDS = 0.2
    # when the load balancer asks
    response = client.get(reverse("health"))
    # then the broker is fine, no worker answered, and the site still serves
    assert response.status_code == HTTPStatus.OK
    assert _checks(response)["broker"]["ok"] is True
    assert _checks(response)["workers"]["ok"] is False
    assert _checks(response)["workers"]["detail"] == "LookupError"


def test_the_worker_ping_can_be_turned_off(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/11"
    settings.COUNCIL_HEALTH_WORKER_TIMEOUT_SECONDS = 0
    check = health.health_report().checks["workers"]
    assert (check.ok, check.skipped, check.detail) == (True, True, "the worker ping is turned off")


def test_the_endpoint_is_public_and_reads_no_council_row(django_assert_num_queries, client):
    assert rule_for(client.get(reverse("health")).resolver_match) is PUBLIC
    assert reverse("health") in WITHOUT_COUNCIL_PATHS
    assert reverse("metrics") in WITHOUT_COUNCIL_PATHS
    # the database check uses its own connection: the request itself makes no query
    with django_assert_num_queries(0):
        client.get(reverse("health"))
