"""The conduct process through its services: complaint → triage → investigation → charges → hearing →
decision → sanction → its automatic end, with the register entry and the public notices at each step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from core.exceptions import ApplicationError, InvalidTransition
from core.models import AuditEvent, Notification, User
from discipline import services
from discipline.models import Case, Complaint, InterimOrder, Publication, Sanction
from licensing.models import Invoice
from registry.models import RegisterEntry
from registry.services import application_start, register_entry_change_status
from tests.discipline.conftest import at, lodge, open_case, to_hearing

pytestmark = pytest.mark.django_db
Status = RegisterEntry.Status


def _decide(hearing: Any, member: User, **fields: Any) -> Any:
    return services.decision_record(
        actor=member,
        hearing=hearing,
        decision=services.DecisionInput(
            outcome=fields.pop("outcome", "SANCTION"),
            findings="Proven on the evidence of two witnesses.",
            reasons="Serious departure from the code of ethics.",
            public_summary=fields.pop("public_summary", "Shouted at and belittled a child in care."),
            **fields,
        ),
    )


def test_interim_suspension_then_a_six_month_suspension_that_ends_by_itself(
    entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]
) -> None:
    with time_machine.travel(at(2026, 12, 1), tick=False):
        case = open_case(entry, conduct_officer)
        order = services.interim_order_make(actor=registrar, case=case, kind="SUSPENSION", reason="Risk to children")
        entry.refresh_from_db()
        assert entry.status == Status.SUSPENDED
        assert Publication.objects.get(interim_order=order).status == Publication.Status.PUBLISHED
        hearing = to_hearing(case, conduct_officer, panel)
    with time_machine.travel(at(2026, 12, 10), tick=False):
        decision = _decide(hearing, panel[0], sanction_kind="SUSPENSION", sanction_months=6)
    sanction = Sanction.objects.get(decision=decision)
    order.refresh_from_db()
    entry.refresh_from_db()
    assert order.status == InterimOrder.Status.ENDED
    assert entry.status == Status.SUSPENDED
    assert (sanction.start_date, sanction.end_date) == (dt.date(2026, 12, 10), dt.date(2027, 6, 10))
    assert sanction.restore_status == Status.REGISTERED  # the status before the interim order, not SUSPENDED
    notice = Publication.objects.get(sanction=sanction)
    assert notice.publish_until == dt.date(2027, 7, 10)  # the rules: 30 days after the end
    assert Publication.objects.get(interim_order=order).status == Publication.Status.TAKEN_DOWN
    case.refresh_from_db()
    assert case.status == Case.Status.DECIDED

    # the day before the end, nothing happens
    assert services.discipline_daily_run(on_date=dt.date(2027, 6, 9)) == (0, 0)
    # on the end date the entry is restored; the notice stays for its period
    assert services.discipline_daily_run(on_date=dt.date(2027, 6, 10)) == (1, 0)
    entry.refresh_from_db()
    sanction.refresh_from_db()
    assert (entry.status, sanction.status) == (Status.REGISTERED, Sanction.Status.ENDED)
    assert entry.history.order_by("-history_id").first().history_change_reason == "Sanction period ended"
    assert AuditEvent.objects.filter(action="sanction.ended", object_id=str(sanction.pk), actor__isnull=True).exists()
    assert Notification.objects.filter(kind="sanction_ended", recipient=entry.practitioner.user).exists()
    # run again: idempotent
    assert services.discipline_daily_run(on_date=dt.date(2027, 6, 11)) == (0, 0)
    # when the publication period ends, the notice comes down, once
    assert services.discipline_daily_run(on_date=dt.date(2027, 7, 10)) == (0, 1)
    notice.refresh_from_db()
    assert notice.status == Publication.Status.TAKEN_DOWN
    assert notice.history.order_by("-history_id").first().history_change_reason == "Publication period ended"
    assert services.discipline_daily_run(on_date=dt.date(2027, 7, 11)) == (0, 0)


def test_a_fine_raises_an_invoice_and_a_caution_leaves_the_status(
    entry: RegisterEntry, conduct_officer: User, panel: list[User]
) -> None:
    hearing = to_hearing(open_case(entry, conduct_officer), conduct_officer, panel)
    decision = _decide(hearing, panel[1], sanction_kind="FINE", fine_minor=250000)
    sanction = Sanction.objects.get(decision=decision)
    assert sanction.invoice is not None
    invoice = Invoice.objects.get(pk=sanction.invoice_id)
    assert (invoice.purpose, invoice.total_minor, invoice.currency) == ("FINE", 250000, "ZAR")
    entry.refresh_from_db()
    assert entry.status == Status.REGISTERED


def test_removal_needs_a_second_panel_member_and_blocks_return(
    entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]
) -> None:
    hearing = to_hearing(open_case(entry, conduct_officer), conduct_officer, panel)
    decision = _decide(hearing, panel[0], sanction_kind="REMOVAL")
    entry.refresh_from_db()
    assert entry.status == Status.REGISTERED  # not yet
    with pytest.raises(ApplicationError):
        services.decision_confirm(actor=panel[0], decision=decision)
    services.decision_confirm(actor=panel[1], decision=decision)
    entry.refresh_from_db()
    assert entry.status == Status.REMOVED
    sanction = Sanction.objects.get(decision=decision)
    assert sanction.reapply_date is not None
    # neither a registrar's restoration nor a fresh application gets round the waiting period
    with pytest.raises(ApplicationError, match="may apply again from"):
        register_entry_change_status(actor=registrar, entry=entry, status=Status.REGISTERED, reason="Restore")
    with pytest.raises(ApplicationError, match="may apply again from"):
        application_start(actor=entry.practitioner.user, category=entry.category)


def test_an_appeal_in_time_can_stay_a_suspension_and_dismissal_reinstates_it(
    entry: RegisterEntry, conduct_officer: User, panel: list[User]
) -> None:
    with time_machine.travel(at(2026, 12, 1), tick=False):
        case = open_case(entry, conduct_officer)
        hearing = to_hearing(case, conduct_officer, panel)
        decision = _decide(hearing, panel[0], sanction_kind="SUSPENSION", sanction_months=3)
    with time_machine.travel(at(2026, 12, 20), tick=False):
        appeal = services.appeal_lodge(
            actor=conduct_officer,
            case=case,
            grounds="Procedural unfairness",
            lodged_date=dt.date(2026, 12, 20),
            stay_requested=True,
        )
        entry.refresh_from_db()
        assert entry.status == Status.REGISTERED
        assert not Publication.objects.filter(register_entry=entry, status="PUBLISHED").exists()
        services.appeal_decide(actor=conduct_officer, appeal=appeal, allowed=False, reason="No unfairness found")
    entry.refresh_from_db()
    case.refresh_from_db()
    assert entry.status == Status.SUSPENDED
    assert Sanction.objects.get(decision=decision).status == Sanction.Status.IN_FORCE
    assert Publication.objects.filter(register_entry=entry, status="PUBLISHED", kind="SUSPENSION").count() == 1
    assert case.status == Case.Status.CLOSED


def test_an_appeal_after_the_deadline_is_refused(
    entry: RegisterEntry, conduct_officer: User, panel: list[User]
) -> None:
    with time_machine.travel(at(2026, 12, 1), tick=False):
        case = open_case(entry, conduct_officer)
        _decide(to_hearing(case, conduct_officer, panel), panel[0], sanction_kind="CAUTION")
    with time_machine.travel(at(2027, 1, 5), tick=False), pytest.raises(ApplicationError, match="time to appeal ended"):
        services.appeal_lodge(actor=conduct_officer, case=case, grounds="Late", lodged_date=dt.date(2027, 1, 5))


def test_transitions_outside_the_table_are_refused(entry: RegisterEntry, conduct_officer: User) -> None:
    case = open_case(entry, conduct_officer)
    with pytest.raises(InvalidTransition):
        services.appeal_lodge(actor=conduct_officer, case=case, grounds="x", lodged_date=dt.date(2026, 11, 22))
    complaint = Complaint.objects.get(pk=case.complaint_id)
    with pytest.raises(InvalidTransition):
        services.complaint_triage(actor=conduct_officer, complaint=complaint, open_case=False, reason="again")


def test_a_complaint_closed_at_triage_opens_nothing(entry: RegisterEntry, conduct_officer: User) -> None:
    complaint = lodge(entry)
    assert (
        services.complaint_triage(actor=conduct_officer, complaint=complaint, open_case=False, reason="Not conduct")
        is None
    )
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED_NO_ACTION
    assert not Case.objects.exists()
    assert Notification.objects.filter(kind="complaint_update", to_email="naledi@example.org").exists()


def test_a_registrar_revokes_an_interim_order_and_the_entry_and_register_return(
    entry: RegisterEntry, conduct_officer: User, registrar: User
) -> None:
    case = open_case(entry, conduct_officer)
    order = services.interim_order_make(
        actor=registrar, case=case, kind="CONDITIONS", conditions="No home visits alone.", reason="Risk"
    )
    entry.refresh_from_db()
    assert (entry.status, entry.conditions) == (Status.REGISTERED_WITH_CONDITIONS, "No home visits alone.")
    with pytest.raises(ApplicationError, match="already in force"):
        services.interim_order_make(actor=registrar, case=case, kind="SUSPENSION", reason="Worse")
    with pytest.raises(ApplicationError):
        services.interim_order_make(actor=conduct_officer, case=case, kind="SUSPENSION", reason="Not theirs")
    services.interim_order_revoke(actor=registrar, order=order, reason="Witness withdrew")
    entry.refresh_from_db()
    order.refresh_from_db()
    assert (entry.status, entry.conditions, order.status) == (Status.REGISTERED, "", InterimOrder.Status.REVOKED)
    assert not Publication.objects.filter(status=Publication.Status.PUBLISHED).exists()
    assert AuditEvent.objects.filter(action="interim_order.revoked", actor=registrar).count() == 1
    with pytest.raises(InvalidTransition):
        services.interim_order_revoke(actor=registrar, order=order, reason="Again")


def test_a_caution_after_an_interim_suspension_puts_the_entry_back(
    entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]
) -> None:
    case = open_case(entry, conduct_officer)
    services.interim_order_make(actor=registrar, case=case, kind="SUSPENSION", reason="Risk")
    _decide(to_hearing(case, conduct_officer, panel), panel[0], sanction_kind="CAUTION")
    entry.refresh_from_db()
    assert entry.status == Status.REGISTERED
    kinds = set(Publication.objects.filter(status="PUBLISHED").values_list("kind", flat=True))
    assert kinds == {"CAUTION"}


def test_quashing_a_removal_or_a_fine_on_appeal_undoes_it(
    entry: RegisterEntry, conduct_officer: User, panel: list[User], categories: Any, registrar: User
) -> None:
    # a removal, confirmed, then quashed: the entry returns and the notice comes down
    case = open_case(entry, conduct_officer)
    decision = _decide(to_hearing(case, conduct_officer, panel), panel[0], sanction_kind="REMOVAL")
    services.decision_confirm(actor=panel[1], decision=decision)
    appeal = services.appeal_lodge(
        actor=conduct_officer, case=case, grounds="Fresh evidence", lodged_date=Sanction.objects.get().start_date
    )
    services.appeal_decide(actor=conduct_officer, appeal=appeal, allowed=True, reason="Fresh evidence accepted")
    entry.refresh_from_db()
    assert entry.status == Status.REGISTERED
    assert Sanction.objects.get(decision=decision).status == Sanction.Status.QUASHED
    assert not Publication.objects.filter(status="PUBLISHED").exists()
    # a fine quashed before it was paid: its invoice is voided
    from tests.discipline.conftest import registered_entry

    other = registered_entry(categories["social-worker"], registrar)
    fined_case = open_case(other, conduct_officer)
    fined = _decide(to_hearing(fined_case, conduct_officer, panel), panel[0], sanction_kind="FINE", fine_minor=100000)
    appeal = services.appeal_lodge(
        actor=conduct_officer, case=fined_case, grounds="Too much", lodged_date=fined.decided_date, stay_requested=True
    )
    services.appeal_decide(actor=conduct_officer, appeal=appeal, allowed=True, reason="Disproportionate")
    invoice = Invoice.objects.get(pk=Sanction.objects.get(decision=fined).invoice_id)
    assert invoice.status == "VOID"


def test_restoring_a_removed_entry_after_the_wait_ends_the_removal_and_its_notice(
    entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]
) -> None:
    with time_machine.travel(at(2026, 12, 1), tick=False):
        case = open_case(entry, conduct_officer)
        decision = _decide(to_hearing(case, conduct_officer, panel), panel[0], sanction_kind="REMOVAL")
        services.decision_confirm(actor=panel[1], decision=decision)
    sanction = Sanction.objects.get(decision=decision)
    assert sanction.reapply_date == dt.date(2031, 12, 1)
    with time_machine.travel(at(2031, 12, 2), tick=False):
        register_entry_change_status(
            actor=registrar, entry=entry, status=Status.REGISTERED, reason="Returned after the waiting period"
        )
    sanction.refresh_from_db()
    assert sanction.status == Sanction.Status.ENDED
    assert not Publication.objects.filter(sanction=sanction, status="PUBLISHED").exists()
