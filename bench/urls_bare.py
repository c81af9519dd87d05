"""The site's URLconf plus one bare view, for bench/verification.py's throughput baseline.

`/bench/bare` returns a constant JSON body through the same middleware (and the same gunicorn) as the
API, so the ratio of their throughputs is what the API itself costs. Used only by
bench/settings_verification.py; never part of the site.
"""

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns
from core.access import PUBLIC, access


@access(PUBLIC)
@transaction.non_atomic_requests  # as the API's lookups (portal/api_urls.py), so both skip ATOMIC_REQUESTS
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare", bare, name="bench-bare"), *site_urlpatterns]
