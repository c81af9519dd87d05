"""Public-register benchmarks at national scale, each against the same work in raw SQL, in one run.

make bench   (BENCH_PRACTITIONERS=200000 by default; the data set is generated once and kept in
the council_registry_bench database, never committed)
"""

from __future__ import annotations

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
django.setup()

from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.db_functions import fold
from core.models import Council
from registry import selectors
from registry.models import Practitioner, RegisterCategory, RegisterEntry, RegistrationNumberCounter
from registry.numbers import format_registration_number

GIVEN = [
    "José",
    "María",
    "Françoise",
    "Hélène",
    "Zoë",
    "Thandiwe",
    "Pieter",
    "Lerato",
    "Sipho",
    "Amélie",
    "Ángel",
    "Chloé",
    "Naledi",
    "Kagiso",
    "Ayanda",
    "Mpho",
    "Priya",
    "Noël",
    "Inés",
    "Raúl",
]
FAMILY = [
    "Núñez",
    "Gutiérrez",
    "Lefèvre",
    "Dubois",
    "Brontë",
    "Nkosi",
    "van der Merwe",
    "Mokoena",
    "Ndlovu",
    "Moreau",
    "Ñáñez",
    "Bénédicte",
    "Mathebula",
    "Sithole",
    "Peña",
    "García",
    "Müller",
    "Dlamini",
    "Khumalo",
    "Naidoo",
    "Botha",
    "Zulu",
    "Pillay",
    "Fernández",
    "Rousseau",
]
STATUSES = ["REGISTERED"] * 90 + ["REGISTERED_WITH_CONDITIONS"] * 3 + ["SUSPENDED"] * 2 + ["LAPSED"] * 5
REPEATS = 15


def ensure_data(count: int) -> None:
    call_command("migrate", verbosity=0)
    if not Council.objects.exists():
        Council.objects.create(
            name="Bench council", short_name="BC", currency="ZAR", time_zone="Africa/Johannesburg", languages=["en"]
        )
    category, _ = RegisterCategory.objects.get_or_create(
        code="social-worker", defaults={"name": "Social worker", "registration_number_prefix": "SW"}
    )
    have = Practitioner.objects.count()
    if have >= count:
        return
    sys.stdout.write(f"Generating {count - have} practitioners and register entries (bench data, kept)...\n")
    rng = random.Random(have)
    now = timezone.now()
    start_pk = (Practitioner.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    practitioners = io.StringIO()
    entries = io.StringIO()
    for offset in range(count - have):
        pk = start_pk + offset
        given = rng.choice(GIVEN)
        family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}" if rng.random() < 0.3 else rng.choice(FAMILY)
        if offset == 0:
            given, family = "Søren", "Kierkegård"  # one rare name, for the selective search
        practitioners.write(f"{pk}\t{now.isoformat()}\t{now.isoformat()}\t{given}\t{family}\t\t\t\t\t\n")
        number = format_registration_number(prefix="SW", sequence_value=pk, digits=7)
        status = rng.choice(STATUSES)
        conditions = "Supervised practice only." if status == "REGISTERED_WITH_CONDITIONS" else ""
        entries.write(
            f"{pk}\t{now.isoformat()}\t{now.isoformat()}\t{pk}\t{category.pk}\t{number}\t{status}\t2020-01-01\t"
            f"{conditions}\t{now.isoformat()}\n"
        )
    with connection.cursor() as cursor:
        copy_in(
            cursor,
            "registry_practitioner",
            "id, created_at, updated_at, given_names, family_name, previous_names, national_id, email, phone, address",
            practitioners,
        )
        copy_in(
            cursor,
            "registry_registerentry",
            "id, created_at, updated_at, practitioner_id, category_id, registration_number, status, "
            "registered_date, conditions, status_changed_at",
            entries,
        )
        cursor.execute("SELECT setval('registry_practitioner_id_seq', (SELECT max(id) FROM registry_practitioner))")
        cursor.execute("SELECT setval('registry_registerentry_id_seq', (SELECT max(id) FROM registry_registerentry))")
        cursor.execute("ANALYZE registry_practitioner")
        cursor.execute("ANALYZE registry_registerentry")
    RegistrationNumberCounter.objects.update_or_create(category=category, defaults={"last_value": start_pk + count})


def copy_in(cursor: Any, table: str, columns: str, data: io.StringIO) -> None:
    data.seek(0)
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(data.getvalue())


def timed(operation: Callable[[], Any]) -> float:
    operation()  # warm up
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


RAW_SEARCH = """
SELECT e.registration_number, e.status, e.registered_date, e.conditions, c.name, c.code,
       p.given_names, p.family_name, p.previous_names
FROM registry_registerentry e
JOIN registry_practitioner p ON p.id = e.practitioner_id
JOIN registry_registercategory c ON c.id = e.category_id
WHERE {where}
ORDER BY p.family_name, p.given_names, e.registration_number
LIMIT 25
"""
RAW_COUNT = """
SELECT count(*) FROM registry_registerentry e JOIN registry_practitioner p ON p.id = e.practitioner_id
WHERE {where}
"""


def raw_name_search(query: str) -> tuple[int, list[Any]]:
    tokens = [f"%{fold(token)}%" for token in query.split()]
    where = " AND ".join(["(p.given_names_folded LIKE %s OR p.family_name_folded LIKE %s)"] * len(tokens))
    params = [value for token in tokens for value in (token, token)]
    with connection.cursor() as cursor:
        cursor.execute(RAW_COUNT.format(where=where), params)
        total = cursor.fetchone()[0]
        cursor.execute(RAW_SEARCH.format(where=where), params)
        return total, cursor.fetchall()


def orm_name_search(query: str) -> tuple[int, list[Any]]:
    entries, _problem = selectors.public_register_search(query=query)
    page = Paginator(entries, 25).get_page(1)
    rows = [(entry.registration_number, entry.practitioner.family_name, entry.category.name) for entry in page]
    return page.paginator.count, rows


def raw_number(number: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(RAW_SEARCH.format(where="e.registration_number = %s"), [number])
        return cursor.fetchall()


def orm_number(number: str) -> Any:
    entry = selectors.public_register_entry(registration_number=number)
    return entry.practitioner.family_name, entry.category.name


def main() -> None:
    count = int(os.environ.get("BENCH_PRACTITIONERS", "200000"))
    ensure_data(count)
    total = RegisterEntry.objects.count()
    number = RegisterEntry.objects.order_by("-pk").values_list("registration_number", flat=True).first()
    client = Client()
    rows = []
    for label, orm, raw in [
        (
            "name search, common name 'nunez' (count + first page)",
            lambda: orm_name_search("nunez"),
            lambda: raw_name_search("nunez"),
        ),
        (
            "name search, two words 'jose nunez'",
            lambda: orm_name_search("jose nunez"),
            lambda: raw_name_search("jose nunez"),
        ),
        (
            "name search, rare name 'kierkegard'",
            lambda: orm_name_search("kierkegard"),
            lambda: raw_name_search("kierkegard"),
        ),
        ("registration number lookup", lambda: orm_number(number), lambda: raw_number(number)),
        (
            "search page over HTTP (middleware, template)",
            lambda: client.get("/register/", {"q": "jose nunez"}),
            lambda: raw_name_search("jose nunez"),
        ),
        ("record page over HTTP", lambda: client.get(f"/register/{number}/"), lambda: raw_number(number)),
    ]:
        orm_ms, raw_ms = timed(orm), timed(raw)
        rows.append((label, orm_ms, raw_ms, orm_ms / raw_ms))
    if orm_name_search("jose nunez")[0] != raw_name_search("jose nunez")[0]:
        raise SystemExit("the app and the raw SQL disagree on the number of results")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + RAW_SEARCH.format(where="(p.given_names_folded LIKE %s OR p.family_name_folded LIKE %s)"),
            ["%kierkegard%", "%kierkegard%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    out = sys.stdout
    out.write(f"\nPublic register benchmarks: {total} register entries, PostgreSQL, median of {REPEATS} runs\n\n")
    out.write(f"{'operation':58} {'app ms':>9} {'raw SQL ms':>11} {'ratio':>7}\n")
    for label, orm_ms, raw_ms, ratio in rows:
        out.write(f"{label:58} {orm_ms:9.2f} {raw_ms:11.2f} {ratio:7.2f}\n")
    uses_index = "registry_prac_family_fold_trgm" in plan or "registry_prac_given_fold_trgm" in plan
    out.write(f"\nRare-name search uses the trigram indexes: {'yes' if uses_index else 'NO'}\n")


if __name__ == "__main__":
    main()
