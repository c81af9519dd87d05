"""The council's public verification keys, published where verifiers look for them.

GET /.well-known/council-verification-keys.json returns a JWK Set ({"keys": [...]}) holding every
Ed25519 public key whose signatures on certificate QR codes are still honoured (licensing.signing).
This module is included by config/urls.py under ".well-known/", so its URL name has no namespace.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from core.access import PUBLIC, access
from licensing.signing import jwk, verification_keys

CACHE_SECONDS = 60 * 60


@access(PUBLIC)
@transaction.non_atomic_requests  # no database work at all
@require_GET
def well_known_verification_keys(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"keys": [jwk(key) for key in verification_keys().values()]})
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


urlpatterns = [
    path(
        "council-verification-keys.json",
        well_known_verification_keys,
        name="well-known-verification-keys",
    ),
]
