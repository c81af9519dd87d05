from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from core.selectors import council_get


class CouncilTimezoneMiddleware:
    """Activates the council's time zone, so legal dates are the council's local dates."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
