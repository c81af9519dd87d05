"""The renewal batch jobs at scale, each against the same change in plain SQL, in the same run.

For each N (10,000 and 100,000 by default; BENCH_RENEWAL_SIZES=10000 for a quick run) on a fresh
database:

1. one process builds a register of N registrants with COPY (bench.run.ensure_data) and opens the
   2027 renewal period;
2. then, for each job in turn (renewal invoicing, late penalties, lapse), a fresh process runs the
   plain-SQL version (rows and their history rows) in a transaction it rolls back, then the
   application's job (rows, history rows, audit events), which it keeps for the next job.

Before the penalty and lapse runs, the process runs ANALYZE (not timed, before both versions), as
autovacuum would have long before those jobs come in production, months after invoicing. (Before
invoicing, the invoice tables are left never analysed, as on a new install: analysed while empty,
they lead the planner to re-read the growing invoice table for each row of the plain statement.)
The plain SQL is timed twice over: the statement alone (the yardstick this bench first
used), and the statement plus the deferred foreign-key checks its commit would run (SET CONSTRAINTS
ALL IMMEDIATE before the rollback). A rolled-back statement never runs those checks; the job, which
commits, always does, so the second figure is the same change as the job's.

Each job's process reports both times, the ratio, and memory: the resident set when the job starts
and its peak while the job runs (sampled from /proc every 5 ms), so data generation never counts.
The acceptance target: under 60 s and within 3x of plain SQL at 100,000, and a job's memory growth
that does not grow with N.

Bench registrants have no user accounts, so no notifications are rendered here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import threading
import time
from types import TracebackType
from typing import Any

SIZES = [int(size) for size in os.environ.get("BENCH_RENEWAL_SIZES", "10000,100000").split(",")]
DATABASE = "council_registry_bench_renewal"
JOBS = ("invoicing", "penalties", "lapse")
TARGET_SECONDS = 60
TARGET_RATIO = 3
INVOICING_DAY = dt.date(2026, 11, 2)
PENALTY_DAY = dt.date(2027, 4, 1)
LAPSE_DAY = dt.date(2027, 7, 1)

PLAIN_INVOICING = """
WITH billed AS (
    INSERT INTO licensing_invoice (created_at, updated_at, number, practitioner_id, register_entry_id, period_id,
                                   purpose, status, currency, total_minor, paid_minor, issued_date, due_date)
    SELECT now(), now(), 'SQL-' || e.id, e.practitioner_id, e.id, %(period)s, 'RENEWAL', 'ISSUED', 'ZAR', 52000, 0,
           %(today)s, %(due)s
    FROM registry_registerentry e
    WHERE e.status IN ('REGISTERED', 'REGISTERED_WITH_CONDITIONS') AND e.registered_date < %(valid_from)s
      AND NOT EXISTS (SELECT 1 FROM licensing_invoice i WHERE i.register_entry_id = e.id AND i.period_id = %(period)s
                      AND i.purpose = 'RENEWAL')
    RETURNING *
), lines AS (
    INSERT INTO licensing_invoiceline (created_at, updated_at, invoice_id, fee_type, description, amount_minor, rule_set_id)
    SELECT now(), now(), b.id, 'annual', 'Annual fee', b.total_minor, %(rule_set)s FROM billed b
    RETURNING *
), line_history AS (
    INSERT INTO licensing_historicalinvoiceline (id, created_at, updated_at, fee_type, description, amount_minor,
        history_date, history_change_reason, history_type, invoice_id, rule_set_id, exemption_id)
    SELECT l.id, l.created_at, l.updated_at, l.fee_type, l.description, l.amount_minor, now(), 'sql', '+',
           l.invoice_id, l.rule_set_id, NULL FROM lines l
)
INSERT INTO licensing_historicalinvoice (id, created_at, updated_at, number, purpose, status, currency, total_minor,
    paid_minor, issued_date, due_date, history_date, history_change_reason, history_type, practitioner_id,
    register_entry_id, period_id)
SELECT b.id, b.created_at, b.updated_at, b.number, b.purpose, b.status, b.currency, b.total_minor, b.paid_minor,
       b.issued_date, b.due_date, now(), 'sql', '+', b.practitioner_id, b.register_entry_id, b.period_id FROM billed b
"""

PLAIN_PENALTIES = """
WITH due AS (
    SELECT i.id FROM licensing_invoice i
    LEFT JOIN licensing_renewalextension x ON x.register_entry_id = i.register_entry_id AND x.period_id = i.period_id
    WHERE i.period_id = %(period)s AND i.purpose = 'RENEWAL' AND i.status IN ('ISSUED', 'PART_PAID')
      AND COALESCE(x.penalty_from_date, %(penalty_from)s) <= %(today)s
      AND i.issued_date < COALESCE(x.penalty_from_date, %(penalty_from)s)
      AND NOT EXISTS (SELECT 1 FROM licensing_invoiceline l WHERE l.invoice_id = i.id AND l.fee_type = 'late_penalty')
    FOR UPDATE OF i
), lines AS (
    INSERT INTO licensing_invoiceline (created_at, updated_at, invoice_id, fee_type, description, amount_minor, rule_set_id)
    SELECT now(), now(), d.id, 'late_penalty', 'Late payment penalty', 46500, %(rule_set)s FROM due d
    RETURNING *
), line_history AS (
    INSERT INTO licensing_historicalinvoiceline (id, created_at, updated_at, fee_type, description, amount_minor,
        history_date, history_change_reason, history_type, invoice_id, rule_set_id, exemption_id)
    SELECT l.id, l.created_at, l.updated_at, l.fee_type, l.description, l.amount_minor, now(), 'sql', '+',
           l.invoice_id, l.rule_set_id, NULL FROM lines l
), penalised AS (
    UPDATE licensing_invoice i SET total_minor = i.total_minor + l.amount_minor, updated_at = now()
    FROM lines l WHERE l.invoice_id = i.id
    RETURNING i.*
)
INSERT INTO licensing_historicalinvoice (id, created_at, updated_at, number, purpose, status, currency, total_minor,
    paid_minor, issued_date, due_date, history_date, history_change_reason, history_type, practitioner_id,
    register_entry_id, period_id)
SELECT p.id, p.created_at, p.updated_at, p.number, p.purpose, p.status, p.currency, p.total_minor, p.paid_minor,
       p.issued_date, p.due_date, now(), 'sql', '~', p.practitioner_id, p.register_entry_id, p.period_id FROM penalised p
"""

PLAIN_LAPSE = """
WITH lapsed AS (
    UPDATE registry_registerentry e SET status = 'LAPSED', conditions = '', status_changed_at = now(), updated_at = now()
    WHERE e.status IN ('REGISTERED', 'REGISTERED_WITH_CONDITIONS') AND e.registered_date < %(valid_from)s
      AND NOT EXISTS (SELECT 1 FROM licensing_licence l WHERE l.register_entry_id = e.id AND l.period_id = %(period)s)
    RETURNING e.*
)
INSERT INTO registry_historicalregisterentry (id, created_at, updated_at, registration_number, status,
    registered_date, conditions, status_changed_at, history_date, history_change_reason, history_type,
    application_id, practitioner_id, category_id)
SELECT id, created_at, updated_at, registration_number, status, registered_date, conditions, status_changed_at,
       now(), 'sql', '~', application_id, practitioner_id, category_id FROM lapsed
"""


def _mib(pages_or_kib: float, *, unit: int) -> float:
    return pages_or_kib * unit / (1024 * 1024)


def _rss_mib() -> float:
    """The process's resident set now (Linux /proc), or its lifetime peak where /proc is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return _mib(int(statm.read().split()[1]), unit=os.sysconf("SC_PAGE_SIZE"))
    except OSError:
        return _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, unit=1024)


class PeakMemory:
    """The resident set at the start of a block and its peak during it, sampled every few milliseconds."""

    def __init__(self, interval_seconds: float = 0.005) -> None:
        self.interval_seconds = interval_seconds
        self.start_mib = self.peak_mib = 0.0
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(self.interval_seconds):
            self.peak_mib = max(self.peak_mib, _rss_mib())

    def __enter__(self) -> PeakMemory:
        self.start_mib = self.peak_mib = _rss_mib()
        self._sampler.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._done.set()
        self._sampler.join()
        self.peak_mib = max(self.peak_mib, _rss_mib())


def _django() -> None:
    os.environ["BENCH_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    from bench import run  # noqa: F401 - sets up Django against the bench database


def prepare(size: int) -> None:
    """Generate the register and open the 2027 period (a process of its own, so it never counts as a job's memory)."""
    _django()
    from bench import run
    from core.models import RuleSet
    from licensing import services
    from registry.models import RegisterEntry

    run.ensure_data(size)
    RegisterEntry.objects.filter(registered_date__gte=dt.date(2027, 1, 1)).update(registered_date=dt.date(2020, 1, 1))
    rule_set, _ = RuleSet.objects.get_or_create(version=1, defaults={"effective_date": dt.date(2026, 1, 1)})
    rule_set.rules = {
        "currency": "ZAR",
        "fees": {"social-worker": {"annual": 52000, "late_penalty": 46500}},
        "renewal": {
            "annual_fee_due": {"month": 1, "day": 1},
            "late_penalty_after": {"month": 3, "day": 31},
            "lapse_on": {"month": 7, "day": 1},
        },
    }
    rule_set.save()
    services.renewal_period_open(actor=None, year=2027)


def measure(job: str, size: int) -> dict[str, float | str]:
    """Time one job against its plain SQL in this (fresh) process, with the job's memory."""
    _django()
    from django.db import connection, transaction

    from core.models import AuditEvent
    from licensing import services
    from licensing.models import Invoice, InvoiceLine, RenewalPeriod
    from registry.models import RegisterEntry

    period = RenewalPeriod.objects.select_related("rule_set").get(year=2027)
    plain_sql, day, app_job, history = {
        "invoicing": (
            PLAIN_INVOICING,
            INVOICING_DAY,
            services.renewal_invoices_issue,
            lambda: Invoice.history.filter(history_type="+").count() + InvoiceLine.history.count(),
        ),
        "penalties": (
            PLAIN_PENALTIES,
            PENALTY_DAY,
            services.late_penalties_apply,
            lambda: (
                Invoice.history.filter(history_type="~").count()
                + InvoiceLine.history.filter(fee_type="late_penalty").count()
            ),
        ),
        "lapse": (
            PLAIN_LAPSE,
            LAPSE_DAY,
            services.lapse_run,
            lambda: RegisterEntry.history.filter(status="LAPSED").count(),
        ),
    }[job]
    params = {
        "period": period.pk,
        "today": day,
        "due": period.due_date,
        "valid_from": period.valid_from_date,
        "penalty_from": period.penalty_from_date,
        "rule_set": period.rule_set_id,
    }
    if job != "invoicing":
        # Statistics of the invoices the previous job wrote, as autovacuum will have gathered long
        # before the penalty and lapse runs come in production (months after invoicing); without them
        # the planner plans for the empty invoice table of a minute ago. Not timed; the same for both.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(plain_sql, params)
            sql_rows = cursor.rowcount
            statement_seconds = time.perf_counter() - started
            # The deferred foreign-key checks a commit would run (the job's time includes its commits).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        sql_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    events_before = AuditEvent.objects.count()
    with PeakMemory() as memory:
        started = time.perf_counter()
        rows = app_job(period=period, on_date=day)
        app_seconds = time.perf_counter() - started
    return {
        "size": size,
        "job": job,
        "rows": rows,
        "sql_rows": sql_rows,
        "app_s": app_seconds,
        "sql_s": sql_seconds,
        "statement_s": statement_seconds,
        "history_rows": history(),
        "audit_events": AuditEvent.objects.count() - events_before,
        "start_mib": memory.start_mib,
        "peak_mib": memory.peak_mib,
        "process_peak_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, unit=1024),
    }


def _python(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "bench.renewal", *args], check=True, capture_output=True, text=True
    ).stdout


def _meets(app_seconds: float, sql_seconds: float) -> str:
    return "meets" if app_seconds < TARGET_SECONDS and app_seconds / sql_seconds <= TARGET_RATIO else "MISSES"


def _report(rows: list[dict[str, Any]]) -> None:
    out = sys.stdout
    out.write(
        "\nRenewal batch jobs on PostgreSQL, each against the same change in plain SQL in the same run.\n"
        "app: the job, chunk by chunk, committed (rows + history rows + audit events).\n"
        "SQL: one plain statement (rows + history rows) and the foreign-key checks its commit would run,\n"
        "     then rolled back; 'stmt' is the statement alone, without those checks.\n"
        "Memory: the job's process when the job starts, its peak during the job, and the difference.\n\n"
    )
    out.write(
        f"{'N':>8} {'job':10} {'rows':>7} {'app s':>7} {'SQL s':>7} {'ratio':>6} {'stmt s':>7} {'ratio':>6} "
        f"{'MiB at start':>12} {'peak MiB':>9} {'job +MiB':>9}\n"
    )
    for row in rows:
        app, sql, statement = row["app_s"], row["sql_s"], row["statement_s"]
        out.write(
            f"{int(row['size']):>8} {row['job']:10} {int(row['rows']):>7} {app:7.2f} {sql:7.2f} {app / sql:6.2f} "
            f"{statement:7.2f} {app / statement:6.2f} {row['start_mib']:12.0f} {row['peak_mib']:9.0f} "
            f"{row['peak_mib'] - row['start_mib']:9.1f}\n"
        )
    out.write("\nRows written by the application (each job's rows = its plain SQL's rows; history; audit events):\n")
    for row in rows:
        out.write(
            f"  N={int(row['size'])} {row['job']}: {int(row['rows'])} changed (plain SQL {int(row['sql_rows'])}), "
            f"{int(row['history_rows'])} history rows, {int(row['audit_events'])} audit events\n"
        )
    largest = max(int(row["size"]) for row in rows)
    at_largest = [row for row in rows if int(row["size"]) == largest]
    out.write(
        f"\nTarget at N={largest}, < {TARGET_SECONDS} s and <= {TARGET_RATIO}x plain SQL: "
        + ", ".join(f"{row['job']} {_meets(row['app_s'], row['sql_s'])}" for row in at_largest)
        + "; against the statement alone: "
        + ", ".join(f"{row['job']} {_meets(row['app_s'], row['statement_s'])}" for row in at_largest)
        + "\n"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "prepare":
        prepare(int(sys.argv[2]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "measure":
        sys.stdout.write(json.dumps(measure(sys.argv[2], int(sys.argv[3]))) + "\n")
        return
    rows = []
    for size in SIZES:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
        _python("prepare", str(size))
        rows.extend(json.loads(_python("measure", job, str(size)).strip().splitlines()[-1]) for job in JOBS)
    _report(rows)


if __name__ == "__main__":
    main()
