"""Every write in licensing: periods, renewal invoicing, penalties, lapse, declarations, payments, licences.

The three batch jobs (renewal_invoices_issue, late_penalties_apply, lapse_run) are set-based: they work
in chunks of rows in SQL (one statement per chunk on PostgreSQL), with a constant number of queries
per chunk, write a history row per changed row with INSERT ... SELECT (core.history) and one audit
event per changed row, commit each chunk, and are idempotent (unique constraints plus a re-check under
a job lock), so a crashed run resumes by running again. bench/renewal.py measures them against plain SQL.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditItem, AuditRow, audit_record, audit_record_many, audit_record_rows
from core.exceptions import ApplicationError
from core.history import history_copy_rows, history_insert_sql, history_params, save_with_history
from core.models import User
from core.selectors import council_today, ruleset_in_force
from core.services import notification_queue, notification_queue_many, permission_require
from core.sql import db_date, db_now, execute, fetch, id_in, on_postgresql, values_cte
from licensing import gateway, rules
from licensing.models import (
    OPEN_INVOICE_STATUSES,
    CardPayment,
    FeeExemption,
    FeeType,
    FinanceAdjustment,
    Invoice,
    InvoiceLine,
    InvoiceNumberCounter,
    InvoiceStatus,
    Licence,
    Payment,
    PaymentAllocation,
    RenewalDeclaration,
    RenewalExtension,
    RenewalPeriod,
    RenewalReminder,
    RestorationApplication,
    StripeEvent,
)
from licensing.requirements import cpd_step_met
from licensing.selectors import payment_unallocated, period_current, periods_open, renewal_candidates, steps_of
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import Practitioner, RegisterEntry

logger = logging.getLogger(__name__)

PRACTISING = ENTRY_PRACTISING_STATUSES
OPEN_INVOICE = OPEN_INVOICE_STATUSES
DEFAULT_CHUNK = 2000
# No fee comes near a billion in major units; a payment beyond it is a typing mistake, refused before the database.
MAX_PAYMENT_MINOR = 10**9 * 100
# Advisory lock keys: one per batch job, so two runs of the same job never interleave.
_JOB_LOCKS = {"renewal_invoices": 7_310_101, "late_penalties": 7_310_102, "lapse": 7_310_103}


def _job_lock(job: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_JOB_LOCKS[job]])


_save = save_with_history


_require = permission_require


# Periods, extensions, exemptions -----------------------------------------------------------


@transaction.atomic
def renewal_period_open(*, actor: User | None, year: int) -> RenewalPeriod:
    """Create licence year `year` with the dates of the rule version in force on 1 January."""
    rule_set = ruleset_in_force(on_date=dt.date(year, 1, 1))
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force for %(year)s.") % {"year": year})
    dates = asdict(rules.period_dates(rule_set=rule_set, year=year))
    period = RenewalPeriod(year=year, rule_set=rule_set, **dates)
    try:
        with transaction.atomic():
            _save(period, actor=actor, reason=f"renewal period {year} opened")
    except IntegrityError as exc:
        raise ApplicationError(_("The %(year)s renewal period already exists.") % {"year": year}) from exc
    audit_record(
        actor=actor,
        action="renewal_period.opened",
        obj=period,
        after={key: value.isoformat() for key, value in dates.items()} | {"rule_set": rule_set.version},
    )
    return period


@transaction.atomic
def renewal_extension_grant(
    *,
    actor: User,
    entry: RegisterEntry,
    period: RenewalPeriod,
    due_date: dt.date,
    penalty_from_date: dt.date,
    lapse_date: dt.date,
    reason: str,
) -> RenewalExtension:
    """Move one registrant's due, penalty and lapse dates for one period (reminders follow them)."""
    _require(actor, "registry.change_register_status")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the extension."))
    if not (due_date < penalty_from_date <= lapse_date):
        raise ApplicationError(_("The dates must run: due, then late penalty, then lapse."))
    extension = RenewalExtension.objects.select_for_update().filter(register_entry=entry, period=period).first()
    before: dict[str, Any] = {}
    if extension is None:
        extension = RenewalExtension(register_entry=entry, period=period, granted_by=actor)
        fields = None
    else:
        before = {"due": extension.due_date, "penalty_from": extension.penalty_from_date, "lapse": extension.lapse_date}
        fields = ["due_date", "penalty_from_date", "lapse_date", "reason", "granted_by"]
    extension.due_date, extension.penalty_from_date, extension.lapse_date = due_date, penalty_from_date, lapse_date
    extension.reason, extension.granted_by = reason, actor
    _save(extension, actor=actor, reason=reason, fields=fields)
    audit_record(
        actor=actor,
        action="renewal.extended",
        obj=entry,
        reason=reason,
        before=before,
        after={"due": due_date, "penalty_from": penalty_from_date, "lapse": lapse_date, "period": period.year},
    )
    return extension


@transaction.atomic
def fee_exemption_grant(
    *,
    actor: User,
    practitioner: Practitioner,
    code: str,
    discount_percent: int,
    reason: str,
    starts_date: dt.date,
    ends_date: dt.date | None = None,
    fee_type: str = FeeType.ANNUAL,
) -> FeeExemption:
    _require(actor, "licensing.manage_finance")
    if not reason.strip():
        raise ApplicationError(_("Give the reason for the exemption."))
    if not 1 <= discount_percent <= 100:
        raise ApplicationError(_("The discount must be between 1% and 100%."))
    if ends_date is not None and ends_date < starts_date:
        raise ApplicationError(_("The exemption must end on or after the day it starts."))
    exemption = FeeExemption(
        practitioner=practitioner,
        code=code,
        fee_type=fee_type,
        discount_percent=discount_percent,
        starts_date=starts_date,
        ends_date=ends_date,
        reason=reason.strip(),
        granted_by=actor,
    )
    _save(exemption, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="fee_exemption.granted",
        obj=exemption,
        reason=reason,
        after={"code": code, "percent": discount_percent, "fee_type": fee_type, "practitioner": practitioner.pk},
    )
    return exemption


# Renewal invoicing (batch) -----------------------------------------------------------------


def _take_invoice_numbers(*, year: int, count: int) -> list[str]:
    first = _take_invoice_number_block(year=year, count=count)
    return [_invoice_number(year, value) for value in range(first, first + count)]


def _take_invoice_number_block(*, year: int, count: int) -> int:
    """Reserve `count` consecutive invoice numbers for `year` with one UPDATE ... RETURNING; returns the first."""
    InvoiceNumberCounter.objects.get_or_create(year=year)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {InvoiceNumberCounter._meta.db_table} SET last_value = last_value + %s "  # noqa: S608
            "WHERE year = %s RETURNING last_value",
            [count, year],
        )
        (last,) = cursor.fetchone()
    return int(last) - count + 1


def _invoice_number(year: int, value: int) -> str:
    return f"INV-{year}-{value:07d}"


# The batch jobs below are SQL run through Django's connection, one chunk per transaction. On
# PostgreSQL each chunk's change is one statement whose CTEs write the rows and, from their `RETURNING *`,
# the history rows (core.history). SQLite (3.35+, for RETURNING) cannot write inside WITH, so there the
# same SELECTs run as one statement per table, and history rows are copied from the tables by id; its
# single writer keeps those statements consistent. Dates and datetimes go in through connection.ops, so
# SQLite stores them as the ORM does. Audit events are hashed in Python (the chain) and written in bulk.


_on_postgresql = on_postgresql
_db_date = db_date
_db_now = db_now
_id_in = id_in
_values = values_cte
_fetch = fetch
_execute = execute


def _with_a_user(table: str, ids: Sequence[int]) -> list[int]:
    """Which of these invoices or register entries (by `table`) belong to a practitioner with a user account.

    Only they get notifications; most of a national register has no account, so this is usually empty.
    """
    if not ids:
        return []
    row_in, params = _id_in("t.id", "row", ids)
    return [
        row_id
        for (row_id,) in _fetch(
            f"SELECT t.id FROM {table} t JOIN registry_practitioner p ON p.id = t.practitioner_id "  # noqa: S608
            f"WHERE {row_in} AND p.user_id IS NOT NULL",
            params,
        )
    ]


# Invoicing: the SQL

_UNBILLED_SQL = """
SELECT e.id, c.code
FROM registry_registerentry e
JOIN registry_registercategory c ON c.id = e.category_id
WHERE e.id > %(after_id)s
  AND e.status IN (%(registered)s, %(registered_with_conditions)s)
  AND e.registered_date <= %(valid_to)s
  AND NOT EXISTS (
      SELECT 1 FROM licensing_invoice i
      WHERE i.register_entry_id = e.id AND i.period_id = %(period)s AND i.purpose = %(renewal)s
  )
ORDER BY e.id
LIMIT %(limit)s
"""

# What each entry of the chunk is billed: the annual fee row for its category and registration date
# (pro rata or not), and its best fee exemption valid in the period (the highest discount, then the
# oldest grant), discounted as rules.discounted does: (amount * percent + 50) / 100 in integers.
_BILLED_CTE = """
{fees},
billed AS (
    SELECT e.id AS entry_id, e.practitioner_id, f.amount_minor AS annual_minor, f.description AS annual_description,
           x.id AS exemption_id, x.code AS exemption_code, x.discount_percent,
           COALESCE((CAST(f.amount_minor AS BIGINT) * x.discount_percent + 50) / 100, 0) AS discount_minor,
           row_number() OVER (ORDER BY e.id) AS position
    FROM registry_registerentry e
    JOIN registry_registercategory c ON c.id = e.category_id
    JOIN fee f ON f.code = c.code AND e.registered_date BETWEEN f.registered_from AND f.registered_to
    LEFT JOIN licensing_feeexemption x ON x.id = (
        SELECT best.id FROM licensing_feeexemption best
        WHERE best.practitioner_id = e.practitioner_id AND best.fee_type = %(annual)s
          AND best.starts_date <= %(valid_to)s AND (best.ends_date IS NULL OR best.ends_date >= %(valid_from)s)
        ORDER BY best.discount_percent DESC, best.id
        LIMIT 1
    )
    WHERE {entry_in_chunk}
)
"""

# Numbers come from the block reserved for the chunk, in entry order; zero-padded to 7 digits like
# _invoice_number (the CASE keeps numbers past 9,999,999 whole, as Python's format does).
_INVOICES_SELECT = """
SELECT %(now)s, %(now)s,
       %(number_prefix)s || CASE WHEN %(first_number)s + b.position - 1 < 10000000
                                 THEN substr(CAST(10000000 + %(first_number)s + b.position - 1 AS TEXT), 2)
                                 ELSE CAST(%(first_number)s + b.position - 1 AS TEXT) END,
       b.practitioner_id, b.entry_id, %(period)s, %(renewal)s,
       CASE WHEN b.annual_minor - b.discount_minor = 0 THEN %(paid)s ELSE %(issued)s END,
       %(currency)s, b.annual_minor - b.discount_minor, 0, %(on_date)s, %(due)s
FROM billed b
ORDER BY b.entry_id
"""
_INVOICE_COLUMNS = (
    "created_at, updated_at, number, practitioner_id, register_entry_id, period_id, purpose, status, currency, "
    "total_minor, paid_minor, issued_date, due_date"
)

# The annual line of each new invoice, then its exemption line (negative) where there is one.
_LINES_SELECT = """
SELECT %(now)s, %(now)s, line.invoice_id, line.fee_type, line.description, line.amount_minor, %(rule_set)s,
       line.exemption_id
FROM (
    SELECT i.id AS invoice_id, 0 AS position, %(annual)s AS fee_type, b.annual_description AS description,
           b.annual_minor AS amount_minor, NULL AS exemption_id
    FROM {invoices} i JOIN billed b ON b.entry_id = i.register_entry_id
    UNION ALL
    SELECT i.id, 1, %(exemption)s, 'Exemption: ' || b.exemption_code || ' (' || b.discount_percent || '%%)',
           -b.discount_minor, b.exemption_id
    FROM {invoices} i JOIN billed b ON b.entry_id = i.register_entry_id
    WHERE b.exemption_id IS NOT NULL AND b.annual_minor <> 0
) line
ORDER BY line.invoice_id, line.position
"""
_LINE_COLUMNS = "created_at, updated_at, invoice_id, fee_type, description, amount_minor, rule_set_id, exemption_id"


def renewal_invoices_issue(
    *, period: RenewalPeriod, on_date: dt.date, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK
) -> int:
    """Bill every practising registrant without a renewal invoice for the period. Returns how many were billed.

    Entries registered after the period began pay pro rata when the rules say so (rules.pro_rata).
    """
    if on_date < period.opens_date:
        raise ApplicationError(
            _("Renewal for %(year)s opens on %(date)s.") % {"year": period.year, "date": period.opens_date.isoformat()}
        )
    issued = 0
    last_id = 0
    while True:
        with transaction.atomic():
            _job_lock("renewal_invoices")
            # Chosen after the lock, so a second run waiting on it never picks an entry the first billed.
            chunk = _fetch(
                _UNBILLED_SQL,
                {
                    "after_id": last_id,
                    "registered": RegisterEntry.Status.REGISTERED,
                    "registered_with_conditions": RegisterEntry.Status.REGISTERED_WITH_CONDITIONS,
                    "valid_to": _db_date(period.valid_to_date),
                    "period": period.pk,
                    "renewal": Invoice.Purpose.RENEWAL,
                    "limit": chunk_size,
                },
            )
            if not chunk:
                return issued
            last_id = chunk[-1][0]
            issued += _invoice_chunk(chunk, period=period, on_date=on_date, actor=actor)


def _annual_fee_rows(*, period: RenewalPeriod, codes: set[str]) -> list[tuple[Any, ...]]:
    """(category, registered from, registered to, amount, description): the annual fee by registration date.

    Registered by the period's first day: the full fee. After it, with pro rata on: one row per month.
    """
    rule_set = period.rule_set
    description = f"Annual fee {period.year}"
    first_day, last_day = period.valid_from_date, period.valid_to_date
    rows: list[tuple[Any, ...]] = []
    for code in sorted(codes):
        annual = rules.fee_amount(rule_set=rule_set, category_code=code, fee_type=FeeType.ANNUAL)
        if not rules.is_pro_rata_first_year(rule_set=rule_set):
            rows.append((code, dt.date.min, last_day, annual, description))
            continue
        rows.append((code, dt.date.min, first_day, annual, description))
        month_start = first_day.replace(day=1)
        while month_start <= last_day:
            next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
            registered_from = max(month_start, first_day + dt.timedelta(days=1))
            months = rules.months_remaining(registered_from, period)
            rows.append(
                (
                    code,
                    registered_from,
                    min(next_month - dt.timedelta(days=1), last_day),
                    rules.pro_rata(annual, registered_from, period),
                    f"{description}, pro rata: {months} of {rules.MONTHS_IN_YEAR} months",
                )
            )
            month_start = next_month
    return rows


def _invoice_chunk(chunk: list[tuple[int, str]], *, period: RenewalPeriod, on_date: dt.date, actor: User | None) -> int:
    """Bill one chunk of (entry id, category code): invoices, lines, their history rows, audit events, notices."""
    rule_set = period.rule_set
    now, db_now = _db_now()
    reason = f"renewal invoicing {period.year}"
    fee_rows = [
        (code, _db_date(start), _db_date(end), amount, description)
        for code, start, end, amount, description in _annual_fee_rows(period=period, codes={row[1] for row in chunk})
    ]
    fee_columns = ("code", "registered_from", "registered_to", "amount_minor", "description")
    fees, fee_params = _values("fee", fee_columns, fee_rows)
    entry_in_chunk, entry_params = _id_in("e.id", "entry", [row[0] for row in chunk])
    params = {
        **fee_params,
        **entry_params,
        **history_params(actor=actor, reason=reason, history_date=now),
        "now": db_now,
        "annual": FeeType.ANNUAL,
        "exemption": FeeType.EXEMPTION,
        "valid_from": _db_date(period.valid_from_date),
        "valid_to": _db_date(period.valid_to_date),
        "number_prefix": f"INV-{period.year}-",
        "first_number": _take_invoice_number_block(year=period.year, count=len(chunk)),
        "period": period.pk,
        "renewal": Invoice.Purpose.RENEWAL,
        "paid": InvoiceStatus.PAID,
        "issued": InvoiceStatus.ISSUED,
        "currency": rules.currency(rule_set=rule_set, default="ZAR"),
        "on_date": _db_date(on_date),
        "due": _db_date(period.due_date),
        "rule_set": rule_set.pk,
    }
    billed = _BILLED_CTE.format(fees=fees, entry_in_chunk=entry_in_chunk)
    if _on_postgresql():
        # One statement: what is billed is read once, so the invoice totals and their lines agree
        # even if an exemption is granted while the chunk runs.
        created = _fetch(
            f"WITH {billed}, "  # noqa: S608 - fragments are this module's constants
            f"invoice AS (INSERT INTO licensing_invoice ({_INVOICE_COLUMNS}) {_INVOICES_SELECT} RETURNING *), "
            f"line AS (INSERT INTO licensing_invoiceline ({_LINE_COLUMNS}) "
            f"{_LINES_SELECT.format(invoices='invoice')} RETURNING *), "
            f"invoice_history AS ({history_insert_sql(model=Invoice, source='invoice', history_type='+')}), "
            f"line_history AS ({history_insert_sql(model=InvoiceLine, source='line', history_type='+')}) "
            "SELECT id, number, total_minor, currency FROM invoice ORDER BY id",
            params,
        )
    else:
        created = sorted(
            _fetch(
                f"WITH {billed} INSERT INTO licensing_invoice ({_INVOICE_COLUMNS}) "
                f"{_INVOICES_SELECT} RETURNING id, number, total_minor, currency",
                params,
            )
        )
        if created:
            _invoice_chunk_lines_sqlite([row[0] for row in created], billed=billed, params=params)
    audit_record_rows(
        actor=actor,
        action="invoice.issued",
        reason=reason,
        model=Invoice,
        rows=[
            AuditRow(
                invoice_id,
                f"#{invoice_id} {number}",  # Invoice.__str__
                after={"number": number, "total_minor": total_minor, "currency": currency},
            )
            for invoice_id, number, total_minor, currency in created
        ],
    )
    notify = _with_a_user("licensing_invoice", [row[0] for row in created])
    if notify:
        notification_queue_many(
            kind="renewal_invoice",
            items=[
                (invoice.practitioner.user, {"invoice": invoice, "entry": invoice.register_entry, "period": period})
                for invoice in Invoice.objects.filter(pk__in=notify).select_related(
                    "practitioner__user", "register_entry__category"
                )
                if invoice.practitioner.user is not None
            ],
        )
    return len(created)


def _invoice_chunk_lines_sqlite(invoice_ids: list[int], *, billed: str, params: Mapping[str, Any]) -> None:
    """SQLite: the lines of the invoices just written, then the history rows of both, one statement each."""
    invoice_in_chunk, invoice_params = _id_in("id", "invoice", invoice_ids)
    new_invoices = f"(SELECT id, register_entry_id FROM licensing_invoice WHERE {invoice_in_chunk})"  # noqa: S608
    _execute(
        f"WITH {billed} INSERT INTO licensing_invoiceline ({_LINE_COLUMNS}) "
        f"{_LINES_SELECT.format(invoices=new_invoices)}",
        {**params, **invoice_params},
    )
    history_copy_rows(model=Invoice, where=invoice_in_chunk, params={**params, **invoice_params}, history_type="+")
    line_of_chunk, line_params = _id_in("invoice_id", "invoice", invoice_ids)
    history_copy_rows(model=InvoiceLine, where=line_of_chunk, params={**params, **line_params}, history_type="+")


# Late penalties (batch) ----------------------------------------------------------------------


# Unpaid renewal invoices whose (possibly extended) penalty date has come, that were issued before
# it (nobody is fined for a bill sent after the deadline) and carry no penalty yet. Locked on
# PostgreSQL, so a payment racing the job either waits for the chunk or is waited for (and its PAID
# invoice then drops out of the chunk).
_PENALTY_DUE_SQL = """
SELECT i.id, c.code, i.number
FROM licensing_invoice i
LEFT JOIN registry_registerentry e ON e.id = i.register_entry_id
LEFT JOIN registry_registercategory c ON c.id = e.category_id
LEFT JOIN licensing_renewalextension x ON x.register_entry_id = i.register_entry_id AND x.period_id = i.period_id
WHERE i.id > %(after_id)s
  AND i.period_id = %(period)s AND i.purpose = %(renewal)s AND i.status IN (%(issued)s, %(part_paid)s)
  AND COALESCE(x.penalty_from_date, %(penalty_from)s) <= %(on_date)s
  AND i.issued_date < COALESCE(x.penalty_from_date, %(penalty_from)s)
  AND NOT EXISTS (SELECT 1 FROM licensing_invoiceline l WHERE l.invoice_id = i.id AND l.fee_type = %(late_penalty)s)
ORDER BY i.id
LIMIT %(limit)s
"""

# The penalty line of each invoice of the chunk, at its category's amount.
_PENALTY_LINES_SELECT = """
SELECT %(now)s, %(now)s, i.id, %(late_penalty)s, %(description)s, f.amount_minor, %(rule_set)s, NULL
FROM licensing_invoice i
JOIN registry_registerentry e ON e.id = i.register_entry_id
JOIN registry_registercategory c ON c.id = e.category_id
JOIN fee f ON f.code = c.code
WHERE i.{invoice_in_chunk}
ORDER BY i.id
"""

# SQLite: the total grows by the penalty line just written, read in the same statement.
_PENALTY_TOTALS_SQL = """
UPDATE licensing_invoice
SET total_minor = total_minor + (
        SELECT l.amount_minor FROM licensing_invoiceline l
        WHERE l.invoice_id = licensing_invoice.id AND l.fee_type = %(late_penalty)s
    ),
    updated_at = %(now)s
WHERE {invoice_in_chunk}
RETURNING id, number, total_minor
"""


def late_penalties_apply(
    *, period: RenewalPeriod, on_date: dt.date, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK
) -> int:
    """Add the late penalty to every unpaid renewal invoice whose (possibly extended) penalty date has come.

    An invoice issued on or after its penalty date is never penalised.
    """
    applied = 0
    last_id = 0
    reason = f"late penalty {period.year}"
    lock = " FOR UPDATE OF i" if _on_postgresql() else ""  # SQLite: the one writer holds the whole database
    while True:
        with transaction.atomic():
            _job_lock("late_penalties")
            chunk = _fetch(
                _PENALTY_DUE_SQL + lock,
                {
                    "after_id": last_id,
                    "period": period.pk,
                    "renewal": Invoice.Purpose.RENEWAL,
                    "issued": InvoiceStatus.ISSUED,
                    "part_paid": InvoiceStatus.PART_PAID,
                    "penalty_from": _db_date(period.penalty_from_date),
                    "on_date": _db_date(on_date),
                    "late_penalty": FeeType.LATE_PENALTY,
                    "limit": chunk_size,
                },
            )
            if not chunk:
                return applied
            last_id = chunk[-1][0]
            applied += _penalty_chunk(chunk, period=period, actor=actor, reason=reason)


def _penalty_chunk(
    chunk: list[tuple[int, str | None, str]], *, period: RenewalPeriod, actor: User | None, reason: str
) -> int:
    """Penalise one locked chunk of (invoice id, category code, number). Returns how many were penalised."""
    for _invoice_id, code, number in chunk:
        if code is None:
            raise ApplicationError(_("Renewal invoice %(number)s names no register entry.") % {"number": number})
    now, db_now = _db_now()
    fees, fee_params = _values(
        "fee",
        ("code", "amount_minor"),
        [
            (code, rules.fee_amount(rule_set=period.rule_set, category_code=code, fee_type=FeeType.LATE_PENALTY))
            for code in sorted({row[1] for row in chunk if row[1] is not None})
        ],
    )
    ids = [row[0] for row in chunk]
    invoice_in_chunk, invoice_params = _id_in("id", "invoice", ids)
    params = {
        **fee_params,
        **invoice_params,
        **history_params(actor=actor, reason=reason, history_date=now),
        "now": db_now,
        "late_penalty": FeeType.LATE_PENALTY,
        "description": f"Late payment penalty {period.year}",
        "rule_set": period.rule_set_id,
    }
    lines = _PENALTY_LINES_SELECT.format(invoice_in_chunk=invoice_in_chunk)
    if _on_postgresql():
        penalised = _fetch(
            f"WITH {fees}, "  # noqa: S608 - fragments are this module's constants
            f"line AS (INSERT INTO licensing_invoiceline ({_LINE_COLUMNS}) {lines} RETURNING *), "
            f"line_history AS ({history_insert_sql(model=InvoiceLine, source='line', history_type='+')}), "
            "invoice AS (UPDATE licensing_invoice i SET total_minor = i.total_minor + line.amount_minor, "
            "updated_at = %(now)s FROM line WHERE line.invoice_id = i.id RETURNING i.*), "
            f"invoice_history AS ({history_insert_sql(model=Invoice, source='invoice', history_type='~')}) "
            "SELECT invoice.id, invoice.number, invoice.total_minor, line.amount_minor "
            "FROM invoice JOIN line ON line.invoice_id = invoice.id ORDER BY invoice.id",
            params,
        )
    else:
        penalties = dict(
            _fetch(
                f"WITH {fees} INSERT INTO licensing_invoiceline ({_LINE_COLUMNS}) {lines} "
                "RETURNING invoice_id, amount_minor",
                params,
            )
        )
        penalised = [
            (invoice_id, number, total_minor, penalties[invoice_id])
            for invoice_id, number, total_minor in sorted(
                _fetch(_PENALTY_TOTALS_SQL.format(invoice_in_chunk=invoice_in_chunk), params)
            )
        ]
        history_copy_rows(model=Invoice, where=invoice_in_chunk, params=params, history_type="~")
        line_of_chunk, line_params = _id_in("invoice_id", "invoice", ids)
        history_copy_rows(
            model=InvoiceLine,
            where=f"{line_of_chunk} AND fee_type = %(late_penalty)s",
            params={**params, **line_params},
            history_type="+",
        )
    audit_record_rows(
        actor=actor,
        action="invoice.penalty_added",
        reason=reason,
        model=Invoice,
        rows=[
            AuditRow(
                invoice_id,
                f"#{invoice_id} {number}",  # Invoice.__str__
                before={"total_minor": total_minor - penalty_minor},
                after={"total_minor": total_minor, "penalty_minor": penalty_minor},
            )
            for invoice_id, number, total_minor, penalty_minor in penalised
        ],
    )
    return len(penalised)


# Lapse (batch) ------------------------------------------------------------------------------

# Practising entries without a licence for the period whose (possibly extended) lapse date has come.
# On PostgreSQL the chunk's entries are locked here; the lapse itself is a new statement (below).
_LAPSE_DUE_SQL = """
SELECT e.id, e.status, e.conditions
FROM registry_registerentry e
LEFT JOIN licensing_renewalextension x ON x.register_entry_id = e.id AND x.period_id = %(period)s
WHERE e.id > %(after_id)s
  AND e.status IN (%(registered)s, %(registered_with_conditions)s)
  AND e.registered_date < %(valid_from)s
  AND COALESCE(x.lapse_date, %(lapse)s) <= %(on_date)s
  AND NOT EXISTS (SELECT 1 FROM licensing_licence l WHERE l.register_entry_id = e.id AND l.period_id = %(period)s)
ORDER BY e.id
LIMIT %(limit)s
"""

# A new statement after the lock, so a new snapshot: it sees every licence committed while we waited.
_LAPSE_SQL = """
UPDATE registry_registerentry
SET status = %(lapsed)s, conditions = '', status_changed_at = %(now)s, updated_at = %(now)s
WHERE {entry_in_chunk} AND status IN (%(registered)s, %(registered_with_conditions)s)
  AND NOT EXISTS (
      SELECT 1 FROM licensing_licence l
      WHERE l.register_entry_id = registry_registerentry.id AND l.period_id = %(period)s
  )
"""


def lapse_run(
    *, period: RenewalPeriod, on_date: dt.date, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK
) -> int:
    """Lapse every practising entry with no licence for the period once its (possibly extended) lapse date has come.

    Races with payments are safe: each chunk locks its entries, then lapses them in a new statement
    that re-reads the licences, so a licence committed while we waited for a lock is seen and that
    entry is skipped; a payment that waits for our lock finds the entry LAPSED and is kept for restoration.
    """
    lapsed = 0
    last_id = 0
    reason = _("Not renewed for %(year)s") % {"year": period.year}
    practising = {
        "registered": RegisterEntry.Status.REGISTERED,
        "registered_with_conditions": RegisterEntry.Status.REGISTERED_WITH_CONDITIONS,
    }
    lock = " FOR UPDATE OF e" if _on_postgresql() else ""  # SQLite: the one writer holds the whole database
    while True:
        with transaction.atomic():
            _job_lock("lapse")
            locked = _fetch(
                _LAPSE_DUE_SQL + lock,
                {
                    **practising,
                    "after_id": last_id,
                    "period": period.pk,
                    "valid_from": _db_date(period.valid_from_date),
                    "lapse": _db_date(period.lapse_date),
                    "on_date": _db_date(on_date),
                    "limit": chunk_size,
                },
            )
            if not locked:
                return lapsed
            last_id = locked[-1][0]
            before = {row[0]: (row[1], row[2]) for row in locked}
            lapsed += _lapse_chunk(before, period=period, actor=actor, reason=reason, practising=practising)


def _lapse_chunk(
    status_before: dict[int, tuple[str, str]],
    *,
    period: RenewalPeriod,
    actor: User | None,
    reason: str,
    practising: Mapping[str, str],
) -> int:
    """Lapse the locked entries (id: (status, conditions)) still practising and unlicensed. Returns how many lapsed.

    The conditions the lapse clears go into each audit event's `before`, so restoration can put them back.
    """
    now, db_now = _db_now()
    entry_in_chunk, entry_params = _id_in("id", "entry", sorted(status_before))
    params = {
        **entry_params,
        **practising,
        **history_params(actor=actor, reason=reason, history_date=now),
        "lapsed": RegisterEntry.Status.LAPSED,
        "now": db_now,
        "period": period.pk,
    }
    lapse = _LAPSE_SQL.format(entry_in_chunk=entry_in_chunk)
    if _on_postgresql():
        lapsed = _fetch(
            f"WITH lapsed AS ({lapse} RETURNING *), "  # noqa: S608 - fragments are this module's constants
            f"history AS ({history_insert_sql(model=RegisterEntry, source='lapsed', history_type='~')}) "
            "SELECT id, registration_number FROM lapsed ORDER BY id",
            params,
        )
    else:
        lapsed = sorted(_fetch(f"{lapse} RETURNING id, registration_number", params))
        if lapsed:
            lapsed_in_chunk, lapsed_params = _id_in("id", "lapsed", [row[0] for row in lapsed])
            history_copy_rows(
                model=RegisterEntry, where=lapsed_in_chunk, params={**params, **lapsed_params}, history_type="~"
            )
    audit_record_rows(
        actor=actor,
        action="register_entry.status_changed",
        reason=reason,
        model=RegisterEntry,
        rows=[
            AuditRow(
                entry_id,
                f"#{entry_id} {registration_number}",  # RegisterEntry.__str__
                before=_status_and_conditions(*status_before[entry_id]),
                after={"status": RegisterEntry.Status.LAPSED},
            )
            for entry_id, registration_number in lapsed
        ],
    )
    notify = _with_a_user("registry_registerentry", [row[0] for row in lapsed])
    if notify:
        notification_queue_many(
            kind="register_lapsed",
            items=[
                (entry.practitioner.user, {"entry": entry, "period": period})
                for entry in RegisterEntry.objects.filter(pk__in=notify).select_related("practitioner__user")
                if entry.practitioner.user is not None
            ],
        )
    return len(lapsed)


def _status_and_conditions(status: str, conditions: str) -> dict[str, str]:
    return {"status": status, "conditions": conditions} if conditions else {"status": status}


# Declarations, payments and licences -------------------------------------------------------


def _lock_entry(entry_id: int) -> RegisterEntry:
    return (
        RegisterEntry.objects.select_for_update(of=("self",))
        .select_related("category", "practitioner")
        .get(pk=entry_id)
    )


@transaction.atomic
def renewal_declare(
    *, actor: User, entry: RegisterEntry, period: RenewalPeriod, is_fit_to_practise: bool, disclosure: str = ""
) -> RenewalDeclaration:
    entry = _lock_entry(entry.pk)
    if entry.practitioner.user_id != actor.pk:
        raise ApplicationError(_("Only the registrant can make their renewal declaration."))
    if entry.status not in PRACTISING:
        raise ApplicationError(_("Only a current registration can be renewed; a lapsed one must be restored."))
    if not is_fit_to_practise and not disclosure.strip():
        raise ApplicationError(_("Tell the council why you cannot declare that you are fit to practise."))
    declaration = RenewalDeclaration(
        register_entry=entry,
        period=period,
        is_fit_to_practise=is_fit_to_practise,
        disclosure=disclosure.strip(),
        declared_at=timezone.now(),
        declared_by=actor,
    )
    try:
        with transaction.atomic():
            _save(declaration, actor=actor, reason="renewal declaration")
    except IntegrityError as exc:
        raise ApplicationError(
            _("You have already made your declaration for %(year)s.") % {"year": period.year}
        ) from exc
    audit_record(
        actor=actor,
        action="renewal.declared",
        obj=entry,
        after={"period": period.year, "fit_to_practise": is_fit_to_practise},
    )
    _licence_issue_if_complete(entry=entry, period=period, actor=actor)
    return declaration


def renewal_steps_met(*, entry: RegisterEntry, period: RenewalPeriod) -> dict[str, bool]:
    """The three steps of renewal, each on its own, so none can be silently missed."""
    declared = RenewalDeclaration.objects.filter(register_entry=entry, period=period, is_fit_to_practise=True).exists()
    paid = Invoice.objects.filter(
        register_entry=entry, period=period, purpose=Invoice.Purpose.RENEWAL, status=InvoiceStatus.PAID
    ).exists()
    return {"declaration": declared, "fee": paid, "cpd": cpd_step_met(entry=entry, period=period)}


def _licence_issue_if_complete(*, entry: RegisterEntry, period: RenewalPeriod, actor: User | None) -> Licence | None:
    """Issue the period's licence when every step is met. The entry must be locked by the caller."""
    if entry.status not in PRACTISING:
        return None
    existing = Licence.objects.filter(register_entry=entry, period=period).first()
    if existing is not None:
        return existing
    if not all(renewal_steps_met(entry=entry, period=period).values()):
        return None
    return _licence_create(entry=entry, period=period, actor=actor)


@transaction.atomic
def renewal_steps_recheck(*, entry_ids: Sequence[int], actor: User | None) -> list[Licence]:
    """After a step was met outside licensing (CPD credited, say), issue each open period's licence now complete.

    Only entries that have declared in an open period can have become complete, so only they are looked at.
    """
    periods = list(periods_open(on_date=council_today()))
    declared = (
        RenewalDeclaration.objects.filter(register_entry_id__in=entry_ids, period__in=periods, is_fit_to_practise=True)
        .values_list("register_entry_id", "period_id")
        .order_by("register_entry_id")
    )
    by_id = {period.pk: period for period in periods}
    issued = []
    for entry_id, period_id in declared:
        entry = _lock_entry(entry_id)
        period = by_id[period_id]
        had = Licence.objects.filter(register_entry=entry, period=period).exists()
        licence = _licence_issue_if_complete(entry=entry, period=period, actor=actor)
        if licence is not None and not had:
            issued.append(licence)
    return issued


def _licence_create(*, entry: RegisterEntry, period: RenewalPeriod, actor: User | None) -> Licence:
    licence = Licence(
        register_entry=entry,
        period=period,
        number=f"L{period.year}-{entry.registration_number}",
        valid_from_date=period.valid_from_date,
        valid_to_date=period.valid_to_date,
        issued_at=timezone.now(),
    )
    _save(licence, actor=actor, reason=f"licence {period.year} issued")
    audit_record(
        actor=actor,
        action="licence.issued",
        obj=licence,
        after={"number": licence.number, "valid_from": licence.valid_from_date, "valid_to": licence.valid_to_date},
    )
    user = entry.practitioner.user
    if user is not None:
        notification_queue(recipient=user, kind="licence_issued", context={"licence": licence, "entry": entry})
    return licence


class DuplicatePayment(ApplicationError):
    """A payment with this method and reference has already been recorded."""


@transaction.atomic
def payment_record(
    *,
    actor: User | None,
    invoice: Invoice,
    method: str,
    reference: str,
    amount_minor: int,
    currency: str,
    received_date: dt.date,
    proof: Any = None,
    keep_if_invoice_closed: bool = False,
) -> Payment:
    """Record money received against an invoice, allocate it, and issue the licence if renewal is complete.

    `actor` is the finance officer for manual payments, None for card payments confirmed by Stripe.
    Money Stripe has already taken is never refused: with `keep_if_invoice_closed`, a payment for an
    invoice that was paid, voided or written off meanwhile is recorded unallocated, as credit to refund
    or allocate.
    """
    if actor is not None:
        _require(actor, "licensing.manage_finance")
    reference = reference.strip()
    if not reference:
        raise ApplicationError(_("Enter the receipt reference."))
    if amount_minor <= 0:
        raise ApplicationError(_("The amount must be more than zero."))
    if amount_minor > MAX_PAYMENT_MINOR:
        raise ApplicationError(_("That amount is too large. Check it and enter it again."))
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    entry = _lock_entry(invoice.register_entry_id) if invoice.register_entry_id is not None else None
    if currency != invoice.currency:
        raise ApplicationError(
            _("This invoice is in %(invoice)s; the payment is in %(payment)s.")
            % {"invoice": invoice.currency, "payment": currency}
        )
    invoice_open = invoice.status in OPEN_INVOICE
    if not invoice_open and not keep_if_invoice_closed:
        raise ApplicationError(_("Invoice %(number)s is not open for payment.") % {"number": invoice.number})
    payment = Payment(
        practitioner_id=invoice.practitioner_id,
        method=method,
        reference=reference,
        amount_minor=amount_minor,
        currency=currency,
        received_date=received_date,
        recorded_by=actor,
    )
    if proof is not None:
        payment.proof = proof
    try:
        with transaction.atomic():
            _save(payment, actor=actor, reason="payment recorded")
    except IntegrityError as exc:
        raise DuplicatePayment(
            _("A payment with reference %(reference)s is already recorded.") % {"reference": reference}
        ) from exc
    allocated = min(amount_minor, invoice.balance_minor) if invoice_open else 0
    before = {"status": invoice.status, "paid_minor": invoice.paid_minor}
    if allocated:
        allocation = PaymentAllocation(payment=payment, invoice=invoice, amount_minor=allocated)
        _save(allocation, actor=actor, reason="payment allocated")
        invoice.paid_minor += allocated
        invoice.status = InvoiceStatus.PAID if invoice.paid_minor >= invoice.total_minor else InvoiceStatus.PART_PAID
        _save(invoice, actor=actor, reason=f"payment {reference}", fields=["paid_minor", "status"])
    audit_record(
        actor=actor,
        action="payment.recorded",
        obj=payment,
        after={
            "method": method,
            "reference": reference,
            "amount_minor": amount_minor,
            "currency": currency,
            "invoice": invoice.number,
            "allocated_minor": allocated,
        },
    )
    if allocated:
        audit_record(
            actor=actor,
            action="invoice.payment_applied",
            obj=invoice,
            before=before,
            after={"status": invoice.status, "paid_minor": invoice.paid_minor},
        )
    if entry is not None and invoice.purpose == Invoice.Purpose.RENEWAL and invoice.period is not None:
        _licence_issue_if_complete(entry=entry, period=invoice.period, actor=actor)
    user = invoice.practitioner.user
    if user is not None:
        notification_queue(recipient=user, kind="payment_received", context={"payment": payment, "invoice": invoice})
    return payment


# The daily run (Celery beat) ---------------------------------------------------------------


def renewal_daily_run(*, on_date: dt.date | None = None) -> dict[str, int]:
    """What beat runs each morning: open the coming period when its window opens, bill, penalise, lapse.

    `on_date` defaults to today in the council's time zone, so every legal date falls on the local day.
    """
    today = on_date or council_today()
    results = {"periods_opened": 0, "invoices_issued": 0, "penalties_added": 0, "lapsed": 0}
    for year in (today.year, today.year + 1):
        if RenewalPeriod.objects.filter(year=year).exists():
            continue
        rule_set = ruleset_in_force(on_date=dt.date(year, 1, 1))
        if rule_set is None:
            continue
        dates = rules.period_dates(rule_set=rule_set, year=year)
        # Only inside the window: a period whose due date has passed is never opened behind anyone's back.
        if dates.opens_date <= today <= dates.due_date:
            renewal_period_open(actor=None, year=year)
            results["periods_opened"] += 1
    for period in RenewalPeriod.objects.filter(opens_date__lte=today).select_related("rule_set").order_by("year"):
        if today > period.valid_to_date:
            continue
        results["invoices_issued"] += renewal_invoices_issue(period=period, on_date=today)
        results["penalties_added"] += late_penalties_apply(period=period, on_date=today)
        results["lapsed"] += lapse_run(period=period, on_date=today)
    return results


# Card payments (Stripe) ------------------------------------------------------------------------

_FORM_KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def card_payment_start(*, actor: User, invoice: Invoice, payment_method: str, form_key: str) -> CardPayment:
    """Create and confirm a PaymentIntent for an invoice's balance with the card Stripe.js tokenised.

    The idempotency key is the invoice, its balance and the pay form's one-time key, so a form sent
    twice makes one PaymentIntent (Stripe returns the first) and one CardPayment (the key is unique
    here too). Stripe is called outside any database transaction; nothing about the invoice changes
    until Stripe's signed webhook says the money moved. Raises PaymentProviderUnavailable or
    PaymentDeclined (from the gateway) with a message for the payer.
    """
    if invoice.practitioner.user_id != actor.pk:
        raise ApplicationError(_("You can only pay your own invoices."))
    if not (8 <= len(form_key) <= 64 and set(form_key) <= _FORM_KEY_CHARACTERS):
        raise ApplicationError(_("The payment form has expired. Please open it again."))
    payment_method = payment_method.strip()
    if not payment_method.startswith(("pm_", "card_", "src_")):
        raise ApplicationError(_("Enter your card details."))
    if invoice.status not in OPEN_INVOICE or invoice.balance_minor <= 0:
        raise ApplicationError(_("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number})
    key = f"card-{invoice.number}-{invoice.balance_minor}-{form_key}"
    existing = CardPayment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    intent = gateway.payment_intent_create(
        amount_minor=invoice.balance_minor,
        currency=invoice.currency,
        idempotency_key=key,
        metadata={"invoice": invoice.number, "practitioner": str(invoice.practitioner_id)},
        description=f"Invoice {invoice.number}",
        payment_method=payment_method,
    )
    status = {
        "succeeded": CardPayment.Status.PENDING,  # recorded when the webhook confirms it
        "processing": CardPayment.Status.PENDING,
        "requires_action": CardPayment.Status.PENDING,
        "requires_capture": CardPayment.Status.PENDING,
        "canceled": CardPayment.Status.CANCELED,
    }.get(intent.status, CardPayment.Status.FAILED)
    card = CardPayment(
        invoice=invoice,
        intent_id=intent.id,
        idempotency_key=key,
        # Kept only while the bank wants authentication, which Stripe.js completes with it.
        client_secret=intent.client_secret if intent.status == "requires_action" else "",
        amount_minor=intent.amount_minor,
        currency=intent.currency,
        status=status,
        failure_message=intent.error_message if status == CardPayment.Status.FAILED else "",
        started_by=actor,
    )
    try:
        with transaction.atomic():
            _save(card, actor=actor, reason="card payment started")
            audit_record(
                actor=actor,
                action="card_payment.started",
                obj=card,
                after={
                    "invoice": invoice.number,
                    "intent": intent.id,
                    "amount_minor": intent.amount_minor,
                    "currency": intent.currency,
                    "stripe_status": intent.status,
                },
            )
    except IntegrityError:
        # The same form sent twice at once: the other request stored it first.
        return CardPayment.objects.get(Q(idempotency_key=key) | Q(intent_id=intent.id))
    # Any webhook for this intent that arrived before the row was saved is processed now.
    for waiting in StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED, data_object__id=intent.id):
        stripe_event_process(stripe_event_id=waiting.pk)
    return card


def stripe_event_receive(*, event: gateway.VerifiedEvent) -> tuple[StripeEvent, bool]:
    """Store a verified webhook event once, by its id; process it in a task after commit.

    Returns the stored event and whether this delivery stored it (False for a replay).
    """
    from licensing.tasks import stripe_event_process as process_task

    try:
        with transaction.atomic():
            stored = StripeEvent(
                event_id=event.id,
                type=event.type,
                provider_created_at=event.created,
                data_object=event.data_object,
            )
            _save(stored, actor=None, reason=f"webhook {event.type}")
            audit_record(
                actor=None, action="stripe_event.received", obj=stored, after={"id": event.id, "type": event.type}
            )
            transaction.on_commit(lambda: process_task.delay(stored.pk), robust=True)
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event.id), False
    return stored, True


# How long an event for a PaymentIntent we have no record of waits for its card payment to be saved.
UNMATCHED_EVENT_PATIENCE = dt.timedelta(hours=1)

_CARD_OUTCOMES = {
    "payment_intent.payment_failed": CardPayment.Status.FAILED,
    "payment_intent.canceled": CardPayment.Status.CANCELED,
}


@transaction.atomic
def stripe_event_process(*, stripe_event_id: int) -> StripeEvent:
    """Act on a stored event, once. Replays and out-of-order events change nothing.

    A success records the payment (idempotent by PaymentIntent id); a failure or cancellation is noted
    on the card attempt unless it already succeeded, and the invoice stays open either way.
    """
    stored = StripeEvent.objects.select_for_update().get(pk=stripe_event_id)
    if stored.status != StripeEvent.Status.RECEIVED:
        return stored
    intent_id = str(stored.data_object.get("id", ""))
    card = CardPayment.objects.select_for_update().filter(intent_id=intent_id).select_related("invoice").first()
    outcome = ""
    if not stored.type.startswith("payment_intent."):
        outcome = "not a PaymentIntent event"
    elif card is None:
        if timezone.now() - stored.created_at < UNMATCHED_EVENT_PATIENCE:
            # Stripe can be faster than our own save of the card attempt: keep the event for the sweep,
            # and card_payment_start processes it as soon as the attempt is saved.
            return stored
        outcome = _unmatched_event(stored, intent_id)
    elif stored.type == "payment_intent.succeeded":
        outcome = _card_payment_succeeded(card, stored.data_object)
    elif stored.type in _CARD_OUTCOMES:
        outcome = _card_payment_did_not_succeed(card, stored.data_object, _CARD_OUTCOMES[stored.type])
    else:
        outcome = "no action for this event type"
    processed = not outcome.startswith(("no ", "not ", "already "))  # "not recorded" is IGNORED, and logged
    stored.status = StripeEvent.Status.PROCESSED if processed else StripeEvent.Status.IGNORED
    stored.processed_at = timezone.now()
    stored.outcome = outcome or "processed"
    _save(stored, actor=None, reason=stored.outcome, fields=["status", "processed_at", "outcome"])
    audit_record(
        actor=None,
        action=f"stripe_event.{stored.status.lower()}",
        obj=stored,
        reason=stored.outcome,
        before={"status": StripeEvent.Status.RECEIVED},
        after={"status": stored.status},
    )
    return stored


def _unmatched_event(stored: StripeEvent, intent_id: str) -> str:
    """A success for an intent with no card attempt here after an hour: the attempt's save was lost after
    Stripe took the money. The intent's metadata names our invoice, so the money is still recorded."""
    metadata = stored.data_object.get("metadata")
    number = metadata.get("invoice") if isinstance(metadata, dict) else None
    invoice = Invoice.objects.filter(number=str(number)).first() if number else None
    if stored.type != "payment_intent.succeeded" or invoice is None:
        logger.error("Stripe event %s names %s, which no card payment here matches", stored.event_id, intent_id)
        return f"no card payment here for {intent_id}"
    amount, currency = _amount_and_currency(stored.data_object, invoice.balance_minor, invoice.currency)
    try:
        payment = payment_record(
            actor=None,
            invoice=invoice,
            method=Payment.Method.CARD,
            reference=intent_id,
            amount_minor=amount,
            currency=currency,
            received_date=council_today(),
            keep_if_invoice_closed=True,
        )
    except DuplicatePayment:
        return "already recorded"
    except ApplicationError as error:
        logger.error("Stripe event %s could not be recorded: %s", stored.event_id, error.message)
        return f"not recorded, for finance staff to resolve: {error.message}"
    logger.warning("Stripe event %s recorded from the intent's metadata: no card attempt was saved", stored.event_id)
    return f"payment {payment.pk} recorded from the intent's metadata (no card attempt was saved)"


def _amount_and_currency(data: dict[str, Any], default_amount: int, default_currency: str) -> tuple[int, str]:
    """The amount Stripe received and its currency, from an event's object, with ours where it says nothing usable."""
    amount = data.get("amount_received", data.get("amount"))
    currency = data.get("currency")
    return (
        amount if isinstance(amount, int) and not isinstance(amount, bool) and amount > 0 else default_amount,
        currency.upper() if isinstance(currency, str) and len(currency) == 3 else default_currency,
    )


def _card_payment_succeeded(card: CardPayment, data: dict[str, Any]) -> str:
    if card.payment_id is not None:
        return "already recorded"
    amount, currency = _amount_and_currency(data, card.amount_minor, card.currency)
    try:
        payment = payment_record(
            actor=None,
            invoice=card.invoice,
            method=Payment.Method.CARD,
            reference=card.intent_id,
            amount_minor=amount,
            currency=currency,
            received_date=council_today(),
            keep_if_invoice_closed=True,
        )
    except DuplicatePayment:
        payment = Payment.objects.get(method=Payment.Method.CARD, reference=card.intent_id)
    except ApplicationError as error:
        # E.g. a currency other than the invoice's: never retried for ever, and never lost from sight.
        logger.error("Card payment %s could not be recorded: %s", card.intent_id, error.message)
        return f"not recorded, for finance staff to resolve: {error.message}"
    before = {"status": card.status}
    card.status = CardPayment.Status.SUCCEEDED
    card.payment = payment
    card.failure_message = ""
    _save(card, actor=None, reason="Stripe confirmed the payment", fields=["status", "payment", "failure_message"])
    audit_record(actor=None, action="card_payment.succeeded", obj=card, before=before, after={"payment": payment.pk})
    return f"payment {payment.pk} recorded"


def _card_payment_did_not_succeed(card: CardPayment, data: dict[str, Any], status: str) -> str:
    if card.status == CardPayment.Status.SUCCEEDED:
        return "already succeeded; a late failure event changes nothing"
    error = data.get("last_payment_error") or {}
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    before = {"status": card.status}
    card.status = status
    card.failure_message = message
    _save(card, actor=None, reason=f"Stripe: {status.lower()}", fields=["status", "failure_message"])
    audit_record(actor=None, action="card_payment.not_completed", obj=card, before=before, after={"status": status})
    return f"card payment {status.lower()}"


# Allocation, refunds, write-offs and voids -----------------------------------------------------


@transaction.atomic
def payment_allocate(*, actor: User, payment: Payment, invoice: Invoice, amount_minor: int) -> PaymentAllocation:
    """Put a payment's unallocated credit towards another open invoice of the same practitioner."""
    _require(actor, "licensing.manage_finance")
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    if invoice.practitioner_id != payment.practitioner_id or invoice.currency != payment.currency:
        raise ApplicationError(_("A payment can only go to the same practitioner's invoices, in its currency."))
    if invoice.status not in OPEN_INVOICE:
        raise ApplicationError(_("Invoice %(number)s is not open for payment.") % {"number": invoice.number})
    if not 0 < amount_minor <= min(payment_unallocated(payment=payment), invoice.balance_minor):
        raise ApplicationError(_("The amount must be more than zero and no more than the credit and the balance."))
    allocation = PaymentAllocation.objects.select_for_update().filter(payment=payment, invoice=invoice).first()
    if allocation is None:
        allocation = PaymentAllocation(payment=payment, invoice=invoice, amount_minor=amount_minor)
        _save(allocation, actor=actor, reason="credit allocated")
    else:
        allocation.amount_minor += amount_minor
        _save(allocation, actor=actor, reason="credit allocated", fields=["amount_minor"])
    before = {"status": invoice.status, "paid_minor": invoice.paid_minor}
    invoice.paid_minor += amount_minor
    invoice.status = InvoiceStatus.PAID if invoice.paid_minor >= invoice.total_minor else InvoiceStatus.PART_PAID
    _save(invoice, actor=actor, reason=f"credit from payment {payment.reference}", fields=["paid_minor", "status"])
    audit_record(
        actor=actor,
        action="invoice.payment_applied",
        obj=invoice,
        before=before,
        after={"status": invoice.status, "paid_minor": invoice.paid_minor, "payment": payment.reference},
    )
    if invoice.purpose == Invoice.Purpose.RENEWAL and invoice.period is not None and invoice.register_entry_id:
        _licence_issue_if_complete(entry=_lock_entry(invoice.register_entry_id), period=invoice.period, actor=actor)
    return allocation


def _adjustment_request(
    *, actor: User, kind: str, amount_minor: int, currency: str, reason: str, **target: Any
) -> FinanceAdjustment:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason."))
    adjustment = FinanceAdjustment(
        kind=kind, amount_minor=amount_minor, currency=currency, reason=reason, requested_by=actor, **target
    )
    _save(adjustment, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action=f"{kind.lower()}.requested",
        obj=adjustment,
        reason=reason,
        after={"amount_minor": amount_minor, "currency": currency, **{k: v.pk for k, v in target.items()}},
    )
    return adjustment


@transaction.atomic
def refund_request(*, actor: User, payment: Payment, amount_minor: int, reason: str) -> FinanceAdjustment:
    """Ask to refund part or all of a payment. Nothing moves until a second member of staff approves."""
    _require(actor, "licensing.manage_finance")
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    pending = payment.adjustments.filter(status=FinanceAdjustment.Status.REQUESTED).aggregate(
        total=Coalesce(Sum("amount_minor"), 0)
    )["total"]
    if not 0 < amount_minor <= payment.amount_minor - payment.refunded_minor - pending:
        raise ApplicationError(_("The refund must be more than zero and no more than what is left of the payment."))
    return _adjustment_request(
        actor=actor,
        kind=FinanceAdjustment.Kind.REFUND,
        amount_minor=amount_minor,
        currency=payment.currency,
        reason=reason,
        payment=payment,
    )


@transaction.atomic
def write_off_request(*, actor: User, invoice: Invoice, reason: str) -> FinanceAdjustment:
    """Ask to write off what is still owed on an invoice. A second member of staff must approve."""
    _require(actor, "licensing.manage_finance")
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    if invoice.status not in OPEN_INVOICE or invoice.balance_minor <= 0:
        raise ApplicationError(_("Invoice %(number)s has nothing owing to write off.") % {"number": invoice.number})
    if invoice.adjustments.filter(status=FinanceAdjustment.Status.REQUESTED).exists():
        raise ApplicationError(_("A write-off or void of this invoice is already awaiting approval."))
    return _adjustment_request(
        actor=actor,
        kind=FinanceAdjustment.Kind.WRITE_OFF,
        amount_minor=invoice.balance_minor,
        currency=invoice.currency,
        reason=reason,
        invoice=invoice,
    )


class SecondApproverRequired(ApplicationError):
    """The person deciding a refund or write-off is the one who asked for it."""


@transaction.atomic
def adjustment_decide(
    *, actor: User, adjustment: FinanceAdjustment, approve: bool, note: str = ""
) -> FinanceAdjustment:
    """Approve or reject a refund or write-off: only a different member of staff with approval rights."""
    _require(actor, "licensing.approve_finance")
    adjustment = FinanceAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if adjustment.requested_by_id == actor.pk:
        raise SecondApproverRequired(_("A second member of staff must approve this; you asked for it."))
    if adjustment.status != FinanceAdjustment.Status.REQUESTED:
        raise ApplicationError(_("This request has already been decided."))
    note = note.strip()
    if not approve and not note:
        raise ApplicationError(_("Give the reason for rejecting it."))
    if approve:
        {
            FinanceAdjustment.Kind.REFUND: _refund_carry_out,
            FinanceAdjustment.Kind.WRITE_OFF: _write_off_carry_out,
            FinanceAdjustment.Kind.VOID: _void_carry_out,
        }[FinanceAdjustment.Kind(adjustment.kind)](adjustment, actor=actor)
    adjustment.status = FinanceAdjustment.Status.APPROVED if approve else FinanceAdjustment.Status.REJECTED
    adjustment.decided_by = actor
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note
    _save(
        adjustment,
        actor=actor,
        reason=note or adjustment.reason,
        fields=["status", "decided_by", "decided_at", "decision_note", "provider_reference"],
    )
    audit_record(
        actor=actor,
        action=f"{adjustment.kind.lower()}.{'approved' if approve else 'rejected'}",
        obj=adjustment,
        reason=note or adjustment.reason,
        before={"status": FinanceAdjustment.Status.REQUESTED},
        after={"status": adjustment.status, "amount_minor": adjustment.amount_minor},
    )
    return adjustment


def _refund_carry_out(adjustment: FinanceAdjustment, *, actor: User) -> None:
    """Give the money back (through Stripe for card payments) and take it off the invoices it paid, newest first."""
    payment = Payment.objects.select_for_update().get(pk=int(adjustment.payment_id or 0))
    amount = adjustment.amount_minor
    if amount > payment.amount_minor - payment.refunded_minor:
        raise ApplicationError(_("The refund is more than what is left of the payment."))
    if payment.method == Payment.Method.CARD:
        # Idempotent by the request's id: if our commit fails after Stripe refunded, the retry refunds nothing more.
        refund = gateway.refund_create(
            payment_intent_id=payment.reference, amount_minor=amount, idempotency_key=f"refund-{adjustment.pk}"
        )
        adjustment.provider_reference = refund.id
    to_take = max(amount - payment_unallocated(payment=payment), 0)
    for allocation in payment.allocations.select_for_update().order_by("-id"):
        if to_take <= 0:
            break
        taken = min(allocation.amount_minor, to_take)
        to_take -= taken
        invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=allocation.invoice_id)
        before = {"status": invoice.status, "paid_minor": invoice.paid_minor}
        invoice.paid_minor -= taken
        if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.PART_PAID):
            invoice.status = InvoiceStatus.PART_PAID if invoice.paid_minor > 0 else InvoiceStatus.ISSUED
        _save(invoice, actor=actor, reason=f"refund of {payment.reference}", fields=["paid_minor", "status"])
        audit_record(
            actor=actor,
            action="invoice.refund_applied",
            obj=invoice,
            reason=adjustment.reason,
            before=before,
            after={"status": invoice.status, "paid_minor": invoice.paid_minor},
        )
        if taken == allocation.amount_minor:
            allocation._history_user = actor  # type: ignore[attr-defined]
            allocation.delete()
        else:
            allocation.amount_minor -= taken
            _save(allocation, actor=actor, reason="refund", fields=["amount_minor"])
    before_refunded = payment.refunded_minor
    payment.refunded_minor += amount
    _save(payment, actor=actor, reason=adjustment.reason, fields=["refunded_minor"])
    audit_record(
        actor=actor,
        action="payment.refunded",
        obj=payment,
        reason=adjustment.reason,
        before={"refunded_minor": before_refunded},
        after={"refunded_minor": payment.refunded_minor, "provider_reference": adjustment.provider_reference},
    )


def _write_off_carry_out(adjustment: FinanceAdjustment, *, actor: User) -> None:
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=int(adjustment.invoice_id or 0))
    if invoice.status not in OPEN_INVOICE:
        raise ApplicationError(_("Invoice %(number)s is no longer open.") % {"number": invoice.number})
    if invoice.balance_minor != adjustment.amount_minor:
        # A penalty or a payment since the request: approve only what was asked for, or ask again.
        raise ApplicationError(
            _(
                "What is owed on invoice %(number)s has changed since the write-off was asked for. "
                "Reject it and ask again."
            )
            % {"number": invoice.number}
        )
    before = {"status": invoice.status}
    invoice.status = InvoiceStatus.WRITTEN_OFF
    _save(invoice, actor=actor, reason=adjustment.reason, fields=["status"])
    audit_record(
        actor=actor,
        action="invoice.written_off",
        obj=invoice,
        reason=adjustment.reason,
        before=before,
        after={"status": invoice.status, "written_off_minor": invoice.balance_minor},
    )


def _invoice_void(invoice: Invoice, *, actor: User | None, reason: str) -> None:
    """Void an open invoice (the caller has locked it and checked who may)."""
    before = {"status": invoice.status}
    invoice.status = InvoiceStatus.VOID
    _save(invoice, actor=actor, reason=reason, fields=["status"])
    audit_record(
        actor=actor, action="invoice.voided", obj=invoice, reason=reason, before=before, after={"status": "VOID"}
    )


@transaction.atomic
def void_request(*, actor: User, invoice: Invoice, reason: str) -> FinanceAdjustment:
    """Ask to cancel an invoice raised in error (nothing paid). Cancelling a debt needs a second person too."""
    _require(actor, "licensing.manage_finance")
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    if invoice.status not in OPEN_INVOICE or invoice.paid_minor or invoice.total_minor <= 0:
        raise ApplicationError(_("Only an open invoice with nothing paid can be voided; refund or write off instead."))
    if invoice.adjustments.filter(status=FinanceAdjustment.Status.REQUESTED).exists():
        raise ApplicationError(_("A write-off or void of this invoice is already awaiting approval."))
    return _adjustment_request(
        actor=actor,
        kind=FinanceAdjustment.Kind.VOID,
        amount_minor=invoice.total_minor,
        currency=invoice.currency,
        reason=reason,
        invoice=invoice,
    )


def _void_carry_out(adjustment: FinanceAdjustment, *, actor: User) -> None:
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=int(adjustment.invoice_id or 0))
    if invoice.status not in OPEN_INVOICE or invoice.paid_minor:
        raise ApplicationError(
            _("Invoice %(number)s has been paid towards or closed since.") % {"number": invoice.number}
        )
    _invoice_void(invoice, actor=actor, reason=adjustment.reason)


# Restoration ------------------------------------------------------------------------------------


def restoration_arrears(*, entry: RegisterEntry) -> list[Invoice]:
    """The registrant's unpaid renewal invoices: what they still owe, besides the restoration invoice."""
    return list(
        Invoice.objects.filter(register_entry=entry, purpose=Invoice.Purpose.RENEWAL, status__in=OPEN_INVOICE).order_by(
            "issued_date", "pk"
        )
    )


@transaction.atomic
def restoration_apply(
    *, actor: User, entry: RegisterEntry, is_fit_to_practise: bool, statement: str
) -> RestorationApplication:
    """A lapsed registrant applies to be restored and is invoiced the restoration fee.

    What else they pay is the rules' to say: their arrears (unpaid renewal invoices stay where they are,
    owed once, and must be paid before approval, when restoration.arrears is "unpaid_renewals") and
    this year's annual fee when they were never billed for it (restoration.include_current_year_fee).
    """
    entry = _lock_entry(entry.pk)
    if entry.practitioner.user_id != actor.pk:
        raise ApplicationError(_("Only the registrant can apply to restore their registration."))
    if entry.status != RegisterEntry.Status.LAPSED:
        raise ApplicationError(_("Only a lapsed registration can be restored."))
    statement = statement.strip()
    if not statement:
        raise ApplicationError(_("Tell the council why your registration lapsed."))
    earlier = RestorationApplication.objects.filter(register_entry=entry).select_related("invoice")
    if earlier.filter(status=RestorationApplication.Status.SUBMITTED).exists():
        raise ApplicationError(_("You have already applied to restore this registration."))
    if earlier.filter(invoice__status__in=OPEN_INVOICE).exists():
        raise ApplicationError(
            _(
                "A payment towards your earlier application must first be refunded or moved by the council's "
                "finance staff."
            )
        )
    today = council_today()
    rule_set = ruleset_in_force(on_date=today)
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force today."))
    policy = rules.restoration_policy(rule_set=rule_set)
    category = entry.category.code
    lines = [
        InvoiceLine(
            fee_type=FeeType.RESTORATION,
            description="Restoration fee",
            amount_minor=rules.fee_amount(rule_set=rule_set, category_code=category, fee_type=FeeType.RESTORATION),
            rule_set=rule_set,
        )
    ]
    period = period_current(on_date=today)
    never_billed = (
        period is not None
        and not Invoice.objects.filter(register_entry=entry, period=period, purpose=Invoice.Purpose.RENEWAL).exists()
    )
    if policy.current_year_fee and period is not None and never_billed:
        lines.append(
            InvoiceLine(
                fee_type=FeeType.ANNUAL,
                description=f"Annual fee {period.year}",
                amount_minor=rules.fee_amount(rule_set=rule_set, category_code=category, fee_type=FeeType.ANNUAL),
                rule_set=rule_set,
            )
        )
    invoice = _invoice_create(
        actor=actor,
        practitioner=entry.practitioner,
        purpose=Invoice.Purpose.RESTORATION,
        lines=lines,
        currency=rules.currency(rule_set=rule_set, default="ZAR"),
        on_date=today,
        reason=f"restoration of {entry.registration_number}",
        register_entry=entry,
        period=period,
    )
    restoration = RestorationApplication(
        register_entry=entry,
        invoice=invoice,
        is_fit_to_practise=is_fit_to_practise,
        statement=statement,
        applied_by=actor,
    )
    _save(restoration, actor=actor, reason="restoration applied for")
    audit_record(
        actor=actor,
        action="restoration.applied",
        obj=restoration,
        after={
            "entry": entry.registration_number,
            "invoice": invoice.number,
            "fit_to_practise": is_fit_to_practise,
            "arrears": [unpaid.number for unpaid in restoration_arrears(entry=entry)],
        },
    )
    return restoration


def _invoice_create(
    *,
    actor: User | None,
    practitioner: Practitioner,
    purpose: str,
    lines: list[InvoiceLine],
    currency: str,
    on_date: dt.date,
    reason: str,
    register_entry: RegisterEntry | None = None,
    period: RenewalPeriod | None = None,
) -> Invoice:
    """One invoice, due on the day it is issued, with its lines and its audit event."""
    (number,) = _take_invoice_numbers(year=on_date.year, count=1)
    invoice = Invoice(
        number=number,
        practitioner=practitioner,
        register_entry=register_entry,
        period=period,
        purpose=purpose,
        currency=currency,
        total_minor=sum(line.amount_minor for line in lines),
        issued_date=on_date,
        due_date=on_date,
    )
    _save(invoice, actor=actor, reason=reason)
    for line in lines:
        line.invoice = invoice
        _save(line, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="invoice.issued",
        obj=invoice,
        reason=reason,
        after={"number": invoice.number, "total_minor": invoice.total_minor, "currency": invoice.currency},
    )
    return invoice


def fee_invoice_issue(
    *, actor: User | None, practitioner: Practitioner, category_code: str, fee_type: str, description: str, reason: str
) -> Invoice | None:
    """Invoice one fee from the rules in force today (the hook other modules bill through, e.g. exam bookings).

    A fee the rules set to zero raises no invoice; a fee they do not set at all is an error (RulesIncomplete).
    Runs inside the caller's transaction.
    """
    today = council_today()
    rule_set = ruleset_in_force(on_date=today)
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force today."))
    amount = rules.fee_amount(rule_set=rule_set, category_code=category_code, fee_type=fee_type)
    if amount == 0:
        return None
    purpose = Invoice.Purpose.EXAM if fee_type == FeeType.EXAM else Invoice.Purpose.OTHER
    line = InvoiceLine(fee_type=fee_type, description=description, amount_minor=amount, rule_set=rule_set)
    return _invoice_create(
        actor=actor,
        practitioner=practitioner,
        purpose=purpose,
        lines=[line],
        currency=rules.currency(rule_set=rule_set, default="ZAR"),
        on_date=today,
        reason=reason,
    )


def fine_invoice_issue(
    *, actor: User | None, entry: RegisterEntry, amount_minor: int, currency: str, description: str, reason: str
) -> Invoice:
    """Invoice a fine a hearing panel decided (the amount is the panel's, not the fee schedule's)."""
    if amount_minor <= 0:
        raise ApplicationError(_("A fine must be more than zero."))
    today = council_today()
    rule_set = ruleset_in_force(on_date=today)
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force today."))
    line = InvoiceLine(fee_type=FeeType.FINE, description=description, amount_minor=amount_minor, rule_set=rule_set)
    return _invoice_create(
        actor=actor,
        practitioner=entry.practitioner,
        register_entry=entry,
        purpose=Invoice.Purpose.FINE,
        lines=[line],
        currency=currency,
        on_date=today,
        reason=reason,
    )


def fine_invoice_cancel(*, invoice_id: int, actor: User | None, reason: str) -> bool:
    """Void a fine's invoice when an appeal quashes the fine, if nothing has been paid on it.

    A paid fine is left for finance to refund (refunds need a second member of staff). Returns whether it was voided.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.purpose != Invoice.Purpose.FINE or invoice.status != InvoiceStatus.ISSUED or invoice.paid_minor:
        return False
    _invoice_void(invoice, actor=actor, reason=reason)
    return True


def _conditions_before_lapse(entry: RegisterEntry) -> str:
    """The conditions the entry's latest lapse cleared (recorded in its audit event), if any."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            object_type=ContentType.objects.get_for_model(RegisterEntry),
            object_id=str(entry.pk),
            action="register_entry.status_changed",
            after__status=RegisterEntry.Status.LAPSED,
        )
        .order_by("-id")
        .first()
    )
    return str(event.before.get("conditions", "")) if event is not None else ""


@transaction.atomic
def restoration_decide(
    *, actor: User, restoration: RestorationApplication, approve: bool, reason: str
) -> RestorationApplication:
    """The registrar's decision.

    Approval needs the restoration invoice paid and, when the rules charge arrears, every unpaid renewal
    invoice too. It restores the entry (with the conditions it had before it lapsed) and issues this
    year's licence, so the next lapse run does not lapse it again. Refusal voids an unpaid restoration
    invoice and leaves the arrears owed as they were.
    """
    from registry.services import register_entry_change_status

    _require(actor, "registry.change_register_status")
    restoration = RestorationApplication.objects.select_for_update().select_related("invoice").get(pk=restoration.pk)
    if restoration.status != RestorationApplication.Status.SUBMITTED:
        raise ApplicationError(_("This application has already been decided."))
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the decision."))
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=restoration.invoice_id)
    if approve:
        _restore(restoration, invoice, actor=actor, reason=reason, change_status=register_entry_change_status)
    elif invoice.status in OPEN_INVOICE and invoice.paid_minor == 0:
        _invoice_void(invoice, actor=actor, reason=f"restoration refused: {reason}")
    before = {"status": restoration.status}
    restoration.status = RestorationApplication.Status.APPROVED if approve else RestorationApplication.Status.REFUSED
    restoration.decided_by = actor
    restoration.decided_at = timezone.now()
    restoration.decision_reason = reason
    _save(restoration, actor=actor, reason=reason, fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        action=f"restoration.{'approved' if approve else 'refused'}",
        obj=restoration,
        reason=reason,
        before=before,
        after={"status": restoration.status},
    )
    user = restoration.register_entry.practitioner.user
    if user is not None:
        notification_queue(
            recipient=user, kind="restoration_decided", context={"restoration": restoration, "reason": reason}
        )
    return restoration


def _restore(
    restoration: RestorationApplication, invoice: Invoice, *, actor: User, reason: str, change_status: Any
) -> None:
    if invoice.status != InvoiceStatus.PAID:
        raise ApplicationError(_("The restoration invoice must be paid before the registration is restored."))
    entry = restoration.register_entry
    rule_set = ruleset_in_force(on_date=council_today())
    charges_arrears = rule_set is None or rules.restoration_policy(rule_set=rule_set).arrears_of_unpaid_renewals
    unpaid = restoration_arrears(entry=entry)
    if charges_arrears and unpaid:
        raise ApplicationError(
            _("The arrears must be paid first: %(numbers)s.") % {"numbers": ", ".join(i.number for i in unpaid)}
        )
    conditions = _conditions_before_lapse(entry)
    entry = change_status(actor=actor, entry=entry, status=RegisterEntry.Status.REGISTERED, reason=reason)
    if conditions:
        entry = change_status(
            actor=actor,
            entry=entry,
            status=RegisterEntry.Status.REGISTERED_WITH_CONDITIONS,
            reason=_("The conditions in force before the registration lapsed apply again."),
            conditions=conditions,
        )
    period = period_current(on_date=council_today())
    if period is not None and not Licence.objects.filter(register_entry=entry, period=period).exists():
        # This year is paid for: by the renewal invoice, by the restoration invoice's annual line, or by the
        # restoration fee alone where the rules charge no year's fee on restoration.
        _licence_create(entry=_lock_entry(entry.pk), period=period, actor=actor)


# Reminders and the at-risk queue ----------------------------------------------------------------


def _reminders_send(
    *, period: RenewalPeriod, on_date: dt.date, kind: str, entries: list[Any], days_before: int, actor: User | None
) -> int:
    """Log and send one reminder per entry (skipping any already logged), with each entry's dates in force now."""
    already = set(
        RenewalReminder.objects.filter(
            period=period, kind=kind, days_before=days_before, register_entry_id__in=[entry.pk for entry in entries]
        ).values_list("register_entry_id", flat=True)
    )
    # Only people with an account can be emailed; the log and the audit say only what was really sent.
    entries = [entry for entry in entries if entry.pk not in already and entry.practitioner.user_id is not None]
    if not entries:
        return 0
    RenewalReminder.objects.bulk_create(
        [
            RenewalReminder(register_entry=entry, period=period, kind=kind, days_before=days_before, sent_on=on_date)
            for entry in entries
        ],
        batch_size=1000,
    )
    audit_record_many(
        actor=actor,
        action="renewal.reminder_sent",
        reason=f"{kind.lower()} reminder, {days_before} days before",
        items=[
            AuditItem(
                entry, after={"kind": kind, "days_before": days_before, "due": entry.due_on, "lapse": entry.lapse_on}
            )
            for entry in entries
        ],
    )
    notification_queue_many(
        kind="renewal_at_risk" if kind == RenewalReminder.Kind.AT_RISK else "renewal_reminder",
        items=[
            (
                entry.practitioner.user,
                {
                    "entry": entry,
                    "period": period,
                    "due_on": entry.due_on,
                    "penalty_on": entry.penalty_on,
                    "lapse_on": entry.lapse_on,
                    "steps": steps_of(entry, period),
                },
            )
            for entry in entries
            if entry.practitioner.user is not None
        ],
    )
    return len(entries)


def renewal_reminders_send(*, period: RenewalPeriod, on_date: dt.date, chunk_size: int = DEFAULT_CHUNK) -> int:
    """Send the rules' reminders (e.g. 60, 30 and 7 days before the due date), each once, to everyone not yet
    renewed; with an extension the offsets count from the extended date. A missed day catches up with the
    latest reminder due, not a burst of all of them. Then each at-risk registrant's own reminder before lapse."""
    sent = 0
    offsets = rules.reminder_offsets(rule_set=period.rule_set)
    windows = list(zip(offsets, [*offsets[1:], 0], strict=True))
    candidates = renewal_candidates(period=period)
    for days, next_days in windows:
        due_window = candidates.filter(
            due_on__lte=on_date + dt.timedelta(days=days), due_on__gt=on_date + dt.timedelta(days=next_days)
        ).exclude(
            Exists(
                RenewalReminder.objects.filter(
                    register_entry=OuterRef("pk"), period=period, kind=RenewalReminder.Kind.DUE, days_before__lte=days
                )
            )
        )
        sent += _send_in_chunks(due_window, period, on_date, RenewalReminder.Kind.DUE, days, chunk_size)
    risk_offsets = rules.at_risk_reminder_offsets(rule_set=period.rule_set)
    for days, next_days in zip(risk_offsets, [*risk_offsets[1:], 0], strict=True):
        window = candidates.filter(
            lapse_on__lte=on_date + dt.timedelta(days=days), lapse_on__gt=on_date + dt.timedelta(days=next_days)
        ).filter(Q(declared=True) | Q(fee_paid=True))
        at_risk = [entry for entry in window if sum(steps_of(entry, period).values()) == 2]
        with transaction.atomic():  # the log rows, their audit events and their outbox rows together
            sent += _reminders_send(
                period=period,
                on_date=on_date,
                kind=RenewalReminder.Kind.AT_RISK,
                entries=at_risk,
                days_before=days,
                actor=None,
            )
    return sent


def _send_in_chunks(
    queryset: Any, period: RenewalPeriod, on_date: dt.date, kind: str, days: int, chunk_size: int
) -> int:
    sent = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            chunk = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
            if not chunk:
                return sent
            last_pk = chunk[-1].pk
            sent += _reminders_send(
                period=period, on_date=on_date, kind=kind, entries=chunk, days_before=days, actor=None
            )


@transaction.atomic
def at_risk_remind(*, actor: User, entry: RegisterEntry, period: RenewalPeriod) -> int:
    """Staff send an at-risk registrant their reminder now, from the at-risk queue (once a day at most)."""
    _require(actor, "registry.view_register_record")
    found = renewal_candidates(period=period).filter(pk=entry.pk).first()
    if found is None or sum(steps_of(found, period).values()) != 2:
        raise ApplicationError(_("This registrant is not at risk for %(year)s.") % {"year": period.year})
    if found.practitioner.user_id is None:
        raise ApplicationError(
            _("%(number)s has no account to send a reminder to. Contact them another way.")
            % {"number": found.registration_number}
        )
    today = council_today()
    days = (found.lapse_on - today).days
    sent = _reminders_send(
        period=period, on_date=today, kind=RenewalReminder.Kind.AT_RISK, entries=[found], days_before=days, actor=actor
    )
    if not sent:
        raise ApplicationError(_("A reminder with these dates has already been sent."))
    return sent


def renewal_reminders_daily_run(*, on_date: dt.date | None = None) -> int:
    """What beat runs each morning after the renewal run: every open period's reminders, on the council's day."""
    today = on_date or council_today()
    return sum(
        renewal_reminders_send(period=period, on_date=today)
        for period in RenewalPeriod.objects.filter(
            opens_date__lte=today, lapse_date__gte=today - dt.timedelta(days=366)
        )
        .select_related("rule_set")
        .order_by("year")
        if today <= period.valid_to_date
    )


def stripe_events_sweep(*, older_than_seconds: int = 300) -> int:
    """Process stored events whose task never ran (the broker was down when they arrived)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    ids = list(
        StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for stripe_event_id in ids:
        try:
            stripe_event_process(stripe_event_id=stripe_event_id)
        except Exception:
            # One bad event must not hold up the ones behind it; it stays RECEIVED and is logged each time.
            logger.exception("Stripe event %s could not be processed", stripe_event_id)
    return len(ids)
