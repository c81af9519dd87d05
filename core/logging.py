"""Request ids in every log line, and JSON log lines for production.

- core.middleware.RequestIdMiddleware gives each request an id (a sane incoming X-Request-ID, else a new
  one), returns it in the X-Request-ID response header and holds it in `request_id_var` while the
  request runs.
- `RequestIdFilter`, on the console handler, copies it onto every log record as `request_id` ("-" outside
  a request), so both the plain and the JSON format can show it.
- `JsonFormatter` writes one JSON object a line; production switches it on with DJANGO_LOG_JSON.
- A Celery task sent during a request carries the id in its message headers, and the worker's log lines
  for that task carry it too (`celery_signals_connect`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
CELERY_HEADER = "council_request_id"
# An incoming id is kept when it is short and plain (a load balancer's or proxy's id); else a new one.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# LogRecord's own attributes: anything else on a record came from `extra=` and goes into the JSON.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id_from(incoming: str | None) -> str:
    """The id for a request: the caller's X-Request-ID if it is sane, else a new random one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (a filter on the handler, so every logger gets it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, exception, and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in entry:
                entry[name] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


# --- Celery: the id travels with the task -------------------------------------------------------


def task_headers_add(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """before_task_publish: a task sent while a request runs carries the request's id."""
    request_id = request_id_var.get()
    if request_id is not None and headers is not None:
        headers.setdefault(CELERY_HEADER, request_id)


def task_request_id_set(task: Any = None, **kwargs: Any) -> None:
    """task_prerun (in the worker): the task's log lines carry the id of the request that sent it."""
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return  # an eager task runs inside the request, which already has its id
    request_id = getattr(request, CELERY_HEADER, None)
    if request_id is None and isinstance(getattr(request, "headers", None), dict):
        request_id = request.headers.get(CELERY_HEADER)
    if isinstance(request_id, str):
        request_id_var.set(request_id)


def task_request_id_clear(task: Any = None, **kwargs: Any) -> None:
    """task_postrun: the next task in the same worker process starts without an id."""
    if not getattr(getattr(task, "request", None), "is_eager", False):
        request_id_var.set(None)


def celery_signals_connect() -> None:
    """Connected once, from core.apps: infrastructure, not business logic."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(task_headers_add, weak=False, dispatch_uid="core.logging.headers")
    task_prerun.connect(task_request_id_set, weak=False, dispatch_uid="core.logging.prerun")
    task_postrun.connect(task_request_id_clear, weak=False, dispatch_uid="core.logging.postrun")
