"""The Stripe gateway: the only module that imports `stripe`.

The rest of the code calls these functions with integer minor units and an ISO 4217 currency code,
and sees only the dataclasses and domain exceptions defined here. No stripe exception leaves this
module:

- the provider is unreachable, slow, rate limiting or failing (APIConnectionError, RateLimitError,
  APIError), or our keys or request are wrong in a way the user cannot fix (AuthenticationError,
  PermissionError, IdempotencyError): PaymentProviderUnavailable, with a message for the user;
- Stripe refused the card or the request (CardError, InvalidRequestError): PaymentDeclined, with
  Stripe's message;
- a webhook whose signature, timestamp or body does not verify: WebhookRejected.

Development, the demo and the tests point STRIPE_API_BASE at localstripe. What localstripe 1.15.10
lacks, and how this module deals with it, is noted where it matters (PaymentIntent descriptions,
idempotency keys). The `localstripe_*` helpers refuse to run against anything but loopback.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext
from stripe.params import PaymentIntentCreateParams

from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

# ISO 4217 alphabetic codes, as the licensing tables store them (their check constraints agree).
_ISO_CURRENCY = re.compile(r"[A-Z]{3}")
# Stripe accepts idempotency keys of up to 255 characters.
_IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Stripe's own default: a signed webhook older than this is refused as a possible replay.
WEBHOOK_TOLERANCE_SECONDS = 300
LOCALSTRIPE_TEST_CARD_NUMBER = "4242424242424242"


class PaymentProviderUnavailable(ApplicationError):
    """Stripe cannot be reached or cannot take the request now. Nothing was charged by this call."""

    def __init__(self) -> None:
        super().__init__(
            gettext("Card payments are not available just now. Nothing has been charged. Please try again later.")
        )


class PaymentDeclined(ApplicationError):
    """Stripe refused the card or the request. The message is Stripe's own."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class WebhookRejected(ApplicationError):
    """A webhook request is not a genuine, recent Stripe event. Answer it with HTTP 400."""


@dataclass(frozen=True)
class PaymentIntentResult:
    id: str
    client_secret: str
    status: str
    amount_minor: int
    currency: str  # ISO 4217, upper case, as stored in our tables
    error_message: str = ""  # Stripe's last_payment_error message, when the last attempt failed


@dataclass(frozen=True)
class VerifiedEvent:
    id: str
    type: str
    created: datetime
    data_object: dict[str, Any]


# Stripe API ---------------------------------------------------------------------------------------


def payment_intent_create(
    *,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    metadata: dict[str, str],
    description: str,
    payment_method: str | None = None,
) -> PaymentIntentResult:
    """Create a PaymentIntent; the payer confirms it in the browser with Stripe.js. It moves no money.

    Pass the same idempotency key for the same payment (e.g. built from the invoice number and amount):
    Stripe then returns the first PaymentIntent instead of a second one. The payment method types are
    those enabled in the Stripe Dashboard: the pinned API version renamed `payment_method_types`, and
    localstripe knows only the old name.
    """
    _validate_amount_and_currency(amount_minor=amount_minor, currency=currency)
    _validate_idempotency_key(idempotency_key)
    params: PaymentIntentCreateParams = {
        "amount": amount_minor,
        "currency": currency.lower(),
        "metadata": dict(metadata),
    }
    # localstripe 1.15.10 refuses `description` on PaymentIntents ("Unexpected description"), and a
    # non-empty STRIPE_API_BASE only ever points at localstripe. Stripe itself gets the description.
    if not settings.STRIPE_API_BASE:
        params["description"] = description
    if payment_method is not None:
        # Confirmed here, with the card Stripe.js tokenised in the browser (a pm_, card_ or src_ id); if the
        # bank asks for authentication the intent comes back as requires_action and Stripe.js finishes it.
        params["payment_method"] = payment_method
        params["confirm"] = True
    with _stripe_errors("payment_intent_create"):
        intent = _client().v1.payment_intents.create(
            params=params,
            options={"idempotency_key": idempotency_key},
        )
    return _payment_intent_result(intent)


def payment_intent_retrieve(*, payment_intent_id: str) -> PaymentIntentResult:
    with _stripe_errors("payment_intent_retrieve"):
        intent = _client().v1.payment_intents.retrieve(payment_intent_id)
    return _payment_intent_result(intent)


def payment_intent_cancel(*, payment_intent_id: str) -> PaymentIntentResult:
    """Cancel a PaymentIntent that has not succeeded. Cancelling a succeeded one raises PaymentDeclined."""
    with _stripe_errors("payment_intent_cancel"):
        intent = _client().v1.payment_intents.cancel(payment_intent_id)
    return _payment_intent_result(intent)


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount_minor: int


def refund_create(*, payment_intent_id: str, amount_minor: int, idempotency_key: str) -> RefundResult:
    """Refund part or all of a succeeded PaymentIntent to the card it came from."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError(f"amount_minor must be a positive integer, not {amount_minor!r}.")
    _validate_idempotency_key(idempotency_key)
    with _stripe_errors("refund_create"):
        refund = _client().v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount_minor},
            options={"idempotency_key": idempotency_key},
        )
    return RefundResult(id=refund.id, status=str(refund.status), amount_minor=int(refund.amount))


# Webhooks -----------------------------------------------------------------------------------------


def webhook_event_verify(*, payload: bytes, signature_header: str) -> VerifiedEvent:
    """Check the Stripe-Signature header against STRIPE_WEBHOOK_SECRET and return the event.

    Pass the request body exactly as received (`request.body`): the signature covers its bytes.
    """
    if not signature_header:
        raise WebhookRejected("The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature_header, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookRejected(f"The Stripe-Signature header does not verify: {error.user_message}") from error
    except ValueError as error:  # not UTF-8 or not JSON (UnicodeDecodeError and JSONDecodeError)
        raise WebhookRejected("The webhook body is not JSON.") from error
    except (AttributeError, TypeError) as error:  # JSON, but not an object
        raise WebhookRejected("The webhook body is not a Stripe event.") from error
    raw = event.to_dict()
    data = raw.get("data")
    data_object = data.get("object") if isinstance(data, dict) else None
    event_id, event_type, created = raw.get("id"), raw.get("type"), raw.get("created")
    if not (
        isinstance(event_id, str)
        and isinstance(event_type, str)
        and isinstance(created, int)
        and isinstance(data_object, dict)
    ):
        raise WebhookRejected("The webhook body is not a Stripe event.")
    return VerifiedEvent(
        id=event_id,
        type=event_type,
        created=datetime.fromtimestamp(created, tz=UTC),
        data_object=data_object,
    )


# localstripe (development, demo and tests only) ------------------------------------------------


def localstripe_webhook_register(*, url: str, secret: str, events: list[str] | None = None) -> None:
    """Ask localstripe to POST events to `url`, signed with `secret`, about a second after each one.

    `events=None` sends every event type; `events=[]` sends none, which is how to retire a webhook:
    localstripe keeps registrations for its lifetime and `localstripe_reset()` does not clear them;
    registering the same `url` again replaces its registration. The body is JSON, which localstripe reads
    before trying form fields, because form fields cannot express an empty list.
    """
    fields: dict[str, Any] = {"url": url, "secret": secret}
    if events is not None:
        fields["events"] = list(events)
    webhook_id = hashlib.sha256(url.encode()).hexdigest()[:24]
    _localstripe_request("POST", f"/_config/webhooks/{webhook_id}", body=json.dumps(fields).encode())


def localstripe_reset() -> None:
    """Clear localstripe's objects (not its webhooks). It is one store for every client of the server."""
    _localstripe_request("DELETE", "/_config/data")


def localstripe_payment_intent_create_confirmed(
    *,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    metadata: dict[str, str],
    card_number: str = LOCALSTRIPE_TEST_CARD_NUMBER,
) -> PaymentIntentResult:
    """Pay as a card holder would, server side: for tests and the demo, against localstripe only.

    localstripe cannot confirm an existing PaymentIntent with a payment method ("Not implemented"), so
    the card PaymentMethod is created first and the PaymentIntent is created with it and confirm=True.
    Card numbers follow Stripe's test cards: 4242... succeeds, 4000000000000341 is declined.
    """
    _localstripe_base()
    _validate_amount_and_currency(amount_minor=amount_minor, currency=currency)
    _validate_idempotency_key(idempotency_key)
    client = _client()
    with _stripe_errors("localstripe_payment_intent_create_confirmed"):
        payment_method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": card_number, "exp_month": 12, "exp_year": 2099, "cvc": "123"},
            }
        )
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount_minor,
                "currency": currency.lower(),
                "metadata": dict(metadata),
                "payment_method": payment_method.id,
                "confirm": True,
            },
            options={"idempotency_key": idempotency_key},
        )
    return _payment_intent_result(intent)


# Internals ----------------------------------------------------------------------------------------


def _client() -> stripe.StripeClient:
    return _client_for(
        api_key=settings.STRIPE_SECRET_KEY,
        api_base=settings.STRIPE_API_BASE,
        timeout_seconds=float(settings.STRIPE_TIMEOUT_SECONDS),
        max_network_retries=int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


@functools.lru_cache(maxsize=8)
def _client_for(
    *, api_key: str, api_base: str, timeout_seconds: float, max_network_retries: int
) -> stripe.StripeClient:
    """One client per configuration, so connections are reused; settings overrides get their own."""
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        http_client=stripe.new_default_http_client(timeout=timeout_seconds),
        max_network_retries=max_network_retries,
    )


@contextmanager
def _stripe_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except (stripe.CardError, stripe.InvalidRequestError) as error:
        logger.info("Stripe refused %s: %s (code %s)", operation, error.user_message, error.code)
        raise PaymentDeclined(error.user_message or str(error), code=error.code) from error
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        logger.warning("Stripe unavailable for %s: %r", operation, error)
        raise PaymentProviderUnavailable from error
    except stripe.StripeError as error:
        # Wrong keys, missing permissions or an idempotency key reused with other parameters: ours to
        # fix, not the payer's. The payer is told card payments are unavailable.
        logger.error("Stripe rejected %s because of our configuration or code: %r", operation, error)
        raise PaymentProviderUnavailable from error


def _payment_intent_result(intent: stripe.PaymentIntent) -> PaymentIntentResult:
    return PaymentIntentResult(
        id=intent.id,
        client_secret=intent.client_secret or "",
        status=intent.status,
        amount_minor=intent.amount,
        currency=intent.currency.upper(),
        error_message=str(getattr(intent.last_payment_error, "message", None) or ""),
    )


def _validate_amount_and_currency(*, amount_minor: int, currency: str) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ValueError(f"amount_minor must be an integer number of minor units, not {amount_minor!r}.")
    if amount_minor <= 0:
        raise ValueError(f"amount_minor must be positive, not {amount_minor}.")
    if not isinstance(currency, str) or not _ISO_CURRENCY.fullmatch(currency):
        raise ValueError(f"currency must be an ISO 4217 code of three capital letters, not {currency!r}.")


def _validate_idempotency_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > _IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValueError(f"idempotency_key must have 1 to {_IDEMPOTENCY_KEY_MAX_LENGTH} characters.")


def _localstripe_base() -> str:
    """STRIPE_API_BASE, if it is an http(s) address on loopback; otherwise RuntimeError."""
    base: str = settings.STRIPE_API_BASE
    if not base:
        raise RuntimeError("STRIPE_API_BASE is empty (Stripe's real API); the localstripe helpers refuse to run.")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not _is_loopback(parts.hostname):
        raise RuntimeError(
            f"STRIPE_API_BASE {base!r} is not a loopback address; the localstripe helpers refuse to run."
        )
    return base.rstrip("/")


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _localstripe_request(method: str, path: str, *, body: bytes | None = None) -> None:
    url = _localstripe_base() + path
    # S310: the address is http(s) on loopback, checked by _localstripe_base().
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=float(settings.STRIPE_TIMEOUT_SECONDS)) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"localstripe refused {method} {path}: HTTP {error.code} {error.read()!r}") from error
    except urllib.error.URLError as error:
        raise RuntimeError(f"localstripe at {url} did not answer {method}: {error.reason}") from error
