"""Paying an invoice by card with Stripe, end to end against localstripe: the pay form, the signed webhook,
replays and races, failures, and outages of the payment provider and of the broker.

Stripe is localstripe on loopback (tests/licensing/conftest.py); webhook bodies are signed here exactly as
Stripe signs them. Nothing in the application is mocked (one test wraps the gateway call, to note whether a
transaction is open when Stripe is called). Tests that need the webhook's task to run inside a rolled-back
test transaction execute the on-commit callbacks explicitly; the concurrency, broker and transaction tests
use real transactions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery_app import app as celery_app
from core import services as core_services
from core.audit import audit_chain_verify
from core.models import AuditEvent, Notification
from core.roles import Role
from core.selectors import council_today
from licensing import gateway, services
from licensing.models import CardPayment, Invoice, InvoiceStatus, Payment, RenewalPeriod, StripeEvent
from tests import factories
from tests.conftest import mfa_login
from tests.core.test_notifications import _forget_connections
from tests.licensing.conftest import _registered, free_loopback_port, localstripe_started
from tests.licensing.test_gateway import LoopbackServer, _forward_to
from tests.registry.test_concurrency import _run_together

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec_test_card_payments_0123456789"
UNAVAILABLE = "Card payments are not available just now. Nothing has been charged."
# Stripe's test cards, as localstripe 1.15.10 treats them. Stripe declines 4000000000000002 when the payment
# is confirmed; localstripe declines it only when the card is attached to a customer, and declines
# 4000000000000341 on confirmation ("Your card was declined.", code card_declined), so that is the card used
# for a decline at the pay form.
DECLINED_ON_CONFIRMATION = "4000000000000341"
NEEDS_AUTHENTICATION = "4000002500003155"  # 3-D Secure: the intent waits in requires_action
ANNUAL_FEE_MINOR = 52000  # LICENSING_RULES: social-worker annual fee, ZAR


# Fixtures and helpers -------------------------------------------------------------------------------


@pytest.fixture
def stripe_settings(settings: Any, localstripe: str) -> Any:
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_SECRET_KEY = "sk_test_local_card_payment_tests"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_local_card_payment_tests"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 5.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return settings


@pytest.fixture
def invoice(categories: Any, registrar: Any, period: RenewalPeriod) -> Invoice:
    """A registrant's 2027 renewal invoice for R520.00, issued and unpaid (tests/licensing/conftest.py's rules)."""
    entry = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    issued = Invoice.objects.select_related("practitioner__user").get(register_entry=entry)
    assert (issued.status, issued.total_minor, issued.paid_minor) == (InvoiceStatus.ISSUED, ANNUAL_FEE_MINOR, 0)
    return issued


def _payer(invoice: Invoice) -> Any:
    user = invoice.practitioner.user
    assert user is not None
    return user


def _signed_in(invoice: Invoice) -> Client:
    client = Client()
    client.force_login(_payer(invoice))
    return client


def _form_key() -> str:
    return secrets.token_urlsafe(24)


def _card(number: str) -> str:
    """A card PaymentMethod at localstripe, as Stripe.js would make in the browser; returns its pm_ id."""
    payment_method = gateway._client().v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123"}}
    )
    return str(payment_method.id)


def _card_payment_pending(invoice: Invoice, payment_method: str = "pm_card_visa") -> CardPayment:
    """Pay the invoice by card through the service: Stripe has the intent; our side waits for the webhook."""
    card = services.card_payment_start(
        actor=_payer(invoice), invoice=invoice, payment_method=payment_method, form_key=_form_key()
    )
    assert card.status == CardPayment.Status.PENDING
    return card


def _intent(intent_id: str) -> dict[str, Any]:
    """The PaymentIntent as Stripe holds it now, as the `data.object` of an event carries it."""
    return gateway._client().v1.payment_intents.retrieve(intent_id).to_dict(for_json=True)


def _event_body(event_type: str, data_object: dict[str, Any], *, event_id: str | None = None) -> bytes:
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-06-30.basil",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": data_object},
    }
    return json.dumps(event).encode()


def _sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint secret>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def _deliver(body: bytes, signature: str | None = None, *, client: Client | None = None) -> tuple[int, str]:
    """POST a webhook as Stripe does; `signature=None` signs the body with our secret, "" sends no header."""
    signature = _sign(body) if signature is None else signature
    headers = {"Stripe-Signature": signature} if signature else {}
    response = (client or Client()).post(
        reverse("licensing:stripe-webhook"), data=body, content_type="application/json", headers=headers
    )
    return response.status_code, response.content.decode()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Callable[..., tuple[int, str]]:
    """Deliver a webhook and run what the request queued after commit (the event's task, eagerly)."""

    def run(body: bytes, signature: str | None = None) -> tuple[int, str]:
        with django_capture_on_commit_callbacks(execute=True):
            return _deliver(body, signature)

    return run


def _pay_form_key(client: Client, invoice: Invoice) -> str:
    response = client.get(reverse("licensing:invoice-pay", args=[invoice.pk]))
    assert response.status_code == 200
    found = re.search(r'name="form_key" value="([^"]+)"', response.content.decode())
    assert found is not None
    return found.group(1)


def _invoice_state(invoice: Invoice) -> tuple[str, int]:
    invoice.refresh_from_db()
    return invoice.status, invoice.paid_minor


@contextmanager
def _broker_down() -> Iterator[str]:
    """Celery sends tasks to a Redis that refuses connections (a closed loopback port), as in production."""
    broker = f"redis://127.0.0.1:{free_loopback_port()}/0"
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=broker)
    _forget_connections()
    try:
        yield broker
    finally:
        celery_app.conf.update(saved)
        _forget_connections()


# 1. One payment, however many times Stripe delivers the event ------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_five_times_at_once_records_one_payment(stripe_settings, invoice):
    assert connection.vendor == "postgresql", "concurrent deliveries need PostgreSQL's row locks"
    # given a card payment Stripe has taken, waiting for Stripe's signed payment_intent.succeeded event
    card = _card_payment_pending(invoice)
    body = _event_body("payment_intent.succeeded", _intent(card.intent_id))
    signature = _sign(body)

    # when Stripe delivers that event five times at the same instant, each on its own connection
    results = _run_together([lambda: _deliver(body, signature) for _ in range(5)])

    # then every delivery is answered 200, and exactly one of them stored the event
    assert sorted(results) == [(200, "already stored")] * 4 + [(200, "stored")], results
    stored = StripeEvent.objects.get()
    assert (stored.type, stored.status) == ("payment_intent.succeeded", StripeEvent.Status.PROCESSED)
    # and one payment is recorded, by card, under the PaymentIntent's id, and the invoice is paid
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.amount_minor, payment.currency) == (
        Payment.Method.CARD,
        card.intent_id,
        ANNUAL_FEE_MINOR,
        "ZAR",
    )
    assert payment.recorded_by is None
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)
    card_payment = CardPayment.objects.get()
    assert (card_payment.status, card_payment.payment_id) == (CardPayment.Status.SUCCEEDED, payment.pk)
    assert AuditEvent.objects.filter(action="stripe_event.received").count() == 1
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 1
    # and the audit chain stayed one unbroken line
    assert audit_chain_verify()[1] is None

    # when Stripe retries once more, later
    # then it is told the event is already stored, and nothing changes
    assert _deliver(body) == (200, "already stored")
    assert (StripeEvent.objects.count(), Payment.objects.count()) == (1, 1)
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)


# 2. Forged webhooks ----------------------------------------------------------------------------------


def _wrong_secret(body: bytes) -> tuple[bytes, str]:
    return body, _sign(body, secret="whsec_someone_elses_secret")


def _tampered_body(body: bytes) -> tuple[bytes, str]:
    signature = _sign(body)
    return body.replace(b'"amount": 52000', b'"amount": 99900000'), signature


def _missing_header(body: bytes) -> tuple[bytes, str]:
    return body, ""


def _stale_timestamp(body: bytes) -> tuple[bytes, str]:
    # Signed with the right secret, ten minutes ago: outside Stripe's five-minute tolerance, a replay.
    return body, _sign(body, timestamp=int(time.time()) - 600)


def _not_json(body: bytes) -> tuple[bytes, str]:
    garbage = b"payment_intent.succeeded&amount=52000"
    return garbage, _sign(garbage)


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_wrong_secret, "The Stripe-Signature header does not verify"),
        (_tampered_body, "The Stripe-Signature header does not verify"),
        (_missing_header, "The Stripe-Signature header is missing."),
        (_stale_timestamp, "The Stripe-Signature header does not verify"),
        (_not_json, "The webhook body is not JSON."),
    ],
    ids=["wrong-secret", "tampered-body", "missing-header", "stale-timestamp", "not-json"],
)
def test_a_forged_webhook_is_refused_and_nothing_is_stored(stripe_settings, invoice, deliver, forge, reason):
    # given a card payment waiting for Stripe, and a payment_intent.succeeded event for it
    card = _card_payment_pending(invoice)
    genuine = _event_body("payment_intent.succeeded", _intent(card.intent_id))
    assert b'"amount": 52000' in genuine
    body, signature = forge(genuine)
    audit_events = AuditEvent.objects.count()

    # when someone posts it without a valid signature from our Stripe endpoint
    status, message = deliver(body, signature)

    # then it is refused with 400 and says why
    assert status == 400
    assert message.startswith(reason)
    # and nothing is stored: no event, no payment, no audit event; the invoice and the attempt are as they were
    assert not StripeEvent.objects.exists()
    assert not Payment.objects.exists()
    assert AuditEvent.objects.count() == audit_events
    assert _invoice_state(invoice) == (InvoiceStatus.ISSUED, 0)
    card.refresh_from_db()
    assert card.status == CardPayment.Status.PENDING


# 3. Replayed and reordered events ------------------------------------------------------------------


def test_a_failure_event_after_the_success_and_a_second_success_change_nothing(stripe_settings, invoice, deliver):
    # given a card payment whose payment_intent.succeeded event has been processed
    card = _card_payment_pending(invoice)
    succeeded = _intent(card.intent_id)
    first = _event_body("payment_intent.succeeded", succeeded)
    assert deliver(first) == (200, "stored")
    payment = Payment.objects.get(method=Payment.Method.CARD, reference=card.intent_id)
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)

    # when a payment_intent.payment_failed event for the same intent arrives late, under another event id
    failed = {
        **succeeded,
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
    }
    assert deliver(_event_body("payment_intent.payment_failed", failed)) == (200, "stored")

    # then the card payment stays succeeded with its payment, and the event is kept but ignored
    card.refresh_from_db()
    assert (card.status, card.payment_id, card.failure_message) == (CardPayment.Status.SUCCEEDED, payment.pk, "")
    late = StripeEvent.objects.get(type="payment_intent.payment_failed")
    assert late.status == StripeEvent.Status.IGNORED
    assert late.outcome == "already succeeded; a late failure event changes nothing"

    # when a second payment_intent.succeeded event for the same intent arrives, under yet another id
    assert deliver(_event_body("payment_intent.succeeded", succeeded, event_id="evt_second_success")) == (
        200,
        "stored",
    )

    # then no second payment is recorded and the invoice is paid once
    assert list(Payment.objects.values_list("pk", flat=True)) == [payment.pk]
    assert payment.allocations.count() == 1
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)
    second = StripeEvent.objects.get(event_id="evt_second_success")
    assert (second.status, second.outcome) == (StripeEvent.Status.IGNORED, "already recorded")
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 1

    # and the first event, delivered again, is answered as already stored
    assert deliver(first) == (200, "already stored")
    assert StripeEvent.objects.count() == 3
    assert audit_chain_verify()[1] is None


def test_a_success_after_an_earlier_failure_of_the_same_intent_is_recorded(stripe_settings, invoice, deliver):
    # given a card payment whose first attempt Stripe reported as failed
    card = _card_payment_pending(invoice)
    succeeded = _intent(card.intent_id)
    failed = {
        **succeeded,
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
    }
    assert deliver(_event_body("payment_intent.payment_failed", failed)) == (200, "stored")
    card.refresh_from_db()
    assert card.status == CardPayment.Status.FAILED

    # when the payer's next try on the same intent succeeds
    assert deliver(_event_body("payment_intent.succeeded", succeeded)) == (200, "stored")

    # then the money is recorded and the attempt shows as succeeded, without the old failure message
    card.refresh_from_db()
    assert (card.status, card.failure_message) == (CardPayment.Status.SUCCEEDED, "")
    assert Payment.objects.get().reference == card.intent_id
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)


# 4. Failed and cancelled payments leave the invoice open ------------------------------------------


def test_a_declined_card_at_the_pay_form_shows_stripes_message_and_charges_nothing(stripe_settings, invoice):
    # given the registrant on the pay page with a card their bank declines
    client = _signed_in(invoice)
    form_key = _pay_form_key(client, invoice)
    declined_card = _card(DECLINED_ON_CONFIRMATION)
    audit_events = AuditEvent.objects.count()

    # when they pay
    response = client.post(
        reverse("licensing:invoice-pay", args=[invoice.pk]), {"payment_method": declined_card, "form_key": form_key}
    )

    # then the pay page comes back with Stripe's message, and a new one-time key for the next try
    assert response.status_code == 200
    assert "licensing/pay.html" in [template.name for template in response.templates]
    assert response.context["form"].non_field_errors() == ["Your card was declined."]
    assert "Your card was declined." in response.content.decode()
    assert response.context["form_key"] != form_key
    # and the invoice is still open, with no payment and no card payment recorded
    assert _invoice_state(invoice) == (InvoiceStatus.ISSUED, 0)
    assert not Payment.objects.exists()
    assert not CardPayment.objects.exists()
    assert AuditEvent.objects.count() == audit_events


def _fail_authentication(card: CardPayment) -> None:
    """The payer fails 3-D Secure, as localstripe's Stripe.js does it: the intent needs a new payment method."""
    request = urllib.request.Request(  # noqa: S310 - localstripe on loopback (the localstripe fixture)
        f"{gateway._localstripe_base()}/v1/payment_intents/{card.intent_id}/_authenticate?success=false",
        data=json.dumps({"key": "pk_test_local_card_payment_tests", "client_secret": card.client_secret}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert response.status == 200


def _cancel(card: CardPayment) -> None:
    gateway.payment_intent_cancel(payment_intent_id=card.intent_id)


@pytest.mark.parametrize(
    ("make_it_so", "event_type", "status", "message", "heading"),
    [
        (
            _fail_authentication,
            "payment_intent.payment_failed",
            CardPayment.Status.FAILED,
            "The provided PaymentMethod has failed authentication.",
            "The card payment did not go through",
        ),
        (_cancel, "payment_intent.canceled", CardPayment.Status.CANCELED, "", "The card payment was cancelled"),
    ],
    ids=["failed", "canceled"],
)
def test_a_failed_or_cancelled_card_payment_leaves_the_invoice_open_and_says_so(
    stripe_settings, invoice, deliver, make_it_so, event_type, status, message, heading
):
    # given a card payment waiting for the bank's authentication (3-D Secure)
    card = _card_payment_pending(invoice, payment_method=_card(NEEDS_AUTHENTICATION))
    assert card.client_secret
    # and the payer fails the authentication, or the intent is cancelled, at Stripe
    make_it_so(card)
    intent = _intent(card.intent_id)
    assert intent["status"] == ("canceled" if status == CardPayment.Status.CANCELED else "requires_payment_method")

    # when Stripe's signed event about it arrives
    assert deliver(_event_body(event_type, intent)) == (200, "stored")

    # then the card payment is marked failed or cancelled, with Stripe's message
    card.refresh_from_db()
    assert (card.status, card.failure_message, card.payment_id) == (status, message, None)
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    # and the invoice is still open for payment, with nothing recorded
    assert _invoice_state(invoice) == (InvoiceStatus.ISSUED, 0)
    assert not Payment.objects.exists()
    # and the payer's card payment page says what happened and offers to try again
    client = _signed_in(invoice)
    page = client.get(reverse("licensing:card-payment", args=[card.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert heading in content
    assert message in content
    assert "Nothing has been taken, and your invoice is still open." in content
    pay_url = reverse("licensing:invoice-pay", args=[invoice.pk])
    assert re.search(rf'<a [^>]*href="{re.escape(pay_url)}"[^>]*>Try again</a>', content), content
    assert client.get(pay_url).status_code == 200


# 5. The payment provider is down ---------------------------------------------------------------------


def _closed_port(settings: Any) -> str:
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_loopback_port()}"
    return "pm_card_visa"


def _stopped_mid_session(settings: Any) -> str:
    """Stripe.js tokenised the card while this private localstripe was up; it is stopped when the form is posted."""
    with localstripe_started() as base:
        settings.STRIPE_API_BASE = base
        return _card("4242424242424242")


@pytest.mark.parametrize("outage", [_closed_port, _stopped_mid_session], ids=["closed-port", "stopped-mid-session"])
def test_when_stripe_is_down_the_payer_is_told_and_nothing_changes(stripe_settings, invoice, outage):
    # given a registrant on the pay page
    client = _signed_in(invoice)
    form_key = _pay_form_key(client, invoice)
    # and a payment provider that refuses connections (a short timeout and no retries, in case it hangs instead)
    stripe_settings.STRIPE_TIMEOUT_SECONDS = 2.0
    stripe_settings.STRIPE_MAX_NETWORK_RETRIES = 0
    payment_method = outage(stripe_settings)
    audit_events = AuditEvent.objects.count()

    # when they pay
    response = client.post(
        reverse("licensing:invoice-pay", args=[invoice.pk]), {"payment_method": payment_method, "form_key": form_key}
    )

    # then they get the pay page with status 503 and a plain message, not an error page
    assert response.status_code == 503
    assert "licensing/pay.html" in [template.name for template in response.templates]
    content = response.content.decode()
    assert UNAVAILABLE in content
    assert "Traceback" not in content
    # and nothing changed: the invoice is open and unpaid, no card payment, payment or audit event
    assert _invoice_state(invoice) == (InvoiceStatus.ISSUED, 0)
    assert not CardPayment.objects.exists()
    assert not Payment.objects.exists()
    assert AuditEvent.objects.count() == audit_events


# 6. The broker is down -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_when_redis_is_down_a_staff_payment_commits_and_its_mail_goes_after_recovery(settings, invoice, finance):
    # given a finance officer signed in with MFA, and a notification outbox that retries after two minutes
    settings.COUNCIL_NOTIFICATION_RETRY_AFTER_SECONDS = 120
    client = mfa_login(Client(), finance)
    subject = f"Payment received for invoice {invoice.number}"

    # when they record a cash payment while Redis, the broker, refuses connections
    with _broker_down() as broker:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = broker
        response = client.post(
            reverse("finance:payment-new"),
            {
                "invoice_number": invoice.number,
                "method": Payment.Method.CASH,
                "reference": "CASH-2027-0001",
                "amount": "520.00",
                "received_date": council_today().isoformat(),
            },
        )

    # then the payment and the invoice change are committed
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:payment-detail", args=[payment.pk])
    assert (payment.method, payment.reference, payment.amount_minor, payment.recorded_by_id) == (
        Payment.Method.CASH,
        "CASH-2027-0001",
        ANNUAL_FEE_MINOR,
        finance.pk,
    )
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)
    # and the registrant's notification waits in the outbox, unsent
    notification = Notification.objects.get(kind="payment_received")
    assert (notification.status, notification.attempts, notification.recipient_id) == (
        Notification.Status.PENDING,
        0,
        _payer(invoice).pk,
    )
    assert subject not in [message.subject for message in mail.outbox]

    # when the broker is back and the periodic sweep runs before the retry time, it leaves it alone
    assert core_services.notification_sweep() == 0
    # and when it runs again after the retry time
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=121), tick=True):
        sent = core_services.notification_sweep()

    # then the mail is sent and the notification is marked sent
    assert sent == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        Notification.Status.SENT,
        1,
        "",
    )
    [message] = [message for message in mail.outbox if message.subject == subject]
    assert message.to == [_payer(invoice).email]
    assert audit_chain_verify()[1] is None


# 7. The pay form sent twice -------------------------------------------------------------------------------


def test_the_same_pay_form_sent_twice_makes_one_card_payment_and_one_stripe_call(stripe_settings, localstripe, invoice):
    # given the registrant on the pay page, with Stripe behind a proxy that records every request
    client = _signed_in(invoice)
    form_key = _pay_form_key(client, invoice)
    with LoopbackServer(_forward_to(localstripe)) as proxy:
        stripe_settings.STRIPE_API_BASE = proxy.url
        pay_url = reverse("licensing:invoice-pay", args=[invoice.pk])
        form = {"payment_method": "pm_card_visa", "form_key": form_key}

        # when the same form is posted twice (a double click, or the browser's resend)
        first = client.post(pay_url, form)
        second = client.post(pay_url, form)
        # and the service is asked again with the same one-time key
        again = services.card_payment_start(
            actor=_payer(invoice), invoice=invoice, payment_method="pm_card_visa", form_key=form_key
        )

    # then both posts lead to the same card payment, and there is only one
    card = CardPayment.objects.get()
    card_url = reverse("licensing:card-payment", args=[card.pk])
    assert (first.status_code, first["Location"]) == (302, card_url)
    assert (second.status_code, second["Location"]) == (302, card_url)
    assert again.pk == card.pk
    assert card.idempotency_key == f"card-{invoice.number}-{ANNUAL_FEE_MINOR}-{form_key}"
    # and Stripe was asked to create a PaymentIntent once
    created = [
        request for request in proxy.received if (request.method, request.path) == ("POST", "/v1/payment_intents")
    ]
    assert len(created) == 1
    assert created[0].headers["idempotency-key"] == card.idempotency_key
    assert AuditEvent.objects.filter(action="card_payment.started").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_pay_form_calls_stripe_outside_any_database_transaction(stripe_settings, invoice, monkeypatch):
    # given the registrant on the pay page, and a note of whether a transaction is open whenever Stripe is called
    client = _signed_in(invoice)
    form_key = _pay_form_key(client, invoice)
    in_transaction: list[bool] = []
    create = gateway.payment_intent_create

    def noting(**kwargs: Any) -> gateway.PaymentIntentResult:
        in_transaction.append(connection.in_atomic_block)
        return create(**kwargs)

    monkeypatch.setattr(gateway, "payment_intent_create", noting)

    # when they pay
    response = client.post(
        reverse("licensing:invoice-pay", args=[invoice.pk]), {"payment_method": "pm_card_visa", "form_key": form_key}
    )

    # then Stripe was called once, with no transaction open (none is held across a slow provider, and the card
    # payment row commits as soon as Stripe has answered, whatever happens to the rest of the request)
    assert response.status_code == 302
    assert in_transaction == [False]
    assert CardPayment.objects.get().status == CardPayment.Status.PENDING


def test_a_success_event_that_beats_our_own_save_is_kept_and_recorded_when_the_attempt_is_saved(
    stripe_settings, invoice, deliver, monkeypatch
):
    # given Stripe's success event for an intent we have not saved yet (the webhook won the race)
    intent = gateway.payment_intent_create(
        amount_minor=invoice.balance_minor,
        currency=invoice.currency,
        idempotency_key=f"early-{uuid.uuid4().hex}",
        metadata={},
        description="early",
        payment_method="pm_card_visa",
    )
    status, _text = deliver(_event_body("payment_intent.succeeded", _intent(intent.id)))
    assert status == HTTPStatus.OK

    # then it waits, unprocessed, and the sweep leaves it alone while it is young
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.RECEIVED
    assert services.stripe_events_sweep(older_than_seconds=0) == 1
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.RECEIVED
    assert not Payment.objects.exists()

    # when our side saves the attempt for that intent (Stripe returns the same intent for the same key)
    monkeypatch.setattr(services.gateway, "payment_intent_create", lambda **_kwargs: intent)
    card = services.card_payment_start(
        actor=_payer(invoice), invoice=invoice, payment_method="pm_card_visa", form_key=_form_key()
    )

    # then the waiting event is processed and the money recorded, once
    event.refresh_from_db()
    card.refresh_from_db()
    invoice.refresh_from_db()
    assert event.status == StripeEvent.Status.PROCESSED
    assert card.status == CardPayment.Status.SUCCEEDED
    assert Payment.objects.filter(method=Payment.Method.CARD, reference=intent.id).count() == 1
    assert invoice.status == "PAID"


def test_an_event_for_an_unknown_intent_is_ignored_only_after_an_hour(stripe_settings, invoice, deliver):
    # given a success event for an intent nobody here started
    deliver(_event_body("payment_intent.succeeded", {"id": "pi_unknown", "amount": 100, "currency": "zar"}))
    event = StripeEvent.objects.get()
    # when the sweep runs within the hour, it waits; an hour and a bit later it gives up and says why
    services.stripe_events_sweep(older_than_seconds=0)
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.RECEIVED
    with time_machine.travel(timezone.now() + services.UNMATCHED_EVENT_PATIENCE + dt.timedelta(minutes=1)):
        services.stripe_events_sweep()
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.IGNORED
    assert "no card payment here for pi_unknown" in event.outcome


def test_an_approved_refund_of_a_card_payment_goes_back_through_stripe(stripe_settings, invoice, deliver, finance):
    # given a card payment Stripe confirmed, and a refund of 20.00 asked for by one finance officer
    card = _card_payment_pending(invoice)
    deliver(_event_body("payment_intent.succeeded", _intent(card.intent_id)))
    payment = Payment.objects.get(method=Payment.Method.CARD)
    request = services.refund_request(actor=finance, payment=payment, amount_minor=2000, reason="Charged twice")
    approver = factories.staff_user(Role.FINANCE_OFFICER)

    # when a second finance officer approves it
    services.adjustment_decide(actor=approver, adjustment=request, approve=True)

    # then Stripe holds a refund of 20.00 for that PaymentIntent, and our books say so
    request.refresh_from_db()
    payment.refresh_from_db()
    assert request.provider_reference.startswith("re_")
    refund = gateway._client().v1.refunds.retrieve(request.provider_reference)
    assert (refund.amount, refund.payment_intent) == (2000, card.intent_id)
    assert payment.refunded_minor == 2000
    assert _invoice_state(invoice) == (InvoiceStatus.PART_PAID, ANNUAL_FEE_MINOR - 2000)


def test_odd_amounts_in_a_signed_event_fall_back_to_ours_and_a_wrong_currency_is_set_aside(
    stripe_settings, invoice, deliver
):
    # given a card payment, and a success event whose amount is not a number
    card = _card_payment_pending(invoice)
    odd = {**_intent(card.intent_id), "amount_received": "abc", "amount": None}
    deliver(_event_body("payment_intent.succeeded", odd))
    # then the payment is recorded for the amount we asked Stripe for
    assert Payment.objects.get().amount_minor == card.amount_minor

    # and given another invoice's card payment whose event names another currency
    other = _card_payment_pending_for_new_invoice(invoice)
    deliver(_event_body("payment_intent.succeeded", {**_intent(other.intent_id), "currency": "usd"}))
    # then nothing is recorded for it, and the event is set aside with the reason rather than retried for ever
    event = StripeEvent.objects.get(data_object__id=other.intent_id)
    assert event.status == StripeEvent.Status.IGNORED
    assert event.outcome.startswith("not recorded, for finance staff to resolve")
    assert Payment.objects.count() == 1


def _card_payment_pending_for_new_invoice(invoice: Invoice) -> CardPayment:
    entry = _registered_more(invoice)
    return _card_payment_pending(Invoice.objects.get(register_entry=entry))


def _registered_more(invoice: Invoice) -> Any:
    from registry.models import RegisterEntry

    registrar = factories.staff_user(Role.REGISTRAR)
    categories = {"social-worker": invoice.register_entry.category}
    (entry,) = _registered(categories, registrar, 1)
    services.renewal_invoices_issue(period=invoice.period, on_date=invoice.issued_date)
    return RegisterEntry.objects.get(pk=entry.pk)


def test_a_success_whose_card_attempt_was_never_saved_is_recorded_from_its_metadata(stripe_settings, invoice, deliver):
    # given Stripe took the money for our invoice, but our save of the attempt was lost
    intent = gateway.payment_intent_create(
        amount_minor=invoice.balance_minor,
        currency=invoice.currency,
        idempotency_key=f"lost-{uuid.uuid4().hex}",
        metadata={"invoice": invoice.number},
        description="lost save",
        payment_method="pm_card_visa",
    )
    deliver(_event_body("payment_intent.succeeded", _intent(intent.id)))
    # when the sweep runs an hour and more later
    with time_machine.travel(timezone.now() + services.UNMATCHED_EVENT_PATIENCE + dt.timedelta(minutes=1)):
        services.stripe_events_sweep()
    # then the money is recorded against the invoice the intent names, and the event says how
    payment = Payment.objects.get(method=Payment.Method.CARD, reference=intent.id)
    assert payment.amount_minor == ANNUAL_FEE_MINOR
    assert _invoice_state(invoice) == (InvoiceStatus.PAID, ANNUAL_FEE_MINOR)
    assert "recorded from the intent's metadata" in StripeEvent.objects.get().outcome
