"""The exam results import at scale: previewing a testing vendor's 20,000-row CSV, against plain work.

One run, on its own PostgreSQL database (council_registry_bench_exams, created by scripts/bench.sh):

1. the data is made once with COPY and kept: BENCH_EXAM_ROWS (20,000) candidates, each with an account,
   a person record, an approval to test and a booking at one sitting;
2. the vendor's file is written in memory, with a byte-order mark and Windows line endings, as Excel
   saves it;
3. the application's preview (results_import_preview: decode, parse, check every row against the
   bookings, results and the examiner's conflicts, store the file and its report, audit it) is timed,
   rolled back each time, against the plain version of the same reading: csv.reader over the same
   bytes and one SQL query for the sitting's bookings, matched in a dict;
4. the commit of the previewed file (20,000 draft results, their history rows and audit events) is
   timed once, rolled back.

The acceptance target: a 20,000-row file previews in under 10 s on this machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/council_registry_bench_exams")
django.setup()

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from bench.run import copy_in
from core.models import Council, RuleSet, User
from core.roles import Role
from exams import services
from exams.models import Exam, ExamVersion, ResultImport, Sitting, candidate_number_for
from registry.models import RegisterCategory

ROWS = int(os.environ.get("BENCH_EXAM_ROWS", "20000"))
REPEATS = 3
TARGET_SECONDS = 10
SITTING_CODE = "bench-sitting"


class _Rollback(Exception):
    pass


def ensure_data(count: int) -> tuple[Sitting, User]:
    call_command("migrate", verbosity=0)
    if not Council.objects.exists():
        Council.objects.create(
            name="Bench council", short_name="BC", currency="ZAR", time_zone="Africa/Johannesburg", languages=["en"]
        )
    RuleSet.objects.update_or_create(
        version=1,
        defaults={
            "effective_date": dt.date(2020, 1, 1),
            "rules": {
                "currency": "ZAR",
                "fees": {"social-worker": {"exam": 0}},
                "exams": {"attempt_limit": 3, "retake_wait_days": 90},
            },
        },
    )
    category, _ = RegisterCategory.objects.get_or_create(
        code="social-worker",
        defaults={"name": "Social worker", "registration_number_prefix": "SW", "requires_exam": True},
    )
    officer = User.objects.filter(email="exams-officer@bench.example").first()
    if officer is None:
        officer = User.objects.create_user("exams-officer@bench.example", "bench")
        officer.groups.add(Group.objects.get(name=Role.EXAMS_OFFICER.value))
    exam, _ = Exam.objects.get_or_create(
        code="sw", defaults={"name": "Social work exam", "category": category, "level": "Generalist"}
    )
    version, _ = ExamVersion.objects.get_or_create(
        exam=exam, code="A", defaults={"max_raw_score": 150, "pass_raw_score": 98}
    )
    sitting = Sitting.objects.filter(code=SITTING_CODE).first()
    now = timezone.now()
    if sitting is None:
        sitting = Sitting.objects.create(
            code=SITTING_CODE,
            version=version,
            starts_at=now - dt.timedelta(days=7),
            venue="Bench hall",
            capacity=10**6,
            booking_opens_at=now - dt.timedelta(days=90),
            booking_closes_at=now - dt.timedelta(days=8),
            created_by=officer,
        )
    have = sitting.bookings.count()
    if have >= count:
        return sitting, officer
    sys.stdout.write(f"Generating {count - have} exam candidates and bookings (bench data, kept)...\n")
    stamp = now.isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM core_user")
        user_start = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM registry_practitioner")
        person_start = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM exams_approvaltotest")
        approval_start = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM exams_booking")
        booking_start = cursor.fetchone()[0] + 1
        users, people, approvals, bookings = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
        for offset in range(count - have):
            user, person, approval, booking = (
                start + offset for start in (user_start, person_start, approval_start, booking_start)
            )
            users.write(f"{user}\t!\tf\tf\tt\t{stamp}\tcandidate{user}@bench.example\tCandidate {user}\ten\n")
            people.write(f"{person}\t{stamp}\t{stamp}\t{user}\tCandidate\t{user}\t\t\t\t\t\n")
            approvals.write(f"{approval}\t{stamp}\t{stamp}\t{user}\t{exam.pk}\tBench\t2099-01-01\t{officer.pk}\n")
            bookings.write(
                f"{booking}\t{stamp}\t{stamp}\t{sitting.pk}\t{user}\t{person}\t\\N\t{approval}\tBOOKED\t1\t\t\\N\t1\n"
            )
        copy_in(
            cursor,
            "core_user",
            "id, password, is_superuser, is_staff, is_active, date_joined, email, name, preferred_language",
            users,
        )
        copy_in(
            cursor,
            "registry_practitioner",
            "id, created_at, updated_at, user_id, given_names, family_name, previous_names, national_id, email, phone, address",
            people,
        )
        copy_in(
            cursor,
            "exams_approvaltotest",
            "id, created_at, updated_at, candidate_id, exam_id, reason, expires_date, granted_by_id",
            approvals,
        )
        copy_in(
            cursor,
            "exams_booking",
            "id, created_at, updated_at, sitting_id, candidate_id, practitioner_id, application_id, approval_id, status, "
            "attempt_number, institution_name, invoice_id, rule_set_id",
            bookings,
        )
        for table in ("core_user", "registry_practitioner", "exams_approvaltotest", "exams_booking"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"ANALYZE {table}")
    Sitting.objects.filter(pk=sitting.pk).update(seats_booked=sitting.bookings.count())
    return sitting, officer


def vendor_file(sitting: Sitting, count: int) -> bytes:
    ids = list(sitting.bookings.order_by("pk").values_list("pk", flat=True)[:count])
    lines = ["candidate_number,sitting_code,raw_score,scaled_score"]
    lines += [f"{candidate_number_for(pk)},{sitting.code},{(pk * 37) % 151},{''}" for pk in ids]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def plain_preview(data: bytes, sitting: Sitting) -> int:
    """The same reading without the application: parse the CSV, fetch the sitting's bookings, match each row."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, candidate_id, status FROM exams_booking WHERE sitting_id = %s", [sitting.pk])
        bookings = {row[0]: row for row in cursor.fetchall()}
    matched = 0
    for row in rows[1:]:
        booking_id = int(row[0][1:-1])
        if booking_id in bookings and 0 <= float(row[2]) <= 150:
            matched += 1
    return matched


def rolled_back(operation: Callable[[], Any]) -> tuple[float, Any]:
    outcome: Any = None
    started = time.perf_counter()
    try:
        with transaction.atomic():
            outcome = operation()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, outcome


def main() -> None:
    sitting, officer = ensure_data(ROWS)
    data = vendor_file(sitting, ROWS)

    def preview() -> ResultImport:
        return services.results_import_preview(
            actor=officer, sitting=sitting, uploaded=SimpleUploadedFile("vendor.csv", data, content_type="text/csv")
        )

    app_times, plain_times = [], []
    checked: ResultImport | None = None
    for _ in range(REPEATS):
        elapsed, checked = rolled_back(preview)
        app_times.append(elapsed)
        started = time.perf_counter()
        matched = plain_preview(data, sitting)
        plain_times.append(time.perf_counter() - started)
    if checked is None or not checked.is_clean or checked.row_count != ROWS or matched != ROWS:
        raise SystemExit(f"the preview did not accept the file: {checked.file_errors} {checked.row_errors[:3]}")

    def preview_and_commit() -> int:
        return services.results_import_commit(actor=officer, result_import=preview())

    commit_seconds, imported = rolled_back(preview_and_commit)
    app, plain = statistics.median(app_times), statistics.median(plain_times)
    out = sys.stdout
    out.write(f"\nExam results import: {ROWS} rows (UTF-8 with BOM, CRLF), PostgreSQL, median of {REPEATS} runs\n\n")
    out.write(f"{'operation':58} {'app s':>9} {'plain s':>9} {'ratio':>7}\n")
    out.write(f"{'preview (read, check every row, store the report)':58} {app:9.2f} {plain:9.2f} {app / plain:7.2f}\n")
    out.write(
        f"{'preview + commit of ' + str(imported) + ' draft results (history, audit)':58} {commit_seconds:9.2f}\n"
    )
    verdict = "PASS" if app < TARGET_SECONDS else "FAIL"
    out.write(f"\nPreview of {ROWS} rows under {TARGET_SECONDS} s: {verdict} ({app:.2f} s)\n")
    if verdict == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
