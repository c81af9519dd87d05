"""Finance: refunds and write-offs with a second approver, voids, credit, statements, aged debt,
restoration after a lapse, reminders at the rules' offsets (following extensions), and the at-risk queue."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent, Notification
from core.roles import Role
from core.services import notification_sweep
from licensing import selectors, services
from licensing.models import (
    FeeType,
    FinanceAdjustment,
    Invoice,
    Licence,
    Payment,
    RenewalReminder,
    RestorationApplication,
)
from registry.models import RegisterEntry
from tests import factories
from tests.conftest import mfa_login
from tests.licensing.conftest import JOHANNESBURG, _registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(db: None) -> Any:
    return factories.staff_user(Role.FINANCE_OFFICER)


@pytest.fixture
def billed(categories, registrar, period) -> RegisterEntry:
    entry = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    return entry


def _pay(finance, invoice, amount, reference="EFT-1"):
    return services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.BANK_TRANSFER,
        reference=reference,
        amount_minor=amount,
        currency="ZAR",
        received_date=dt.date(2026, 12, 1),
    )


# Refunds and write-offs: a second member of staff ---------------------------------------------


def test_a_refund_needs_a_second_member_of_staff(billed, finance, approver):
    # given a payment of 600.00 on a 520.00 invoice (80.00 of credit), and a refund of 80.00 asked for
    invoice = Invoice.objects.get(register_entry=billed)
    payment = _pay(finance, invoice, 60000)
    request = services.refund_request(actor=finance, payment=payment, amount_minor=8000, reason="Overpaid")

    # when the same person tries to approve it
    with pytest.raises(services.SecondApproverRequired):
        services.adjustment_decide(actor=finance, adjustment=request, approve=True)

    # then nothing moved
    payment.refresh_from_db()
    request.refresh_from_db()
    assert (payment.refunded_minor, request.status) == (0, FinanceAdjustment.Status.REQUESTED)

    # and when a second finance officer approves it, the credit is refunded and the invoice stays paid
    services.adjustment_decide(actor=approver, adjustment=request, approve=True)
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.refunded_minor == 8000
    assert (invoice.status, invoice.paid_minor) == ("PAID", 52000)
    assert AuditEvent.objects.filter(action="refund.approved", actor=approver).count() == 1
    assert FinanceAdjustment.history.filter(id=request.pk).count() == 2


def test_the_database_refuses_a_self_approved_refund(billed, finance):
    # given a refund request
    invoice = Invoice.objects.get(register_entry=billed)
    request = services.refund_request(
        actor=finance, payment=_pay(finance, invoice, 52000), amount_minor=100, reason="Bank charges"
    )
    # when something writes its own approval straight to the table, then the constraint refuses it
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        FinanceAdjustment.objects.filter(pk=request.pk).update(
            status="APPROVED", decided_by=finance, decided_at=request.created_at
        )


def test_a_refund_beyond_the_credit_reopens_the_invoice(billed, finance, approver):
    # given a fully paid renewal invoice
    invoice = Invoice.objects.get(register_entry=billed)
    payment = _pay(finance, invoice, 52000)
    # when 20.00 of it is refunded with approval
    request = services.refund_request(actor=finance, payment=payment, amount_minor=2000, reason="Fee error")
    services.adjustment_decide(actor=approver, adjustment=request, approve=True)
    # then the invoice is part paid again and the allocation shrank
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("PART_PAID", 50000, 2000)
    assert payment.allocations.get().amount_minor == 50000


def test_refund_requests_cannot_exceed_the_payment(billed, finance):
    invoice = Invoice.objects.get(register_entry=billed)
    payment = _pay(finance, invoice, 52000)
    services.refund_request(actor=finance, payment=payment, amount_minor=50000, reason="Duplicate")
    with pytest.raises(ApplicationError):
        services.refund_request(actor=finance, payment=payment, amount_minor=5000, reason="Again")


def test_a_write_off_needs_approval_and_a_rejection_needs_a_reason(billed, finance, approver):
    invoice = Invoice.objects.get(register_entry=billed)
    request = services.write_off_request(actor=finance, invoice=invoice, reason="Practitioner deceased")
    with pytest.raises(ApplicationError):
        services.adjustment_decide(actor=approver, adjustment=request, approve=False, note="")
    with pytest.raises(services.SecondApproverRequired):
        services.adjustment_decide(actor=finance, adjustment=request, approve=True)
    services.adjustment_decide(actor=approver, adjustment=request, approve=True)
    invoice.refresh_from_db()
    assert invoice.status == "WRITTEN_OFF"
    assert AuditEvent.objects.filter(action="invoice.written_off", object_id=str(invoice.pk)).exists()


def test_only_finance_staff_can_ask_for_refunds(billed, finance, registrar):
    invoice = Invoice.objects.get(register_entry=billed)
    payment = _pay(finance, invoice, 52000)
    with pytest.raises(ApplicationError):
        services.refund_request(actor=registrar, payment=payment, amount_minor=100, reason="x")
    with pytest.raises(ApplicationError):
        services.write_off_request(actor=registrar, invoice=invoice, reason="x")


def test_the_approval_page_refuses_the_requester_and_changes_nothing(billed, finance, approver):
    # given a refund asked for by one finance officer
    invoice = Invoice.objects.get(register_entry=billed)
    request = services.refund_request(
        actor=finance, payment=_pay(finance, invoice, 60000), amount_minor=8000, reason="Overpaid"
    )
    url = reverse("finance:approval-decide", args=[request.pk])
    # when that same officer posts an approval, then it is refused with a message and nothing changes
    response = mfa_login(Client(), finance).post(url, {"decision": "approve"}, follow=True)
    assert "A second member of staff must approve this" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "REQUESTED"
    # and when the second officer approves it, it is done
    mfa_login(Client(), approver).post(url, {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == "APPROVED"


def test_a_void_needs_a_second_person_and_only_an_unpaid_invoice_can_be_voided(billed, finance, approver):
    invoice = Invoice.objects.get(register_entry=billed)
    request = services.void_request(actor=finance, invoice=invoice, reason="Raised in error")
    with pytest.raises(services.SecondApproverRequired):
        services.adjustment_decide(actor=finance, adjustment=request, approve=True)
    services.adjustment_decide(actor=approver, adjustment=request, approve=True)
    invoice.refresh_from_db()
    assert invoice.status == "VOID"
    with pytest.raises(ApplicationError):
        services.void_request(actor=finance, invoice=invoice, reason="Again")


def test_a_write_off_approves_only_the_amount_asked_for(billed, finance, approver, period):
    # given a write-off of 520.00 asked for, and then the late penalty added to the invoice
    invoice = Invoice.objects.get(register_entry=billed)
    request = services.write_off_request(actor=finance, invoice=invoice, reason="Deceased")
    services.late_penalties_apply(period=period, on_date=dt.date(2027, 4, 1))
    # when it is approved, then it is refused, and nothing is written off
    with pytest.raises(ApplicationError, match="has changed since the write-off was asked for"):
        services.adjustment_decide(actor=approver, adjustment=request, approve=True)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_minor) == ("ISSUED", 98500)


def test_credit_from_an_overpayment_can_go_to_another_invoice(categories, registrar, period, finance):
    # given one practitioner on two parts of the register, both billed, and one invoice paid twice over
    first = _registered(categories, registrar, 1)[0]
    second = _registered(categories, registrar, 1, category="social-auxiliary-worker")[0]
    RegisterEntry.objects.filter(pk=second.pk).update(practitioner=first.practitioner)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    one, two = Invoice.objects.filter(practitioner=first.practitioner).order_by("pk")
    payment = _pay(finance, one, 52000 + 26000)
    # when the credit is allocated to the second invoice
    services.payment_allocate(actor=finance, payment=payment, invoice=two, amount_minor=26000)
    # then both are paid and nothing is left over
    assert set(Invoice.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True)) == {"PAID"}
    assert selectors.payment_unallocated(payment=payment) == 0


# Manual payment page ----------------------------------------------------------------------------


def test_finance_records_a_bank_transfer_with_proof(billed, finance):
    invoice = Invoice.objects.get(register_entry=billed)
    client = mfa_login(Client(), finance)
    proof = SimpleUploadedFile("slip.pdf", b"%PDF-1.4\n%proof\n", content_type="application/pdf")
    response = client.post(
        reverse("finance:payment-new"),
        {
            "invoice_number": invoice.number,
            "method": "BANK_TRANSFER",
            "reference": "FNB-778812",
            "amount": "520.00",
            "received_date": "2026-12-01",
            "proof": proof,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    payment = Payment.objects.get(reference="FNB-778812")
    assert payment.proof.name.endswith(".pdf")
    invoice.refresh_from_db()
    assert invoice.status == "PAID"
    # the same reference again is refused with a message, and nothing is added
    again = client.post(
        reverse("finance:payment-new"),
        {
            "invoice_number": invoice.number,
            "method": "CASH",
            "reference": "FNB-778812",
            "amount": "1.00",
            "received_date": "2026-12-01",
        },
    )
    assert again.status_code == HTTPStatus.OK
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "5.555"}, "Enter an amount like 520.00"),
        ({"amount": "-3"}, "more than zero"),
        ({"invoice_number": "INV-0000-9"}, "There is no invoice"),
        ({"proof": None}, "Upload the proof of payment"),
        ({"proof": "not a pdf"}, "must be a PDF, JPG or PNG"),
    ],
)
def test_bad_manual_payments_get_a_clear_message_and_change_nothing(billed, finance, changes, message):
    invoice = Invoice.objects.get(register_entry=billed)
    data: dict[str, Any] = {
        "invoice_number": invoice.number,
        "method": "BANK_TRANSFER",
        "reference": "FNB-1",
        "amount": "520.00",
        "received_date": "2026-12-01",
        "proof": SimpleUploadedFile("slip.pdf", b"%PDF-1.4\n", content_type="application/pdf"),
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        elif key == "proof":
            data[key] = SimpleUploadedFile("slip.pdf", value.encode(), content_type="application/pdf")
        else:
            data[key] = value
    response = mfa_login(Client(), finance).post(reverse("finance:payment-new"), data)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert Payment.objects.count() == 0


# Statement, aged debt -------------------------------------------------------------------------------


def test_the_statement_runs_a_balance_and_aged_debt_bands_by_days_overdue(billed, finance, categories, registrar):
    invoice = Invoice.objects.get(register_entry=billed)
    _pay(finance, invoice, 20000)
    rows = selectors.statement_for_practitioner(practitioner_id=billed.practitioner_id)
    assert [(row.kind, row.balance_minor) for row in rows] == [("invoice", 52000), ("payment", 32000)]
    # due 1 January 2027: on 15 February it is 45 days overdue
    totals = selectors.aged_debt_totals(on_date=dt.date(2027, 2, 15))
    assert totals["ZAR"]["31_60"] == 32000
    assert sum(totals["ZAR"].values()) == 32000
    assert selectors.aged_debt_totals(on_date=dt.date(2026, 12, 15))["ZAR"]["not_yet_due"] == 32000


def test_a_practitioner_sees_only_their_own_invoices_receipts_and_certificates(billed, finance, categories, registrar):
    # given a paid invoice with a licence for one registrant, and another registrant
    invoice = Invoice.objects.get(register_entry=billed)
    services.renewal_declare(
        actor=billed.practitioner.user, entry=billed, period=invoice.period, is_fit_to_practise=True
    )
    payment = _pay(finance, invoice, 52000)
    licence = Licence.objects.get(register_entry=billed)
    other = _registered(categories, registrar, 1)[0]
    urls = [
        reverse("licensing:invoice-detail", args=[invoice.pk]),
        reverse("licensing:invoice-pay", args=[invoice.pk]),
        reverse("licensing:payment-receipt", args=[payment.pk]),
        reverse("licensing:licence-certificate", args=[licence.pk]),
    ]
    owner = Client()
    owner.force_login(billed.practitioner.user)
    stranger = Client()
    stranger.force_login(other.practitioner.user)
    for url in urls:
        # when the other registrant asks, then it is not found; the owner gets it
        assert stranger.get(url).status_code == HTTPStatus.NOT_FOUND, url
        assert owner.get(url).status_code in (HTTPStatus.OK, HTTPStatus.FOUND), url
    certificate = owner.get(urls[3])
    assert certificate["Content-Type"] == "application/pdf"
    assert certificate.content.startswith(b"%PDF")
    statement = stranger.get(reverse("licensing:statement")).content.decode()
    assert invoice.number not in statement


# Restoration ------------------------------------------------------------------------------------


def _lapsed_unpaid(billed, period):
    """The registrant lapses on 1 July 2027 owing 520.00 plus the 465.00 late penalty."""
    services.late_penalties_apply(period=period, on_date=dt.date(2027, 4, 1))
    services.lapse_run(period=period, on_date=dt.date(2027, 7, 1))
    billed.refresh_from_db()
    assert billed.status == "LAPSED"
    return Invoice.objects.get(register_entry=billed, purpose="RENEWAL")


def test_restoration_needs_the_fee_and_the_arrears_paid_and_a_registrar(billed, finance, registrar, period):
    # given a registrant who lapsed without paying
    arrears = _lapsed_unpaid(billed, period)

    # when they apply to restore on 10 July 2027
    with time_machine.travel(dt.datetime(2027, 7, 10, 9, tzinfo=JOHANNESBURG), tick=False):
        restoration = services.restoration_apply(
            actor=billed.practitioner.user, entry=billed, is_fit_to_practise=True, statement="I was abroad"
        )
    invoice = restoration.invoice

    # then the restoration invoice is the restoration fee, and the arrears stay on their own invoice, owed once
    assert list(invoice.lines.values_list("fee_type", "amount_minor")) == [(FeeType.RESTORATION, 76200)]
    assert services.restoration_arrears(entry=billed) == [arrears]
    assert selectors.statement_for_practitioner(practitioner_id=billed.practitioner_id)[-1].balance_minor == (
        52000 + 46500 + 76200
    )

    # and the registrar can approve neither before the fee is paid nor before the arrears are
    with pytest.raises(ApplicationError, match="restoration invoice must be paid"):
        services.restoration_decide(actor=registrar, restoration=restoration, approve=True, reason="Paid")
    with time_machine.travel(dt.datetime(2027, 7, 12, 9, tzinfo=JOHANNESBURG), tick=False):
        _pay(finance, invoice, invoice.total_minor, reference="EFT-RESTORE")
        with pytest.raises(ApplicationError, match=arrears.number):
            services.restoration_decide(actor=registrar, restoration=restoration, approve=True, reason="Paid")
        _pay(finance, arrears, arrears.balance_minor, reference="EFT-ARREARS")
        services.restoration_decide(actor=registrar, restoration=restoration, approve=True, reason="Paid in full")

    # then they are registered and licensed for the year, so the next lapse run leaves them alone
    billed.refresh_from_db()
    restoration.refresh_from_db()
    assert billed.status == "REGISTERED"
    assert restoration.status == RestorationApplication.Status.APPROVED
    assert Licence.objects.filter(register_entry=billed, period=period).exists()
    assert services.lapse_run(period=period, on_date=dt.date(2027, 7, 13)) == 0
    for action in ("restoration.applied", "restoration.approved", "invoice.issued", "licence.issued"):
        assert AuditEvent.objects.filter(action=action).exists(), action
    assert RestorationApplication.history.filter(id=restoration.pk).count() == 2


def test_a_refused_restoration_leaves_the_arrears_owed_and_a_new_application_bills_nothing_twice(
    billed, registrar, period
):
    arrears = _lapsed_unpaid(billed, period)
    user = billed.practitioner.user
    first = services.restoration_apply(actor=user, entry=billed, is_fit_to_practise=True, statement="x")
    services.restoration_decide(actor=registrar, restoration=first, approve=False, reason="Not explained")
    first.invoice.refresh_from_db()
    arrears.refresh_from_db()
    assert (first.invoice.status, arrears.status, arrears.balance_minor) == ("VOID", "ISSUED", 98500)
    second = services.restoration_apply(actor=user, entry=billed, is_fit_to_practise=True, statement="Explained")
    assert second.invoice.total_minor == 76200
    assert services.restoration_arrears(entry=billed) == [arrears]


def test_a_registrant_who_paid_but_lapsed_is_licensed_on_restoration_and_keeps_their_conditions(
    billed, finance, registrar, period
):
    # given a registrant with conditions who paid the fee but never declared, and so lapsed
    from registry import services as registry_services

    registry_services.register_entry_change_status(
        actor=registrar,
        entry=billed,
        status=RegisterEntry.Status.REGISTERED_WITH_CONDITIONS,
        reason="Supervision",
        conditions="Practise under supervision",
    )
    _pay(finance, Invoice.objects.get(register_entry=billed), 52000)
    services.lapse_run(period=period, on_date=dt.date(2027, 7, 1))
    lapse = AuditEvent.objects.filter(action="register_entry.status_changed").latest("id")
    assert lapse.before == {"status": "REGISTERED_WITH_CONDITIONS", "conditions": "Practise under supervision"}

    # when they are restored
    with time_machine.travel(dt.datetime(2027, 7, 10, 9, tzinfo=JOHANNESBURG), tick=False):
        restoration = services.restoration_apply(
            actor=billed.practitioner.user, entry=billed, is_fit_to_practise=True, statement="Forgot the form"
        )
        _pay(finance, restoration.invoice, restoration.invoice.total_minor, reference="EFT-R")
        services.restoration_decide(actor=registrar, restoration=restoration, approve=True, reason="Paid")

    # then the year they paid for is licensed, their conditions apply again, and the lapse run leaves them alone
    billed.refresh_from_db()
    assert (billed.status, billed.conditions) == ("REGISTERED_WITH_CONDITIONS", "Practise under supervision")
    assert Licence.objects.filter(register_entry=billed, period=period).exists()
    assert services.lapse_run(period=period, on_date=dt.date(2027, 7, 11)) == 0


def test_only_the_lapsed_registrant_can_apply_and_only_a_registrar_decides(billed, finance, period, officer):
    services.lapse_run(period=period, on_date=dt.date(2027, 7, 1))
    billed.refresh_from_db()
    with pytest.raises(ApplicationError):
        services.restoration_apply(actor=finance, entry=billed, is_fit_to_practise=True, statement="x")
    restoration = services.restoration_apply(
        actor=billed.practitioner.user, entry=billed, is_fit_to_practise=True, statement="x"
    )
    with pytest.raises(ApplicationError):
        services.restoration_decide(actor=officer, restoration=restoration, approve=False, reason="No")
    with pytest.raises(ApplicationError):
        services.restoration_apply(actor=billed.practitioner.user, entry=billed, is_fit_to_practise=True, statement="x")


# Reminders and the at-risk queue ---------------------------------------------------------------------


def test_reminders_go_at_the_rules_offsets_once_each(billed, period):
    # due 1 January 2027, reminders 60, 30 and 7 days before
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 11, 1)) == 0
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 11, 2)) == 1  # 60 days before
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 11, 3)) == 0
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 12, 2)) == 1  # 30 days before
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 12, 25)) == 1  # 7 days before
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 12, 26)) == 0
    assert list(RenewalReminder.objects.order_by("days_before").values_list("days_before", flat=True)) == [7, 30, 60]
    bodies = list(Notification.objects.filter(kind="renewal_reminder").values_list("body", flat=True))
    assert len(bodies) == 3
    assert all("1 January 2027" in body for body in bodies)
    assert AuditEvent.objects.filter(action="renewal.reminder_sent").count() == 3


def test_a_missed_day_sends_the_latest_reminder_not_a_burst(billed, period):
    # the job did not run for weeks: on 20 December only the 30-day reminder is due
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 12, 20)) == 1
    assert list(RenewalReminder.objects.values_list("days_before", flat=True)) == [30]


def test_an_extension_moves_the_reminders_and_they_quote_the_new_dates(billed, period, registrar):
    # given an extension of the due date to 1 March 2027 (penalty from 1 May, lapse 1 August)
    services.renewal_extension_grant(
        actor=registrar,
        entry=billed,
        period=period,
        due_date=dt.date(2027, 3, 1),
        penalty_from_date=dt.date(2027, 5, 1),
        lapse_date=dt.date(2027, 8, 1),
        reason="Hospitalised",
    )
    # when the reminder job runs on the period's 7-day date, nothing goes; on the extended one, it does
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 12, 25)) == 0
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2027, 2, 22)) == 1
    body = Notification.objects.get(kind="renewal_reminder").body
    assert "1 March 2027" in body
    assert "1 May 2027" in body
    assert "1 August 2027" in body


def test_the_at_risk_queue_lists_two_of_three_and_they_get_their_own_reminder(
    categories, registrar, period, finance, settings
):
    # given three registrants: one declared only, one paid only, one who did nothing
    declared, paid, _idle = _registered(categories, registrar, 3)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    services.renewal_declare(actor=declared.practitioner.user, entry=declared, period=period, is_fit_to_practise=True)
    _pay(finance, Invoice.objects.get(register_entry=paid), 52000, reference="EFT-PAID")

    # when staff look at the queue
    queue = selectors.at_risk_list(period=period)

    # then exactly the two with two of three steps are listed, each with their missing step
    assert {entry.pk: [step for step, met in steps.items() if not met] for entry, steps in queue} == {
        declared.pk: ["fee"],
        paid.pk: ["declaration"],
    }
    # and 14 days before the lapse date they, and only they, get the at-risk reminder
    sent = services.renewal_reminders_send(period=period, on_date=dt.date(2027, 6, 17))
    assert sent >= 2
    at_risk = Notification.objects.filter(kind="renewal_at_risk")
    assert {n.recipient_id for n in at_risk} == {declared.practitioner.user_id, paid.practitioner.user_id}
    assert "Missing: the annual fee." in at_risk.get(recipient=declared.practitioner.user).body
    settings.COUNCIL_NOTIFICATION_RETRY_AFTER_SECONDS = 0
    notification_sweep()
    assert any("will lapse" in message.subject for message in mail.outbox)


def test_staff_send_an_at_risk_reminder_from_the_queue(categories, registrar, period):
    declared = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    services.renewal_declare(actor=declared.practitioner.user, entry=declared, period=period, is_fit_to_practise=True)
    client = mfa_login(Client(), registrar)
    page = client.get(reverse("renewals:at-risk")).content.decode()
    assert declared.registration_number in page
    response = client.post(reverse("renewals:at-risk-remind", args=[declared.pk, period.year]))
    assert response.status_code == HTTPStatus.FOUND
    assert Notification.objects.filter(kind="renewal_at_risk", recipient=declared.practitioner.user).count() == 1
    assert AuditEvent.objects.filter(action="renewal.reminder_sent", actor=registrar).count() == 1


def test_nobody_without_an_account_is_logged_as_reminded(categories, registrar, period):
    # given an at-risk registrant with no account (as imported registers have)
    entry = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    services.renewal_declare(actor=entry.practitioner.user, entry=entry, period=period, is_fit_to_practise=True)
    type(entry.practitioner).objects.filter(pk=entry.practitioner_id).update(user=None)
    # when the reminder job runs, and when staff try to remind them
    assert services.renewal_reminders_send(period=period, on_date=dt.date(2026, 11, 2)) == 0
    with pytest.raises(ApplicationError, match="has no account"):
        services.at_risk_remind(actor=registrar, entry=entry, period=period)
    # then no reminder is logged or audited as sent
    assert not RenewalReminder.objects.exists()
    assert not AuditEvent.objects.filter(action="renewal.reminder_sent").exists()
    page = mfa_login(Client(), registrar).get(reverse("renewals:at-risk")).content.decode()
    assert "No account: contact them directly" in page
