"""Batch jobs racing each other and racing payments, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from core.audit import audit_chain_verify
from core.models import RuleSet
from core.roles import Role
from licensing import services
from licensing.models import Invoice, Licence, Payment
from registry.models import RegisterEntry
from tests import factories
from tests.licensing.conftest import LICENSING_RULES, _registered
from tests.registry.test_concurrency import _run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def period(council: Any) -> Any:
    assert connection.vendor == "postgresql"
    RuleSet.objects.filter(version=1).update(rules=LICENSING_RULES)
    return services.renewal_period_open(actor=None, year=2027)


def test_two_invoicing_runs_at_once_bill_each_registrant_once(categories, period):
    registrar = factories.staff_user(Role.REGISTRAR)
    _registered(categories, registrar, 6)
    results = _run_together(
        [
            lambda: services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2), chunk_size=2),
            lambda: services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2), chunk_size=2),
        ]
    )
    assert sum(results) == 6
    assert Invoice.objects.count() == 6
    assert Invoice.objects.values("register_entry").distinct().count() == 6
    assert audit_chain_verify()[1] is None


@pytest.mark.parametrize("attempt", range(3))
def test_lapse_racing_a_payment_leaves_the_registrant_consistent(categories, period, attempt):
    # given a registrant who has declared but not paid, on the lapse date
    registrar = factories.staff_user(Role.REGISTRAR)
    finance = factories.staff_user(Role.FINANCE_OFFICER)
    entry = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    services.renewal_declare(actor=entry.practitioner.user, entry=entry, period=period, is_fit_to_practise=True)
    invoice = Invoice.objects.get(register_entry=entry)

    # when the lapse run and the payment happen at the same moment
    results = _run_together(
        [
            lambda: services.lapse_run(period=period, on_date=dt.date(2027, 7, 1)),
            lambda: services.payment_record(
                actor=finance,
                invoice=invoice,
                method=Payment.Method.BANK_TRANSFER,
                reference=f"EFT-{attempt}",
                amount_minor=52000,
                currency="ZAR",
                received_date=dt.date(2027, 7, 1),
            ),
        ]
    )

    # then neither failed, the payment is recorded either way, and the registrant is
    # either paid and licensed, or lapsed with the payment kept for restoration: never both, never neither
    assert not any(isinstance(result, Exception) for result in results), results
    entry.refresh_from_db()
    licensed = Licence.objects.filter(register_entry=entry, period=period).exists()
    assert Payment.objects.filter(reference=f"EFT-{attempt}").count() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "PAID"
    assert (entry.status, licensed) in {("REGISTERED", True), ("LAPSED", False)}
    assert results[0] == (0 if licensed else 1)
    assert RegisterEntry.history.filter(id=entry.pk, status="LAPSED").count() == (0 if licensed else 1)
