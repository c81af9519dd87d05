"""Prometheus metrics: requests by route and status, their latency, and the notification outbox.

gunicorn runs several worker processes, each with its own counters. With PROMETHEUS_MULTIPROC_DIR set
(an empty directory, writable by the web processes, emptied before gunicorn starts), prometheus_client
keeps every process's values in files there and the scrape adds them up; gunicorn.conf.py tells it when
a worker exits. Without the variable (one process: runserver, tests) the process's own values are served.

The scrape is `GET /metrics` with `Authorization: Bearer <COUNCIL_METRICS_TOKEN>`; core.views refuses
anything else with a 404, and with no token configured the endpoint does not exist.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

UNMATCHED_ROUTE = "unmatched"

REQUESTS = Counter(
    "council_http_requests",
    "HTTP requests answered, by route name, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "council_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def route_of(request: HttpRequest) -> str:
    """The URL's name (e.g. "portal:register-search"): one label per route, whatever its arguments."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Counts and times every request. It sits near the top of MIDDLEWARE, so its time is the whole answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        LATENCY.labels(route, request.method or "").observe(time.perf_counter() - started)
        REQUESTS.labels(route, request.method or "", str(response.status_code)).inc()
        return response


def outbox_summary() -> tuple[dict[str, int], dt.datetime | None]:
    """Unsent notifications by status, and when the oldest PENDING one was created (the status index)."""
    from django.db.models import Count, Min

    from core.models import Notification

    unsent = [Notification.Status.PENDING, Notification.Status.FAILED]
    rows = Notification.objects.filter(status__in=unsent).values("status").annotate(count=Count("id"))
    counts = {str(status): 0 for status in unsent} | {row["status"]: row["count"] for row in rows}
    oldest = Notification.objects.filter(status=Notification.Status.PENDING).aggregate(oldest=Min("created_at"))
    return counts, oldest["oldest"]


class OutboxCollector(Collector):
    """The notification outbox, read at scrape time (two indexed counts and a min over unsent rows)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts, oldest = outbox_summary()
        by_status = GaugeMetricFamily(
            "council_notifications_unsent", "Notifications not sent, by status (PENDING or FAILED).", labels=["status"]
        )
        for status, count in counts.items():
            by_status.add_metric([status], count)
        yield by_status
        age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "council_notification_oldest_pending_seconds",
            "Age of the oldest PENDING notification, in seconds (0 when none is waiting).",
            value=age,
        )


def metrics_token_matches(request: HttpRequest) -> bool:
    """Whether the request carries `Authorization: Bearer <COUNCIL_METRICS_TOKEN>` (never, with no token)."""
    token = str(settings.COUNCIL_METRICS_TOKEN or "")
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_exposition() -> tuple[bytes, str]:
    """Every process's metrics (or this process's), and the outbox gauges, in Prometheus's text format."""
    registry: Any
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(OutboxCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward(Collector):
    """The process's default registry, inside the scrape's registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        yield from self.source.collect()
