"""The finance and renewal staff pages, driven as staff use them: each action through its form, with its effect."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from licensing import services
from licensing.models import FeeExemption, FinanceAdjustment, Invoice, Payment, RenewalExtension, RestorationApplication
from registry.models import RegisterEntry
from tests import factories
from tests.conftest import mfa_login
from tests.licensing.conftest import _registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(categories: Any, registrar: Any, period: Any) -> RegisterEntry:
    entry = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    return entry


@pytest.fixture
def finance_client(finance: Any) -> Client:
    return mfa_login(Client(), finance)


def _paid(finance: Any, invoice: Invoice, amount: int = 60000) -> Payment:
    return services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.BANK_TRANSFER,
        reference="FNB-1",
        amount_minor=amount,
        currency="ZAR",
        received_date=dt.date(2026, 12, 1),
        proof=SimpleUploadedFile("slip.pdf", b"%PDF-1.4\n%slip\n", content_type="application/pdf"),
    )


def test_the_payments_list_finds_by_reference_and_the_payment_page_shows_its_credit(billed, finance, finance_client):
    payment = _paid(finance, Invoice.objects.get(register_entry=billed))
    listing = finance_client.get(reverse("finance:payments"), {"q": "fnb"}).content.decode()
    assert "FNB-1" in listing
    assert "FNB-1" not in finance_client.get(reverse("finance:payments"), {"q": "nothing"}).content.decode()
    page = finance_client.get(reverse("finance:payment-detail", args=[payment.pk])).content.decode()
    assert "ZAR 80.00" in page  # 600.00 paid on a 520.00 invoice
    proof = finance_client.get(reverse("finance:payment-proof", args=[payment.pk]))
    assert proof.status_code == HTTPStatus.OK
    assert b"".join(proof.streaming_content).startswith(b"%PDF")
    assert proof["Cache-Control"] == "private, no-store"


def test_a_refund_is_asked_for_on_the_payment_page_and_approved_by_someone_else(billed, finance, finance_client):
    payment = _paid(finance, Invoice.objects.get(register_entry=billed))
    url = reverse("finance:payment-refund", args=[payment.pk])
    # a bad amount is refused with a message and nothing is asked for
    response = finance_client.post(url, {"amount": "abc", "reason": "Overpaid"}, follow=True)
    assert "Enter an amount like 520.00" in response.content.decode()
    assert not FinanceAdjustment.objects.exists()
    # a good one is asked for
    response = finance_client.post(url, {"amount": "80.00", "reason": "Overpaid"}, follow=True)
    assert "A second member of staff must approve it" in response.content.decode()
    request = FinanceAdjustment.objects.get()
    assert (request.kind, request.amount_minor, request.requested_by) == ("REFUND", 8000, finance)
    # the requester sees it waiting, without a decision form; a second officer decides it
    approvals = finance_client.get(reverse("finance:approvals")).content.decode()
    assert "Another member of staff must decide this one." in approvals
    second = mfa_login(Client(), factories.staff_user(Role.FINANCE_OFFICER))
    assert "Record decision" in second.get(reverse("finance:approvals")).content.decode()
    second.post(reverse("finance:approval-decide", args=[request.pk]), {"decision": "reject", "note": ""})
    request.refresh_from_db()
    assert request.status == "REQUESTED"  # a rejection needs a note
    second.post(reverse("finance:approval-decide", args=[request.pk]), {"decision": "reject", "note": "Not overpaid"})
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("REJECTED", "Not overpaid")


def test_credit_is_allocated_on_the_payment_page(categories, registrar, period, finance, finance_client):
    first = _registered(categories, registrar, 1)[0]
    second = _registered(categories, registrar, 1, category="social-auxiliary-worker")[0]
    RegisterEntry.objects.filter(pk=second.pk).update(practitioner=first.practitioner)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    one, two = Invoice.objects.filter(practitioner=first.practitioner).order_by("pk")
    payment = _paid(finance, one, 78000)
    url = reverse("finance:payment-allocate", args=[payment.pk])
    response = finance_client.post(url, {"invoice_number": "INV-1999-0000001", "amount": "1.00"}, follow=True)
    assert "There is no invoice" in response.content.decode()
    finance_client.post(url, {"invoice_number": two.number.lower(), "amount": "260.00"})
    two.refresh_from_db()
    assert two.status == "PAID"


def test_an_invoice_is_written_off_or_voided_from_its_page(categories, registrar, period, finance, finance_client):
    first, second = _registered(categories, registrar, 2)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    to_write_off = Invoice.objects.get(register_entry=first)
    to_void = Invoice.objects.get(register_entry=second)
    page = finance_client.get(reverse("finance:invoice-detail", args=[to_void.pk])).content.decode()
    assert "Request void" in page
    assert "Request write-off" in page
    # no reason, no action
    finance_client.post(reverse("finance:invoice-void", args=[to_void.pk]), {"reason": ""})
    assert not FinanceAdjustment.objects.exists()
    finance_client.post(reverse("finance:invoice-void", args=[to_void.pk]), {"reason": "Raised in error"})
    finance_client.post(reverse("finance:invoice-write-off", args=[to_write_off.pk]), {"reason": "Deceased"})
    requests = {adjustment.kind: adjustment for adjustment in FinanceAdjustment.objects.all()}
    assert (requests["VOID"].invoice, requests["WRITE_OFF"].invoice) == (to_void, to_write_off)
    # nothing is voided until a second finance officer approves it
    to_void.refresh_from_db()
    assert to_void.status == "ISSUED"
    second = mfa_login(Client(), factories.staff_user(Role.FINANCE_OFFICER))
    second.post(reverse("finance:approval-decide", args=[requests["VOID"].pk]), {"decision": "approve"})
    to_void.refresh_from_db()
    assert to_void.status == "VOID"
    # a second request for the same write-off is refused with a message
    again = finance_client.post(
        reverse("finance:invoice-write-off", args=[to_write_off.pk]), {"reason": "Again"}, follow=True
    )
    assert "already awaiting approval" in again.content.decode()


def test_the_statement_page_grants_an_exemption(billed, finance, finance_client):
    url = reverse("finance:practitioner-statement", args=[billed.practitioner_id])
    page = finance_client.get(url).content.decode()
    assert Invoice.objects.get(register_entry=billed).number in page
    grant = reverse("finance:exemption-grant", args=[billed.practitioner_id])
    finance_client.post(
        grant, {"code": "over-65", "discount_percent": "500", "starts_date": "2027-01-01", "reason": "x"}
    )
    assert not FeeExemption.objects.exists()
    finance_client.post(
        grant, {"code": "over-65", "discount_percent": "100", "starts_date": "2027-01-01", "reason": "Turned 65"}
    )
    exemption = FeeExemption.objects.get()
    assert (exemption.code, exemption.discount_percent, exemption.granted_by) == ("over-65", 100, finance)
    assert "Turned 65" in finance_client.get(url).content.decode()


def test_a_registrar_extends_dates_and_decides_restoration_from_the_pages(billed, finance, registrar, period):
    client = mfa_login(Client(), registrar)
    record = client.get(reverse("staff:register-record", args=[billed.pk])).content.decode()
    assert "Extend this registrant&#x27;s dates" in record or "Extend this registrant's dates" in record
    url = reverse("renewals:extension-grant", args=[billed.pk, period.year])
    assert client.get(url).status_code == HTTPStatus.OK
    bad = client.post(
        url, {"due_date": "2027-05-01", "penalty_from_date": "2027-04-01", "lapse_date": "2027-08-01", "reason": "x"}
    )
    assert "The dates must run" in bad.content.decode()
    client.post(
        url, {"due_date": "2027-02-01", "penalty_from_date": "2027-05-01", "lapse_date": "2027-08-01", "reason": "Ill"}
    )
    assert RenewalExtension.objects.get().lapse_date == dt.date(2027, 8, 1)

    # when the registrant nevertheless lapses and applies to be restored
    services.lapse_run(period=period, on_date=dt.date(2027, 8, 1))
    user = billed.practitioner.user
    practitioner = Client()
    practitioner.force_login(user)
    assert "Apply for restoration" in practitioner.get(reverse("licensing:overview")).content.decode()
    practitioner.post(reverse("licensing:restore", args=[billed.pk]), {"fit_to_practise": "yes", "statement": ""})
    assert not RestorationApplication.objects.exists()
    practitioner.post(
        reverse("licensing:restore", args=[billed.pk]), {"fit_to_practise": "yes", "statement": "I was in hospital"}
    )
    restoration = RestorationApplication.objects.get()

    # then the registrar sees it, cannot restore before payment, and restores after
    assert billed.registration_number in client.get(reverse("renewals:restorations")).content.decode()
    assert (
        "I was in hospital"
        in client.get(reverse("renewals:restoration-detail", args=[restoration.pk])).content.decode()
    )
    decide = reverse("renewals:restoration-decide", args=[restoration.pk])
    early = client.post(decide, {"decision": "approve", "reason": "Fine"}, follow=True)
    assert "must be paid before" in early.content.decode()
    _paid(finance, restoration.invoice, restoration.invoice.total_minor)
    early = client.post(decide, {"decision": "approve", "reason": "Fine"}, follow=True)
    assert "The arrears must be paid first" in early.content.decode()
    (arrears,) = services.restoration_arrears(entry=billed)
    services.payment_record(
        actor=finance,
        invoice=arrears,
        method=Payment.Method.CASH,
        reference="CASH-ARREARS",
        amount_minor=arrears.balance_minor,
        currency="ZAR",
        received_date=dt.date(2026, 12, 1),
    )
    client.post(decide, {"decision": "approve", "reason": "Paid and explained"})
    billed.refresh_from_db()
    assert billed.status == "REGISTERED"
    assert AuditEvent.objects.filter(action="restoration.approved", actor=registrar).exists()


def test_the_localstripe_webhook_command_registers_the_demo(localstripe, settings):
    settings.STRIPE_API_BASE = localstripe
    out = StringIO()
    call_command("localstripe_webhook", "http://127.0.0.1:9/licence/stripe/webhook/", stdout=out)
    assert "sends payment events to http://127.0.0.1:9/licence/stripe/webhook/" in out.getvalue()
    # retire it again, so the shared localstripe does not keep posting to a closed port
    from licensing.gateway import localstripe_webhook_register

    localstripe_webhook_register(url="http://127.0.0.1:9/licence/stripe/webhook/", secret="x", events=[])


def test_impossible_exemption_dates_and_amounts_get_a_message_not_an_error(billed, finance, finance_client):
    grant = reverse("finance:exemption-grant", args=[billed.practitioner_id])
    response = finance_client.post(
        grant,
        {
            "code": "ill-health",
            "discount_percent": "50",
            "starts_date": "2027-06-01",
            "ends_date": "2027-01-01",
            "reason": "Ill",
        },
        follow=True,
    )
    assert "must end on or after the day it starts" in response.content.decode()
    assert not FeeExemption.objects.exists()
    invoice = Invoice.objects.get(register_entry=billed)
    response = finance_client.post(
        reverse("finance:payment-new"),
        {
            "invoice_number": invoice.number,
            "method": "CASH",
            "reference": "C-HUGE",
            "amount": "9" * 20,
            "received_date": "2026-12-01",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "That amount is too large" in response.content.decode()
    assert not Payment.objects.exists()
