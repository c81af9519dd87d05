"""The operational endpoints: the load balancer's health report and the Prometheus scrape."""

from __future__ import annotations

from http import HTTPStatus

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from core.access import PUBLIC, access
from core.health import health_report
from core.metrics import metrics_exposition, metrics_token_matches


@access(PUBLIC)  # the load balancer asks without credentials; the report names no host and no data
@transaction.non_atomic_requests  # the database check opens its own connection, with a short timeout
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 while the public register can be served (the database answers), else 503; JSON either way."""
    report = health_report()
    status = HTTPStatus.OK if report.can_serve else HTTPStatus.SERVICE_UNAVAILABLE
    response = JsonResponse(report.as_dict(), status=status)
    add_never_cache_headers(response)
    return response


# Public at the gate, because the scraper has no account; the view itself serves only a caller holding
# COUNCIL_METRICS_TOKEN, and answers everyone else, signed in or not, as if the URL did not exist.
@access(PUBLIC)
@transaction.non_atomic_requests
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_token_matches(request):
        return HttpResponseNotFound(b"", content_type="text/plain")
    body, content_type = metrics_exposition()
    response = HttpResponse(body, content_type=content_type)
    add_never_cache_headers(response)
    return response
