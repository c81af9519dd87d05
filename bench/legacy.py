"""The legacy register import at its acceptance size: a 5,000-row old register, against plain work.

One run, on its own PostgreSQL database (council_registry_bench_legacy, created by scripts/bench.sh):

1. a register already holding BENCH_LEGACY_REGISTER people (50,000; made once with COPY and kept), so
   the duplicate search against the register reads real numbers of candidates;
2. the made-up old register file (legacy/samples.py: 5,000 rows, twelve people planted twice) as CSV;
3. the whole import, timed, rolled back each time: upload (read the file, guess the columns), check
   (every row, every duplicate), commit (people, entries, qualifications, employers, employment,
   history rows, audit events, duplicate pairs, numbering);
4. against the plain version of the same loading: csv.reader over the bytes, then COPY of the same
   people and register entries with no check, no history and no audit.

The acceptance target: the whole run under 30 s on this machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/council_registry_bench_legacy")
django.setup()

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from bench.run import copy_in
from core.models import Council, Region, RuleSet, User
from core.roles import Role
from legacy import services
from legacy.samples import FAMILY, GIVEN, LEGACY_NUMBER_PATTERN, PLANTED_DUPLICATES, legacy_register_sample
from registry.models import Practitioner, QualificationType, RegisterCategory, RegisterEntry

ROWS = int(os.environ.get("BENCH_LEGACY_ROWS", "5000"))
REGISTER = int(os.environ.get("BENCH_LEGACY_REGISTER", "50000"))
REPEATS = 3
TARGET_SECONDS = 30
CATEGORIES = (("social-worker", "SW"), ("social-auxiliary-worker", "SAW"))


class _Rollback(Exception):
    pass


def ensure_data() -> User:
    call_command("migrate", verbosity=0)
    if not Council.objects.exists():
        Council.objects.create(
            name="Bench council", short_name="BC", currency="ZAR", time_zone="Africa/Johannesburg", languages=["en"]
        )
    RuleSet.objects.get_or_create(version=1, defaults={"effective_date": dt.date(2020, 1, 1), "rules": {}})
    for code, prefix in CATEGORIES:
        RegisterCategory.objects.get_or_create(
            code=code, defaults={"name": code.replace("-", " ").capitalize(), "registration_number_prefix": prefix}
        )
    for code, name in (("bsw", "Bachelor of Social Work"), ("aux-cert", "Social Auxiliary Work certificate")):
        QualificationType.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in (("gp", "Gauteng"), ("kzn", "KwaZulu-Natal")):
        Region.objects.get_or_create(code=code, defaults={"name": name})
    registrar = User.objects.filter(email="registrar@bench.example").first()
    if registrar is None:
        registrar = User.objects.create_user("registrar@bench.example", "bench")
        registrar.groups.add(Group.objects.get(name=Role.REGISTRAR.value))
    have = Practitioner.objects.count()
    if have < REGISTER:
        sys.stdout.write(f"Generating {REGISTER - have} people already on the register (bench data, kept)...\n")
        rng = random.Random(7)
        stamp = timezone.now().isoformat()
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM registry_practitioner")
            start = cursor.fetchone()[0] + 1
            people = io.StringIO()
            for pk in range(start, start + REGISTER - have):
                born = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(18000))
                people.write(
                    f"{pk}\t{stamp}\t{stamp}\t{rng.choice(GIVEN)}\t{rng.choice(FAMILY)}\t\t\t\t\t\t{born.isoformat()}\n"
                )
            copy_in(
                cursor,
                "registry_practitioner",
                "id, created_at, updated_at, given_names, family_name, previous_names, national_id, email, phone, "
                "address, date_of_birth",
                people,
            )
            cursor.execute("SELECT setval('registry_practitioner_id_seq', (SELECT max(id) FROM registry_practitioner))")
            cursor.execute("ANALYZE registry_practitioner")
    return registrar


def rolled_back(operation: Callable[[], Any]) -> tuple[float, Any]:
    outcome: Any = None
    elapsed = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            outcome = operation()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, outcome


def plain_load(data: bytes) -> int:
    """The same people and entries loaded with no checks, history or audit: csv.reader, then COPY."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))[1:]
    categories = dict(RegisterCategory.objects.values_list("code", "pk"))
    stamp = timezone.now().isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM registry_practitioner")
        person_start = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM registry_registerentry")
        entry_start = cursor.fetchone()[0] + 1
        people, entries = io.StringIO(), io.StringIO()
        for offset, row in enumerate(rows):
            person, entry = person_start + offset, entry_start + offset
            born = dt.datetime.strptime(row[7], "%d/%m/%Y").date().isoformat() if row[7] else "\\N"  # noqa: DTZ007
            registered = dt.datetime.strptime(row[3], "%d/%m/%Y").date().isoformat()  # noqa: DTZ007
            people.write(f"{person}\t{stamp}\t{stamp}\t{row[4]}\t{row[5]}\t{row[6]}\t\t{row[10]}\t\t\t{born}\n")
            entries.write(
                f"{entry}\t{stamp}\t{stamp}\t{person}\t{categories[row[1]]}\t{row[0]}\tREGISTERED\t{registered}\t\t"
                f"{stamp}\n"
            )
        copy_in(
            cursor,
            "registry_practitioner",
            "id, created_at, updated_at, given_names, family_name, previous_names, national_id, email, phone, "
            "address, date_of_birth",
            people,
        )
        copy_in(
            cursor,
            "registry_registerentry",
            "id, created_at, updated_at, practitioner_id, category_id, registration_number, status, "
            "registered_date, conditions, status_changed_at",
            entries,
        )
    return len(rows)


def main() -> None:
    registrar = ensure_data()
    settings.COUNCIL_LEGACY_NUMBER_PATTERN = LEGACY_NUMBER_PATTERN
    sample = legacy_register_sample(
        rows=ROWS, categories=CATEGORIES, qualifications=("bsw", "aux-cert"), regions=("gp", "KwaZulu-Natal")
    )
    data = sample.csv_bytes()
    steps: dict[str, list[float]] = {"upload": [], "check": [], "commit": []}

    def whole_import() -> tuple[Any, int]:
        for person in sample.register_people:  # the four planted on the register, as the tests put them
            Practitioner.objects.create(
                given_names=person["given_names"],
                family_name=person["family_name"],
                date_of_birth=person["date_of_birth"],
                national_id=person["national_id"],
            )
        started = time.perf_counter()
        uploaded = services.legacy_import_upload(
            actor=registrar, uploaded=SimpleUploadedFile("old-register.csv", data, content_type="text/csv")
        )
        steps["upload"].append(time.perf_counter() - started)
        started = time.perf_counter()
        checked = services.legacy_import_check(
            actor=registrar, legacy_import=uploaded, mapping=uploaded.mapping, date_order="DMY"
        )
        steps["check"].append(time.perf_counter() - started)
        if not checked.is_clean:
            raise SystemExit(f"the check refused the file: {checked.file_errors} {checked.row_errors[:3]}")
        started = time.perf_counter()
        committed = services.legacy_import_commit(actor=registrar, legacy_import=checked)
        steps["commit"].append(time.perf_counter() - started)
        return committed, RegisterEntry.objects.count()

    app_times, plain_times = [], []
    outcome: Any = None
    for _ in range(REPEATS):
        elapsed, outcome = rolled_back(whole_import)
        app_times.append(elapsed)
        plain_elapsed, loaded = rolled_back(lambda: plain_load(data))
        plain_times.append(plain_elapsed)
    committed, _entries = outcome
    if committed.imported_count != ROWS or loaded != ROWS:
        raise SystemExit(f"imported {committed.imported_count} and loaded {loaded} of {ROWS} rows")
    app, plain = statistics.median(app_times), statistics.median(plain_times)
    out = sys.stdout
    out.write(
        f"\nLegacy register import: {ROWS} rows into a register of {Practitioner.objects.count()} people, "
        f"PostgreSQL, median of {REPEATS} runs\n\n"
    )
    out.write(f"{'operation':62} {'app s':>9} {'plain s':>9} {'ratio':>7}\n")
    for step, label in (
        ("upload", "upload (read the CSV, guess the columns)"),
        ("check", "check (every row, duplicates in the file and the register)"),
        ("commit", "commit (recheck, people, entries, history, audit, pairs)"),
    ):
        out.write(f"{label:62} {statistics.median(steps[step]):9.2f}\n")
    out.write(f"{'whole import, against csv.reader + COPY of people and entries':62} {app:9.2f} {plain:9.2f} ")
    out.write(f"{app / plain:7.1f}\n")
    out.write(
        f"\nPossible duplicates listed: {len(committed.duplicates)} ({PLANTED_DUPLICATES} planted; others are "
        f"chance look-alikes among the register's {REGISTER} made-up people)\n"
    )
    out.write(f"Numbering continues at: {', '.join(p['next_number'] for p in committed.numbering.values())}\n")
    verdict = "PASS" if app < TARGET_SECONDS else "FAIL"
    out.write(f"\nWhole import of {ROWS} rows under {TARGET_SECONDS} s: {verdict} ({app:.2f} s)\n")
    if verdict == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
