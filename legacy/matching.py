"""Finding people who are in a legacy file twice, or already on the register: fuzzy names plus a
date of birth or an ID number.

Two records are the same person when
- they share a date of birth and their names are alike (similarity at least NAME_MATCH), or
- they share a national ID number (compared by its keyed digest, core.crypto) and their names are
  at least loosely alike (ID_NAME_MATCH: a marriage may have changed the family name).

Names are compared folded (case and accents ignored) with their words in alphabetical order, so
"José María Núñez", "Maria Jose Nunez" and "Nunez, Jose Maria" are alike; previous names count as
family names too. Similarity is difflib's ratio, 0 to 1. Only records sharing a date of birth or an
ID are ever compared, so the work grows with the file, not as its square.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from django.db.models import Q

from core.crypto import identifier_digest
from core.db_functions import fold
from legacy.checking import CheckedRow
from registry.models import Practitioner

NAME_MATCH = 0.85
ID_NAME_MATCH = 0.6
_CHUNK = 1000


@dataclass(frozen=True)
class Person:
    given_names: str
    family_name: str
    previous_names: str
    date_of_birth: dt.date | None
    id_digest: str

    def name_keys(self) -> list[str]:
        given = _words(self.given_names)
        keys = [" ".join(sorted([*given, *_words(self.family_name)]))]
        if self.previous_names:
            keys.append(" ".join(sorted([*given, *_words(self.previous_names)])))
        return keys


@dataclass(frozen=True)
class Match:
    row: int
    other_row: int | None  # another row of the file, or
    practitioner_id: int | None  # someone already on the register
    same_birth_date: bool
    same_id: bool
    similarity: float

    def as_json(self) -> dict[str, object]:
        return {
            "row": self.row,
            "other_row": self.other_row,
            "practitioner_id": self.practitioner_id,
            "same_birth_date": self.same_birth_date,
            "same_id": self.same_id,
            "similarity": round(self.similarity, 3),
        }


def _words(text: str) -> list[str]:
    folded = fold(text) or ""
    return "".join(ch if ch.isalnum() else " " for ch in folded).split()


def name_similarity(first: Person, second: Person) -> float:
    return max(
        SequenceMatcher(None, one, other, autojunk=False).ratio()
        for one in first.name_keys()
        for other in second.name_keys()
    )


def _verdict(first: Person, second: Person) -> tuple[bool, bool, float] | None:
    same_birth = first.date_of_birth is not None and first.date_of_birth == second.date_of_birth
    same_id = bool(first.id_digest) and first.id_digest == second.id_digest
    if not (same_birth or same_id):
        return None
    similarity = name_similarity(first, second)
    if (same_birth and similarity >= NAME_MATCH) or (same_id and similarity >= ID_NAME_MATCH):
        return same_birth, same_id, similarity
    return None


def _person(row: CheckedRow) -> Person:
    return Person(
        given_names=row.given_names,
        family_name=row.family_name,
        previous_names=row.previous_names,
        date_of_birth=row.date_of_birth,
        id_digest=identifier_digest(row.national_id),
    )


def _blocks(people: Iterable[tuple[int, Person]]) -> list[list[int]]:
    by_key: dict[tuple[str, object], list[int]] = defaultdict(list)
    for row, person in people:
        if person.date_of_birth is not None:
            by_key["dob", person.date_of_birth].append(row)
        if person.id_digest:
            by_key["id", person.id_digest].append(row)
    return [rows for rows in by_key.values() if len(rows) > 1]


def duplicates_find(rows: list[CheckedRow]) -> list[Match]:
    """Pairs of rows of the file that are one person, then rows that match someone on the register."""
    people = {row.row: _person(row) for row in rows}
    pairs: dict[tuple[int, int], Match] = {}
    for block in _blocks(people.items()):
        for first, second in combinations(sorted(block), 2):
            if (first, second) in pairs:
                continue
            verdict = _verdict(people[first], people[second])
            if verdict is not None:
                pairs[first, second] = Match(first, second, None, *verdict)
    matches = sorted(pairs.values(), key=lambda match: (match.row, match.other_row or 0))
    return matches + _register_matches(people)


def _register_matches(people: dict[int, Person]) -> list[Match]:
    by_birth: dict[dt.date, list[int]] = defaultdict(list)
    by_id: dict[str, list[int]] = defaultdict(list)
    for row, person in people.items():
        if person.date_of_birth is not None:
            by_birth[person.date_of_birth].append(row)
        if person.id_digest:
            by_id[person.id_digest].append(row)
    births, digests = sorted(by_birth), sorted(by_id)
    found: dict[tuple[int, int], Match] = {}
    for start in range(0, max(len(births), len(digests)), _CHUNK):
        condition = Q(date_of_birth__in=births[start : start + _CHUNK]) | Q(
            national_id_digest__in=digests[start : start + _CHUNK]
        )
        candidates = Practitioner.objects.filter(condition, merged_into__isnull=True).values_list(
            "pk", "given_names", "family_name", "previous_names", "date_of_birth", "national_id_digest"
        )
        for pk, given, family, previous, born, digest in candidates.iterator(chunk_size=2000):
            existing = Person(given, family, previous, born, digest)
            rows = set(by_birth.get(born, [])) if born else set()
            rows.update(by_id.get(digest, []) if digest else [])
            for row in rows:
                verdict = _verdict(people[row], existing)
                if verdict is not None:
                    found[row, pk] = Match(row, None, pk, *verdict)
    return sorted(found.values(), key=lambda match: (match.row, match.practitioner_id or 0))
