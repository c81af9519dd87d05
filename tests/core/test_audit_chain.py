"""The audit chain: append-only rows, hash-chained, and `audit_verify` finds the first altered link."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from core.audit import GENESIS_HASH, audit_chain_verify
from core.models import AuditEvent
from registry import services
from registry.models import RegisterEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_entry(categories, applicant, registrar) -> RegisterEntry:
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    services.application_decide(
        actor=registrar, application=application, approve=True, reason="Meets every requirement"
    )
    return RegisterEntry.objects.get(application=application)


def _as_attacker(sql: str, params: list[object]) -> None:
    """Change stored rows the way a database superuser could: with triggers switched off for the session."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_chain_links_each_event_to_the_one_before(approved_entry):
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == 8
    assert events[0].previous_hash == GENESIS_HASH
    assert all(later.previous_hash == earlier.hash for earlier, later in itertools.pairwise(events))


def test_audit_verify_passes_on_an_intact_chain(approved_entry, capsys):
    call_command("audit_verify")
    assert capsys.readouterr().out.strip() == "Audit chain intact: 8 events verified."


def test_audit_verify_catches_an_edited_reason(approved_entry):
    # given the approval event, whose reason someone rewrites in the database
    approval = AuditEvent.objects.get(action="application.approved")
    _as_attacker("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["Registrar overruled", approval.pk])
    # when the chain is verified
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")
    # then the command names that exact event
    assert str(caught.value) == (
        f"Audit chain broken at event #{approval.pk}: the stored hash does not match the event's contents."
    )


def test_audit_verify_catches_a_deleted_event(approved_entry):
    events = list(AuditEvent.objects.order_by("id"))
    _as_attacker("DELETE FROM core_auditevent WHERE id = %s", [events[4].pk])
    checked, broken = audit_chain_verify()
    assert broken is not None
    assert (checked, broken.event_id) == (5, events[5].pk)
    assert broken.problem == "previous_hash does not match the hash of the event before it"


def test_audit_verify_catches_a_rehashed_event(approved_entry):
    # an attacker who edits a row and recomputes its own hash still breaks the next link
    events = list(AuditEvent.objects.order_by("id"))
    _as_attacker(
        "UPDATE core_auditevent SET actor_label = %s, hash = %s WHERE id = %s", ["someone@else", "f" * 64, events[2].pk]
    )
    _checked, broken = audit_chain_verify()
    assert broken is not None
    assert broken.event_id == events[2].pk


@pytest.mark.parametrize("statement", ["UPDATE core_auditevent SET reason = 'x'", "DELETE FROM core_auditevent"])
def test_database_refuses_to_change_or_delete_events(approved_entry, statement):
    before = list(AuditEvent.objects.order_by("id").values_list("id", "reason"))
    with (
        pytest.raises(DatabaseError, match="audit events are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert list(AuditEvent.objects.order_by("id").values_list("id", "reason")) == before


def test_status_change_records_actor_reason_before_after_and_history(approved_entry, registrar):
    services.register_entry_change_status(
        actor=registrar,
        entry=approved_entry,
        status="REGISTERED_WITH_CONDITIONS",
        reason="Health committee decision 2026/14",
        conditions="Practise only under supervision.",
    )
    event = AuditEvent.objects.get(action="register_entry.status_changed")
    assert (event.actor, event.actor_label, event.reason) == (
        registrar,
        registrar.email,
        "Health committee decision 2026/14",
    )
    assert event.before == {"status": "REGISTERED", "conditions": ""}
    assert event.after == {"status": "REGISTERED_WITH_CONDITIONS", "conditions": "Practise only under supervision."}
    row = approved_entry.history.latest("history_id")
    assert (row.status, row.history_user, row.history_change_reason) == (
        "REGISTERED_WITH_CONDITIONS",
        registrar,
        "Health committee decision 2026/14",
    )
    assert audit_chain_verify()[1] is None


def test_scheduled_jobs_are_recorded_as_the_system(approved_entry):
    services.register_entry_change_status(actor=None, entry=approved_entry, status="LAPSED", reason="Annual fee unpaid")
    event = AuditEvent.objects.get(action="register_entry.status_changed")
    assert (event.actor, event.actor_label) == (None, "system")
    assert approved_entry.history.latest("history_id").history_user is None
