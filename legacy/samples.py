"""A made-up legacy register, generated, never stored: for the tests, the benchmark and the demo.

`legacy_register_sample(rows=5000)` gives a header and rows as a council's old system would export
them (its own numbers like SW04521, day-first dates, "Active"/"Lapsed", sector words), with exactly
`PLANTED_DUPLICATES` people in it twice: eight within the file and four who are already on the
register (`register_people`, to be put there first). Everyone else has a date of birth and an ID
number of their own, so nobody else can be mistaken for a duplicate.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field

HEADER = [
    "Reg No",
    "Cadre",
    "Status",
    "Date Registered",
    "First Names",
    "Surname",
    "Maiden Name",
    "DOB",
    "Gender",
    "ID Number",
    "Email",
    "Province",
    "Town",
    "Highest Qualification",
    "University",
    "Date Awarded",
    "Employer",
    "Sector",
    "Position",
    "Paid",
    "Conditions",
]
LEGACY_NUMBER_PATTERN = r"^[A-Z]{2,4}\d{5}$"
PLANTED_WITHIN_FILE = 8
PLANTED_ON_REGISTER = 4
PLANTED_DUPLICATES = PLANTED_WITHIN_FILE + PLANTED_ON_REGISTER

GIVEN = (
    "José", "María", "Françoise", "Hélène", "Zoë", "Thandiwe", "Pieter", "Lerato", "Sipho", "Amélie",
    "Ángel", "Chloé", "Naledi", "Kagiso", "Ayanda", "Mpho", "Priya", "Noël", "Inés", "Raúl",
    "Bongani", "Refilwe", "Johan", "Anke", "Fatima", "Yusuf", "Grace", "Tendai", "Nomsa", "Themba",
    "Lindiwe", "Kwame", "Abena", "Chidi", "Ngozi", "Farai", "Rudo", "Tanvir", "Anjali", "Marek",
)  # fmt: skip
FAMILY = (
    "Núñez", "Gutiérrez", "Lefèvre", "Müller", "Dlamini", "Mokoena", "van der Merwe", "Naidoo",
    "Botha", "Khumalo", "Nkosi", "Ndlovu", "Mahlangu", "Pillay", "Pretorius", "Fourie", "Mthembu",
    "Zulu", "Sithole", "Moloi", "Mabena", "Radebe", "Okonkwo", "Mensah", "Chikwanha", "Banda",
    "Phiri", "Mwale", "Kowalski", "Novák", "Esterházy", "O'Brien", "García Márquez", "Østergaard",
    "Çelik", "Nguyễn", "Ramaphosa", "Hendricks", "Adams", "Jacobs",
)  # fmt: skip
EMPLOYERS = (
    ("Department of Social Development", "Government"),
    ("Provincial Health Department", "Government"),
    ("City Child Protection Unit", "Government"),
    ("Childline", "NGO"),
    ("Hope Children's Home", "NGO"),
    ("Lifeline Counselling", "NGO"),
    ("St Mary's Care Centre", "Faith based"),
    ("Sunrise Youth Care", "Private"),
)
POSITIONS = ("Social worker", "Senior social worker", "Child and youth care worker", "Supervisor", "Auxiliary")
STATUSES = ("Active",) * 14 + ("Lapsed", "Lapsed", "Suspended", "Resigned", "Deceased", "Conditional")


@dataclass
class SampleFile:
    header: list[str]
    rows: list[list[str]]
    # People to put on the register before the import, each a near twin of one row of the file.
    register_people: list[dict[str, object]] = field(default_factory=list)
    # Pairs of file rows (numbered as in the file: the header is row 1) that are one person.
    planted_in_file: list[tuple[int, int]] = field(default_factory=list)
    # File rows that are one of register_people (by index in that list).
    planted_on_register: list[tuple[int, int]] = field(default_factory=list)

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue().encode("utf-8")

    def xlsx_bytes(self) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Register")
        sheet.append(self.header)
        for row in self.rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    def highest_number(self, prefix: str) -> int:
        numbers = [int(row[0][len(prefix) :]) for row in self.rows if row[0].startswith(prefix)]
        return max(numbers)


def _id_number(born: dt.date, serial: int) -> str:
    return f"{born:%y%m%d}{serial:07d}"


def _dmy(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _typo(name: str) -> str:
    """One letter changed in the middle of the longest word: a typist's slip."""
    words = name.split(" ")
    longest = max(range(len(words)), key=lambda index: len(words[index]))
    word = words[longest]
    middle = len(word) // 2
    words[longest] = word[:middle] + ("a" if word[middle] != "a" else "e") + word[middle + 1 :]
    return " ".join(words)


def _strip_accents(name: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).upper()


def legacy_register_sample(
    *,
    rows: int = 5000,
    seed: int = 20261123,
    categories: tuple[tuple[str, str], ...] = (("social-worker", "SW"),),
    qualifications: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
) -> SampleFile:
    """`categories`: (the register's category code, the legacy number prefix) to spread people over;
    `qualifications` and `regions`: the register's codes to fill those columns with (empty: left blank)."""
    rng = random.Random(seed)  # noqa: S311 (made-up data, reproducible by its seed)
    unique_people = rows - PLANTED_WITHIN_FILE - PLANTED_ON_REGISTER
    total_people = unique_people + PLANTED_ON_REGISTER
    days = list(range((dt.date(2003, 12, 31) - dt.date(1958, 1, 1)).days))
    births = [dt.date(1958, 1, 1) + dt.timedelta(days=offset) for offset in rng.sample(days, total_people)]
    names: set[tuple[str, str]] = set()
    people: list[dict[str, object]] = []
    for index in range(total_people):
        while True:
            given = rng.choice(GIVEN) if rng.random() < 0.6 else f"{rng.choice(GIVEN)} {rng.choice(GIVEN)}"
            family = rng.choice(FAMILY)
            if (given, family) not in names and len(set(given.split())) == len(given.split()):
                names.add((given, family))
                break
        born = births[index]
        people.append(
            {
                "given_names": given,
                "family_name": family,
                "date_of_birth": born,
                "national_id": _id_number(born, index) if rng.random() < 0.8 else "",
                "sex": rng.choice(("F", "F", "M", "Female", "Male", "")),
            }
        )
    sequences = {prefix: rng.sample(range(1, 99999), rows) for _code, prefix in categories}
    used = dict.fromkeys(sequences, 0)

    def row_for(person: dict[str, object], category_index: int, *, hide_birth: bool = False) -> list[str]:
        code, prefix = categories[category_index % len(categories)]
        number = f"{prefix}{sequences[prefix][used[prefix]]:05d}"
        used[prefix] += 1
        born = person["date_of_birth"]
        assert isinstance(born, dt.date)  # noqa: S101
        registered: dt.date = born + dt.timedelta(days=rng.randint(22 * 365, 40 * 365))
        registered = min(registered, dt.date(2026, 6, 30))
        status = rng.choice(STATUSES)
        employer, sector = rng.choice(EMPLOYERS)
        has_job = rng.random() < 0.85
        awarded = registered - dt.timedelta(days=rng.randint(30, 400))
        qualification = rng.choice(qualifications) if qualifications else ""
        return [
            number,
            code,
            status,
            _dmy(registered),
            str(person["given_names"]),
            str(person["family_name"]),
            "",
            "" if hide_birth else _dmy(born),
            str(person["sex"]),
            str(person["national_id"]),
            f"person{used[prefix]}.{prefix.lower()}@example.org" if rng.random() < 0.7 else "",
            rng.choice(regions) if regions else "",
            rng.choice(("Pretoria", "Durban", "Soweto", "Polokwane", "")),
            qualification,
            rng.choice(("University of Pretoria", "UNISA", "University of Limpopo")) if qualification else "",
            _dmy(awarded) if qualification else "",
            employer if has_job else "",
            sector if has_job else "",
            rng.choice(POSITIONS) if has_job else "",
            rng.choice(("Yes", "Yes", "Yes", "No")) if has_job else "",
            "Supervised practice only." if status == "Conditional" else "",
        ]

    table = [row_for(person, index) for index, person in enumerate(people[:unique_people])]
    sample = SampleFile(header=list(HEADER), rows=table)
    # Within the file: eight people a second time, as a second category, each written differently.
    variants = ("accents", "typo", "order", "accents", "typo", "order", "married", "married")
    for slot, variant in enumerate(variants):
        original_index = slot * (unique_people // len(variants)) + min(100, unique_people // (2 * len(variants)))
        person = dict(people[original_index])
        if variant == "accents":
            person["given_names"] = _strip_accents(str(person["given_names"]))
            person["family_name"] = _strip_accents(str(person["family_name"]))
        elif variant == "typo":
            person["family_name"] = _typo(str(person["family_name"]))
        elif variant == "order":
            person["given_names"] = " ".join(reversed(str(person["given_names"]).split()))
            person["family_name"] = str(person["family_name"]).upper()
        hide_birth = variant == "married"
        if hide_birth:
            original_birth = people[original_index]["date_of_birth"]
            assert isinstance(original_birth, dt.date)  # noqa: S101
            person["national_id"] = person["national_id"] or _id_number(original_birth, 9_000_000 + slot)
            table[original_index][9] = str(person["national_id"])
            person["family_name"] = "Okafor-" + str(person["family_name"])
        duplicate = row_for(person, original_index + 1, hide_birth=hide_birth)
        if variant == "married":
            duplicate[6] = str(people[original_index]["family_name"])
        table.append(duplicate)
        sample.planted_in_file.append((original_index + 2, len(table) + 1))
    # On the register already: four people, and a row for each written a little differently.
    for slot, person in enumerate(people[unique_people:]):
        sample.register_people.append(dict(person))
        twin = dict(person)
        if slot == 0:
            twin["given_names"] = _strip_accents(str(twin["given_names"]))
        elif slot == 1:
            twin["family_name"] = _typo(str(twin["family_name"]))
        elif slot == 2:
            twin_birth = twin["date_of_birth"]
            assert isinstance(twin_birth, dt.date)  # noqa: S101
            twin["national_id"] = twin["national_id"] or _id_number(twin_birth, 9_500_000)
            sample.register_people[slot]["national_id"] = twin["national_id"]
        table.append(row_for(twin, slot, hide_birth=slot == 2))
        sample.planted_on_register.append((len(table) + 1, slot))
    return sample
