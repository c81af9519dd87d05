"""The public verification API at national scale, each figure against a baseline measured in the same run.

make bench   (BENCH_ONLY=verification make bench runs just this one)

On its own PostgreSQL database (council_registry_bench_verify, created by scripts/bench.sh):

1. the data is made once with COPY and kept: BENCH_VERIFY_PRACTITIONERS (1,000,000) practitioners, each
   with one social-worker register entry (statuses as bench/run.py: 90% registered, 3% with conditions,
   2% suspended, 5% lapsed), registered between 2000 and four months ago; one simple-history row for each
   practitioner and entry (dated at registration, so as-at queries have history); practising licences
   for last year's and this year's licence periods (~95% and ~92% of those eligible). Names: bench/run.py's
   accented common names for 80% of people, the rest from 27,000 generated rarer family names (a few
   people each) and 900 rarer given names. Written in chunks of 100,000 rows, in one transaction, then
   VACUUM ANALYZE. The load time is printed when it runs;
2. gunicorn (2 sync workers, on a free loopback port, stopped by its pid at the end) serves
   bench.settings_verification: bench.settings with production's database settings (ATOMIC_REQUESTS,
   persistent connections), the rate-limit cache in Redis as in production (local memory if Redis does
   not answer), the rates set high (100000/s: the throttles still run, nothing is refused), and a bare
   view (bench/urls_bare.py: constant JSON, same middleware) as the baseline;
3. measured, with server times from gunicorn's access log (%(D)s: from reading the request to the end
   of the response, excluding queueing) and client times from the load generator:

   - lookup by number, GET /api/v1/practitioners/<number>: 95% numbers on the register, 5% unknown
     (valid check digit), with and without an API key. Latency: 2,000 requests one at a time (p50, p95
     server time). Throughput: BENCH_VERIFY_CONCURRENCY (4) clients in a separate process (threads, one
     connection per request: gunicorn's sync workers close each connection), against the bare view with
     the same generator, in BENCH_VERIFY_ROUNDS (5) interleaved rounds after a warm-up of each: every
     round runs the bare view, the keyed and the anonymous lookups for BENCH_VERIFY_SECONDS / rounds
     (2 s of 10 s) each, the order turning from round to round. A 2-CPU machine's speed drifts by a third
     between one minute and the next; measured side by side, the three share the drift, so the ratio
     is the API's cost rather than the moment's. The ratio is of the rounds' totals; each round's
     ratio is printed too, so the spread shows.
     The raw SQL of a lookup (entry, licence, notices) is timed too, for reference;
   - name search, GET /api/v1/practitioners?name=...&page_size=25: 200 names (common and rare tokens,
     one and two words, accented and not, partial words, names not on the register), one at a time,
     against the same search in raw SQL (the same WHERE on the names' stored folds, 26 rows in the same
     order as the API fetches them, the licence for those rows and their notices), run in this process
     with psycopg, alternating, after a warm-up pass of both;
   - bulk verification, POST /api/v1/verifications of 10,000 numbers (90% on the register, 5% unknown,
     5% with a wrong check digit), end to end over HTTP, median of 3 after a warm-up, against raw SQL
     `WHERE registration_number = ANY(%s)` (with each row's licence) for the same numbers;
   - the streamed CSV export of the whole register (portal's register_csv_chunks()), consumed fully in a
     fresh process: peak resident memory (VmHWM) and rows/s, against COPY (...) TO STDOUT of the same
     columns, consumed the same way in another fresh process, without parallel workers (a cursor, as the
     app's, cannot have them, so both run the query in one backend).

The machine has 2 cores, so anything else running (a test suite) slows every figure. Before each phase
the bench waits for other processes to use less than 10% of the CPUs, and it measures a phase again (up
to 3 times) when they used 10% or more meanwhile; all this waiting shares one budget of
BENCH_VERIFY_QUIET_WAIT (120) seconds per run. It prints, for each phase, the share of the CPUs that
processes other than this run's used (with a warning when it reaches 10%).

The acceptance targets (each printed with PASS or FAIL; a missed target does not make the exit status
non-zero, errors such as 5xx responses or wrong answers do):
lookup throughput at least 50% of the bare view's and lookup p95 under 20 ms; name search p95 under
100 ms and within 3x of raw SQL; bulk verification of 10,000 numbers under 2 s; export peak under 300 MB.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import math
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DATABASE = "council_registry_bench_verify"
PRACTITIONERS = int(os.environ.get("BENCH_VERIFY_PRACTITIONERS", "1000000"))
SECONDS = float(os.environ.get("BENCH_VERIFY_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_VERIFY_ROUNDS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_VERIFY_CONCURRENCY", "4"))
WORKERS = 2
WARMUP_SECONDS = 3.0
CHUNK_ROWS = 100_000
LATENCY_REQUESTS = 2000
SEARCH_QUERIES = 200
BULK_NUMBERS = 10_000
BULK_RUNS = 3
UNKNOWN_SHARE = 0.05
QUIET_WAIT = float(os.environ.get("BENCH_VERIFY_QUIET_WAIT", "120"))
QUIET_SHARE = 0.10
QUIET_ATTEMPTS = 3
# High enough that nothing is refused, per second so each key's timestamp list stays as short as under
# production's per-minute rates (DRF's throttle keeps one timestamp per request in its window).
RATE = "100000/s"
REDIS_URL = "redis://127.0.0.1:6379/2"
EMPLOYER_EMAIL = "bench-employer@bench.example"
ROOT = Path(__file__).resolve().parent.parent

TARGET_THROUGHPUT_RATIO = 0.5
TARGET_LOOKUP_P95_MS = 20.0
TARGET_SEARCH_P95_MS = 100.0
TARGET_SEARCH_RATIO = 3.0
TARGET_BULK_S = 2.0
TARGET_EXPORT_MB = 300.0

SYLLABLES = (
    "ka", "lé", "mo", "tshe", "ndu", "vu", "zi", "ri", "ba", "nö", "fa", "dé", "hu", "ma", "sö",
    "li", "we", "yo", "gà", "pé", "tum", "ran", "kel", "sen", "vik", "bra", "zan", "lu", "chi", "ño",
)  # fmt: skip
NOT_ON_REGISTER = [
    "Kowalski", "Nakamura", "O'Brien", "Oyelaran", "Haddad", "Andersson", "Jørgensen", "Łukasz Wójcik",
    "Þórsdóttir", "Nguyễn", "Papadopoulos", "Rossi", "Schneider", "Yilmaz", "Ivanova", "Kim Min-jun",
    "Abdullahi", "Okonkwo", "MacLeod", "Van Dyk",
]  # fmt: skip
PRACTISING = ("REGISTERED", "REGISTERED_WITH_CONDITIONS")


# Django, only where needed: the load generator runs without it ------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}")
    import django

    django.setup()


# The data ---------------------------------------------------------------------------------------

COPY_COLUMNS = {
    "registry_practitioner": (
        "id, created_at, updated_at, given_names, family_name, previous_names, national_id, email, phone, address"
    ),
    "registry_historicalpractitioner": (
        "id, created_at, updated_at, given_names, family_name, previous_names, national_id, email, phone, "
        "address, history_date, history_type"
    ),
    "registry_registerentry": (
        "id, created_at, updated_at, practitioner_id, category_id, registration_number, status, registered_date, "
        "conditions, status_changed_at"
    ),
    "registry_historicalregisterentry": (
        "id, created_at, updated_at, practitioner_id, category_id, registration_number, status, registered_date, "
        "conditions, status_changed_at, history_date, history_type"
    ),
    "licensing_licence": (
        "created_at, updated_at, number, valid_from_date, valid_to_date, issued_at, register_entry_id, period_id"
    ),
}


def rare_names() -> tuple[list[str], list[str]]:
    """27,000 family names and 900 given names, each rarer than any of bench/run.py's."""
    family = [(a + b + c).capitalize() for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES]
    given = [(a + b).capitalize() for a in SYLLABLES for b in SYLLABLES]
    return family, given


def _licence_periods(rule_set: Any, today: dt.date) -> list[Any]:
    """Last year's and this year's licence periods (April to March), as RenewalPeriod rows."""
    from licensing.models import RenewalPeriod

    current = today.year if today >= dt.date(today.year, 4, 1) else today.year - 1
    periods = []
    for year in (current - 1, current):
        period, _ = RenewalPeriod.objects.get_or_create(
            year=year,
            defaults={
                "rule_set": rule_set,
                "opens_date": dt.date(year, 1, 15),
                "due_date": dt.date(year, 3, 1),
                "penalty_from_date": dt.date(year, 3, 2),
                "lapse_date": dt.date(year, 4, 1),
                "valid_from_date": dt.date(year, 4, 1),
                "valid_to_date": dt.date(year + 1, 3, 31),
            },
        )
        periods.append(period)
    return periods


def ensure_data(count: int) -> float | None:
    """Generate the register when it is not there yet. Returns the seconds it took, or None when kept."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.run import FAMILY, GIVEN, STATUSES, copy_in
    from core.models import Council, RuleSet
    from registry.models import Practitioner, RegisterCategory, RegistrationNumberCounter
    from registry.numbers import format_registration_number

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
        return None
    started = time.perf_counter()
    need = count - have
    out = sys.stdout
    out.write(f"Generating {need} practitioners, register entries, history rows and licences (bench data, kept)...\n")
    out.flush()
    today = timezone.localdate()
    rule_set, _ = RuleSet.objects.get_or_create(version=1, defaults={"effective_date": dt.date(2000, 1, 1)})
    periods = _licence_periods(rule_set, today)
    first_day = dt.date(2000, 1, 1)
    span_days = (today - dt.timedelta(days=120) - first_day).days
    rare_family, rare_given = rare_names()
    rng = random.Random(have)
    start_pk = (Practitioner.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk_start in range(0, need, CHUNK_ROWS):
            files = {table: io.StringIO() for table in COPY_COLUMNS}
            people, people_history, entries, entries_history, licences = files.values()
            for pk in range(start_pk + chunk_start, start_pk + min(chunk_start + CHUNK_ROWS, need)):
                if rng.random() < 0.8:
                    family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}" if rng.random() < 0.3 else rng.choice(FAMILY)
                else:
                    family = rng.choice(rare_family)
                given = rng.choice(GIVEN) if rng.random() < 0.85 else rng.choice(rare_given)
                if pk == start_pk and have == 0:
                    given, family = "Søren", "Kierkegård"  # as bench/run.py: one rare name
                registered = first_day + dt.timedelta(days=rng.randrange(span_days))
                stamp = f"{registered.isoformat()}T08:00:00+00:00"
                people.write(f"{pk}\t{stamp}\t{stamp}\t{given}\t{family}\t\t\t\t\t\n")
                people_history.write(f"{pk}\t{stamp}\t{stamp}\t{given}\t{family}\t\t\t\t\t\t{stamp}\t+\n")
                number = format_registration_number(prefix="SW", sequence_value=pk, digits=7)
                status = rng.choice(STATUSES)
                conditions = "Supervised practice only." if status == "REGISTERED_WITH_CONDITIONS" else ""
                entry = f"{pk}\t{stamp}\t{stamp}\t{pk}\t{category.pk}\t{number}\t{status}\t{registered}\t{conditions}\t{stamp}"
                entries.write(f"{entry}\n")
                entries_history.write(f"{entry}\t{stamp}\t+\n")
                for period, share, needs_practising in ((periods[0], 0.95, False), (periods[1], 0.92, True)):
                    if registered > period.valid_to_date or (needs_practising and status not in PRACTISING):
                        continue
                    if rng.random() < share:
                        valid_from = max(period.valid_from_date, registered)
                        issued = f"{valid_from.isoformat()}T09:00:00+00:00"
                        licences.write(
                            f"{issued}\t{issued}\tBL{period.year}-{pk:07d}\t{valid_from}\t{period.valid_to_date}\t"
                            f"{issued}\t{pk}\t{period.pk}\n"
                        )
            for table, columns in COPY_COLUMNS.items():
                copy_in(cursor, table, columns, files[table])
            done = min(chunk_start + CHUNK_ROWS, need)
            out.write(f"  {done:>9} of {need} ({time.perf_counter() - started:.0f} s)\n")
            out.flush()
        cursor.execute("SELECT setval('registry_practitioner_id_seq', (SELECT max(id) FROM registry_practitioner))")
        cursor.execute("SELECT setval('registry_registerentry_id_seq', (SELECT max(id) FROM registry_registerentry))")
    RegistrationNumberCounter.objects.update_or_create(category=category, defaults={"last_value": start_pk + need})
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        for table in COPY_COLUMNS:
            cursor.execute(f"VACUUM (ANALYZE) {table}")  # also flushes the trigram indexes' pending lists
    return time.perf_counter() - started


# What is asked for ------------------------------------------------------------------------------


def sample_numbers() -> tuple[list[str], list[str], list[str]]:
    """Numbers on the register (a random ~2%, shuffled), unknown numbers with a valid check digit, and
    numbers with a wrong check digit."""
    from django.db import connection

    from registry.numbers import format_registration_number

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registration_number FROM registry_registerentry TABLESAMPLE BERNOULLI (2) REPEATABLE (7)"
        )
        known = [row[0] for row in cursor.fetchall()]
    random.Random(7).shuffle(known)
    unknown = [format_registration_number(prefix="SW", sequence_value=9_000_000 + i, digits=7) for i in range(2000)]
    invalid = [f"{number[:-1]}{(int(number[-1]) + 1) % 10}" for number in known[:2000]]
    return known, unknown, invalid


def search_names(rng: random.Random) -> list[tuple[str, str]]:
    """Names as people type them, each with its kind: common and rare, one or two words, accented or
    not, partial, absent."""
    from django.db import connection

    from bench.run import FAMILY, GIVEN
    from core.db_functions import fold

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_names, family_name FROM registry_practitioner TABLESAMPLE BERNOULLI (0.5) REPEATABLE (11)"
        )
        sampled = cursor.fetchall()
    common_family = set(FAMILY)
    rare = [(given, family) for given, family in sampled if " " not in family and family not in common_family]

    def typed(name: str) -> str:
        return fold(name) if rng.random() < 0.5 else name  # half typed without accents, in lower case

    names = [("common family name", typed(rng.choice(FAMILY))) for _ in range(40)]
    names += [("common given + family", typed(f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}")) for _ in range(30)]
    names += [("rare family name", typed(rng.choice(rare)[1])) for _ in range(60)]
    names += [("rare given + family", typed("{} {}".format(*rng.choice(rare)))) for _ in range(29)]
    names += [("rare family name", "kierkegard")]
    names += [("part of a rare name", typed(rng.choice(rare)[1][:5])) for _ in range(10)]
    names += [("part of a common name", typed(rng.choice(FAMILY).split()[-1][:4])) for _ in range(10)]
    names += [("not on the register", name) for name in NOT_ON_REGISTER]
    rng.shuffle(names)
    return names[:SEARCH_QUERIES]


def api_key() -> str:
    """A new API key for the bench employer (created once, with its user, through portal's services)."""
    from core.models import User
    from portal import services
    from portal.models import EmployerMember

    user = User.objects.filter(email=EMPLOYER_EMAIL).first() or User.objects.create_user(email=EMPLOYER_EMAIL)
    member = EmployerMember.objects.select_related("organisation").filter(user=user).first()
    if member is None:
        organisation = services.organisation_create(actor=None, name="Bench employer")
        services.member_add(actor=None, organisation=organisation, user=user)
    else:
        organisation = member.organisation
    _key, raw = services.api_key_issue(actor=user, organisation=organisation, name="bench")
    return raw


# Raw SQL, the same work as the API ----------------------------------------------------------------

LICENCE_LATERAL = """
LEFT JOIN LATERAL (
    SELECT l.valid_from_date, l.valid_to_date FROM licensing_licence l
    WHERE l.register_entry_id = e.id AND l.valid_from_date <= %(day)s AND l.valid_to_date >= %(day)s
    ORDER BY l.valid_to_date DESC LIMIT 1
) lic ON true
"""
RAW_LOOKUP = (
    """
SELECT e.id, e.registration_number, e.status, e.registered_date, e.conditions, c.code, c.name,
       p.given_names, p.family_name, p.previous_names, lic.valid_from_date, lic.valid_to_date
FROM registry_registerentry e
JOIN registry_practitioner p ON p.id = e.practitioner_id
JOIN registry_registercategory c ON c.id = e.category_id
"""
    + LICENCE_LATERAL
    + "WHERE e.registration_number = %(number)s"
)
RAW_SEARCH = (
    """
WITH page AS (
    SELECT e.id, e.registration_number, e.status, e.registered_date, e.conditions, c.code, c.name,
           p.given_names, p.family_name, p.previous_names
    FROM registry_registerentry e
    JOIN registry_practitioner p ON p.id = e.practitioner_id
    JOIN registry_registercategory c ON c.id = e.category_id
    WHERE {where}
    ORDER BY p.family_name, p.given_names, e.registration_number
    LIMIT 26
)
SELECT e.*, lic.valid_from_date, lic.valid_to_date FROM page e
"""
    + LICENCE_LATERAL
    + "ORDER BY e.family_name, e.given_names, e.registration_number"
)
RAW_NOTICES = """
SELECT register_entry_id, kind, summary, start_date, end_date FROM discipline_publication
WHERE register_entry_id = ANY(%(ids)s) AND status = 'PUBLISHED' ORDER BY start_date DESC, id DESC
"""
RAW_BULK = (
    """
SELECT e.registration_number, e.status, e.conditions, lic.valid_to_date
FROM registry_registerentry e
"""
    + LICENCE_LATERAL
    + "WHERE e.registration_number = ANY(%(numbers)s)"
)
RAW_EXPORT = """
COPY (
    SELECT e.registration_number, p.given_names, p.family_name, c.code, e.status, e.registered_date, e.conditions,
           lic.valid_to_date
    FROM registry_registerentry e
    JOIN registry_practitioner p ON p.id = e.practitioner_id
    JOIN registry_registercategory c ON c.id = e.category_id
    LEFT JOIN LATERAL (
        SELECT max(l.valid_to_date) AS valid_to_date FROM licensing_licence l
        WHERE l.register_entry_id = e.id AND l.valid_from_date <= '{day}' AND l.valid_to_date >= '{day}'
    ) lic ON true
    ORDER BY e.registration_number
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def raw_lookup(number: str, day: dt.date) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW_LOOKUP, {"number": number, "day": day})
        rows = cursor.fetchall()
        if rows:
            cursor.execute(RAW_NOTICES, {"ids": [row[0] for row in rows]})
            cursor.fetchall()
    return rows


def raw_search(name: str, day: dt.date) -> list[Any]:
    from django.db import connection

    from core.db_functions import fold

    tokens = [
        (fold(token) or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for token in name.split()
    ]
    where = " AND ".join(
        f"(p.given_names_folded LIKE %(t{i})s OR p.family_name_folded LIKE %(t{i})s)" for i in range(len(tokens[:6]))
    )
    params: dict[str, Any] = {f"t{i}": f"%{token}%" for i, token in enumerate(tokens[:6])}
    params["day"] = day
    with connection.cursor() as cursor:
        cursor.execute(RAW_SEARCH.format(where=where), params)
        rows = cursor.fetchall()
        if rows:
            cursor.execute(RAW_NOTICES, {"ids": [row[0] for row in rows[:25]]})
            cursor.fetchall()
    return rows


def raw_bulk(numbers: list[str], day: dt.date) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW_BULK, {"numbers": numbers, "day": day})
        return len(cursor.fetchall())


# HTTP: the server, a minimal client, and the load generator ------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def get_request(port: int, path: str, headers: dict[str, str] | None = None) -> str:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}\r\n"


def send(port: int, request: bytes) -> tuple[int, bytes]:
    """One request on its own connection (gunicorn's sync workers close each one): status and body."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    response = b"".join(chunks)
    return int(response[9:12]), response.partition(b"\r\n\r\n")[2]


def load(config_path: str) -> None:
    """The load generator (its own process, no Django): CONCURRENCY threads sending requests for a time."""
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    requests = [request.encode() for request in config["requests"]]
    port, deadline_seconds = config["port"], config["seconds"]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[float] = []
        codes: Counter[int] = Counter()
        while time.perf_counter() < deadline:
            request = rng.choice(requests)
            began = time.perf_counter()
            status, _body = send(port, request)
            mine.append(time.perf_counter() - began)
            codes[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(config["concurrency"])]
    started = time.perf_counter()
    deadline = started + deadline_seconds
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    json.dump(
        {
            "requests": len(latencies),
            "seconds": elapsed,
            "statuses": {str(code): count for code, count in statuses.items()},
            "client_ms": [round(seconds * 1000, 3) for seconds in latencies],
        },
        sys.stdout,
    )


def combined_load(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several rounds of the load generator's results as one: totals, and the latencies of all."""
    statuses: Counter[str] = Counter()
    for result in results:
        statuses.update(result["statuses"])
    return {
        "requests": sum(result["requests"] for result in results),
        "seconds": sum(result["seconds"] for result in results),
        "statuses": dict(statuses),
        "server_ms": [ms for result in results for ms in result["server_ms"]],
        "client_ms": [ms for result in results for ms in result["client_ms"]],
    }


def per_second(result: dict[str, Any]) -> float:
    return float(result["requests"] / result["seconds"])


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


class Server:
    """gunicorn on a free loopback port, with its access log holding each request's server time."""

    LOG_FORMAT = "%(m)s %(U)s %(s)s %(D)s"

    def __init__(self, directory: Path, environment: dict[str, str]) -> None:
        self.port = free_port()
        self.access_log = directory / "access.log"
        self.error_log = directory / "gunicorn.log"
        self.environment = environment
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [
            str(gunicorn), "config.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "300", "--access-logfile", str(self.access_log), "--access-logformat", self.LOG_FORMAT,
            "--error-logfile", str(self.error_log),
        ]  # fmt: skip
        self.access_log.touch()
        with open(self.error_log, "ab") as errors:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.environment, stdout=errors, stderr=errors)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if send(self.port, get_request(self.port, "/bench/bare").encode())[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self) -> str:
        try:
            return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def log_offset(self) -> int:
        return self.access_log.stat().st_size

    def log_since(self, offset: int, expected: int) -> list[tuple[str, str, int, float]]:
        """The access log's lines since an offset (method, path, status, server ms), waiting for `expected`."""
        deadline = time.monotonic() + 10
        while True:
            with open(self.access_log, "rb") as file:
                file.seek(offset)
                lines = file.read().decode().splitlines()
            if len(lines) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        rows = []
        for line in lines:
            method, path, status, micros = line.rsplit(" ", 3)
            rows.append((method, path, int(status), int(micros) / 1000))
        return rows

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return send(self.port, get_request(self.port, path, headers).encode())


def run_load(server: Server, requests: list[str], seconds: float, directory: Path) -> dict[str, Any]:
    config = directory / "load.json"
    config.write_text(
        json.dumps({"port": server.port, "requests": requests, "seconds": seconds, "concurrency": CONCURRENCY})
    )
    result = subprocess.run(
        [sys.executable, "-m", "bench.verification", "_load", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def export_child(kind: str) -> None:
    """In a fresh process: consume the whole register's CSV (the app's generator, or raw COPY), then
    print rows, bytes, seconds and the resident-memory high-water mark as JSON."""
    _django()
    from django.db import connection

    from core.selectors import council_today

    try:
        from portal.exports import register_csv_chunks  # the name in the brief
    except ImportError:
        from portal.documents import register_csv_chunks  # where it is in the working tree

    day = council_today()
    connection.ensure_connection()
    baseline_mib = _rss_mib()
    chunks: Iterator[bytes] = (
        register_csv_chunks() if kind == "app" else _raw_copy(RAW_EXPORT.format(day=day.isoformat()))
    )
    lines = size = 0
    first_row_s = None
    started = time.perf_counter()
    for chunk in chunks:
        lines += chunk.count(b"\n")
        size += len(chunk)
        if first_row_s is None and lines > 1:
            first_row_s = time.perf_counter() - started
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child's ru_maxrss is at least
    # its parent's resident set when it was forked (the bench's, here), whatever the child itself uses.
    peak_mib = _status_kib("VmHWM") / 1024
    json.dump(
        {
            "rows": lines - 1,
            "bytes": size,
            "seconds": seconds,
            "first_row_s": first_row_s,
            "baseline_mib": baseline_mib,
            "peak_mib": peak_mib,
        },
        sys.stdout,
    )


def _raw_copy(statement: str) -> Iterator[bytes]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        with cursor.cursor.copy(statement) as copy:
            yield from (bytes(block) for block in copy)


def _rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_export(kind: str) -> dict[str, Any]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.verification", "_export", kind],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the {kind} export failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


# Other people's load ------------------------------------------------------------------------------


class CpuWatch:
    """The share of the machine's CPU time that processes other than this run's used during a phase.

    The machine's busy time (/proc/stat) less this run's: this process and its descendants (gunicorn
    and its workers, the load generator, the export processes: sampled from /proc every quarter of a
    second, and through getrusage once they have ended), the PostgreSQL backends of this database and
    their parallel workers (sampled), and the PostgreSQL processes that ended during the phase without
    being sampled (the postmaster's reaped-children time: parallel workers live for one query). So
    others' short PostgreSQL connections count as this run's: the share is, if anything, low.
    """

    INTERVAL = 0.25

    def __init__(self) -> None:
        self.database = os.environ.get("BENCH_DATABASE_URL", DATABASE).rsplit("/", 1)[-1]
        self.tick = os.sysconf("SC_CLK_TCK")
        self.me = os.getpid()
        self.baseline: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.mine: dict[int, bool] = {}
        self.parents: dict[int, int] = {}
        self.postgres: set[int] = set()
        self.postmasters: dict[int, tuple[int, int]] = {}  # pid -> (reaped ticks at start, now)
        self.started = self.busy = self.children = 0.0
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _processes() -> dict[int, tuple[int, int, int, str]]:
        """Every process now: pid -> (parent pid, CPU ticks, reaped children's CPU ticks, command name)."""
        table = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as stat:
                    head, _, tail = stat.read().rpartition(")")
                fields = tail.split()
                table[int(entry.name)] = (
                    int(fields[1]),
                    int(fields[11]) + int(fields[12]),
                    int(fields[13]) + int(fields[14]),
                    head.partition("(")[2],
                )
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
        return table

    @staticmethod
    def _title(pid: int) -> str:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                return cmdline.read().decode(errors="replace")
        except OSError:
            return ""

    def _is_mine(self, pid: int, table: dict[int, tuple[int, int, int, str]]) -> bool:
        ancestor, hops = pid, 0
        while ancestor in table and ancestor > 1 and hops < 64:
            if ancestor == self.me:
                return True
            ancestor, hops = table[ancestor][0], hops + 1
        if table[pid][3] != "postgres":
            return False
        title = self._title(pid)
        if f" {self.database} " in title:
            return True
        leader = title.partition("parallel worker for PID ")[2].strip()
        return leader.isdigit() and f" {self.database} " in self._title(int(leader))

    def _busy_seconds(self) -> float:
        with open("/proc/stat", encoding="ascii") as stat:
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in stat.readline().split()[1:9])
        return (user + nice + system + irq + softirq + steal) / self.tick

    def _sample(self) -> None:
        table = self._processes()
        first = not self.last
        for pid, (ppid, ticks, reaped, name) in table.items():
            if pid not in self.mine:
                self.mine[pid] = self._is_mine(pid, table)
                self.parents[pid] = ppid
                if name == "postgres":
                    self.postgres.add(pid)
                    if table.get(ppid, (0, 0, 0, ""))[3] != "postgres":
                        self.postmasters[pid] = (reaped, reaped)
            if pid not in self.baseline:
                self.baseline[pid] = ticks if first else 0  # born during the phase: all its time counts
            self.last[pid] = ticks
            if pid in self.postmasters:
                self.postmasters[pid] = (self.postmasters[pid][0], reaped)

    def _run(self) -> None:
        while not self.done.wait(self.INTERVAL):
            self._sample()

    def start(self) -> CpuWatch:
        self.started, self.busy = time.perf_counter(), self._busy_seconds()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children = usage.ru_utime + usage.ru_stime
        self._sample()
        self.sampler.start()
        return self

    def others_share(self) -> float:
        """Stop, and give others' CPU seconds since start() as a share of the machine's capacity."""
        self.done.set()
        self.sampler.join()
        table = self._processes()
        elapsed = time.perf_counter() - self.started
        busy = self._busy_seconds() - self.busy
        for pid, (_ppid, ticks, reaped, _name) in table.items():  # the last sample, without classifying anew
            if pid in self.last:
                self.last[pid] = ticks
            if pid in self.postmasters:
                self.postmasters[pid] = (self.postmasters[pid][0], reaped)
        ended = {pid for pid in self.last if pid not in table}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine = usage.ru_utime + usage.ru_stime - self.children  # this process's children that ended
        mine += (
            sum(
                self.last[pid] - self.baseline[pid]
                for pid in self.last
                if self.mine[pid] and not (pid in ended and self.parents[pid] == self.me)
            )
            / self.tick
        )
        reaped = sum(now - then for then, now in self.postmasters.values())
        reaped_seen = sum(self.last[pid] for pid in ended if pid in self.postgres)
        mine += max(0, reaped - reaped_seen) / self.tick
        return max(0.0, busy - mine) / (elapsed * (os.cpu_count() or 1))


class QuietBudget:
    """The time the whole run may spend waiting for a quiet machine (BENCH_VERIFY_QUIET_WAIT), shared by
    every phase, so a machine that stays busy delays `make bench` by that much at most."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline: float | None = None

    def left(self) -> float:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds
        return max(0.0, self.deadline - time.monotonic())

    def wait(self) -> float:
        """Wait until other processes use less than QUIET_SHARE of the machine, or the budget is spent.
        Returns the share seen last."""
        announced = False
        while True:
            watch = CpuWatch().start()
            time.sleep(2)
            share = watch.others_share()
            if share < QUIET_SHARE or not self.left():
                return share
            if not announced:
                sys.stdout.write(
                    f"Other processes are using {share:.0%} of the CPUs; waiting for them "
                    f"({self.left():.0f} s of BENCH_VERIFY_QUIET_WAIT left)...\n"
                )
                sys.stdout.flush()
                announced = True


QUIET = QuietBudget(QUIET_WAIT)


def quietly[T](others: dict[str, float], phase: str, run: Callable[[], T]) -> T:
    """Run a phase on a quiet machine: wait for one, and measure again (up to QUIET_ATTEMPTS times, while the
    waiting budget lasts) when other processes took QUIET_SHARE or more of the CPUs meanwhile. Records the
    share of the attempt kept."""
    for attempt in range(1, QUIET_ATTEMPTS + 1):
        QUIET.wait()
        watch = CpuWatch().start()
        result = run()
        share = watch.others_share()
        if share < QUIET_SHARE or attempt == QUIET_ATTEMPTS or not QUIET.left():
            others[phase] = share
            return result
        sys.stdout.write(f"  {phase}: other processes used {share:.0%} of the CPUs meanwhile; measuring again\n")
        sys.stdout.flush()
    raise AssertionError("unreachable")


# The run ------------------------------------------------------------------------------------------


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, str]] = []
        self.misses: list[str] = []
        self.errors: list[str] = []

    def add(self, label: str, app: str, baseline: str, ratio: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("PASS" if met else "FAIL")
        if met is False:
            self.misses.append(f"{label}: {app} (target {target})")
        self.rows.append((label, app, baseline, ratio, target, verdict))

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.errors.append(message)


def summary(times_ms: list[float]) -> str:
    return f"{percentile(times_ms, 50):.1f} / {percentile(times_ms, 95):.1f} ms"


def timed_ms(operation: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = operation()
    return (time.perf_counter() - began) * 1000, result


def main() -> None:
    _django()
    from core.selectors import council_today
    from licensing.models import Licence
    from registry.models import RegisterEntry

    out = sys.stdout
    load_seconds = ensure_data(PRACTITIONERS)
    entries = RegisterEntry.objects.count()
    licences = Licence.objects.count()
    day = council_today()
    key = api_key()
    known, unknown, invalid = sample_numbers()
    names = search_names(random.Random(3))
    report = Report()
    others: dict[str, float] = {}
    cache = "redis" if redis_answers() else "local memory"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_verification",
        "BENCH_DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "COUNCIL_API_KEY_RATE": RATE,
        "COUNCIL_ANONYMOUS_RATE": RATE,
        "BENCH_VERIFY_CACHE_URL": REDIS_URL if cache == "redis" else "",
    }
    auth = {"Authorization": f"Bearer {key}"}
    rng = random.Random(5)
    lookup_numbers = known[:20000]
    unknown_every = round(1 / UNKNOWN_SHARE)

    def lookup_path(index: int) -> str:
        number = unknown[index % len(unknown)] if index % unknown_every == 0 else rng.choice(lookup_numbers)
        return f"/api/v1/practitioners/{number}"

    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        directory = Path(tmp)
        server = Server(directory, environment)
        server.start()
        try:
            # Sanity: the API answers as its contract says, before anything is timed.
            status, body = server.get(f"/api/v1/practitioners/{known[0]}")
            report.check(status == 200 and known[0].encode() in body, f"lookup of {known[0]}: {status} {body[:200]!r}")
            status, body = server.get(f"/api/v1/practitioners/{unknown[0]}")
            report.check(status == 404, f"lookup of unknown {unknown[0]}: {status} {body[:200]!r}")
            status, body = server.get(f"/api/v1/practitioners/{known[0]}", auth)
            report.check(status == 200, f"lookup with the API key: {status} {body[:200]!r}")
            if report.errors:
                raise RuntimeError("the API does not answer as expected:\n" + "\n".join(report.errors))

            # Lookup latency, one request at a time.

            def latency_phase(paths: list[str], headers: dict[str, str] | None) -> tuple[list[float], list[float]]:
                for path in paths[:100]:  # warm-up
                    server.get(path, headers)
                offset = server.log_offset()
                client_ms = []
                statuses: Counter[int] = Counter()
                for path in paths:
                    elapsed, (status, _body) = timed_ms(lambda path=path: server.get(path, headers))
                    client_ms.append(elapsed)
                    statuses[status] += 1
                report.check(set(statuses) <= {200, 404}, f"lookup latency: statuses {dict(statuses)}")
                return [row[3] for row in server.log_since(offset, len(paths))], client_ms

            latency: dict[str, tuple[list[float], list[float]]] = {}
            for label, paths, headers in (
                ("bare", ["/bench/bare"] * (LATENCY_REQUESTS // 2), None),
                ("anonymous", [lookup_path(i) for i in range(LATENCY_REQUESTS)], None),
                ("key", [lookup_path(i) for i in range(LATENCY_REQUESTS)], auth),
            ):
                latency[label] = quietly(
                    others, f"latency, {label}", lambda paths=paths, headers=headers: latency_phase(paths, headers)
                )
            numbers = [lookup_path(i).rsplit("/", 1)[1] for i in range(LATENCY_REQUESTS)]
            raw_ms = quietly(
                others, "latency, raw SQL", lambda: [timed_ms(lambda n=n: raw_lookup(n, day))[0] for n in numbers]
            )

            # Throughput: the same generator and clients for the bare view and the lookups, interleaved.
            def measure_load(label: str, requests: list[str]) -> dict[str, Any]:
                offset = server.log_offset()
                result = run_load(server, requests, SECONDS / ROUNDS, directory)
                result["server_ms"] = [row[3] for row in server.log_since(offset, result["requests"])]
                bad = {code: n for code, n in result["statuses"].items() if code not in ("200", "404")}
                report.check(not bad, f"throughput, {label}: unexpected statuses {bad}")
                return result

            load_requests = {
                label: [get_request(server.port, path, headers) for path in paths]
                for label, paths, headers in (
                    ("bare", ["/bench/bare"], None),
                    ("key", [lookup_path(i) for i in range(4000)], auth),
                    ("anonymous", [lookup_path(i) for i in range(4000)], None),
                )
            }
            for requests in load_requests.values():
                run_load(server, requests, WARMUP_SECONDS, directory)
            order = list(load_requests)
            rounds: list[dict[str, dict[str, Any]]] = []
            for index in range(ROUNDS):
                turned = order[index % len(order) :] + order[: index % len(order)]
                rounds.append(
                    quietly(
                        others,
                        f"throughput, round {index + 1}",
                        lambda turned=turned: {label: measure_load(label, load_requests[label]) for label in turned},
                    )
                )
            throughput = {label: combined_load([each[label] for each in rounds]) for label in order}

            # Name search, one at a time, against raw SQL, after a warm-up pass of both.
            search_paths = [
                "/api/v1/practitioners?" + urllib.parse.urlencode({"name": name, "page_size": 25})
                for _kind, name in names
            ]
            for (_kind, name), path in zip(names, search_paths, strict=True):
                server.get(path)
                raw_search(name, day)

            def search_phase() -> tuple[list[float], list[float], list[float]]:
                offset = server.log_offset()
                client_ms, raw_ms, mismatches = [], [], []
                for (_kind, name), path in zip(names, search_paths, strict=True):
                    elapsed, (status, body) = timed_ms(lambda path=path: server.get(path))
                    client_ms.append(elapsed)
                    report.check(status == 200, f"search {name!r}: {status} {body[:200]!r}")
                    elapsed, rows = timed_ms(lambda name=name: raw_search(name, day))
                    raw_ms.append(elapsed)
                    if status == 200:
                        got = [item["registration_number"] for item in json.loads(body)["results"]]
                        if got != [row[1] for row in rows[:25]]:
                            mismatches.append(name)
                report.check(not mismatches, f"search: the API and raw SQL disagree for {mismatches[:5]}")
                return [row[3] for row in server.log_since(offset, len(names))], client_ms, raw_ms

            search_server_ms, search_client_ms, search_raw_ms = quietly(others, "name search", search_phase)

            # Bulk verification of 10,000 numbers.
            found_share = 1 - 2 * UNKNOWN_SHARE
            inputs = (
                known[: int(BULK_NUMBERS * found_share)]
                + unknown[: int(BULK_NUMBERS * UNKNOWN_SHARE)]
                + invalid[: BULK_NUMBERS - int(BULK_NUMBERS * found_share) - int(BULK_NUMBERS * UNKNOWN_SHARE)]
            )
            random.Random(9).shuffle(inputs)
            wrong, absent = set(invalid), set(unknown)
            valid = [number for number in inputs if number not in wrong]
            expected_found = sum(1 for number in inputs if number not in wrong and number not in absent)
            payload = json.dumps({"registration_numbers": inputs}).encode()

            def bulk_phase() -> tuple[list[float], list[float], list[float]]:
                client_s, server_s, raw_s = [], [], []
                for attempt in range(BULK_RUNS + 1):  # the first is a warm-up
                    offset = server.log_offset()
                    connection_ = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
                    began = time.perf_counter()
                    connection_.request(
                        "POST",
                        "/api/v1/verifications",
                        body=payload,
                        headers={**auth, "Content-Type": "application/json"},
                    )
                    response = connection_.getresponse()
                    body = response.read()
                    elapsed = time.perf_counter() - began
                    connection_.close()
                    report.check(response.status == 200, f"bulk verification: {response.status} {body[:300]!r}")
                    if response.status == 200:
                        answer = json.loads(body)
                        report.check(
                            answer.get("checked") == len(inputs) and answer.get("found") == expected_found,
                            f"bulk verification: checked {answer.get('checked')}, found {answer.get('found')}, "
                            f"expected {len(inputs)} and {expected_found}",
                        )
                    served = server.log_since(offset, 1)[0][3] / 1000
                    raw = timed_ms(lambda: raw_bulk(valid, day))[0] / 1000
                    if attempt:
                        client_s.append(elapsed)
                        server_s.append(served)
                        raw_s.append(raw)
                return client_s, server_s, raw_s

            bulk_client_s, bulk_server_s, bulk_raw_s = quietly(others, "bulk verification", bulk_phase)
        finally:
            server.stop()
            if report.errors or server.process is None or server.process.returncode not in (0, -signal.SIGTERM):
                out.write(f"\ngunicorn's log (last lines):\n{server.log_tail()}\n")

    # The export, each in a fresh process.
    app_export = quietly(others, "export, app", lambda: run_export("app"))
    raw_export = quietly(others, "export, raw COPY", lambda: run_export("raw"))
    report.check(
        app_export["rows"] == raw_export["rows"] == entries,
        f"export rows: app {app_export['rows']}, raw {raw_export['rows']}, register {entries}",
    )

    # The table.
    key_server, key_client = latency["key"]
    anon_server, _anon_client = latency["anonymous"]
    bare_server, bare_client = latency["bare"]
    for label, server_ms in (("lookup, API key", key_server), ("lookup, anonymous", anon_server)):
        p95 = percentile(server_ms, 95)
        report.add(
            f"{label}: p50 / p95 server time, 1 client",
            summary(server_ms),
            f"bare {summary(bare_server)}",
            f"{p95 / percentile(bare_server, 95):.1f}",
            f"p95 < {TARGET_LOOKUP_P95_MS:.0f} ms",
            p95 < TARGET_LOOKUP_P95_MS,
        )
    report.add(
        "lookup, API key: p50 / p95 client time, 1 client",
        summary(key_client),
        f"bare {summary(bare_client)}",
        f"{percentile(key_client, 95) / percentile(bare_client, 95):.1f}",
    )
    report.add("lookup: raw SQL (entry, licence, notices), 1 client", summary(raw_ms), "", "")
    bare_rate = throughput["bare"]["requests"] / throughput["bare"]["seconds"]
    for label, name in (("lookup, API key", "key"), ("lookup, anonymous", "anonymous")):
        result = throughput[name]
        rate = result["requests"] / result["seconds"]
        report.add(
            f"{label}: throughput, {CONCURRENCY} clients, {ROUNDS} x {SECONDS / ROUNDS:.0f} s",
            f"{rate:.0f} req/s",
            f"bare {bare_rate:.0f} req/s",
            f"{rate / bare_rate:.2f}",
            f">= {TARGET_THROUGHPUT_RATIO:.2f} of bare",
            rate / bare_rate >= TARGET_THROUGHPUT_RATIO,
        )
        report.add(
            f"{label}: p50 / p95 server time, loaded",
            summary(result["server_ms"]),
            f"bare {summary(throughput['bare']['server_ms'])}",
            "",
        )
    search_p95, raw_p95 = percentile(search_server_ms, 95), percentile(search_raw_ms, 95)
    report.add(
        f"name search: p50 / p95 server time ({len(names)} names)",
        summary(search_server_ms),
        f"raw {summary(search_raw_ms)}",
        f"{search_p95 / raw_p95:.2f}",
        f"p95 < {TARGET_SEARCH_P95_MS:.0f} ms",
        search_p95 < TARGET_SEARCH_P95_MS,
    )
    report.add(
        "name search: p95 against raw SQL's p95",
        f"{search_p95:.1f} ms",
        f"raw {raw_p95:.1f} ms",
        f"{search_p95 / raw_p95:.2f}",
        f"<= {TARGET_SEARCH_RATIO:.0f}x raw",
        search_p95 / raw_p95 <= TARGET_SEARCH_RATIO,
    )
    report.add("name search: p50 / p95 client time", summary(search_client_ms), "", "")
    bulk_client, bulk_server, bulk_raw = (statistics.median(v) for v in (bulk_client_s, bulk_server_s, bulk_raw_s))
    report.add(
        f"bulk verification of {len(inputs)}, end to end (median of {BULK_RUNS})",
        f"{bulk_client:.2f} s",
        f"raw {bulk_raw:.2f} s",
        f"{bulk_client / bulk_raw:.1f}",
        f"< {TARGET_BULK_S:.0f} s",
        bulk_client < TARGET_BULK_S,
    )
    report.add(
        "bulk verification: server time (median)",
        f"{bulk_server:.2f} s",
        f"raw {bulk_raw:.2f} s",
        f"{bulk_server / bulk_raw:.1f}",
    )
    report.add(
        "CSV export of the register: peak memory (VmHWM)",
        f"{app_export['peak_mib']:.0f} MiB",
        f"raw COPY {raw_export['peak_mib']:.0f} MiB",
        f"{app_export['peak_mib'] / raw_export['peak_mib']:.2f}",
        f"< {TARGET_EXPORT_MB:.0f} MB",
        app_export["peak_mib"] * 1.048576 < TARGET_EXPORT_MB,
    )
    app_rate, raw_rate = (e["rows"] / e["seconds"] for e in (app_export, raw_export))
    report.add(
        "CSV export: rows/s",
        f"{app_rate:,.0f} rows/s",
        f"raw COPY {raw_rate:,.0f} rows/s",
        f"{raw_rate / app_rate:.2f}",
    )
    report.add(
        "CSV export: whole register / first row",
        f"{app_export['seconds']:.1f} s / {app_export['first_row_s']:.1f} s",
        f"raw {raw_export['seconds']:.1f} s / {raw_export['first_row_s']:.1f} s",
        f"{app_export['seconds'] / raw_export['seconds']:.2f}",
    )

    loaded = (
        f"generated in this run in {load_seconds:.0f} s" if load_seconds is not None else "kept from an earlier run"
    )
    out.write(
        f"\nPublic verification API: {entries:,} register entries, {licences:,} licences, PostgreSQL (data {loaded});\n"
        f"gunicorn with {WORKERS} sync workers on {os.cpu_count()} CPUs, rate-limit cache in {cache}, "
        f"{CONCURRENCY} load clients in another process; server time is gunicorn's %(D)s\n\n"
    )
    widths = (54, 22, 26, 6, 20, 4)
    header = ("measure", "app", "baseline (same run)", "ratio", "target", "")
    out.write(" ".join(f"{cell:{width}}" for cell, width in zip(header, widths, strict=True)).rstrip() + "\n")
    for row in report.rows:
        out.write(" ".join(f"{cell:{width}}" for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")

    out.write("\nName search by kind of name, p50 / p95 (API server time | raw SQL):\n")
    kinds: dict[str, list[int]] = {}
    for index, (kind, _name) in enumerate(names):
        kinds.setdefault(kind, []).append(index)
    for kind, indexes in kinds.items():
        api_times = [search_server_ms[i] for i in indexes]
        raw_times = [search_raw_ms[i] for i in indexes]
        out.write(f"  {kind:28} {len(indexes):>3} names  {summary(api_times):>20} | {summary(raw_times)}\n")
    export_growth = app_export["peak_mib"] - app_export["baseline_mib"]
    out.write(
        f"\nExport: {app_export['rows']:,} rows, {app_export['bytes'] / 1e6:.0f} MB of CSV; the process held "
        f"{app_export['baseline_mib']:.0f} MiB before it started (Django loaded), so the export itself grew it by "
        f"{export_growth:.0f} MiB (raw COPY: {raw_export['peak_mib'] - raw_export['baseline_mib']:.0f} MiB).\n"
    )
    out.write(
        "Throughput by round, req/s (each lookup's share of the same round's bare view): "
        + "; ".join(
            f"{index}. bare {per_second(each['bare']):.0f}, key {per_second(each['key']):.0f} "
            f"({per_second(each['key']) / per_second(each['bare']):.2f}), anonymous {per_second(each['anonymous']):.0f} "
            f"({per_second(each['anonymous']) / per_second(each['bare']):.2f})"
            for index, each in enumerate(rounds, start=1)
        )
        + "\n"
    )
    for label, name in (("API key", "key"), ("anonymous", "anonymous"), ("bare", "bare")):
        result = throughput[name]
        out.write(
            f"Load ({label}): {result['requests']} requests in {result['seconds']:.1f} s, statuses {result['statuses']}, "
            f"client p50 / p95 {summary(result['client_ms'])}\n"
        )
    out.write(
        "\nCPU used by other processes (not this run's), as a share of the machine: "
        + ", ".join(f"{phase} {share:.0%}" for phase, share in others.items())
        + "\n"
    )
    busy = [phase for phase, share in others.items() if share >= QUIET_SHARE]
    if busy:
        out.write(
            f"WARNING: other processes used {QUIET_SHARE:.0%} or more of the CPUs during: {', '.join(busy)}. "
            "Those figures are slower than this machine can do; run again when it is quiet.\n"
        )
    if report.misses:
        out.write("\nTargets missed:\n" + "".join(f"  - {miss}\n" for miss in report.misses))
    else:
        out.write("\nAll targets met.\n")
    if report.errors:
        out.write("\nErrors:\n" + "".join(f"  - {error}\n" for error in dict.fromkeys(report.errors)))
        raise SystemExit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_load"]:
        load(sys.argv[2])
    elif sys.argv[1:2] == ["_export"]:
        export_child(sys.argv[2])
    else:
        main()
