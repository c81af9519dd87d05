"""Stripe's webhook: verify the signature, store the event once, answer fast; a task does the work."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.access import PUBLIC, access
from licensing import gateway, services

logger = logging.getLogger(__name__)


@access(PUBLIC)  # anyone may knock; only a body signed with our webhook secret gets in
@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = gateway.webhook_event_verify(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
        )
    except gateway.WebhookRejected as error:
        logger.warning("Stripe webhook refused: %s", error.message)
        return HttpResponseBadRequest(error.message, content_type="text/plain")
    _stored, created = services.stripe_event_receive(event=event)
    return HttpResponse("stored" if created else "already stored", content_type="text/plain")
