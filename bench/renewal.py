"""Renewal invoicing and the lapse run at scale, each against the same change in plain SQL, in one run.

For each N (10,000 and 100,000 by default) a fresh process builds a register of N practising
registrants with COPY, then, for each job: runs the plain-SQL version (rows and their history rows)
inside a transaction and rolls it back, then runs the application's job (rows, history rows, audit
events), and reports both times, the ratio and the process's peak memory.

Bench registrants have no user accounts, so no notifications are rendered here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time

SIZES = [int(size) for size in os.environ.get("BENCH_RENEWAL_SIZES", "10000,100000").split(",")]

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


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int) -> dict[str, float]:
    os.environ["BENCH_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/council_registry_bench_renewal"
    from django.db import connection, transaction

    from bench import run  # sets up Django against the bench database
    from core.models import RuleSet
    from licensing import services
    from licensing.models import Invoice
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
    period = services.renewal_period_open(actor=None, year=2027)
    params = {
        "period": period.pk,
        "today": dt.date(2026, 11, 2),
        "due": period.due_date,
        "valid_from": period.valid_from_date,
        "rule_set": rule_set.pk,
    }
    results: dict[str, float] = {"size": size}

    def plain(sql: str) -> float:
        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed

    results["invoicing_sql_s"] = plain(PLAIN_INVOICING)
    started = time.perf_counter()
    billed = services.renewal_invoices_issue(period=period, on_date=dt.date(2026, 11, 2))
    results["invoicing_app_s"] = time.perf_counter() - started
    results["invoicing_rows"] = billed
    results["invoice_history_rows"] = Invoice.history.count()
    results["lapse_sql_s"] = plain(PLAIN_LAPSE)
    started = time.perf_counter()
    results["lapse_rows"] = services.lapse_run(period=period, on_date=dt.date(2027, 7, 1))
    results["lapse_app_s"] = time.perf_counter() - started
    results["lapse_history_rows"] = RegisterEntry.history.filter(status="LAPSED").count()
    results["peak_mib"] = _peak_mib()
    return results


def main() -> None:
    if len(sys.argv) > 1:
        sys.stdout.write(json.dumps(measure(int(sys.argv[1]))) + "\n")
        return
    rows = []
    for size in SIZES:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "council_registry_bench_renewal"], check=True
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "council_registry_bench_renewal"], check=True)
        output = subprocess.run(
            [sys.executable, "-m", "bench.renewal", str(size)], check=True, capture_output=True, text=True
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    out = sys.stdout
    out.write(
        "\nRenewal batch jobs on PostgreSQL (application: rows + history rows + audit events;"
        " plain SQL: rows + history rows)\n\n"
    )
    out.write(f"{'N':>8} {'job':10} {'rows':>8} {'app s':>8} {'SQL s':>8} {'ratio':>6} {'peak MiB':>9}\n")
    for row in rows:
        for job in ("invoicing", "lapse"):
            app, sql = row[f"{job}_app_s"], row[f"{job}_sql_s"]
            out.write(
                f"{int(row['size']):>8} {job:10} {int(row[f'{job}_rows']):>8} {app:8.2f} {sql:8.2f} "
                f"{app / sql:6.2f} {row['peak_mib']:9.0f}\n"
            )
    out.write(
        "\nHistory rows written by the application: "
        + ", ".join(
            f"N={int(r['size'])}: {int(r['invoice_history_rows'])} invoice, {int(r['lapse_history_rows'])} lapse"
            for r in rows
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
