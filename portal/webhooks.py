"""Signed webhooks to employers: address checks, signing, delivery with retries and back-off.

Each message is POSTed as JSON with these headers:

    Council-Webhook-Id: <event id, a UUID: the same on a retry or a resend, to de-duplicate>
    Council-Webhook-Timestamp: <Unix seconds when this attempt was signed>
    Council-Webhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the organisation's secret>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
time, and refuses timestamps more than five minutes old (docs/guides/employer-services.md).

Two things an attacker who controls the employer's DNS could try are closed off:
- answering the check with a public address and the connection a moment later with a private one (DNS
  rebinding): the connection goes to the very address the check approved, with the host name kept for
  the Host header and for checking the TLS certificate;
- a redirect to anywhere: http.client follows none, and a 3xx is a failed attempt.

An attempt is claimed in one short transaction and recorded in another; the HTTP call between them
holds no transaction or row lock. A claimed delivery is not due again until COUNCIL_WEBHOOK_TIMEOUT_SECONDS
and a minute have passed, so a worker that dies mid-attempt leaves it to the scheduled retry job.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import http.client
import ipaddress
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
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
# A claimed attempt is not due again for this long beyond the timeout (see the module's docstring).
CLAIM_MARGIN = dt.timedelta(minutes=1)


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def url_check(url: str) -> None:
    """Refuse addresses a council server should not call: not https, or on a private network (unless
    COUNCIL_WEBHOOK_ALLOW_PRIVATE, for development and tests, where the name need not resolve yet)."""
    if settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE:
        _scheme_check(url)
    else:
        approved_addresses(url)


def _scheme_check(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ApplicationError(_("Enter a full web address starting with https://."))
    if parts.scheme != "https" and not settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE:
        raise ApplicationError(_("The webhook address must use https://."))


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def approved_addresses(url: str) -> list[str]:
    """The addresses the url's host name resolves to now, every one of them checked as url_check does: the
    only addresses an attempt may connect to."""
    _scheme_check(url)
    try:
        infos = socket.getaddrinfo(urlsplit(url).hostname, _port(url), type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise ApplicationError(_("The webhook address's host name could not be found.")) from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise ApplicationError(_("The webhook address must be on the public internet."))
    return addresses


def _post(url: str, addresses: list[str], *, body: bytes, headers: dict[str, str]) -> int:
    """POST to the url, connecting only to `addresses` (approved_addresses(), tried in turn). Returns the status."""
    parts = urlsplit(url)
    port = _port(url)
    timeout = settings.COUNCIL_WEBHOOK_TIMEOUT_SECONDS
    connection: http.client.HTTPConnection = (
        http.client.HTTPSConnection(str(parts.hostname), port, timeout=timeout, context=ssl.create_default_context())
        if parts.scheme == "https"
        else http.client.HTTPConnection(str(parts.hostname), port, timeout=timeout)
    )

    def pinned(_address: tuple[str, int], timeout: float, source: tuple[str, int] | None = None) -> socket.socket:
        error: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, port), timeout, source)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    # HTTPConnection.connect() opens its socket through this attribute; HTTPSConnection then wraps it in
    # TLS for the host name, so the certificate is checked against the name, not the address.
    connection._create_connection = pinned  # type: ignore[attr-defined]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body, headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the receiver's answer is not kept; read a little so the socket closes cleanly
        return response.status
    finally:
        connection.close()


def dispatch_after_commit(ids: Sequence[int]) -> None:
    """Queue delivery of these rows once the transaction that made them has committed."""
    from portal.tasks import webhook_deliver

    for delivery_id in ids:
        transaction.on_commit(functools.partial(webhook_deliver.delay, delivery_id), robust=True)


def deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt to deliver a pending, due delivery, and record it. None when there is none to
    make (delivered, given up, or claimed by another worker that is sending it now)."""
    now = timezone.now()
    with transaction.atomic():  # claim it: no other worker may send it while this attempt lasts
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organisation")
            .filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                pk=delivery_id,
                status=DeliveryStatus.PENDING,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + dt.timedelta(seconds=settings.COUNCIL_WEBHOOK_TIMEOUT_SECONDS) + CLAIM_MARGIN
        delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    attempt = delivery.attempts
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "council-registry-webhooks/1",
        ID_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret=delivery.organisation.webhook_secret, timestamp=timestamp, body=body),
    }
    status_code: int | None = None
    error = ""
    try:
        addresses = approved_addresses(delivery.url)  # at each attempt: the name may now resolve elsewhere
        status_code = _post(delivery.url, addresses, body=body, headers=headers)
    except ApplicationError as exc:
        error = exc.message[:300]
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = (str(exc) or type(exc).__name__)[:300]
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.attempts != attempt or delivery.status != DeliveryStatus.PENDING:
            return delivery  # changed meanwhile (the claim outlived): the newer attempt's record stands
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
