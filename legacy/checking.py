"""Checking a mapped legacy register file, row by row, before anything is saved.

Every problem is reported against the row it is on (and the registration number, so the registrar can
find it in their old system); a file with any problem imports nothing. The check reads the reference
data (categories, regions, qualification types, employers) once, and looks up the file's registration
numbers on the register in chunks, so its cost grows with the file, not with the register.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db_functions import fold
from core.models import Region
from legacy.columns import REQUIRED_KEYS, TARGETS
from legacy.reading import Sheet
from registry.models import (
    Employer,
    QualificationType,
    RegisterCategory,
    RegisterEntry,
    RegisterEntryStatus,
    Sector,
    Sex,
)
from registry.numbers import normalise_registration_number

_CHUNK = 2000
_OWN_FORM = re.compile(r"([A-Z]{1,10})-(\d{3,12})-\d")
_EARLIEST_DATE = dt.date(1900, 1, 1)
_YOUNGEST_AGE_AT_REGISTRATION = 16
_MAX_LENGTHS = {
    "given_names": 150,
    "family_name": 150,
    "previous_names": 300,
    "national_id": 40,
    "phone": 40,
    "work_town": 100,
    "institution": 200,
    "employer": 200,
    "job_title": 150,
}


class DateOrder:
    ISO = "ISO"  # 2019-03-31 only
    DAY_FIRST = "DMY"  # 31/03/2019, 31-03-2019, 31.03.2019 (and ISO)
    MONTH_FIRST = "MDY"  # 03/31/2019 (and ISO)
    CHOICES = ((DAY_FIRST, "31/03/2019"), (MONTH_FIRST, "03/31/2019"), (ISO, "2019-03-31"))


_STATUS_WORDS = {
    "active": RegisterEntryStatus.REGISTERED,
    "current": RegisterEntryStatus.REGISTERED,
    "registered": RegisterEntryStatus.REGISTERED,
    "conditional": RegisterEntryStatus.REGISTERED_WITH_CONDITIONS,
    "registered with conditions": RegisterEntryStatus.REGISTERED_WITH_CONDITIONS,
    "suspended": RegisterEntryStatus.SUSPENDED,
    "lapsed": RegisterEntryStatus.LAPSED,
    "expired": RegisterEntryStatus.LAPSED,
    "removed": RegisterEntryStatus.REMOVED,
    "struck off": RegisterEntryStatus.REMOVED,
    "erased": RegisterEntryStatus.REMOVED,
    "voluntarily removed": RegisterEntryStatus.VOLUNTARILY_REMOVED,
    "resigned": RegisterEntryStatus.VOLUNTARILY_REMOVED,
    "deceased": RegisterEntryStatus.DECEASED,
}
_SEX_WORDS = {
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "woman": Sex.FEMALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "man": Sex.MALE,
    "x": Sex.OTHER,
    "other": Sex.OTHER,
    "another sex": Sex.OTHER,
}
_SECTOR_WORDS = {
    "government": Sector.GOVERNMENTAL,
    "governmental": Sector.GOVERNMENTAL,
    "public": Sector.GOVERNMENTAL,
    "state": Sector.GOVERNMENTAL,
    "non government": Sector.NON_GOVERNMENTAL,
    "non governmental": Sector.NON_GOVERNMENTAL,
    "nongovernmental": Sector.NON_GOVERNMENTAL,
    "ngo": Sector.NON_GOVERNMENTAL,
    "npo": Sector.NON_GOVERNMENTAL,
    "private": Sector.NON_GOVERNMENTAL,
    "faith based": Sector.NON_GOVERNMENTAL,
}
_YES = {"yes", "y", "true", "1", "paid"}
_NO = {"no", "n", "false", "0", "unpaid", "volunteer"}


def _word(value: str) -> str:
    """'Non-Governmental' -> 'non governmental'; 'Registered_With_Conditions' -> 'registered with conditions'."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (fold(value) or "").lower()).split())


def number_sequence(number: str, *, prefix: str) -> int | None:
    """The place in a category's numbering a stored number takes, so new numbers continue after it.

    SW-000123-7 (the register's own form) is 123; legacy SW04521, SW 4521 or a bare 4521 are 4521. A
    number with another prefix takes no place in this category's numbering and cannot collide with it,
    since every new number is the category's prefix, six digits and a check digit, with hyphens.
    """
    own = _OWN_FORM.fullmatch(number)
    if own is not None:
        return int(own.group(2)) if own.group(1) == prefix else None
    match = re.fullmatch(rf"(?:{re.escape(prefix)})?[ /.-]*(\d{{1,12}})", number)
    return int(match.group(1)) if match else None


@dataclass
class RowProblem:
    row: int
    registration_number: str
    problems: list[str]


@dataclass
class CheckedRow:
    row: int
    registration_number: str
    category_id: int
    status: str
    registered_date: dt.date
    given_names: str
    family_name: str
    previous_names: str = ""
    date_of_birth: dt.date | None = None
    sex: str = ""
    national_id: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    region_id: int | None = None
    work_town: str = ""
    conditions: str = ""
    qualification_type_id: int | None = None
    institution: str = ""
    qualification_date: dt.date | None = None
    employer: str = ""
    employer_sector: str = ""
    job_title: str = ""
    paid: bool = True


@dataclass
class FileCheck:
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[RowProblem] = field(default_factory=list)
    rows: list[CheckedRow] = field(default_factory=list)
    row_count: int = 0

    @property
    def is_clean(self) -> bool:
        return not self.file_errors and not self.row_errors

    def row_errors_json(self) -> list[dict[str, Any]]:
        return [asdict(problem) for problem in self.row_errors]


@dataclass
class _Reference:
    categories: dict[str, RegisterCategory]
    regions: dict[str, int]
    qualification_types: dict[str, int]
    taken_numbers: set[str]


def _by_code_and_name(rows: list[tuple[int, str, str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for pk, code, name in rows:
        found.setdefault(_word(code), pk)
        found.setdefault(_word(name), pk)
    return found


def _reference(numbers: list[str]) -> _Reference:
    categories: dict[str, RegisterCategory] = {}
    for category in RegisterCategory.objects.all():
        categories.setdefault(_word(category.code), category)
        categories.setdefault(_word(category.name), category)
    taken: set[str] = set()
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        taken.update(
            RegisterEntry.objects.filter(registration_number__in=chunk).values_list("registration_number", flat=True)
        )
    return _Reference(
        categories=categories,
        regions=_by_code_and_name(list(Region.objects.values_list("pk", "code", "name"))),
        qualification_types=_by_code_and_name(list(QualificationType.objects.values_list("pk", "code", "name"))),
        taken_numbers=taken,
    )


def _iso_date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", text):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _local_date(raw: str, *, order: str) -> dt.date | None:
    """The date a cell holds in the chosen order, or None when it holds none (ISO is always accepted,
    and is what a spreadsheet's date cells are read as)."""
    iso = _iso_date(raw.strip())
    if iso is not None or order == DateOrder.ISO:
        return iso
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw.strip())
    if match is None:
        return None
    first, second, year = (int(part) for part in match.groups())
    day, month = (first, second) if order == DateOrder.DAY_FIRST else (second, first)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _header_problems(sheet: Sheet, mapping: dict[str, int | None]) -> list[str]:
    problems = []
    labels = {target.key: target.label for target in TARGETS}
    missing = [str(labels[key]) for key in REQUIRED_KEYS if mapping.get(key) is None]
    if missing:
        problems.append(_("Choose the column for: %(fields)s.") % {"fields": ", ".join(missing)})
    chosen = [index for index in mapping.values() if index is not None]
    if any(index < 0 or index >= len(sheet.header) for index in chosen):
        problems.append(_("A chosen column is not in the file. Choose the columns again."))
    twice = sorted({sheet.header[index] for index in chosen if chosen.count(index) > 1 and index < len(sheet.header)})
    if twice:
        problems.append(
            _("Each column can fill one field; these are chosen twice: %(columns)s.") % {"columns": ", ".join(twice)}
        )
    return problems


class _RowReader:
    """Reads one row's cells through the mapping, collecting every problem rather than stopping at one."""

    def __init__(self, cells: list[str], mapping: dict[str, int | None], width: int) -> None:
        self.cells = cells
        self.mapping = mapping
        self.problems: list[str] = []
        if any(cell for cell in cells[width:]):
            self.problems.append(_("The row has more cells than the header has columns."))

    def text(self, key: str) -> str:
        index = self.mapping.get(key)
        value = self.cells[index].strip() if index is not None and index < len(self.cells) else ""
        limit = _MAX_LENGTHS.get(key)
        if limit and len(value) > limit:
            self.problems.append(
                _("%(field)s is longer than %(limit)s characters.") % {"field": _label(key), "limit": limit}
            )
            return value[:limit]
        return value

    def required(self, key: str) -> str:
        value = self.text(key)
        if not value:
            self.problems.append(_("%(field)s is missing.") % {"field": _label(key)})
        return value

    def date(self, key: str, *, order: str, required: bool = False) -> dt.date | None:
        raw = self.text(key)
        if not raw:
            if required:
                self.problems.append(_("%(field)s is missing.") % {"field": _label(key)})
            return None
        value = _local_date(raw, order=order)
        if value is None:
            self.problems.append(
                _("%(field)s “%(value)s” is not a date written as %(format)s.")
                % {"field": _label(key), "value": raw[:40], "format": dict(DateOrder.CHOICES)[order]}
            )
            return None
        if not _EARLIEST_DATE <= value <= timezone.localdate():
            self.problems.append(
                _("%(field)s %(value)s is not a possible date: it must be between 1900 and today.")
                % {"field": _label(key), "value": value.isoformat()}
            )
            return None
        return value

    def choice(self, key: str, words: Mapping[str, str], *, describe: str) -> str:
        raw = self.text(key)
        if not raw:
            return ""
        value = words.get(_word(raw))
        if value is None:
            self.problems.append(
                _("%(field)s “%(value)s” is not one we know: use %(allowed)s.")
                % {"field": _label(key), "value": raw[:40], "allowed": describe}
            )
            return ""
        return value

    def reference(self, key: str, known: dict[str, int]) -> int | None:
        raw = self.text(key)
        if not raw:
            return None
        value = known.get(_word(raw))
        if value is None:
            self.problems.append(
                _("%(field)s “%(value)s” is not on the register's list; use its code or name, or add it first.")
                % {"field": _label(key), "value": raw[:60]}
            )
        return value


def _label(key: str) -> str:
    return next(str(target.label) for target in TARGETS if target.key == key)


def _check_row(
    number_in_file: int, reader: _RowReader, reference: _Reference, *, order: str
) -> tuple[CheckedRow | None, str]:
    raw_number = reader.required("registration_number")
    number = (normalise_registration_number(raw_number) or "") if raw_number else ""
    if raw_number and (not number or len(number) > 32):
        number = " ".join(raw_number.upper().split())[:40]
        reader.problems.append(
            _(
                "Registration number “%(value)s” is neither one of this register's numbers (with a correct "
                "check digit) nor a legacy number of the form the council set (COUNCIL_LEGACY_NUMBER_PATTERN)."
            )
            % {"value": raw_number[:40]}
        )
    elif number in reference.taken_numbers:
        reader.problems.append(_("Registration number %(number)s is already on the register.") % {"number": number})
    raw_category = reader.required("category")
    category = reference.categories.get(_word(raw_category)) if raw_category else None
    if raw_category and category is None:
        reader.problems.append(
            _("Register category “%(value)s” is not one of the register's categories.") % {"value": raw_category[:60]}
        )
    raw_status = reader.required("status")
    status = ""
    if raw_status:
        status = _STATUS_WORDS.get(_word(raw_status), "")
        if not status:
            labels = {_word(str(label)): value for value, label in RegisterEntryStatus.choices}
            status = labels.get(_word(raw_status)) or next(
                (value for value in RegisterEntryStatus.values if _word(value) == _word(raw_status)), ""
            )
        if not status:
            reader.problems.append(
                _("Register status “%(value)s” is not one we know: use %(allowed)s.")
                % {"value": raw_status[:40], "allowed": ", ".join(str(label) for label in RegisterEntryStatus.labels)}
            )
    registered_date = reader.date("registered_date", order=order, required=True)
    given_names = reader.required("given_names")
    family_name = reader.required("family_name")
    date_of_birth = reader.date("date_of_birth", order=order)
    if date_of_birth and registered_date:
        age = (registered_date - date_of_birth).days // 365
        if age < _YOUNGEST_AGE_AT_REGISTRATION:
            reader.problems.append(
                _("The date of birth %(born)s makes the person %(age)s when registered; check both dates.")
                % {"born": date_of_birth.isoformat(), "age": max(age, 0)}
            )
    email = reader.text("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            reader.problems.append(_("Email “%(value)s” is not an email address.") % {"value": email[:60]})
    conditions = reader.text("conditions")
    if status == RegisterEntryStatus.REGISTERED_WITH_CONDITIONS and not conditions:
        reader.problems.append(_("The status is “registered with conditions” but no conditions are given."))
    qualification_type_id = reader.reference("qualification", reference.qualification_types)
    institution = reader.text("institution")
    qualification_date = reader.date("qualification_date", order=order)
    if qualification_type_id and (not institution or not qualification_date):
        reader.problems.append(_("A qualification needs its awarding institution and the date it was awarded."))
    employer = reader.text("employer")
    sector_list = ", ".join(str(label) for label in Sector.labels)
    employer_sector = reader.choice("employer_sector", _SECTOR_WORDS, describe=sector_list)
    if employer and not employer_sector and not reader.text("employer_sector"):
        reader.problems.append(_("An employer needs its sector (%(allowed)s).") % {"allowed": sector_list})
    paid_text = _word(reader.text("paid"))
    if paid_text and paid_text not in _YES | _NO:
        reader.problems.append(_("Paid work “%(value)s” must be yes or no.") % {"value": paid_text[:20]})
    sex = reader.choice("sex", _SEX_WORDS, describe=_("female, male or another sex"))
    region_id = reader.reference("region", reference.regions)
    national_id = reader.text("national_id")
    previous_names = reader.text("previous_names")
    phone, address, work_town = reader.text("phone"), reader.text("address"), reader.text("work_town")
    job_title = reader.text("job_title")
    if reader.problems or category is None or registered_date is None:
        return None, number
    return (
        CheckedRow(
            row=number_in_file,
            registration_number=number,
            category_id=category.pk,
            status=status,
            registered_date=registered_date,
            given_names=given_names,
            family_name=family_name,
            previous_names=previous_names,
            date_of_birth=date_of_birth,
            sex=sex,
            national_id=national_id,
            email=email,
            phone=phone,
            address=address,
            region_id=region_id,
            work_town=work_town,
            conditions=conditions,
            qualification_type_id=qualification_type_id,
            institution=institution,
            qualification_date=qualification_date,
            employer=employer,
            employer_sector=employer_sector,
            job_title=job_title,
            paid=paid_text not in _NO,
        ),
        number,
    )


def legacy_file_check(*, sheet: Sheet, mapping: dict[str, int | None], date_order: str) -> FileCheck:
    """Check every row of a mapped file against the register as it is now."""
    check = FileCheck(row_count=len(sheet.rows))
    check.file_errors = _header_problems(sheet, mapping)
    if check.file_errors:
        return check
    number_index = mapping["registration_number"]
    assert number_index is not None  # noqa: S101 (required, checked above)
    numbers = [normalise_registration_number(cells[number_index]) or "" for _row, cells in sheet.rows]
    reference = _reference(sorted(set(numbers)))
    rows_by_number: dict[str, list[int]] = defaultdict(list)
    pending: list[tuple[int, _RowReader, CheckedRow | None, str]] = []
    width = len(sheet.header)
    for row_number, cells in sheet.rows:
        reader = _RowReader(cells, mapping, width)
        checked, number = _check_row(row_number, reader, reference, order=date_order)
        if number:
            rows_by_number[number].append(row_number)
        pending.append((row_number, reader, checked, number))
    for row_number, reader, checked, number in pending:
        others = [other for other in rows_by_number.get(number, []) if other != row_number]
        if others:
            reader.problems.append(
                _("Registration number %(number)s is also on row %(rows)s; each number belongs to one person.")
                % {"number": number, "rows": ", ".join(str(other) for other in others[:5])}
            )
        if reader.problems:
            check.row_errors.append(RowProblem(row=row_number, registration_number=number, problems=reader.problems))
        elif checked is not None:
            check.rows.append(checked)
    return check


def practitioner_fields(row: CheckedRow) -> dict[str, Any]:
    """The Practitioner a checked row becomes."""
    return {
        "given_names": row.given_names,
        "family_name": row.family_name,
        "previous_names": row.previous_names,
        "date_of_birth": row.date_of_birth,
        "sex": row.sex,
        "national_id": row.national_id,
        "email": row.email,
        "phone": row.phone,
        "address": row.address,
        "region_id": row.region_id,
        "work_town": row.work_town,
    }


def employers_by_name(names: set[str]) -> dict[str, Employer]:
    """Employers already known, by lower-cased name, for the names in the file."""
    lowered = sorted({name.lower() for name in names})
    found: dict[str, Employer] = {}
    for start in range(0, len(lowered), _CHUNK):
        chunk = lowered[start : start + _CHUNK]
        for employer in Employer.objects.annotate(lowered=Lower("name")).filter(lowered__in=chunk):
            found.setdefault(employer.name.lower(), employer)
    return found
