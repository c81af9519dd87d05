"""GET /metrics: Prometheus's text format, only for the holder of COUNCIL_METRICS_TOKEN."""

from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from core.models import Notification

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _scrape(client, token: str = TOKEN):
    return client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize(
    ("configured", "header"),
    [
        ("", ""),
        ("", "Bearer "),
        (TOKEN, ""),
        (TOKEN, "Bearer wrong-token"),
        (TOKEN, f"Basic {TOKEN}"),
        (TOKEN, f"Bearer {TOKEN}x"),
    ],
)
def test_without_the_token_the_endpoint_does_not_exist(client, settings, configured, header):
    settings.COUNCIL_METRICS_TOKEN = configured
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=header)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.content == b""


def test_requests_are_counted_by_route_and_status(client, council, settings):
    # given a token, and two known requests: a public page and a missing record
    settings.COUNCIL_METRICS_TOKEN = TOKEN
    before = _samples(_scrape(client).content)
    client.get(reverse("portal:home"))
    client.get("/no-such-page/")
    # when Prometheus scrapes
    response = _scrape(client)
    # then each request is counted under its route name and status, and timed
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain; version=")
    after = _samples(response.content)
    home = ("council_http_requests_total", (("method", "GET"), ("route", "portal:home"), ("status", "200")))
    missing = ("council_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))
    timed = ("council_http_request_duration_seconds_count", (("method", "GET"), ("route", "portal:home")))
    assert after[home] - before.get(home, 0) == 1
    assert after[missing] - before.get(missing, 0) == 1
    assert after[timed] - before.get(timed, 0) == 1


def test_the_notification_outbox_is_a_gauge(client, settings, applicant):
    # given two notifications waiting and one given up on
    settings.COUNCIL_METRICS_TOKEN = TOKEN
    for status in ("PENDING", "PENDING", "FAILED"):
        Notification.objects.create(
            recipient=applicant, to_email=applicant.email, subject="s", body="b", kind="k", status=status
        )
    # when Prometheus scrapes
    samples = _samples(_scrape(client).content)
    # then the gauges count them by status, and the oldest waiting one has an age
    assert samples[("council_notifications_unsent", (("status", "PENDING"),))] == 2
    assert samples[("council_notifications_unsent", (("status", "FAILED"),))] == 1
    assert samples[("council_notification_oldest_pending_seconds", ())] >= 0


def test_gunicorns_processes_are_added_up_in_multiprocess_mode(tmp_path):
    # given two processes that each counted a request, with PROMETHEUS_MULTIPROC_DIR shared
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    count_one = (
        "import django; django.setup(); from core.metrics import REQUESTS; "
        "REQUESTS.labels('portal:home', 'GET', '200').inc()"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count_one], env=environment, cwd=ROOT, check=True, timeout=120)
    # when a third process builds the scrape from the directory
    scrape = (
        "import django, sys; django.setup(); from core.metrics import REQUESTS, _Forward; "
        "from prometheus_client import CollectorRegistry, generate_latest; "
        "from prometheus_client.multiprocess import MultiProcessCollector; "
        "registry = CollectorRegistry(); MultiProcessCollector(registry); "
        "sys.stdout.write(generate_latest(registry).decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", scrape], env=environment, cwd=ROOT, check=True, timeout=120, capture_output=True
    )
    # then it sees both processes' requests
    samples = _samples(result.stdout)
    key = ("council_http_requests_total", (("method", "GET"), ("route", "portal:home"), ("status", "200")))
    assert samples[key] == 2
