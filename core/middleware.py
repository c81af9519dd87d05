from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from core.logging import REQUEST_ID_HEADER, request_id_from, request_id_var
from core.selectors import council_get

# The load balancer's probe and the metrics scrape read no Council row: the probe must answer 503 (not
# fail with a 500) when the database is down, and neither needs the council's time zone.
WITHOUT_COUNCIL_PATHS = frozenset({"/health/", "/metrics"})


class RequestIdMiddleware:
    """Each request gets an id (a sane incoming X-Request-ID, else a new one): in every log line of the
    request (core.logging), in the tasks it sends, and back to the caller in the X-Request-ID header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class CouncilTimezoneMiddleware:
    """Activates the council's time zone, so legal dates are the council's local dates."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in WITHOUT_COUNCIL_PATHS:
            request.council = None  # type: ignore[attr-defined]
            return self.get_response(request)
        council = council_get()
        request.council = council  # type: ignore[attr-defined]
        if council is not None and council.time_zone:
            timezone.activate(council.time_zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def client_address(request: HttpRequest) -> str:
    """The caller's address: settings.COUNCIL_CLIENT_ADDRESS_HEADER behind a proxy, else REMOTE_ADDR."""
    header = settings.COUNCIL_CLIENT_ADDRESS_HEADER
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"
