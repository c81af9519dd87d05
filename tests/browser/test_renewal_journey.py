"""Acceptance: the annual renewal in a real browser, paid by card through Stripe.js against localstripe.

A registered social worker signs in on a phone, makes the declaration of fitness to practise, opens the
renewal invoice and pays it by card. Stripe.js (localstripe's mock of it) tokenises the card; the server
creates and confirms the PaymentIntent; the waiting page completes 3-D Secure when the bank asks for it
(one card does, one does not) and re-checks until localstripe has POSTed the signed
`payment_intent.succeeded` webhook to the live test server, which verifies it, stores it and (Celery
being eager) records the payment in the same request. The licence is then issued; the practising certificate downloads as a PDF whose QR
code carries a signed payload naming the public record, which opens. axe-core checks every page state.

A second journey pays with a card the bank declines: the payer is told so, and nothing is recorded.

localstripe may be shared by every xdist worker (scripts/test.sh), so events about other workers'
PaymentIntents can reach this test's webhook too: the assertions pick this test's by PaymentIntent id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Q
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from core.models import AuditEvent, RuleSet, User
from core.roles import Role
from core.selectors import council_today
from licensing import gateway, services
from licensing.models import CardPayment, Invoice, Licence, Payment, RenewalPeriod, StripeEvent
from licensing.signing import payload_verify, public_key_jwk
from registry import services as registry_services
from registry.models import RegisterEntry
from tests import factories
from tests.browser.conftest import AxeAudit, PageProblems
from tests.licensing.conftest import (
    LICENSING_RULES,
    localstripe,  # noqa: F401 - the session fixture: localstripe's address
)
from tests.licensing.test_certificates import pdf_images, pdf_texts, scan

# Both journeys register a webhook for the live server's address: one worker runs them, one after the other.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("renewal-journey")]

WEBHOOK_SECRET = "whsec_browser_renewal_journey_0123456789"
WEBHOOK_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"]
# Stripe's test cards, as localstripe 1.15.10 treats them: the bank asks for 3-D Secure, then charges it;
# the bank charges it at once; the bank declines the charge. (localstripe declines 4000000000000002 only
# when it is attached to a customer, never when it is charged, so that card would be paid here.)
CARD_NEEDING_AUTHENTICATION = "4000002760003184"
CARD_CHARGED_AT_ONCE = "4242424242424242"
CARD_DECLINED = "4000000000000341"
ANNUAL_FEE = "ZAR 520.00"
# Stripe confirms a payment with a webhook about a second after the charge; the page re-checks every 2 s.
WEBHOOK_WAIT_MS = 30_000


@pytest.fixture
def stripe_settings(settings: Any, localstripe: str) -> Any:  # noqa: F811 - the fixture imported above
    """The app (the live server shares these settings) talks to localstripe and loads its Stripe.js."""
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 10.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return settings


@pytest.fixture
def stripe_webhook(stripe_settings: Any, live_server: Any) -> Iterator[str]:
    """localstripe POSTs payment events to the live server's webhook; retired afterwards (it keeps them)."""
    url = live_server.url + reverse("licensing:stripe-webhook")
    gateway.localstripe_webhook_register(url=url, secret=WEBHOOK_SECRET, events=WEBHOOK_EVENTS)
    yield url
    gateway.localstripe_webhook_register(url=url, secret=WEBHOOK_SECRET, events=[])


def _registered_social_worker() -> tuple[RegisterEntry, RenewalPeriod, Invoice]:
    """José Núñez on the register, this licence year's renewal open, and his renewal invoice issued."""
    factories.council_create()
    categories = factories.categories_create()
    RuleSet.objects.filter(version=1).update(rules=LICENSING_RULES)
    registrar = factories.staff_user(Role.REGISTRAR, email="registrar@council.example", name="Thandi Mokoena")
    user = factories.UserFactory(email="jose.nunez@example.org", name="José Núñez")
    application = factories.application_in_review(
        applicant=user, category=categories["social-worker"], registrar=registrar
    )
    registry_services.application_decide(actor=registrar, application=application, approve=True, reason="")
    entry = RegisterEntry.objects.select_related("practitioner__user").get(application=application)
    # The licence year under way in the council's time zone: its renewal window opened last November.
    today = council_today()
    period = services.renewal_period_open(actor=None, year=today.year)
    assert services.renewal_invoices_issue(period=period, on_date=today) == 1
    return entry, period, Invoice.objects.get(register_entry=entry, period=period)


def _steps(page: Page) -> Locator:
    return page.locator(".govuk-task-list__status")


def _sign_in(page: Page, user: User, axe_audit: AxeAudit) -> None:
    page.goto("/accounts/login/")
    axe_audit.check(page, "sign in")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def _declare(page: Page, axe_audit: AxeAudit, year: int) -> None:
    page.get_by_role("link", name="My licence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My registration and licence")
    expect(page.get_by_role("heading", name=f"Renewal for {year}")).to_be_visible()
    expect(page.locator(".govuk-task-list__name-and-hint")).to_contain_text(
        [
            "Declaration of fitness to practise",
            re.compile(rf"Annual fee\s+Invoice INV-\S+: {ANNUAL_FEE}, {ANNUAL_FEE} to pay"),
            "Continuing professional development (CPD)",
        ]
    )
    expect(_steps(page)).to_have_text(["To do", "To do", "Done"])  # CPD passes its pluggable check
    axe_audit.check(page, "my licence: three steps")

    page.get_by_role("link", name="Declaration of fitness to practise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration of fitness to practise")
    axe_audit.check(page, "declaration")
    page.get_by_role("button", name="Make my declaration").click()
    expect(page.get_by_role("link", name=re.compile("Select yes if you are fit to practise"))).to_be_visible()
    axe_audit.check(page, "declaration: nothing chosen")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Make my declaration").click()

    expect(page.get_by_text(f"Your declaration for {year} has been recorded.")).to_be_visible()
    expect(_steps(page)).to_have_text(["Done", "To do", "Done"])
    expect(page.get_by_text("One step is left.")).to_be_visible()
    axe_audit.check(page, "my licence: declared")


def _open_pay_page(page: Page, axe_audit: AxeAudit, invoice: Invoice) -> None:
    page.get_by_role("link", name="Annual fee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.number}")
    expect(page.get_by_role("main")).to_contain_text("Issued")
    axe_audit.check(page, "invoice: issued")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pay {ANNUAL_FEE} by card")
    # Stripe.js (here localstripe's mock) has mounted its card fields in the page
    expect(page.locator("#card-element input")).to_have_count(5)
    axe_audit.check(page, "pay by card")


def _pay(page: Page, card_number: str) -> None:
    card = page.locator("#card-element")
    card.get_by_placeholder("number", exact=True).fill(card_number)
    card.get_by_placeholder("exp_month", exact=True).fill("12")
    card.get_by_placeholder("exp_year", exact=True).fill("34")  # two digits; Stripe.js adds the century
    card.get_by_placeholder("cvc", exact=True).fill("123")
    card.get_by_placeholder("postal_code", exact=True).fill("8001")
    page.get_by_role("button", name=f"Pay {ANNUAL_FEE}").click()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("card_number", "stripe_status"),
    [
        pytest.param(CARD_NEEDING_AUTHENTICATION, "requires_action", id="3-D Secure"),
        # Charged before the waiting page opens: the webhook may race the pay request's commit.
        pytest.param(CARD_CHARGED_AT_ONCE, "succeeded", id="no authentication"),
    ],
)
def test_renewal_paid_by_card_issues_a_verifiable_certificate(
    live_server: Any,
    open_page: Any,
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    stripe_webhook: str,
    tmp_path: Path,
    card_number: str,
    stripe_status: str,
) -> None:
    # given a registered social worker, this year's renewal open and the invoice issued
    entry, period, invoice = _registered_social_worker()
    user = entry.practitioner.user
    number = entry.registration_number
    events_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # when they sign in on a phone and make their declaration
    page = open_page(phone=True)
    _sign_in(page, user, axe_audit)
    _declare(page, axe_audit, period.year)

    # and pay the annual fee by card, completing 3-D Secure when their bank asks for it
    _open_pay_page(page, axe_audit, invoice)
    _pay(page, card_number)
    expect(page).to_have_url(re.compile(r"/licence/card-payments/\d+/$"))
    waiting_url = page.url
    authenticate = page.get_by_role("button", name="Complete authentication")
    if stripe_status == "requires_action":
        # Nothing is charged until the payer answers the bank, so the page waits for them, unreloaded.
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirming your payment")
        expect(authenticate).to_be_visible()
        axe_audit.check(page, "card payment: bank authentication")
        authenticate.click()
    else:
        expect(authenticate).to_have_count(0)

    # then, once localstripe's webhook has reached the live server, the payment is received
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=WEBHOOK_WAIT_MS)
    assert page.url == waiting_url
    expect(page.locator(".govuk-panel__body")).to_have_text(ANNUAL_FEE)
    axe_audit.check(page, "card payment: received")
    with page.expect_download() as receipt_download:
        page.get_by_role("link", name="Download your receipt (PDF)").click()
    receipt_pdf = Path(receipt_download.value.path()).read_bytes()

    # and the licence is issued, with its certificate to download
    page.get_by_role("link", name="Back to my registration and licence").click()
    licence_number = f"L{period.year}-{number}"
    valid = f"valid from 1 January {period.year} to 31 December {period.year}"
    expect(page.locator(".govuk-panel__body")).to_have_text(f"Licence {licence_number} issued: {valid}.")
    expect(_steps(page)).to_have_text(["Done", "Done", "Done"])
    expect(page.get_by_role("link", name="Annual fee")).to_have_count(0)
    axe_audit.check(page, "my licence: issued")
    with page.expect_download() as certificate_download:
        page.get_by_role("link", name=f"Download certificate {licence_number} (PDF)").click()
    download = certificate_download.value
    assert download.suggested_filename == f"certificate-{licence_number}.pdf"
    certificate_path = tmp_path / download.suggested_filename
    download.save_as(certificate_path)
    certificate_pdf = certificate_path.read_bytes()

    # and the certificate's QR code is a payload the council signed, naming the public record
    assert certificate_pdf.startswith(b"%PDF-")
    texts = pdf_texts(certificate_pdf)
    assert texts[1:4] == ["Practising certificate", "This certifies that", "José Núñez"]
    assert licence_number in texts
    (qr_image,) = pdf_images(certificate_pdf)
    (token,) = scan(qr_image)
    record_url = f"{live_server.url}/register/{number}/"
    assert payload_verify(token) == {
        "url": record_url,
        "reg": number,
        "lic": licence_number,
        "valid_to": dt.date(period.year, 12, 31).isoformat(),
        "kid": public_key_jwk()["kid"],
    }
    assert record_url in texts

    # and a phone that scans it opens the public record
    visitor_page = open_page(phone=True)
    visitor_page.goto(record_url)
    expect(visitor_page.get_by_role("heading", level=1)).to_have_text("José Núñez")
    expect(visitor_page.get_by_role("main")).to_contain_text(number)
    expect(visitor_page.locator(".council-status-tag")).to_have_text("Registered")
    axe_audit.check(visitor_page, "public record from the QR code")

    # and every page was accessible and rendered without errors
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []

    # and the database holds one card payment, confirmed by one verified and processed webhook event
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == (Invoice.Status.PAID, 52000, 0)
    card = CardPayment.objects.get(invoice=invoice)
    assert card.status == CardPayment.Status.SUCCEEDED
    assert card.intent_id.startswith("pi_")
    assert (card.amount_minor, card.currency, card.started_by) == (52000, "ZAR", user)
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.amount_minor, payment.currency) == (
        Payment.Method.CARD,
        card.intent_id,
        52000,
        "ZAR",
    )
    assert payment.recorded_by is None
    assert card.payment == payment
    assert list(payment.allocations.values_list("invoice", "amount_minor")) == [(invoice.pk, 52000)]
    (event,) = StripeEvent.objects.filter(data_object__id=card.intent_id)
    assert (event.type, event.status) == ("payment_intent.succeeded", StripeEvent.Status.PROCESSED)
    assert event.outcome == f"payment {payment.pk} recorded"
    assert event.event_id.startswith("evt_")
    # events about other workers' PaymentIntents on a shared localstripe are stored but never acted on
    # (they wait, unmatched, for an hour, then are ignored)
    assert not StripeEvent.objects.exclude(pk=event.pk).filter(status=StripeEvent.Status.PROCESSED).exists()
    licence = Licence.objects.get()
    assert (licence.register_entry, licence.period, licence.number) == (entry, period, licence_number)
    assert (licence.valid_from_date, licence.valid_to_date) == (
        dt.date(period.year, 1, 1),
        dt.date(period.year, 12, 31),
    )

    # and the receipt shows the PaymentIntent as its reference
    receipt_texts = pdf_texts(receipt_pdf)
    rows = receipt_texts[2:14]
    assert list(zip(rows[::2], rows[1::2], strict=True)) == [
        ("Receipt number", f"R-{payment.pk:07d}"),
        ("Date paid", f"{payment.received_date.day} {payment.received_date:%B %Y}"),
        ("Received from", "José Núñez"),
        ("Registration number", number),
        ("Payment method", "Card (online)"),
        ("Reference", card.intent_id),
    ]
    assert receipt_texts[14:] == [
        "Description",
        "Amount (ZAR)",
        f"Invoice {invoice.number}",
        "520.00",
        "Total paid",
        ANNUAL_FEE,
    ]

    # and the audit trail tells the story, the webhook's part by the system
    others_events = Q(action__startswith="stripe_event.") & ~Q(object_id=str(event.pk))
    trail = AuditEvent.objects.filter(pk__gt=events_before).exclude(others_events).order_by("pk")
    assert [(audit.action, audit.actor) for audit in trail] == [
        ("renewal.declared", user),
        ("card_payment.started", user),
        ("stripe_event.received", None),
        ("payment.recorded", None),
        ("invoice.payment_applied", None),
        ("licence.issued", None),
        ("card_payment.succeeded", None),
        ("stripe_event.processed", None),
    ]
    started = trail.get(action="card_payment.started")
    assert started.after["intent"] == card.intent_id
    assert started.after["stripe_status"] == stripe_status


@pytest.mark.django_db(transaction=True)
def test_a_declined_card_is_explained_and_leaves_the_invoice_open(
    live_server: Any,
    open_page: Any,
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    stripe_settings: Any,
) -> None:
    # given a registered social worker with this year's renewal invoice issued
    entry, _period, invoice = _registered_social_worker()

    # when they pay it with a card their bank declines
    page = open_page(phone=True)
    _sign_in(page, entry.practitioner.user, axe_audit)
    page.goto(reverse("licensing:overview"))
    _open_pay_page(page, axe_audit, invoice)
    _pay(page, CARD_DECLINED)

    # then the pay page says so, and offers the card form again
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Your card was declined.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pay {ANNUAL_FEE} by card")
    expect(page.locator("#card-element input")).to_have_count(5)
    axe_audit.check(page, "pay by card: declined")
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []

    # and nothing was paid: the invoice is still open and no card attempt or payment was recorded
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == (Invoice.Status.ISSUED, 0)
    assert not Payment.objects.exists()
    assert not CardPayment.objects.exists()
    assert not Licence.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["payment.recorded", "card_payment.started"]).exists()
