"""Request ids: given or made, returned, on every log line of the request, in JSON, and carried to tasks."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.urls import reverse

from core.logging import (
    CELERY_HEADER,
    JsonFormatter,
    RequestIdFilter,
    request_id_var,
    task_headers_add,
    task_request_id_clear,
    task_request_id_set,
)

pytestmark = pytest.mark.django_db


class _Lines(logging.Handler):
    """A handler set up as production's console: the request-id filter, then the JSON formatter."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines() -> Iterator[list[dict]]:
    handler = _Lines()
    logger = logging.getLogger("core.health")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_a_sane_incoming_id_is_kept_and_returned(client, settings, closed_port, lines):
    # given a broker that fails, so the health check logs a warning during the request
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    # when a request arrives with the load balancer's id
    response = client.get(reverse("health"), HTTP_X_REQUEST_ID="lb-3f2a9c1e-77")
    # then the id comes back, and the request's log line carries it, as one JSON object
    assert response["X-Request-ID"] == "lb-3f2a9c1e-77"
    (line,) = [line for line in lines if line["message"].startswith("Health check broker failed")]
    assert line["request_id"] == "lb-3f2a9c1e-77"
    assert line["level"] == "WARNING"
    assert line["logger"] == "core.health"
    assert line["time"].endswith("+00:00")
    # and outside the request there is no id
    assert request_id_var.get() is None


@pytest.mark.parametrize("incoming", ["", "short", "has spaces in it", "x" * 129, "<script>alert(1)</script>"])
def test_an_odd_incoming_id_is_replaced_by_a_new_one(client, council, incoming):
    response = client.get(reverse("portal:home"), HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32
    assert int(response["X-Request-ID"], 16) >= 0


def test_every_request_gets_its_own_id(client, council):
    first = client.get(reverse("portal:home"))["X-Request-ID"]
    second = client.get(reverse("portal:home"))["X-Request-ID"]
    assert first != second


def test_json_lines_carry_extras_and_exceptions():
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=sys.exc_info(), extra={"invoice_id": 7}
        )
    line = json.loads(formatter.format(record))
    assert line["message"] == "failed here"
    assert line["invoice_id"] == 7
    assert "ValueError: boom" in line["exception"]
    assert line["request_id"] is None


def test_a_task_sent_during_a_request_carries_its_id_to_the_worker():
    # given a request in progress
    token = request_id_var.set("req-0123456789")
    headers: dict = {}
    try:
        # when it sends a task
        task_headers_add(headers=headers)
    finally:
        request_id_var.reset(token)
    # then the message carries the id
    assert headers == {CELERY_HEADER: "req-0123456789"}
    # and when a worker runs it, the task's log lines carry it, until the task ends
    task = SimpleNamespace(request=SimpleNamespace(is_eager=False, **headers))
    task_request_id_set(task=task)
    assert request_id_var.get() == "req-0123456789"
    task_request_id_clear(task=task)
    assert request_id_var.get() is None


def test_an_eager_task_keeps_the_requests_id():
    token = request_id_var.set("req-eager-000001")
    try:
        eager = SimpleNamespace(request=SimpleNamespace(is_eager=True))
        task_request_id_set(task=eager)
        task_request_id_clear(task=eager)
        assert request_id_var.get() == "req-eager-000001"
    finally:
        request_id_var.reset(token)
