"""CPD compliance and the CPD audit draw at national scale, each against plain SQL doing the same work, in one run.

On its own PostgreSQL database (council_registry_bench_cpd, created by scripts/bench.sh):

1. the data is made once with COPY and kept: BENCH_CPD_PRACTITIONERS (100,000) practitioners, each with a
   REGISTERED social-worker register entry (97% registered on 2020-01-01; 3% between February and May
   2027, so pro rata applies to them and the audit leaves them out), 1% with a 50% exemption for 2027,
   and BENCH_CPD_ACTIVITIES (1,000,000) activities over the 2026 and 2027 cycles (half each, the 2027 ones
   before the day measured, so 2026's surplus carries forward): courses, readings (capped per cycle) and
   supervision, ~15% of them ethics, 0.5 to 12 points (some above the per-activity cap). Rule version 1
   (from 2020-01-01) holds the CPD rules: 20 points, 3 of ethics, caps of 10 per activity and 5 for
   reading, up to 5 points carried forward, pro rata; an audit of 5%. Then ANALYZE;
2. each operation is timed in a transaction that is rolled back, alternating the application and the
   plain SQL, each followed (inside the timing) by SET CONSTRAINTS ALL IMMEDIATE: the deferred
   foreign-key checks a commit would run, which a rolled-back transaction skips. After each run the
   tables written are vacuumed (not timed), so no run pays for the dead rows of the one before:

   - compliance, first run (no compliance rows yet), on 2027-06-01 for the 2027 cycle:
     app: services.compliance_run (the set-based upsert of cpd.compliance: every entry's row, a history
     row each, then one audit event each, hashed in Python and copied in);
     plain: one hand-written INSERT ... SELECT computing the same figures (caps, ethics, carry-forward,
     pro rata, exemption), writing the rows and a history row each, no audit events (as in
     bench/renewal.py). Median of BENCH_CPD_COMPLIANCE_RUNS (3) runs. Both must agree: the count of MET
     rows, and, inside the application's transaction (not timed), every row's status and figures
     against the plain SELECT's;
   - compliance, read only (the figures computed, nothing written): the application's SELECT
     (cpd.compliance.compliance_select) against the plain SELECT, both counting rows per status.
     Median of 3 runs;
   - the audit draw: services.audit_draw by a CPD officer (population read into Python, shuffled with
     the published seed, the draw row, one audit row and history row each, audit events) against one
     plain statement drawing the same number of the same population, ordered by md5(seed ||
     registration number), with the draw row, the audit rows and their history rows. Median of 3 runs.

The acceptance target: the compliance run and the audit draw within 3x of plain SQL.
Bench practitioners have no user accounts, so the audit draw queues no notifications.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/council_registry_bench_cpd")
django.setup()

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from bench.run import copy_in
from core.models import Council, RuleSet, User
from core.roles import Role
from cpd import compliance, rules, services
from cpd.models import ActivityType, Audit, Compliance
from registry.models import RegisterCategory, RegisterEntry, RegistrationNumberCounter
from registry.numbers import format_registration_number

PRACTITIONERS = int(os.environ.get("BENCH_CPD_PRACTITIONERS", "100000"))
ACTIVITIES = int(os.environ.get("BENCH_CPD_ACTIVITIES", "1000000"))
COMPLIANCE_RUNS = int(os.environ.get("BENCH_CPD_COMPLIANCE_RUNS", "3"))
REPEATS = 3
TARGET_RATIO = 3
CYCLE = 2027
ON_DATE = dt.date(2027, 6, 1)
SEED = "bench-seed"
OFFICER_EMAIL = "cpd-officer@bench.example"
CPD_RULES = {
    "cycle_years": 1,
    "unit": "points",
    "points_per_cycle": {"social-worker": 20},
    "required_subtypes": {"ethics": {"social-worker": 3}},
    "caps": {"per_activity": 10, "reading": 5},
    "carry_forward_max_points": 5,
    "pro_rata": True,
}
CPD_AUDIT_RULES = {
    "sample_rate_percent": 5,
    "evidence_due_days": 30,
    "reminder_days_before_due": [14, 3],
    "exclude_registered_less_than_a_cycle": True,
    "stratify_by_category": False,
    "non_compliance": "referral",
}
ACTIVITY_TYPES = [("course", "Course", False), ("reading", "Reading", True), ("supervision", "Supervision", False)]
WRITTEN_TABLES = (
    "cpd_compliance",
    "cpd_historicalcompliance",
    "cpd_auditdraw",
    "cpd_historicalauditdraw",
    "cpd_audit",
    "cpd_historicalaudit",
    "core_auditevent",
)

# The compliance figures by hand: per person and cycle, each activity capped, each type capped, ethics summed.
PLAIN_FIGURES = """
WITH per_type AS (
    SELECT a.practitioner_id, a.activity_date >= %(start)s AS current, a.activity_type_id,
           SUM(LEAST(a.points, %(per_activity)s)) AS points,
           SUM(LEAST(a.points, %(per_activity)s)) FILTER (WHERE a.subtype = 'ethics') AS ethics
    FROM cpd_activity a
    WHERE a.activity_date BETWEEN %(previous_start)s AND %(end)s
    GROUP BY a.practitioner_id, current, a.activity_type_id
), per_person AS (
    SELECT practitioner_id,
           SUM(capped) FILTER (WHERE current) AS earned,
           SUM(ethics) FILTER (WHERE current) AS ethics,
           SUM(capped) FILTER (WHERE NOT current) AS previous
    FROM (SELECT t.*, CASE WHEN t.activity_type_id = %(reading)s THEN LEAST(t.points, %(reading_cap)s)
                           ELSE t.points END AS capped
          FROM per_type t) t
    GROUP BY practitioner_id
), shares AS (
    SELECT e.id AS register_entry_id, e.practitioner_id,
           CASE WHEN e.registered_date > %(start)s
                THEN (13 - EXTRACT(MONTH FROM e.registered_date)) * 1.0 / 12 ELSE 1 END
           * (100 - COALESCE(x.reduction_percent, 0)) / 100.0 AS share
    FROM registry_registerentry e
    LEFT JOIN cpd_exemption x ON x.practitioner_id = e.practitioner_id AND x.cycle_start_year = %(cycle)s
    WHERE e.category_id = %(category)s AND e.status IN ('REGISTERED', 'REGISTERED_WITH_CONDITIONS')
      AND e.registered_date <= %(end)s
), figures AS (
    SELECT s.register_entry_id,
           ROUND(%(points)s * s.share, 2) AS required,
           COALESCE(p.earned, 0) AS earned,
           LEAST(GREATEST(COALESCE(p.previous, 0) - %(points)s, 0), %(carry_max)s) AS carried_forward,
           COALESCE(p.ethics, 0) AS ethics,
           ROUND(%(ethics)s * s.share, 2) AS ethics_required
    FROM shares s LEFT JOIN per_person p ON p.practitioner_id = s.practitioner_id
), plain AS (
    SELECT register_entry_id, required, earned, carried_forward,
           jsonb_build_object('ethics', jsonb_build_array(ethics, ethics_required)) AS subtypes,
           CASE WHEN earned + carried_forward >= required AND ethics >= ethics_required THEN 'MET'
                ELSE 'AT_RISK' END AS status
    FROM figures
)
"""

PLAIN_COMPLIANCE_WRITE = (
    PLAIN_FIGURES
    + """, written AS (
    INSERT INTO cpd_compliance (created_at, updated_at, register_entry_id, cycle_start_year, status, required,
                                earned, carried_forward, subtypes, rule_set_id, computed_at)
    SELECT now(), now(), register_entry_id, %(cycle)s, status, required, earned, carried_forward, subtypes,
           %(rule_set)s, now()
    FROM plain
    RETURNING *
)
INSERT INTO cpd_historicalcompliance (id, created_at, updated_at, cycle_start_year, status, required, earned,
    carried_forward, subtypes, computed_at, history_date, history_change_reason, history_type, history_user_id,
    register_entry_id, rule_set_id)
SELECT id, created_at, updated_at, cycle_start_year, status, required, earned, carried_forward, subtypes,
       computed_at, now(), 'sql', '+', NULL, register_entry_id, rule_set_id
FROM written
"""
)

PLAIN_COMPLIANCE_READ = PLAIN_FIGURES + "SELECT status, count(*) FROM plain GROUP BY status"

# Rows of the application's compliance (in this transaction) that differ from the plain figures.
COMPLIANCE_DIFFERENCES = (
    PLAIN_FIGURES
    + """
SELECT p.register_entry_id, p.status, c.status, p.required, c.required, p.earned, c.earned,
       p.carried_forward, c.carried_forward, p.subtypes, c.subtypes
FROM plain p FULL JOIN (SELECT * FROM cpd_compliance WHERE cycle_start_year = %(cycle)s) c
    ON c.register_entry_id = p.register_entry_id
WHERE c.id IS NULL OR p.register_entry_id IS NULL OR p.status <> c.status OR p.required <> c.required
   OR p.earned <> c.earned OR p.carried_forward <> c.carried_forward OR p.subtypes <> c.subtypes
ORDER BY coalesce(p.register_entry_id, c.register_entry_id)
"""
)

PLAIN_AUDIT_DRAW = """
WITH population AS (
    SELECT e.id, e.registration_number FROM registry_registerentry e
    WHERE e.status IN ('REGISTERED', 'REGISTERED_WITH_CONDITIONS') AND e.registered_date <= %(start)s
), size AS (
    SELECT count(*) AS population, CAST(ceil(count(*) * %(rate)s / 100.0) AS integer) AS drawn FROM population
), chosen AS (
    SELECT p.id, p.registration_number FROM population p
    ORDER BY md5(%(seed)s || p.registration_number) LIMIT (SELECT drawn FROM size)
), draw AS (
    INSERT INTO cpd_auditdraw (created_at, updated_at, cycle_start_year, seed, rate_percent, stratified, exclude_new,
                               population_count, selected, drawn_by_id, rule_set_id)
    SELECT now(), now(), %(cycle)s, %(seed)s, %(rate)s, false, true, s.population,
           (SELECT jsonb_agg(c.registration_number ORDER BY c.registration_number) FROM chosen c),
           %(actor)s, %(rule_set)s
    FROM size s
    RETURNING *
), draw_history AS (
    INSERT INTO cpd_historicalauditdraw (id, created_at, updated_at, cycle_start_year, seed, rate_percent,
        stratified, exclude_new, population_count, selected, history_date, history_change_reason, history_type,
        drawn_by_id, history_user_id, rule_set_id)
    SELECT id, created_at, updated_at, cycle_start_year, seed, rate_percent, stratified, exclude_new,
           population_count, selected, now(), 'sql', '+', drawn_by_id, %(actor)s, rule_set_id
    FROM draw
), audits AS (
    INSERT INTO cpd_audit (created_at, updated_at, status, due_date, statement, decision_reason, consequence,
                           register_entry_id, draw_id)
    SELECT now(), now(), 'EVIDENCE_REQUESTED', %(due)s, '', '', '', c.id, d.id FROM chosen c CROSS JOIN draw d
    RETURNING *
)
INSERT INTO cpd_historicalaudit (id, created_at, updated_at, status, due_date, statement, submitted_at, decided_at,
    decision_reason, consequence, reminded_on, history_date, history_change_reason, history_type, decided_by_id,
    draw_id, history_user_id, register_entry_id)
SELECT id, created_at, updated_at, status, due_date, statement, submitted_at, decided_at, decision_reason,
       consequence, reminded_on, now(), 'sql', '+', decided_by_id, draw_id, %(actor)s, register_entry_id
FROM audits
"""


class _Rollback(Exception):
    pass


def _setval_and_analyze(cursor: Any, tables: tuple[str, ...]) -> None:
    for table in tables:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute(f"ANALYZE {table}")


def ensure_data(practitioners: int, activities: int) -> tuple[User, RuleSet]:
    call_command("migrate", verbosity=0)
    if not Council.objects.exists():
        Council.objects.create(
            name="Bench council", short_name="BC", currency="ZAR", time_zone="Africa/Johannesburg", languages=["en"]
        )
    rule_set, _ = RuleSet.objects.update_or_create(
        version=1,
        defaults={
            "effective_date": dt.date(2020, 1, 1),
            "rules": {"currency": "ZAR", "cpd": CPD_RULES, "cpd_audit": CPD_AUDIT_RULES},
        },
    )
    category, _ = RegisterCategory.objects.get_or_create(
        code="social-worker", defaults={"name": "Social worker", "registration_number_prefix": "SW"}
    )
    for code, name, reflection in ACTIVITY_TYPES:
        ActivityType.objects.get_or_create(code=code, defaults={"name": name, "requires_reflection": reflection})
    officer = User.objects.filter(email=OFFICER_EMAIL).first()
    if officer is None:
        officer = User.objects.create_user(OFFICER_EMAIL, "bench")
        officer.groups.add(Group.objects.get(name=Role.CPD_OFFICER.value))
    type_ids = dict(ActivityType.objects.values_list("code", "id"))
    now = timezone.now().isoformat()
    out = sys.stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM registry_practitioner")
        have, last = cursor.fetchone()
        if have < practitioners:
            out.write(f"Generating {practitioners - have} practitioners and register entries (bench data, kept)...\n")
            rng = random.Random(last)
            people, entries, exemptions = io.StringIO(), io.StringIO(), io.StringIO()
            for pk in range(last + 1, last + 1 + practitioners - have):
                people.write(f"{pk}\t{now}\t{now}\tPractitioner\t{pk}\t\t\t\t\t\n")
                registered = "2020-01-01" if rng.random() < 0.97 else f"2027-0{rng.randint(2, 5)}-01"
                number = format_registration_number(prefix="SW", sequence_value=pk, digits=7)
                entries.write(f"{pk}\t{now}\t{now}\t{pk}\t{category.pk}\t{number}\tREGISTERED\t{registered}\t\t{now}\n")
                if rng.random() < 0.01:
                    exemptions.write(f"{now}\t{now}\t{pk}\t{CYCLE}\tPARENTAL_LEAVE\t50\tParental leave\t{officer.pk}\n")
            copy_in(
                cursor,
                "registry_practitioner",
                "id, created_at, updated_at, given_names, family_name, previous_names, national_id, email, phone, "
                "address",
                people,
            )
            copy_in(
                cursor,
                "registry_registerentry",
                "id, created_at, updated_at, practitioner_id, category_id, registration_number, status, "
                "registered_date, conditions, status_changed_at",
                entries,
            )
            copy_in(
                cursor,
                "cpd_exemption",
                "created_at, updated_at, practitioner_id, cycle_start_year, kind, reduction_percent, reason, "
                "granted_by_id",
                exemptions,
            )
            _setval_and_analyze(cursor, ("registry_practitioner", "registry_registerentry", "cpd_exemption"))
            RegistrationNumberCounter.objects.update_or_create(
                category=category, defaults={"last_value": last + practitioners - have}
            )
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM cpd_activity")
        have, last = cursor.fetchone()
        if have < activities:
            out.write(f"Generating {activities - have} CPD activities (bench data, kept)...\n")
            cursor.execute("SELECT min(id), max(id) FROM registry_practitioner")
            low, high = cursor.fetchone()
            rng = random.Random(last)
            days_2026 = [str(dt.date(2026, 1, 1) + dt.timedelta(days=day)) for day in range(365)]
            days_2027 = [str(day) for day in (dt.date(2027, 1, 1) + dt.timedelta(days=n) for n in range(151))]
            kinds = (
                [(type_ids["course"], "Course", "Bench provider", "")] * 5
                + [(type_ids["reading"], "Reading", "", "What I read and how I use it.")] * 3
                + [(type_ids["supervision"], "Supervision", "", "")] * 2
            )
            rows = []
            for pk in range(last + 1, last + 1 + activities - have):
                type_id, title, provider, reflection = rng.choice(kinds)
                day = rng.choice(days_2026) if rng.random() < 0.5 else rng.choice(days_2027)
                subtype = "ethics" if rng.random() < 0.15 else ""
                points = Decimal(rng.randint(1, 24)) / 2
                rows.append(
                    f"{pk}\t{now}\t{now}\t{title} {pk}\t{provider}\t{subtype}\t{day}\t{points}\t{reflection}\t"
                    f"LOGGED\t\t\t\t{rng.randint(low, high)}\t{type_id}\n"
                )
            copy_in(
                cursor,
                "cpd_activity",
                "id, created_at, updated_at, title, provider_name, subtype, activity_date, points, reflection, "
                "source, evidence, evidence_name, evidence_sha256, practitioner_id, activity_type_id",
                io.StringIO("".join(rows)),
            )
            _setval_and_analyze(cursor, ("cpd_activity",))
        cursor.execute("ANALYZE")
    return officer, rule_set


def rolled_back(operation: Callable[[], Any], check: Callable[[Any], Any] | None = None) -> tuple[float, Any]:
    """Time the operation and the foreign-key checks its commit would run; check it (not timed); roll back."""
    outcome: Any = None
    checked: Any = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            outcome = operation()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            checked = check(outcome) if check is not None else outcome
            raise _Rollback
    except _Rollback:
        pass
    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            cursor.execute(f"VACUUM {table}")
    return elapsed, checked


def execute(sql: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def statuses() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM cpd_compliance WHERE cycle_start_year = %s GROUP BY status", [CYCLE]
        )
        return dict(cursor.fetchall())


def main() -> None:
    officer, rule_set = ensure_data(PRACTITIONERS, ACTIVITIES)
    category = RegisterCategory.objects.get(code="social-worker")
    reading = ActivityType.objects.get(code="reading")
    plain_params = {
        "start": dt.date(CYCLE, 1, 1),
        "end": dt.date(CYCLE, 12, 31),
        "previous_start": dt.date(CYCLE - 1, 1, 1),
        "cycle": CYCLE,
        "category": category.pk,
        "reading": reading.pk,
        "per_activity": Decimal(CPD_RULES["caps"]["per_activity"]),
        "reading_cap": Decimal(CPD_RULES["caps"]["reading"]),
        "points": Decimal(CPD_RULES["points_per_cycle"]["social-worker"]),
        "ethics": Decimal(CPD_RULES["required_subtypes"]["ethics"]["social-worker"]),
        "carry_max": Decimal(CPD_RULES["carry_forward_max_points"]),
        "rule_set": rule_set.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cpd_activity")
        activity_count = cursor.fetchone()[0]
    entry_count = RegisterEntry.objects.count()
    requirements = rules.requirements_for(CYCLE)
    if Compliance.objects.filter(cycle_start_year=CYCLE).exists():
        raise SystemExit(f"the bench database holds {CYCLE} compliance rows: the first run cannot be measured")

    # Compliance, read only (also warms the cache for the runs below).
    app_select = compliance.compliance_select(requirements, on_date=ON_DATE)
    app_read_sql = app_select.sql + " SELECT status, count(*) FROM assessed GROUP BY status"

    def fetch(sql: str, params: dict[str, Any]) -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return dict(cursor.fetchall())

    read_app, read_plain = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        app_counts = fetch(app_read_sql, app_select.params)
        read_app.append(time.perf_counter() - started)
        started = time.perf_counter()
        plain_counts = fetch(PLAIN_COMPLIANCE_READ, plain_params)
        read_plain.append(time.perf_counter() - started)
    if app_counts != plain_counts:
        raise SystemExit(f"the application's and the plain SELECT's statuses differ: {app_counts} != {plain_counts}")

    # Compliance, first run.
    def app_compliance() -> int:
        return services.compliance_run(cycle_start_year=CYCLE, on_date=ON_DATE, actor=None)

    def app_compliance_check(written: int) -> tuple[int, dict[str, int], list[Any], int]:
        with connection.cursor() as cursor:
            cursor.execute(COMPLIANCE_DIFFERENCES, plain_params)
            differences = cursor.fetchall()
        history = Compliance.history.filter(cycle_start_year=CYCLE).count()
        return written, statuses(), differences, history

    def plain_compliance() -> int:
        return execute(PLAIN_COMPLIANCE_WRITE, plain_params)

    write_app, write_plain = [], []
    for _ in range(COMPLIANCE_RUNS):
        seconds, (plain_written, plain_statuses) = rolled_back(plain_compliance, lambda _rows: (_rows, statuses()))
        write_plain.append(seconds)
        seconds, (app_written, app_statuses, differences, app_history) = rolled_back(
            app_compliance, app_compliance_check
        )
        write_app.append(seconds)
    if app_statuses.get("MET") != plain_statuses.get("MET"):
        raise SystemExit(f"MET rows differ: app {app_statuses}, plain SQL {plain_statuses}")
    if differences:
        raise SystemExit(f"{len(differences)} compliance rows differ from the plain figures, e.g. {differences[:3]}")
    if app_written != plain_written:
        raise SystemExit(f"the app wrote {app_written} compliance rows, the plain SQL {plain_written}")

    # The audit draw.
    audit_params = {
        "start": dt.date(CYCLE, 1, 1),
        "cycle": CYCLE,
        "seed": SEED,
        "rate": Decimal(CPD_AUDIT_RULES["sample_rate_percent"]),
        "actor": officer.pk,
        "rule_set": rule_set.pk,
        "due": ON_DATE + dt.timedelta(days=CPD_AUDIT_RULES["evidence_due_days"]),
    }

    def app_draw() -> int:
        draw = services.audit_draw(actor=officer, cycle_start_year=CYCLE, seed=SEED)
        return draw.population_count

    def drawn(population: int) -> tuple[int, int, int]:
        return population, Audit.objects.count(), Audit.history.count()

    draw_app, draw_plain = [], []
    for _ in range(REPEATS):
        seconds, (_rows, plain_drawn, _history) = rolled_back(lambda: execute(PLAIN_AUDIT_DRAW, audit_params), drawn)
        draw_plain.append(seconds)
        seconds, (population, app_drawn, app_audit_history) = rolled_back(app_draw, drawn)
        draw_app.append(seconds)
    if app_drawn != plain_drawn:
        raise SystemExit(f"the app drew {app_drawn} practitioners, the plain SQL {plain_drawn}")

    rows = [
        (
            f"compliance, first run ({app_written} rows, history, audit events)",
            statistics.median(write_app),
            statistics.median(write_plain),
            COMPLIANCE_RUNS,
            True,
        ),
        (
            "compliance, read only (the figures, nothing written)",
            *map(statistics.median, (read_app, read_plain)),
            3,
            False,
        ),
        (
            f"audit draw ({app_drawn} of {population}, history, audit events)",
            statistics.median(draw_app),
            statistics.median(draw_plain),
            REPEATS,
            True,
        ),
    ]
    out = sys.stdout
    out.write(
        f"\nCPD on PostgreSQL: {entry_count} register entries, {activity_count} activities, cycle {CYCLE} "
        f"assessed on {ON_DATE}\n"
        "app: the service, rolled back; plain: hand-written SQL doing the same work (rows and history rows,\n"
        "no audit events), rolled back. Both timed with the foreign-key checks a commit would run.\n\n"
    )
    out.write(f"{'operation':62} {'runs':>4} {'app s':>8} {'plain s':>8} {'ratio':>6}\n")
    for label, app, plain, runs, _target in rows:
        out.write(f"{label:62} {runs:>4} {app:8.2f} {plain:8.2f} {app / plain:6.2f}\n")
    out.write(
        "\nStatuses (app = plain SQL, every row's figures checked): "
        + ", ".join(f"{status} {count}" for status, count in sorted(app_statuses.items()))
        + f"; the app wrote {app_history} compliance history rows and {app_audit_history} audit history rows\n"
    )
    misses = [label for label, app, plain, _runs, target in rows if target and app / plain > TARGET_RATIO]
    verdict = "FAIL" if misses else "PASS"
    out.write(
        f"\nCompliance run and audit draw within {TARGET_RATIO}x of plain SQL: {verdict}"
        + (f" ({'; '.join(misses)})" if misses else "")
        + "\n"
    )
    if misses:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
