"""The renewal's CPD step is the CPD module's compliance in the cycle before the licence year."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.models import RuleSet
from core.roles import Role
from licensing import services as licensing
from licensing.models import Licence, Payment
from licensing.requirements import cpd_step_met
from tests import factories
from tests.cpd.conftest import CPD_RULES, at, logged, registered

pytestmark = pytest.mark.django_db


def test_the_cpd_step_follows_compliance_and_a_credit_completes_a_declared_and_paid_renewal(
    categories, cpd_rules, types
):
    # given a registrant who, in November 2026, has declared and paid for 2027 but has 12 of 20 points in 2026
    entry = registered(categories, on=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    finance = factories.staff_user(Role.FINANCE_OFFICER)
    logged(entry, types["course"], "9", dt.date(2026, 5, 1))
    logged(entry, types["supervision"], "3", dt.date(2026, 6, 1), subtype="ethics")
    with time_machine.travel(at(2026, 11, 10), tick=False):
        period = licensing.renewal_period_open(actor=None, year=2027)
        licensing.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 10))
        licensing.renewal_declare(actor=entry.practitioner.user, entry=entry, period=period, is_fit_to_practise=True)
        invoice = entry.invoices.get(period=period)
        licensing.payment_record(
            actor=finance, invoice=invoice, method=Payment.Method.CASH, reference="C-1",
            amount_minor=invoice.total_minor, currency="ZAR", received_date=dt.date(2026, 11, 10),
        )  # fmt: skip
        # then the CPD step is not met, so there is no licence
        assert cpd_step_met(entry=entry, period=period) is False
        assert not Licence.objects.filter(register_entry=entry).exists()

    # when the missing 8 points are logged in 2026
    logged(entry, types["course"], "8", dt.date(2026, 11, 11))

    # then the step is met and the licence is issued at once
    with time_machine.travel(at(2026, 11, 13), tick=False):
        assert cpd_step_met(entry=entry, period=period) is True
    assert Licence.objects.filter(register_entry=entry, period=period).exists()


def test_a_council_without_cpd_rules_requires_none(categories, cpd_rules):
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {key: value for key, value in CPD_RULES.items() if key not in ("cpd", "cpd_audit")}
    rule_set.save(update_fields=["rules"])
    entry = registered(categories, on=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    with time_machine.travel(at(2026, 11, 10), tick=False):
        period = licensing.renewal_period_open(actor=None, year=2027)
        assert cpd_step_met(entry=entry, period=period) is True
