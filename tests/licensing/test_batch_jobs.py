"""The renewal batch jobs in SQL: pro rata fees, exemptions, penalties, history rows, audit events, idempotency.

These run on PostgreSQL (make test) and on SQLite (the demo's database), which take different paths
through licensing.services: one statement per chunk with history rows written from RETURNING, or one
statement per table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from core import audit
from core.audit import audit_chain_verify
from core.models import AuditEvent, Notification, RuleSet
from licensing import rules, services
from licensing.models import FeeType, Invoice, InvoiceLine, RenewalPeriod
from registry.models import RegisterEntry
from tests.licensing.conftest import LICENSING_RULES, _registered

pytestmark = pytest.mark.django_db

BILLING_DAY = dt.date(2026, 11, 2)
PENALTY_DAY = dt.date(2027, 4, 1)
LAPSE_DAY = dt.date(2027, 7, 1)
PRO_RATA_RULES = {**LICENSING_RULES, "renewal": {**LICENSING_RULES["renewal"], "pro_rata_first_year": True}}


# `period` (the 2027 period under LICENSING_RULES) and `finance` come from tests/licensing/conftest.py.


@pytest.fixture
def pro_rata_period(council: Any) -> RenewalPeriod:
    RuleSet.objects.filter(version=1).update(rules=PRO_RATA_RULES)
    return services.renewal_period_open(actor=None, year=2027)


def _registered_on(entry: RegisterEntry, registered_date: dt.date) -> RegisterEntry:
    """Test set-up: move an entry's registration date (the register's own services only ever use today)."""
    RegisterEntry.objects.filter(pk=entry.pk).update(registered_date=registered_date)
    entry.refresh_from_db()
    return entry


def _lines(entry: RegisterEntry) -> list[tuple[str, str, int]]:
    invoice = Invoice.objects.get(register_entry=entry)
    return list(invoice.lines.order_by("id").values_list("fee_type", "description", "amount_minor"))


# Pro rata first-year fees ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_minor", "registered_date", "expected"),
    [
        (52000, dt.date(2026, 12, 31), 52000),  # registered before the year: the whole fee
        (52000, dt.date(2027, 1, 1), 52000),  # on its first day: the whole fee
        (52000, dt.date(2027, 1, 2), 52000),  # in January: 12 of 12 months
        (52000, dt.date(2027, 3, 15), 43333),  # 10 months: 43,333.33
        (52000, dt.date(2027, 12, 31), 4333),  # 1 month: 4,333.33
        (26000, dt.date(2027, 8, 1), 10833),  # 5 months: 10,833.33
        (6, dt.date(2027, 12, 1), 1),  # 0.5 rounds half up
        (18, dt.date(2027, 12, 1), 2),  # 1.5 rounds half up
        (30, dt.date(2027, 12, 1), 3),  # 2.5 rounds half up
        (5, dt.date(2027, 12, 1), 0),  # 0.42 rounds down
    ],
)
def test_pro_rata_counts_the_month_of_registration_and_rounds_half_up(amount_minor, registered_date, expected):
    year = rules.PeriodDates(
        opens_date=dt.date(2026, 11, 2),
        due_date=dt.date(2027, 1, 1),
        penalty_from_date=dt.date(2027, 4, 1),
        lapse_date=dt.date(2027, 7, 1),
        valid_from_date=dt.date(2027, 1, 1),
        valid_to_date=dt.date(2027, 12, 31),
    )
    assert rules.pro_rata(amount_minor, registered_date, year) == expected


def test_invoicing_bills_first_year_registrants_pro_rata_when_the_rules_say_so(categories, registrar, pro_rata_period):
    # given four registrants: one from before the year, and three who registered during it
    entries = _registered(categories, registrar, 3) + _registered(categories, registrar, 1, "social-auxiliary-worker")
    _registered_on(entries[0], dt.date(2026, 6, 30))
    _registered_on(entries[1], dt.date(2027, 3, 15))
    _registered_on(entries[2], dt.date(2027, 12, 31))
    _registered_on(entries[3], dt.date(2027, 8, 1))
    # when renewal invoicing runs (late in the year, when all four are on the register)
    assert services.renewal_invoices_issue(period=pro_rata_period, on_date=dt.date(2027, 12, 31)) == 4
    # then the first pays the whole fee and the others the months left, counting their first, rounded half up
    assert [_lines(entry) for entry in entries] == [
        [(FeeType.ANNUAL, "Annual fee 2027", 52000)],
        [(FeeType.ANNUAL, "Annual fee 2027, pro rata: 10 of 12 months", 43333)],
        [(FeeType.ANNUAL, "Annual fee 2027, pro rata: 1 of 12 months", 4333)],
        [(FeeType.ANNUAL, "Annual fee 2027, pro rata: 5 of 12 months", 10833)],
    ]
    assert [Invoice.objects.get(register_entry=entry).total_minor for entry in entries] == [52000, 43333, 4333, 10833]
    for entry in entries[1:]:
        fee = 52000 if entry.category.code == "social-worker" else 26000
        assert Invoice.objects.get(register_entry=entry).total_minor == rules.pro_rata(
            fee, entry.registered_date, pro_rata_period
        )
    # and every line names the rule version it came from
    assert set(InvoiceLine.objects.values_list("rule_set_id", flat=True)) == {pro_rata_period.rule_set_id}


def test_without_the_pro_rata_rule_first_year_registrants_pay_the_whole_fee(categories, registrar, period):
    # given a registrant who registered in March of the year
    entry = _registered_on(_registered(categories, registrar, 1)[0], dt.date(2027, 3, 15))
    # when invoicing runs under rules without pro_rata_first_year
    assert services.renewal_invoices_issue(period=period, on_date=dt.date(2027, 3, 20)) == 1
    # then the whole fee is billed
    assert _lines(entry) == [(FeeType.ANNUAL, "Annual fee 2027", 52000)]


def test_an_entry_registered_after_the_year_is_not_billed_for_it(categories, registrar, pro_rata_period):
    # given an entry whose registration falls after the licence year
    _registered_on(_registered(categories, registrar, 1)[0], dt.date(2028, 1, 2))
    # when invoicing runs for the year
    billed = services.renewal_invoices_issue(period=pro_rata_period, on_date=BILLING_DAY)
    # then nobody is billed and nothing is written
    assert billed == 0
    assert (Invoice.objects.count(), InvoiceLine.objects.count(), Invoice.history.count()) == (0, 0, 0)


# Exemptions -------------------------------------------------------------------------------------


def test_the_exemption_line_is_the_best_valid_discount_rounded_as_the_rules_round(
    categories, registrar, pro_rata_period, finance
):
    # given a first-year registrant billed pro rata (43,333), with a 15% exemption valid in the year, a
    # bigger one that ended before it, and one on another fee type
    entry = _registered_on(_registered(categories, registrar, 1)[0], dt.date(2027, 3, 15))
    other = _registered(categories, registrar, 1)[0]
    grant = {"actor": finance, "practitioner": entry.practitioner, "reason": "Granted by the board"}
    services.fee_exemption_grant(
        code="expired", discount_percent=90, starts_date=dt.date(2025, 1, 1), ends_date=dt.date(2026, 12, 31), **grant
    )
    services.fee_exemption_grant(
        code="exam-only", discount_percent=80, starts_date=dt.date(2027, 1, 1), fee_type=FeeType.EXAM, **grant
    )
    services.fee_exemption_grant(code="ill-health", discount_percent=10, starts_date=dt.date(2027, 1, 1), **grant)
    best = services.fee_exemption_grant(code="over-65", discount_percent=15, starts_date=dt.date(2027, 2, 1), **grant)
    # and another registrant with a 33% exemption on the whole fee
    third = services.fee_exemption_grant(
        actor=finance,
        practitioner=other.practitioner,
        code="non-practising",
        discount_percent=33,
        reason="Not practising",
        starts_date=dt.date(2026, 1, 1),
    )
    # when invoicing runs
    assert services.renewal_invoices_issue(period=pro_rata_period, on_date=dt.date(2027, 4, 1)) == 2
    # then the best valid discount is a negative line of exactly rules.discounted (6,499.95 rounds up to 6,500)
    discount = rules.discounted(43333, 15)
    assert discount == 6500
    assert _lines(entry) == [
        (FeeType.ANNUAL, "Annual fee 2027, pro rata: 10 of 12 months", 43333),
        (FeeType.EXEMPTION, "Exemption: over-65 (15%)", -discount),
    ]
    assert _lines(other) == [
        (FeeType.ANNUAL, "Annual fee 2027", 52000),
        (FeeType.EXEMPTION, "Exemption: non-practising (33%)", -rules.discounted(52000, 33)),
    ]
    assert Invoice.objects.get(register_entry=entry).lines.get(fee_type=FeeType.EXEMPTION).exemption == best
    assert Invoice.objects.get(register_entry=other).lines.get(fee_type=FeeType.EXEMPTION).exemption == third
    # and each total is the sum of its lines
    for invoice in Invoice.objects.all():
        assert invoice.total_minor == invoice.lines.aggregate(total=Sum("amount_minor"))["total"]


def test_a_full_exemption_issues_the_invoice_paid(categories, registrar, period, finance):
    # given a registrant exempt from the whole fee
    entry = _registered(categories, registrar, 1)[0]
    services.fee_exemption_grant(
        actor=finance,
        practitioner=entry.practitioner,
        code="honorary",
        discount_percent=100,
        reason="Honorary member",
        starts_date=dt.date(2027, 1, 1),
    )
    # when invoicing runs
    services.renewal_invoices_issue(period=period, on_date=BILLING_DAY)
    # then the invoice is issued paid, at zero
    invoice = Invoice.objects.get(register_entry=entry)
    assert (invoice.status, invoice.total_minor, invoice.paid_minor) == ("PAID", 0, 0)


# Late penalties -----------------------------------------------------------------------------------


def test_no_penalty_on_an_invoice_issued_on_or_after_the_penalty_date(categories, registrar, period):
    # given one registrant billed when the window opened
    early = _registered(categories, registrar, 1)[0]
    services.renewal_invoices_issue(period=period, on_date=BILLING_DAY)
    # and two more, first billed on the penalty date itself, one of them with an extension
    late, extended = _registered(categories, registrar, 2)
    services.renewal_extension_grant(
        actor=registrar,
        entry=extended,
        period=period,
        due_date=dt.date(2027, 4, 15),
        penalty_from_date=dt.date(2027, 5, 1),
        lapse_date=dt.date(2027, 8, 1),
        reason="Registered late in the cycle",
    )
    assert services.renewal_invoices_issue(period=period, on_date=PENALTY_DAY) == 2
    # when the penalty run comes on the penalty date
    assert services.late_penalties_apply(period=period, on_date=PENALTY_DAY) == 1
    # then only the invoice sent before the deadline is penalised
    assert Invoice.objects.get(register_entry=early).total_minor == 52000 + 46500
    assert Invoice.objects.get(register_entry=late).total_minor == 52000
    # and the extended registrant, billed before their own penalty date, is penalised when it comes
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 5, 1)) == 1
    assert Invoice.objects.get(register_entry=extended).total_minor == 52000 + 46500
    assert services.late_penalties_apply(period=period, on_date=dt.date(2027, 6, 1)) == 0
    assert not InvoiceLine.objects.filter(invoice__register_entry=late, fee_type=FeeType.LATE_PENALTY).exists()


# History rows and audit events ------------------------------------------------------------------


def test_each_batch_writes_one_history_row_and_one_audit_event_per_row(categories, registrar, period, finance):
    # given five registrants in two categories, one of them exempt, in chunks of two
    entries = _registered(categories, registrar, 3) + _registered(categories, registrar, 2, "social-auxiliary-worker")
    services.fee_exemption_grant(
        actor=finance,
        practitioner=entries[4].practitioner,
        code="non-practising",
        discount_percent=50,
        reason="Not practising",
        starts_date=dt.date(2027, 1, 1),
    )
    events_before = AuditEvent.objects.count()

    # when invoicing runs
    assert services.renewal_invoices_issue(period=period, on_date=BILLING_DAY, chunk_size=2) == 5
    # then each invoice and each line has one '+' history row, as the system, with the reason, equal to the row
    reason = "renewal invoicing 2027"
    invoice_history = Invoice.history.filter(history_type="+")
    line_history = InvoiceLine.history.filter(history_type="+")
    assert (invoice_history.count(), line_history.count()) == (5, 6)
    assert set(invoice_history.values_list("history_user", "history_change_reason")) == {(None, reason)}
    assert set(line_history.values_list("history_user", "history_change_reason")) == {(None, reason)}
    for invoice in Invoice.objects.all():
        row = invoice_history.get(id=invoice.pk)
        assert (row.number, row.total_minor, row.status, row.register_entry_id, row.created_at) == (
            invoice.number,
            invoice.total_minor,
            invoice.status,
            invoice.register_entry_id,
            invoice.created_at,
        )
    # and one audit event per invoice, naming it as str() does
    issued = AuditEvent.objects.filter(action="invoice.issued").order_by("id")
    assert issued.count() == 5
    for event in issued:
        invoice = Invoice.objects.get(pk=event.object_id)
        assert (event.actor, event.actor_label, event.reason, event.object_repr) == (
            None,
            "system",
            reason,
            str(invoice),
        )
        assert event.before == {}
        assert event.after == {"number": invoice.number, "total_minor": invoice.total_minor, "currency": "ZAR"}

    # when the penalty run comes
    assert services.late_penalties_apply(period=period, on_date=PENALTY_DAY, chunk_size=2) == 5
    # then each invoice has a '~' history row with its new total and each penalty line a '+' one
    reason = "late penalty 2027"
    changed = Invoice.history.filter(history_type="~", history_change_reason=reason, history_user=None)
    assert changed.count() == 5
    assert sorted(changed.values_list("total_minor", flat=True)) == sorted(
        Invoice.objects.values_list("total_minor", flat=True)
    )
    assert InvoiceLine.history.filter(history_type="+", fee_type=FeeType.LATE_PENALTY).count() == 5
    penalties = AuditEvent.objects.filter(action="invoice.penalty_added", reason=reason)
    assert penalties.count() == 5
    exempt = Invoice.objects.get(register_entry=entries[4])
    assert penalties.get(object_id=str(exempt.pk)).before == {"total_minor": 13000}
    assert penalties.get(object_id=str(exempt.pk)).after == {"total_minor": 13000 + 46500, "penalty_minor": 46500}

    # when the lapse run comes
    assert services.lapse_run(period=period, on_date=LAPSE_DAY, chunk_size=2) == 5
    # then each entry has a '~' history row, LAPSED, as the system, with the reason
    lapsed = RegisterEntry.history.filter(history_type="~", status=RegisterEntry.Status.LAPSED)
    assert lapsed.count() == 5
    assert set(lapsed.values_list("history_user", "history_change_reason", "conditions")) == {
        (None, "Not renewed for 2027", "")
    }
    status_events = AuditEvent.objects.filter(action="register_entry.status_changed", reason="Not renewed for 2027")
    assert {(event.object_repr, event.before["status"], event.after["status"]) for event in status_events} == {
        (str(RegisterEntry.objects.get(pk=entry.pk)), "REGISTERED", "LAPSED") for entry in entries
    }
    # and each registrant (all have accounts here) was told of their invoice and of the lapse
    for kind in ("renewal_invoice", "register_lapsed"):
        recipients = Notification.objects.filter(kind=kind).values_list("recipient", flat=True)
        assert sorted(recipients) == sorted(entry.practitioner.user_id for entry in entries)
    # and the chain holds: one event per changed row, every link verified
    assert AuditEvent.objects.count() == events_before + 15
    checked, broken = audit_chain_verify()
    assert (checked, broken) == (AuditEvent.objects.count(), None)


def test_a_staff_member_running_a_job_is_its_history_user_and_audit_actor(categories, registrar, period, finance):
    # given two registrants
    _registered(categories, registrar, 2)
    # when a finance officer runs invoicing by hand
    services.renewal_invoices_issue(period=period, on_date=BILLING_DAY, actor=finance)
    # then the history rows and audit events name them
    assert set(Invoice.history.values_list("history_user", flat=True)) == {finance.pk}
    assert set(InvoiceLine.history.values_list("history_user", flat=True)) == {finance.pk}
    events = AuditEvent.objects.filter(action="invoice.issued")
    assert {(event.actor_id, event.actor_label) for event in events} == {(finance.pk, finance.email)}
    assert audit_chain_verify()[1] is None


def test_batch_hashes_are_the_hashes_event_hash_gives():
    # given awkward contents: quotes, backslashes, newlines, accents, enums, dates, non-text keys, nesting
    contents: list[dict[Any, Any] | None] = [
        None,
        {},
        {"status": RegisterEntry.Status.LAPSED},
        {"reason": 'Said "no"\\\n\tñ ☃', "number": None, "paid": True, "total_minor": 10**20},
        {2: "two", 10: "ten"},
        {"due": dt.date(2027, 1, 1), "nested": {"b": [1, (2, 3)], "a": 1.5}},
    ]
    occurred_at = dt.datetime(2027, 7, 1, 6, 30, tzinfo=dt.UTC)
    for actor_id, actor_label in [(None, "system"), (42, "thandi@council.example")]:
        hasher = audit._BatchHasher(
            occurred_at=audit._utc_iso(occurred_at),
            actor_id=actor_id,
            actor_label=actor_label,
            action="register_entry.status_changed",
            reason='Not renewed for "2027"\n',
        )
        for before in contents:
            for after in contents:
                # when the batch path and event_hash hash the same event
                batch = hasher.digest(
                    previous_hash="ab" * 32,
                    object_type="registry.registerentry",
                    object_id="7",
                    object_repr="#7 SW0000007",
                    before_json=audit._canonical_json(before),
                    after_json=audit._canonical_json(after),
                )
                single = audit.event_hash(
                    previous_hash="ab" * 32,
                    occurred_at=occurred_at,
                    actor_id=actor_id,
                    actor_label=actor_label,
                    action="register_entry.status_changed",
                    object_type="registry.registerentry",
                    object_id="7",
                    object_repr="#7 SW0000007",
                    reason='Not renewed for "2027"\n',
                    before=audit._jsonable(before),
                    after=audit._jsonable(after),
                )
                # then they agree, byte for byte
                assert batch == single, (before, after)


# Idempotency -----------------------------------------------------------------------------------


def test_running_each_job_twice_changes_rows_once(categories, registrar, period):
    # given three registrants
    _registered(categories, registrar, 3)

    def snapshot() -> tuple[int, ...]:
        return (
            Invoice.objects.count(),
            InvoiceLine.objects.count(),
            Invoice.history.count(),
            InvoiceLine.history.count(),
            RegisterEntry.history.count(),
            AuditEvent.objects.count(),
        )

    # when each job runs, then runs again the next day
    for job, day in (
        (services.renewal_invoices_issue, BILLING_DAY),
        (services.late_penalties_apply, PENALTY_DAY),
        (services.lapse_run, LAPSE_DAY),
    ):
        assert job(period=period, on_date=day, chunk_size=2) == 3
        after_first = snapshot()
        assert job(period=period, on_date=day + dt.timedelta(days=1), chunk_size=2) == 0
        # then the second run writes nothing: no row, no history row, no audit event
        assert snapshot() == after_first
    assert Invoice.objects.values("register_entry").distinct().count() == 3
    assert len(set(Invoice.objects.values_list("number", flat=True))) == 3
    assert audit_chain_verify()[1] is None


def test_invoice_numbers_continue_the_years_counter(categories, registrar, period):
    # given a number already taken this year (a restoration invoice, say)
    assert services._take_invoice_numbers(year=2027, count=1) == ["INV-2027-0000001"]
    _registered(categories, registrar, 3)
    # when invoicing runs in chunks of two
    services.renewal_invoices_issue(period=period, on_date=BILLING_DAY, chunk_size=2)
    # then the invoices take the next numbers, in register order
    assert list(Invoice.objects.order_by("register_entry_id").values_list("number", flat=True)) == [
        "INV-2027-0000002",
        "INV-2027-0000003",
        "INV-2027-0000004",
    ]


def test_a_chunk_makes_the_same_queries_however_many_rows_it_holds(categories, registrar, period):
    # given three registrants billed in one chunk for 2027
    _registered(categories, registrar, 3)
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as three:
        assert services.renewal_invoices_issue(period=period, on_date=BILLING_DAY) == 3
    # when nine are billed in one chunk for 2028
    _registered(categories, registrar, 6)
    next_period = services.renewal_period_open(actor=None, year=2028)
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as nine:
        assert services.renewal_invoices_issue(period=next_period, on_date=next_period.opens_date) == 9
    # then both runs make the same queries: a constant number per chunk, whatever its size
    assert len(nine) == len(three)


def test_the_jobs_sql_writes_every_column_of_the_tables_it_inserts_into():
    # given the columns the invoicing SQL writes (raw SQL fills no Django defaults)
    written = {
        Invoice: set(services._INVOICE_COLUMNS.split(", ")),
        InvoiceLine: set(services._LINE_COLUMNS.split(", ")),
    }
    for model, columns in written.items():
        # when the model's columns are listed, then the SQL writes each of them but the id
        assert {field.column for field in model._meta.concrete_fields} - {"id"} == columns, model
