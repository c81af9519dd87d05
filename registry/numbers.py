"""Registration numbers: a per-category counter in the database plus a Damm check digit.

The Damm algorithm catches every single-digit error and every swap of two adjacent digits, so a
mistyped number cannot verify as somebody else's.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.db import connection

from registry.models import RegisterCategory, RegistrationNumberCounter

_DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_NUMBER_PATTERN = re.compile(r"^([A-Z]{1,10})-?(\d{3,12})-?(\d)$")


def damm_check_digit(digits: str) -> int:
    interim = 0
    for char in digits:
        interim = _DAMM_TABLE[interim][int(char)]
    return interim


def format_registration_number(*, prefix: str, sequence_value: int, digits: int) -> str:
    body = f"{sequence_value:0{digits}d}"
    return f"{prefix}-{body}-{damm_check_digit(body)}"


@lru_cache(maxsize=4)
def _legacy_pattern(pattern: str) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def legacy_number_form(raw: str) -> str | None:
    """A number from the council's register before this one, as it is stored (upper case, single
    spaces), when it matches COUNCIL_LEGACY_NUMBER_PATTERN; None otherwise or when there is no pattern.

    Legacy numbers have no check digit, so for them a typo can find another person; the register's
    own numbers keep that protection.
    """
    pattern = _legacy_pattern(getattr(settings, "COUNCIL_LEGACY_NUMBER_PATTERN", ""))
    if pattern is None:
        return None
    tidy = " ".join(raw.upper().split())
    return tidy if pattern.fullmatch(tidy) and "\x00" not in tidy else None


def normalise_registration_number(raw: str) -> str | None:
    """Canonical form of a typed number ("sw 000123 7" -> "SW-000123-7"), or None if it can't be one.

    Returns None too when the check digit is wrong, so a typo never finds another person. A number
    of the council's legacy register (see legacy_number_form) is returned as it is stored.
    """
    legacy = legacy_number_form(raw)
    if legacy is not None:
        return legacy
    compact = re.sub(r"[\s./]", "", raw.upper())
    match = _NUMBER_PATTERN.match(compact)
    if match is None:
        return None
    prefix, body, check = match.groups()
    if damm_check_digit(body) != int(check):
        return None
    return f"{prefix}-{body}-{check}"


def looks_like_registration_number(raw: str) -> bool:
    return legacy_number_form(raw) is not None or _NUMBER_PATTERN.match(re.sub(r"[\s./]", "", raw.upper())) is not None


def registration_number_next(*, category: RegisterCategory) -> str:
    """Take the next number for a category. Atomic in the database; call inside the approval transaction.

    The counter row is incremented with a single UPDATE ... RETURNING, which locks the row until
    commit on PostgreSQL and the database on SQLite, so concurrent approvals never share a number,
    and a rolled-back approval gives its number back unseen.
    """
    RegistrationNumberCounter.objects.get_or_create(category=category)
    table = RegistrationNumberCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + 1 WHERE category_id = %s RETURNING last_value",  # noqa: S608
            [category.pk],
        )
        (value,) = cursor.fetchone()
    return format_registration_number(
        prefix=category.registration_number_prefix, sequence_value=value, digits=category.registration_number_digits
    )
