"""The audit draw (reproducible from a published seed) and each audit's workflow and consequences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent, Notification
from cpd import services
from cpd.models import Audit
from registry.models import RegisterEntry
from tests.conftest import mfa_login
from tests.cpd.conftest import at, logged, registered

pytestmark = pytest.mark.django_db


def test_the_same_seed_and_population_give_the_same_sample():
    population = {
        "social-worker": [f"SW-{index:06d}" for index in range(200)],
        "saw": [f"SAW-{index:06d}" for index in range(50)],
    }
    first = services.audit_sample(
        population=population, seed="2027-lotto-3-14-15-92", rate_percent=Decimal(5), stratified=False
    )
    again = services.audit_sample(
        population={key: list(reversed(value)) for key, value in population.items()},  # order does not matter
        seed="2027-lotto-3-14-15-92",
        rate_percent=Decimal(5),
        stratified=False,
    )
    other_seed = services.audit_sample(population=population, seed="another", rate_percent=Decimal(5), stratified=False)
    assert first == again
    assert len(first) == 13  # ceil(5% of 250)
    assert first != other_seed
    stratified = services.audit_sample(population=population, seed="s", rate_percent=Decimal(5), stratified=True)
    assert sum(number.startswith("SAW") for number in stratified) == 3  # ceil(5% of 50)
    assert sum(number.startswith("SW") for number in stratified) == 10


def test_a_draw_stores_its_seed_and_list_excludes_newcomers_and_requests_evidence(categories, cpd_rules, cpd_officer):
    # given 20 registrants from before the cycle and one who joined during it
    old = [
        registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name=f"Ndlovu {index}") for index in range(20)
    ]
    newcomer = registered(categories, on=dt.datetime(2027, 2, 1, tzinfo=dt.UTC), name="New")

    with time_machine.travel(at(2028, 1, 15), tick=False):
        draw = services.audit_draw(actor=cpd_officer, cycle_start_year=2027, seed="published-seed-42")

    # then 10% of the 20 eligible are drawn, reproducibly, and each is asked for evidence
    assert (draw.seed, draw.population_count, len(draw.selected)) == ("published-seed-42", 20, 2)
    assert newcomer.registration_number not in draw.selected
    population = {"social-worker": [entry.registration_number for entry in old]}
    assert draw.selected == services.audit_sample(
        population=population, seed="published-seed-42", rate_percent=Decimal(10), stratified=False
    )
    audits = Audit.objects.filter(draw=draw)
    assert sorted(audits.values_list("register_entry__registration_number", flat=True)) == sorted(draw.selected)
    assert {audit.due_date for audit in audits} == {dt.date(2028, 2, 14)}
    assert Notification.objects.filter(kind="cpd_audit_requested").count() == 2
    assert AuditEvent.objects.get(action="cpd_audit.drawn").after["selected"] == draw.selected
    # a cycle is drawn once
    with pytest.raises(ApplicationError, match="already been drawn"):
        services.audit_draw(actor=cpd_officer, cycle_start_year=2027, seed="again")


def test_staff_see_the_seed_and_the_list(client, categories, cpd_rules, cpd_officer):
    for index in range(3):
        registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name=f"Khumalo {index}")
    with time_machine.travel(at(2028, 1, 15), tick=False):
        draw = services.audit_draw(actor=cpd_officer, cycle_start_year=2027, seed="shown-seed")
    page = mfa_login(client, cpd_officer).get(reverse("cpd_staff:draw", args=[draw.pk])).content.decode()
    assert "shown-seed" in page
    assert all(number in page for number in draw.selected)


@pytest.fixture
def audited(categories, cpd_rules, types, cpd_officer):
    entry = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    logged(entry, types["course"], "10", dt.date(2027, 2, 1), subtype="ethics")
    with time_machine.travel(at(2028, 1, 15), tick=False):
        draw = services.audit_draw(actor=cpd_officer, cycle_start_year=2027, seed="x")
        return (
            Audit.objects.create(draw=draw, register_entry=entry, due_date=dt.date(2028, 2, 14))
            if not draw.audits.exists()
            else draw.audits.get()
        )


def test_submitted_then_compliant_with_reasons(audited, cpd_officer):
    user = audited.register_entry.practitioner.user
    with time_machine.travel(at(2028, 1, 20), tick=False):
        services.audit_submit(actor=user, audit=audited, statement="Certificates attached to each activity.")
        with pytest.raises(ApplicationError, match="reasons"):
            services.audit_decide(actor=cpd_officer, audit=audited, decision="compliant", reason="")
        services.audit_decide(
            actor=cpd_officer, audit=audited, decision="compliant", reason="Evidence matches the log."
        )
    audited.refresh_from_db()
    assert (audited.status, audited.decided_by) == (Audit.Status.COMPLIANT, cpd_officer)
    assert [
        event.after["status"] for event in AuditEvent.objects.filter(action="cpd_audit.status_changed").order_by("id")
    ] == [
        "SUBMITTED",
        "COMPLIANT",
    ]


def test_an_extension_moves_the_deadline_and_non_compliance_applies_a_condition_not_removal(audited, cpd_officer):
    with time_machine.travel(at(2028, 2, 10), tick=False):
        services.audit_decide(actor=cpd_officer, audit=audited, decision="extend", reason="Bereavement")
    audited.refresh_from_db()
    assert (audited.status, audited.due_date) == (Audit.Status.EXTENDED, dt.date(2028, 3, 11))
    with time_machine.travel(at(2028, 3, 1), tick=False), pytest.raises(ApplicationError, match="still has until"):
        services.audit_decide(actor=cpd_officer, audit=audited, decision="non_compliant", reason="No evidence")
    with time_machine.travel(at(2028, 3, 20), tick=False):
        services.audit_decide(actor=cpd_officer, audit=audited, decision="non_compliant", reason="No evidence sent")
    audited.refresh_from_db()
    entry = RegisterEntry.objects.get(pk=audited.register_entry_id)
    assert (audited.status, audited.consequence) == (Audit.Status.NON_COMPLIANT, "condition")
    assert entry.status == RegisterEntry.Status.REGISTERED_WITH_CONDITIONS
    assert "Complete the missing CPD within 90 days." in entry.conditions


def test_reminders_go_out_on_the_rules_days_once(audited):
    with time_machine.travel(at(2028, 1, 31), tick=False):  # 14 days before 14 February
        assert services.audit_reminders_send(on_date=dt.date(2028, 1, 31)) == 1
        assert services.audit_reminders_send(on_date=dt.date(2028, 1, 31)) == 0
    assert services.audit_reminders_send(on_date=dt.date(2028, 2, 1)) == 0
    assert services.audit_reminders_send(on_date=dt.date(2028, 2, 11)) == 1
    assert Notification.objects.filter(kind="cpd_audit_reminder").count() == 2
