"""The nightly conduct job on a frozen clock: suspensions and conditions end on their end date and their
entries come back, notices come down when their period ends; set-based (the same number of queries for 3
sanctions as for 30), with history rows and audit events, and idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent, User
from discipline.models import Case, Decision, Hearing, Publication, Sanction
from discipline.tasks import daily_run
from registry.models import RegisterEntry
from tests.discipline.conftest import at, registered_entry

pytestmark = pytest.mark.django_db
Status = RegisterEntry.Status


def _sanctioned(
    entry: RegisterEntry, officer: User, *, kind: str, start: dt.date, end: dt.date, publish_until: dt.date
) -> Sanction:
    """A decided sanction in force, built directly: the batch job is what is under test here."""
    from core.models import RuleSet

    case = Case.objects.create(
        number=f"T-{entry.pk}-{kind}"[:24],  # within the 24 characters whatever the id
        register_entry=entry,
        status=Case.Status.DECIDED,
        allegation="x",
        officer=officer,
        opened_at=timezone.now(),
    )
    hearing = Hearing.objects.create(
        case=case, starts_at=timezone.now(), venue="x", status="DECIDED", scheduled_by=officer
    )
    decision = Decision.objects.create(
        hearing=hearing,
        case=case,
        status="FINAL",
        outcome="SANCTION",
        findings="x",
        sanction_kind=kind,
        sanction_months=6,
        conditions="Supervised practice" if kind == "CONDITIONS" else "",
        reasons="x",
        public_summary="Summary",
        recorded_by=officer,
        decided_date=start,
        appeal_deadline=start,
        rule_set=RuleSet.objects.get(version=1),
    )
    restricted = Status.SUSPENDED if kind == "SUSPENSION" else Status.REGISTERED_WITH_CONDITIONS
    RegisterEntry.objects.filter(pk=entry.pk).update(
        status=restricted, conditions="Supervised practice" if kind == "CONDITIONS" else ""
    )
    sanction = Sanction.objects.create(
        case=case,
        decision=decision,
        register_entry=entry,
        kind=kind,
        start_date=start,
        end_date=end,
        conditions="Supervised practice" if kind == "CONDITIONS" else "",
        restore_status=Status.REGISTERED,
    )
    Publication.objects.create(
        register_entry=entry,
        kind=kind,
        summary="Summary",
        start_date=start,
        end_date=end,
        publish_until=publish_until,
        sanction=sanction,
    )
    return sanction


def _world(count: int, categories: Any, registrar: User, officer: User) -> list[Sanction]:
    sanctions = []
    for index in range(count):
        entry = registered_entry(categories["social-worker"], registrar)
        sanctions.append(
            _sanctioned(
                entry,
                officer,
                kind="SUSPENSION" if index % 2 else "CONDITIONS",
                start=dt.date(2026, 12, 1),
                end=dt.date(2027, 6, 1),
                publish_until=dt.date(2027, 7, 1),
            )
        )
    return sanctions


def _run_counting() -> tuple[tuple[int, int], int]:
    with CaptureQueriesContext(connection) as queries:
        result = daily_run.apply().get()
    return tuple(result), len(queries)  # type: ignore[return-value]


def test_the_nightly_job_is_set_based_idempotent_and_on_the_councils_clock(
    categories: Any, registrar: User, conduct_officer: User, discipline_rules: Any
) -> None:
    small = _world(3, categories, registrar, conduct_officer)
    # the evening before the end date (council time), nothing ends
    with time_machine.travel(at(2027, 5, 31, 23), tick=False):
        assert tuple(daily_run.apply().get()) == (0, 0)
    with time_machine.travel(at(2027, 6, 1, 0), tick=False):
        result, _queries = _run_counting()
    assert result == (3, 0)
    for sanction in small:
        sanction.refresh_from_db()
        entry = RegisterEntry.objects.get(pk=sanction.register_entry_id)
        assert (sanction.status, entry.status, entry.conditions) == (Sanction.Status.ENDED, Status.REGISTERED, "")
        history = entry.history.order_by("-history_id").first()
        assert (history.status, history.history_change_reason, history.history_user) == (
            Status.REGISTERED,
            "Sanction period ended",
            None,
        )
        assert sanction.history.order_by("-history_id").first().status == Sanction.Status.ENDED
    events = AuditEvent.objects.filter(
        action="register_entry.status_changed", actor__isnull=True, reason="Sanction period ended"
    )
    assert events.count() == 3
    assert {event.after["status"] for event in events} == {Status.REGISTERED}
    # again the same day, and the day after: nothing more
    with time_machine.travel(at(2027, 6, 1, 3), tick=False):
        assert tuple(daily_run.apply().get()) == (0, 0)
    # notices come down when their period ends, once
    with time_machine.travel(at(2027, 7, 1, 0), tick=False):
        assert tuple(daily_run.apply().get()) == (0, 3)
        assert tuple(daily_run.apply().get()) == (0, 0)
    assert not Publication.objects.filter(status=Publication.Status.PUBLISHED).exists()
    assert AuditEvent.objects.filter(action="publication.taken_down").count() == 3

    # ten times the sanctions (ending, and coming down, the same day): the same number of statements
    counts = {}
    for size, day in ((3, dt.date(2027, 9, 1)), (30, dt.date(2027, 10, 1))):
        for sanction in _world(size, categories, registrar, conduct_officer):
            Sanction.objects.filter(pk=sanction.pk).update(end_date=day)
            Publication.objects.filter(sanction=sanction).update(end_date=day, publish_until=day)
        with time_machine.travel(at(day.year, day.month, day.day, 0), tick=False):
            result, counts[size] = _run_counting()
        assert result == (size, size)
    assert counts[30] == counts[3]


def test_an_entry_still_restricted_by_something_else_is_not_restored(
    categories: Any, registrar: User, conduct_officer: User, discipline_rules: Any
) -> None:
    entry = registered_entry(categories["social-worker"], registrar)
    ending = _sanctioned(
        entry,
        conduct_officer,
        kind="SUSPENSION",
        start=dt.date(2026, 12, 1),
        end=dt.date(2027, 6, 1),
        publish_until=dt.date(2027, 6, 1),
    )
    Case.objects.filter(pk=ending.case_id).update(number="FTP-ONE")
    _sanctioned(
        entry,
        conduct_officer,
        kind="SUSPENSION",
        start=dt.date(2026, 12, 1),
        end=dt.date(2027, 12, 1),
        publish_until=dt.date(2027, 12, 1),
    )
    with time_machine.travel(at(2027, 6, 2), tick=False):
        assert tuple(daily_run.apply().get()) == (1, 1)
    entry.refresh_from_db()
    assert entry.status == Status.SUSPENDED
    # and an entry that changed meanwhile (here removed) is left alone, while the sanction still ends
    other = registered_entry(categories["social-worker"], registrar)
    lapsed = _sanctioned(
        other,
        conduct_officer,
        kind="SUSPENSION",
        start=dt.date(2026, 12, 1),
        end=dt.date(2027, 6, 1),
        publish_until=dt.date(2027, 6, 1),
    )
    RegisterEntry.objects.filter(pk=other.pk).update(status=Status.REMOVED)
    with time_machine.travel(at(2027, 6, 3), tick=False):
        assert tuple(daily_run.apply().get()) == (1, 1)
    other.refresh_from_db()
    lapsed.refresh_from_db()
    assert (other.status, lapsed.status) == (Status.REMOVED, Sanction.Status.ENDED)
