from __future__ import annotations

from collections.abc import Callable

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
