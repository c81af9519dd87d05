"""Annual renewal: the period's dates, set-based invoicing, penalties, lapse, declaration, payment, licence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from core.exceptions import ApplicationError
from core.models import AuditEvent, Notification
from core.selectors import council_today
from licensing import selectors, services
from licensing.models import FeeType, Invoice, InvoiceLine, Licence, Payment, RenewalPeriod
from registry import services as registry_services
from registry.models import RegisterEntry
from tests.licensing.conftest import JOHANNESBURG, _registered

pytestmark = pytest.mark.django_db


def test_period_dates_come_from_the_rules(period):
    assert (period.opens_date, period.due_date, period.penalty_from_date, period.lapse_date) == (
        dt.date(2026, 11, 2),
        dt.date(2027, 1, 1),
        dt.date(2027, 4, 1),
        dt.date(2027, 7, 1),
    )
    assert (period.valid_from_date, period.valid_to_date) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert AuditEvent.objects.get(action="renewal_period.opened").after["rule_set"] == 1


def test_invoicing_bills_every_practising_registrant_exactly_once(categories, registrar, period, finance):
    # given three registered people (one with a 50% non-practising exemption) and one suspended
    entries = _registered(categories, registrar, 4)
    registry_services.register_entry_change_status(
        actor=registrar, entry=entries[3], status="SUSPENDED", reason="Order"
    )
    services.fee_exemption_grant(
        actor=finance,
        practitioner=entries[0].practitioner,
        code="non-practising",
        discount_percent=50,
        reason="Not practising in 2027",
        starts_date=dt.date(2027, 1, 1),
    )
    # when renewal invoicing runs twice, in chunks of two
    first = services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2), chunk_size=2)
    second = services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 3), chunk_size=2)
    # then the three practising registrants are billed once each, with their exemption applied
    assert (first, second) == (3, 0)
    invoices = {invoice.register_entry_id: invoice for invoice in Invoice.objects.filter(period=period)}
    assert set(invoices) == {entries[0].pk, entries[1].pk, entries[2].pk}
    assert [invoices[entry.pk].total_minor for entry in entries[:3]] == [26000, 52000, 52000]
    assert list(invoices[entries[0].pk].lines.values_list("fee_type", "amount_minor")) == [
        (FeeType.ANNUAL, 52000),
        (FeeType.EXEMPTION, -26000),
    ]
    assert len({invoice.number for invoice in invoices.values()}) == 3
    assert all(line.rule_set_id == period.rule_set_id for line in InvoiceLine.objects.all())
    # and every row the batch wrote has its history row and audit event
    assert Invoice.history.filter(history_type="+").count() == 3
    assert InvoiceLine.history.filter(history_type="+").count() == 4
    assert AuditEvent.objects.filter(action="invoice.issued", actor=None).count() == 3


def test_invoicing_before_the_window_opens_is_refused(period):
    with pytest.raises(ApplicationError, match="Renewal for 2027 opens on 2026-11-02"):
        services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 1))
    assert not Invoice.objects.exists()


def test_a_crashed_run_resumes_without_billing_anyone_twice(categories, registrar, period, monkeypatch):
    _registered(categories, registrar, 5)
    original = services._invoice_chunk
    calls = {"count": 0}

    def crash_on_second_chunk(*args: Any, **kwargs: Any) -> int:
        calls["count"] += 1
        if calls["count"] == 2:
            raise RuntimeError("worker killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_invoice_chunk", crash_on_second_chunk)
    with pytest.raises(RuntimeError, match="worker killed"):
        services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 12, 1), chunk_size=2)
    assert Invoice.objects.count() == 2
    monkeypatch.setattr(services, "_invoice_chunk", original)
    assert services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 12, 1), chunk_size=2) == 3
    assert Invoice.objects.count() == 5
    assert Invoice.objects.values("register_entry").distinct().count() == 5


def test_late_penalty_is_added_once_after_the_penalty_date(categories, registrar, period):
    entries = _registered(categories, registrar, 2)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 3, 31)) == 0
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 4, 1)) == 2
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 4, 2)) == 0
    invoice = Invoice.objects.get(register_entry=entries[0])
    assert invoice.total_minor == 52000 + 46500
    assert invoice.lines.filter(fee_type=FeeType.LATE_PENALTY).count() == 1
    assert Invoice.history.filter(history_type="~", history_change_reason="late penalty 2027").count() == 2
    assert AuditEvent.objects.filter(action="invoice.penalty_added").count() == 2


def test_an_extension_moves_one_registrants_penalty_and_lapse(categories, registrar, period):
    entries = _registered(categories, registrar, 2)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    services.renewal_extension_grant(
        actor=registrar,
        entry=entries[0],
        period=period,
        due_date=dt.date(2027, 3, 1),
        penalty_from_date=dt.date(2027, 5, 1),
        lapse_date=dt.date(2027, 8, 1),
        reason="Hospitalised in March",
    )
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 4, 1)) == 1
    assert not Invoice.objects.get(register_entry=entries[0]).lines.filter(fee_type=FeeType.LATE_PENALTY).exists()
    assert services.lapse_run(period=period, on_date=dt.date(2027, 7, 1)) == 1
    assert RegisterEntry.objects.get(pk=entries[0].pk).status == "REGISTERED"
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 5, 1)) == 1
    assert services.lapse_run(period=period, on_date=dt.date(2027, 8, 1)) == 1
    assert RegisterEntry.objects.get(pk=entries[0].pk).status == "LAPSED"


def test_lapse_run_lapses_the_unrenewed_as_the_system_with_history(categories, registrar, period, finance):
    # given three registrants, one of whom renews in full
    entries = _registered(categories, registrar, 3)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    renewer = entries[0]
    services.renewal_declare(actor=renewer.practitioner.user, entry=renewer, period=period, is_fit_to_practise=True)
    invoice = Invoice.objects.get(register_entry=renewer)
    services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.BANK_TRANSFER,
        reference="FNB-2027-0001",
        amount_minor=52000,
        currency="ZAR",
        received_date=dt.date(2027, 1, 10),
    )
    history_before = RegisterEntry.history.count()
    # when the lapse run comes
    assert services.lapse_run(period=period, on_date=dt.date(2027, 7, 1)) == 2
    # then the other two lapse, recorded as the system with the reason, each with a history row
    statuses = dict(RegisterEntry.objects.values_list("pk", "status"))
    assert statuses == {entries[0].pk: "REGISTERED", entries[1].pk: "LAPSED", entries[2].pk: "LAPSED"}
    assert RegisterEntry.history.count() == history_before + 2
    rows = RegisterEntry.history.filter(status="LAPSED")
    assert {(row.history_user, row.history_change_reason) for row in rows} == {(None, "Not renewed for 2027")}
    events = AuditEvent.objects.filter(action="register_entry.status_changed", actor=None)
    assert events.count() == 2
    assert {event.actor_label for event in events} == {"system"}
    # and running it again changes nothing
    assert services.lapse_run(period=period, on_date=dt.date(2027, 7, 2)) == 0


def test_renewal_completes_when_all_three_steps_are_met(categories, registrar, period, finance):
    entry = _registered(categories, registrar, 1)[0]
    user = entry.practitioner.user
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    invoice = Invoice.objects.get(register_entry=entry)
    # paying in part leaves the fee step open
    services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.MOBILE_MONEY,
        reference="MPESA-77",
        amount_minor=20000,
        currency="ZAR",
        received_date=dt.date(2026, 12, 1),
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("PART_PAID", 20000, 32000)
    assert services.renewal_steps_met(entry=entry, period=period) == {"declaration": False, "fee": False, "cpd": True}
    # paying the rest and declaring issues the licence
    services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.CASH,
        reference="RCPT-0042",
        amount_minor=32000,
        currency="ZAR",
        received_date=dt.date(2026, 12, 2),
    )
    assert not Licence.objects.exists()
    services.renewal_declare(actor=user, entry=entry, period=period, is_fit_to_practise=True)
    licence = Licence.objects.get()
    assert (licence.register_entry, licence.number, licence.valid_from_date, licence.valid_to_date) == (
        entry,
        f"L2027-{entry.registration_number}",
        dt.date(2027, 1, 1),
        dt.date(2027, 12, 31),
    )
    assert AuditEvent.objects.get(action="licence.issued").actor == user


def test_payment_errors_change_nothing(categories, registrar, period, finance):
    entry = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    invoice = Invoice.objects.get(register_entry=entry)
    services.payment_record(
        actor=finance,
        invoice=invoice,
        method=Payment.Method.BANK_TRANSFER,
        reference="ABSA-1",
        amount_minor=100,
        currency="ZAR",
        received_date=dt.date(2026, 12, 1),
    )
    before = (Payment.objects.count(), Invoice.objects.get().paid_minor, AuditEvent.objects.count())
    with pytest.raises(services.DuplicatePayment, match="ABSA-1 is already recorded"):
        services.payment_record(
            actor=finance,
            invoice=invoice,
            method=Payment.Method.BANK_TRANSFER,
            reference="ABSA-1",
            amount_minor=100,
            currency="ZAR",
            received_date=dt.date(2026, 12, 1),
        )
    with pytest.raises(ApplicationError, match=r"This invoice is in ZAR; the payment is in USD\."):
        services.payment_record(
            actor=finance,
            invoice=invoice,
            method=Payment.Method.CASH,
            reference="C-1",
            amount_minor=100,
            currency="USD",
            received_date=dt.date(2026, 12, 1),
        )
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.payment_record(
            actor=registrar,
            invoice=invoice,
            method=Payment.Method.CASH,
            reference="C-2",
            amount_minor=100,
            currency="ZAR",
            received_date=dt.date(2026, 12, 1),
        )
    assert (Payment.objects.count(), Invoice.objects.get().paid_minor, AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("utc_moment", "penalties"),
    [
        # 21:59 UTC on 31 March is 23:59 in Johannesburg: still 31 March, no penalty
        (dt.datetime(2027, 3, 31, 21, 59, tzinfo=dt.UTC), 0),
        # 22:01 UTC on 31 March is 00:01 on 1 April in Johannesburg: the penalty applies
        (dt.datetime(2027, 3, 31, 22, 1, tzinfo=dt.UTC), 1),
    ],
)
def test_the_daily_run_uses_the_councils_local_day(categories, registrar, rules, utc_moment, penalties):
    _registered(categories, registrar, 1)
    with time_machine.travel(dt.datetime(2026, 11, 2, 8, 0, tzinfo=JOHANNESBURG), tick=False):
        assert services.renewal_daily_run() == {
            "periods_opened": 1,
            "invoices_issued": 1,
            "penalties_added": 0,
            "lapsed": 0,
        }
    with time_machine.travel(utc_moment, tick=False):
        result = services.renewal_daily_run()
    assert result["penalties_added"] == penalties
    assert InvoiceLine.objects.filter(fee_type=FeeType.LATE_PENALTY).count() == penalties


@pytest.mark.parametrize(
    ("utc_moment", "lapsed"),
    [
        (dt.datetime(2027, 6, 30, 21, 59, tzinfo=dt.UTC), 0),
        (dt.datetime(2027, 6, 30, 22, 0, tzinfo=dt.UTC), 1),
    ],
)
def test_lapse_falls_on_the_local_day(categories, registrar, rules, utc_moment, lapsed):
    _registered(categories, registrar, 1)
    with time_machine.travel(dt.datetime(2026, 11, 2, 8, 0, tzinfo=JOHANNESBURG), tick=False):
        services.renewal_daily_run()
    with time_machine.travel(utc_moment, tick=False):
        assert services.renewal_daily_run()["lapsed"] == lapsed


def _reminders_at(utc_moment: dt.datetime) -> int:
    with time_machine.travel(utc_moment, tick=False):
        return services.renewal_reminders_daily_run()


def test_reminders_fall_on_the_local_day_and_follow_an_extension(categories, registrar, rules):
    # given two registrants billed for 2027 (fee due 1 January; reminders 60, 30 and 7 days before)
    on_time, extended = _registered(categories, registrar, 2)
    with time_machine.travel(dt.datetime(2026, 11, 2, 8, 0, tzinfo=JOHANNESBURG), tick=False):
        services.renewal_daily_run()
    assert _reminders_at(dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)) == 2  # 60 days before
    assert _reminders_at(dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)) == 2  # 30 days before
    period = RenewalPeriod.objects.get(year=2027)
    # and one of them given until 1 March to pay (penalty from 1 May, lapse 1 August)
    services.renewal_extension_grant(
        actor=registrar,
        entry=extended,
        period=period,
        due_date=dt.date(2027, 3, 1),
        penalty_from_date=dt.date(2027, 5, 1),
        lapse_date=dt.date(2027, 8, 1),
        reason="Hospitalised",
    )
    # when the reminder job runs at 23:59 on 24 December in Johannesburg, nothing is due yet
    assert _reminders_at(dt.datetime(2026, 12, 24, 21, 59, tzinfo=dt.UTC)) == 0
    # and two minutes later it is 25 December there: the 7-day reminder goes, to the one not extended
    assert _reminders_at(dt.datetime(2026, 12, 24, 22, 1, tzinfo=dt.UTC)) == 1
    assert Notification.objects.filter(kind="renewal_reminder", recipient=on_time.practitioner.user).count() == 3
    # then the extended registrant's 7-day reminder comes 7 days before their own date, quoting their dates
    assert _reminders_at(dt.datetime(2027, 2, 21, 21, 59, tzinfo=dt.UTC)) == 0
    assert _reminders_at(dt.datetime(2027, 2, 21, 22, 1, tzinfo=dt.UTC)) == 1
    last = Notification.objects.filter(kind="renewal_reminder", recipient=extended.practitioner.user).latest("pk")
    assert "1 March 2027" in last.body
    assert "1 May 2027" in last.body
    assert "1 August 2027" in last.body


@pytest.mark.parametrize(
    ("utc_moment", "band"),
    [
        # 23:59 on 1 January in Johannesburg: due today, not overdue
        (dt.datetime(2027, 1, 1, 21, 59, tzinfo=dt.UTC), "not_yet_due"),
        # 00:01 on 2 January there: one day overdue
        (dt.datetime(2027, 1, 1, 22, 1, tzinfo=dt.UTC), "1_30"),
    ],
)
def test_an_unpaid_fee_is_overdue_from_the_local_day_after_the_due_date(
    categories, registrar, period, utc_moment, band
):
    _registered(categories, registrar, 1)
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    with time_machine.travel(utc_moment, tick=False):
        totals = selectors.aged_debt_totals(on_date=council_today())
    assert totals["ZAR"][band] == 52000
