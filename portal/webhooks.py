"""Signed webhooks to employers: address checks, signing, delivery with retries and back-off.

Each message is POSTed as JSON with these headers:

    Council-Webhook-Id: <event id, a UUID: the same on a retry or a resend, to de-duplicate>
    Council-Webhook-Timestamp: <Unix seconds when this attempt was signed>
    Council-Webhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the organisation's secret>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
time, and refuses timestamps more than five minutes old (docs/guides/employer-services.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from portal.models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

# Minutes to wait after each failed attempt; after the last, the delivery is given up (FAILED).
BACKOFF_MINUTES = (1, 5, 30, 120, 360, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
SIGNATURE_HEADER = "Council-Webhook-Signature"
TIMESTAMP_HEADER = "Council-Webhook-Timestamp"
ID_HEADER = "Council-Webhook-Id"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A message goes only to the address the employer saved (and url_check passed): a redirect is not
    followed (it could lead anywhere, a private address included) but counts as a failed attempt."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def url_check(url: str) -> None:
    """Refuse addresses a council server should not call: not https, or on a private network."""
    parts = urlsplit(url)
    allow_private = settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ApplicationError(_("Enter a full web address starting with https://."))
    if parts.scheme != "https" and not allow_private:
        raise ApplicationError(_("The webhook address must use https://."))
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError as error:
        raise ApplicationError(_("The webhook address's host name could not be found.")) from error
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise ApplicationError(_("The webhook address must be on the public internet."))


def dispatch_after_commit(ids: Sequence[int]) -> None:
    """Queue delivery of these rows once the transaction that made them has committed."""
    from portal.tasks import webhook_deliver

    for delivery_id in ids:
        transaction.on_commit(functools.partial(webhook_deliver.delay, delivery_id), robust=True)


def deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt to deliver, and record it. Safe to call twice: a row is locked while sent."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("organisation")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        secret = delivery.organisation.webhook_secret
        body = delivery.body.encode()
        timestamp = int(time.time())
        request = urllib.request.Request(  # noqa: S310 - the address was checked by url_check when saved
            delivery.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "council-registry-webhooks/1",
                ID_HEADER: str(delivery.event_id),
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
            },
        )
        delivery.attempts += 1
        status_code: int | None = None
        error = ""
        try:
            url_check(delivery.url)  # again at each attempt: the name may now resolve somewhere private
            with _OPENER.open(request, timeout=settings.COUNCIL_WEBHOOK_TIMEOUT_SECONDS) as response:
                status_code = response.status
        except ApplicationError as exc:
            error = exc.message[:300]
        except urllib.error.HTTPError as exc:
            status_code = exc.code
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc))[:300]
        now = timezone.now()
        delivery.last_response_status = status_code
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.last_error = ""
        else:
            delivery.last_error = error or f"HTTP {status_code}"
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + dt.timedelta(minutes=BACKOFF_MINUTES[delivery.attempts - 1])
        delivery.save()
    if delivery.status != DeliveryStatus.DELIVERED:
        logger.warning("webhook %s to %s failed: %s", delivery.pk, delivery.url, delivery.last_error)
    return delivery


def due_ids(*, limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
