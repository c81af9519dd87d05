"""The rules' edge cases, computed by the set-based batch: caps, carry-forward, pro rata, exemptions, rule versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.models import AuditEvent, RuleSet
from cpd import services
from cpd.models import Compliance
from tests.cpd.conftest import CPD_RULES, logged, registered

pytestmark = pytest.mark.django_db

MET, AT_RISK, NOT_MET = Compliance.Status.MET, Compliance.Status.AT_RISK, Compliance.Status.NOT_MET


def _row(entry, year=2027) -> Compliance:
    return Compliance.objects.get(register_entry=entry, cycle_start_year=year)


def test_caps_per_activity_and_per_type_limit_what_counts(categories, cpd_rules, types):
    # given a social worker (20 points, 3 of them ethics) registered before the cycle
    entry = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    logged(entry, types["course"], "15", dt.date(2027, 2, 1))  # counts 10 (per-activity cap)
    logged(entry, types["reading"], "4", dt.date(2027, 3, 1))
    logged(entry, types["reading"], "4", dt.date(2027, 4, 1))  # reading counts 5 in all (type cap)
    logged(entry, types["supervision"], "3", dt.date(2027, 5, 1), subtype="ethics")

    # when the batch runs during the cycle
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 6, 1))

    # then 18 of 20 count, ethics is met, and the entry is at risk
    row = _row(entry)
    assert (row.status, row.earned, row.required) == (AT_RISK, Decimal("18.00"), Decimal("20.00"))
    assert (
        row.subtypes == {"ethics": [3.0, 3.0]}
        or row.subtypes == {"ethics": ["3.00", "3.00"]}
        or row.subtypes["ethics"] == [3, 3]
    )

    # when two more points are logged, then it is met; and after the cycle, unmet would be NOT_MET
    logged(entry, types["course"], "2", dt.date(2027, 6, 2))
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 7, 1))
    assert _row(entry).status == MET
    other = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), name="Dlamini")
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2028, 1, 2))
    assert _row(other).status == NOT_MET
    assert AuditEvent.objects.filter(action="cpd_compliance.assessed").exists()


def test_ethics_must_be_met_on_its_own(categories, cpd_rules, types):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    logged(entry, types["course"], "10", dt.date(2027, 2, 1))
    logged(entry, types["course"], "10", dt.date(2027, 3, 1))
    logged(entry, types["supervision"], "2", dt.date(2027, 5, 1), subtype="ethics")
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 6, 1))
    assert (_row(entry).status, _row(entry).earned) == (AT_RISK, Decimal("22.00"))


@pytest.mark.parametrize(
    ("last_cycle", "carried", "status"),
    [("22", "2.00", AT_RISK), ("25", "5.00", MET), ("30", "5.00", MET)],
    ids=["under the limit", "at the limit", "over the limit"],
)
def test_carry_forward_up_to_the_limit(categories, cpd_rules, types, last_cycle, carried, status):
    # given 2026's points, and 15 points in 2027 with the ethics needed
    entry = registered(categories, on=dt.datetime(2025, 12, 1, 10, tzinfo=dt.UTC))
    for index, points in enumerate(_split(Decimal(last_cycle))):
        logged(entry, types["course"], str(points), dt.date(2026, 1 + index, 5), subtype="ethics" if index == 0 else "")
    logged(entry, types["course"], "10", dt.date(2027, 2, 1), subtype="ethics")
    logged(entry, types["supervision"], "5", dt.date(2027, 3, 1))

    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 6, 1))

    row = _row(entry)
    assert (row.earned, row.carried_forward, row.status) == (Decimal("15.00"), Decimal(carried), status)


def _split(total: Decimal) -> list[Decimal]:
    """Whole activities of at most 10 points (the per-activity cap) adding up to the total."""
    parts = []
    while total > 0:
        parts.append(min(total, Decimal(10)))
        total -= parts[-1]
    return parts


def test_a_mid_cycle_joiner_owes_the_months_left(categories, cpd_rules, types):
    # given someone registered on 15 July 2027: July to December is 6 of 12 months
    entry = registered(categories, on=dt.datetime(2027, 7, 15, 10, tzinfo=dt.UTC))
    logged(entry, types["course"], "9", dt.date(2027, 8, 1))
    logged(entry, types["supervision"], "1.5", dt.date(2027, 9, 1), subtype="ethics")
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 10, 1))
    row = _row(entry)
    assert (row.required, row.earned, row.status) == (Decimal("10.00"), Decimal("10.50"), MET)


def test_an_exemption_reduces_the_requirement(categories, cpd_rules, types, cpd_officer):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    logged(entry, types["course"], "8", dt.date(2027, 2, 1))
    logged(entry, types["supervision"], "2", dt.date(2027, 3, 1), subtype="ethics")
    services.exemption_grant(
        actor=cpd_officer,
        practitioner=entry.practitioner,
        cycle_start_year=2027,
        kind="PARENTAL_LEAVE",
        reduction_percent=50,
        reason="Parental leave from March to August",
    )
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 6, 1))
    row = _row(entry)
    assert (row.required, row.status) == (Decimal("10.00"), MET)
    assert AuditEvent.objects.filter(action="cpd_exemption.granted", actor=cpd_officer).count() == 1


def test_a_cycle_keeps_the_rule_version_it_started_under(categories, cpd_rules, types):
    # given a new rule version from 1 July 2027 asking 30 points
    raised = {**CPD_RULES, "cpd": {**CPD_RULES["cpd"], "points_per_cycle": {"social-worker": 30}}}
    version_2 = RuleSet.objects.create(version=2, effective_date=dt.date(2027, 7, 1), rules=raised)
    entry = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    logged(entry, types["course"], "10", dt.date(2027, 2, 1), subtype="ethics")
    logged(entry, types["course"], "10", dt.date(2027, 8, 1))

    # when 2027 is assessed after the change, then it is judged under version 1, which it stores
    services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 9, 1))
    row = _row(entry)
    assert (row.required, row.status, row.rule_set.version) == (Decimal("20.00"), MET, 1)

    # and 2028 is judged under version 2
    services.compliance_run(cycle_start_year=2028, on_date=dt.date(2028, 2, 1))
    assert (_row(entry, 2028).required, _row(entry, 2028).rule_set) == (Decimal("30.00"), version_2)


def test_running_the_batch_again_writes_nothing_new(categories, cpd_rules, types):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    logged(entry, types["course"], "5", dt.date(2027, 2, 1))  # logging assesses the person's current cycle
    other = registered(categories, on=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), name="Dlamini")
    assert services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 6, 1)) == 1  # only the other's
    assert _row(other).status == AT_RISK
    assert _row(other).history.get().history_type == "+"  # created, then (below) left alone
    history = _row(entry).history.count()
    assert services.compliance_run(cycle_start_year=2027, on_date=dt.date(2027, 6, 2)) == 0
    assert _row(entry).history.count() == history
