"""The API's gatekeeping: API-key authentication, rate limits, and RFC 9457 problem responses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from core.middleware import client_address
from portal import keycache, ratelimit
from portal.models import ApiKey

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://council-registry.example/problems/"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` (or `X-Api-Key: <key>`). No key: an anonymous caller. A wrong or
    revoked key: 401 at once. A key this process found before is used without asking the database while
    the key generation holds (portal.keycache); the generation is read with the key's rate-limit counter,
    which is then counted here, in the same round trip, and not again by ApiKeyRateThrottle."""

    def authenticate(self, request: Any) -> tuple[Any, ApiKey] | None:
        from portal.services import api_key_from_row, api_key_hash, api_key_row

        header = request.META.get("HTTP_AUTHORIZATION", "")
        raw = header[7:].strip() if header[:7].lower() == "bearer " else request.META.get("HTTP_X_API_KEY", "").strip()
        if not raw and not header:
            return None
        digest = api_key_hash(raw)
        counted: tuple[int | None, str | None] | None = None
        remembered = keycache.recall(digest) if raw else None
        if remembered is not None:
            counted = ratelimit.hit_and_read(
                f"key:{remembered.row[0]}", str(settings.COUNCIL_API_KEY_RATE), keycache.generation_key()
            )
            if counted is not None and counted[1] == remembered.generation:
                return self._authenticated(request, api_key_from_row(remembered.row), counted[0])
            keycache.forget(digest)
        generation = keycache.current_generation() if raw else None  # read before the row: see portal.keycache
        row = api_key_row(raw) if raw else None
        if row is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid, or has been revoked."))
        if generation is not None:
            keycache.remember(digest, row, generation)
        key = api_key_from_row(row)
        if counted is not None and remembered is not None and remembered.row[0] == key.pk:
            return self._authenticated(request, key, counted[0])  # this request was counted already
        return self._authenticated(request, key)

    @staticmethod
    def _authenticated(request: Any, key: ApiKey, *counted: int | None) -> tuple[Any, ApiKey]:
        if counted:  # for ApiKeyRateThrottle: this request is counted, and must wait so long (or None)
            request._request.api_key_counted = (key.pk, counted[0])
        # The key's user is loaded only if a view asks for it: the public lookups never do.
        return SimpleLazyObject(lambda: key.created_by), key

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    message = _("This operation needs an employer API key.")

    def has_permission(self, request: Any, view: Any) -> bool:
        if not isinstance(request.auth, ApiKey):
            raise exceptions.NotAuthenticated(self.message)
        return True


class _CounterThrottle(BaseThrottle):
    """A rate limit (portal.ratelimit: a counter per caller and window), the rate read from settings on
    every request so it can change without a restart."""

    setting = ""

    def __init__(self) -> None:
        self._wait: int | None = None

    def caller(self, request: Any) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        caller = self.caller(request)
        if caller is None:
            return True
        self._wait = ratelimit.hit(caller, str(getattr(settings, self.setting)))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class ApiKeyRateThrottle(_CounterThrottle):
    setting = "COUNCIL_API_KEY_RATE"

    def allow_request(self, request: Any, view: Any) -> bool:
        auth = getattr(request, "auth", None)
        counted = getattr(request._request, "api_key_counted", None)
        if isinstance(auth, ApiKey) and counted is not None and counted[0] == auth.pk:
            self._wait = counted[1]  # counted with the key generation, in ApiKeyAuthentication
            return self._wait is None
        return super().allow_request(request, view)

    def caller(self, request: Any) -> str | None:
        auth = getattr(request, "auth", None)
        return f"key:{auth.pk}" if isinstance(auth, ApiKey) else None


class AnonymousRateThrottle(_CounterThrottle):
    setting = "COUNCIL_ANONYMOUS_RATE"

    def caller(self, request: Any) -> str | None:
        if isinstance(getattr(request, "auth", None), ApiKey):
            return None
        return f"anon:{client_address(request)}"


def anonymous_wait(request: HttpRequest) -> int | None:
    """For the public pages: None when the caller is within the anonymous rate, else seconds to wait.

    The pages and the API share the limit, so switching between them gains a scraper nothing."""
    return ratelimit.hit(f"anon:{client_address(request)}", settings.COUNCIL_ANONYMOUS_RATE)


def problem(
    *, status_code: int, title: str, detail: str = "", kind: str = "", extra: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status_code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra or {})
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


_TITLES = {
    400: ("invalid-request", _("The request is not valid")),
    401: ("not-authenticated", _("An API key is needed")),
    403: ("forbidden", _("Not allowed")),
    404: ("not-found", _("Not found")),
    405: ("method-not-allowed", _("Method not allowed")),
    406: ("not-acceptable", _("Not acceptable")),
    415: ("unsupported-media-type", _("Unsupported media type")),
    429: ("rate-limited", _("Too many requests")),
}


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _flatten(value, f"{path}/{key}")]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"pointer": path or "/", "detail": str(item)} for item in detail]
        return [item for index, value in enumerate(detail) for item in _flatten(value, f"{path}/{index}")]
    return [{"pointer": path or "/", "detail": str(detail)}]


def _response_without_rollback(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response({}, status=exc.status_code, headers=headers)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (headers such as Retry-After and WWW-Authenticate kept), with RFC 9457 bodies."""
    # Imported here: rest_framework.views reads the settings that name this module, at import.
    from rest_framework.views import exception_handler, set_rollback

    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or _("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    view = context.get("view")
    read_only = getattr(view, "read_only", False)
    if read_only and isinstance(exc, exceptions.APIException):
        # DRF's handler marks the request's transaction for rollback; a read-only view runs outside one
        # (non_atomic_requests), so it would mark an outer block instead. There is nothing to undo.
        response = _response_without_rollback(exc)
    else:
        response = exception_handler(exc, context)
        if response is None:
            return None
        set_rollback()
    kind, title = _TITLES.get(response.status_code, ("error", _("Error")))
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = _flatten(exc.detail)
        detail = _("Correct the fields listed in errors.")
    else:
        detail = str(getattr(exc, "detail", "")) or title
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = max(1, int(exc.wait))
    request = context.get("request")
    if request is not None:
        extra["instance"] = request.get_full_path()
    problem_response = problem(
        status_code=response.status_code, title=str(title), detail=detail, kind=kind, extra=extra
    )
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            problem_response[header] = value
    return problem_response
