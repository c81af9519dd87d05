"""Reading and checking a testing vendor's results CSV for one sitting, row by row, before anything is saved.

The file must have a header row with `candidate_number`, `sitting_code` and `raw_score` columns (in any
order; case, spaces and hyphens in the names do not matter), and `scaled_score` when the exam version
passes on a scaled score. A UTF-8 byte-order mark and Windows line endings are fine; a file in
Windows-1252 is read as such. Every problem is reported against its row, and a file with any problem
imports nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.models import User
from exams.models import Booking, ConflictOfInterest, Result, Sitting, booking_id_from_candidate_number

MAX_FILE_BYTES = 5 * 1024 * 1024
REQUIRED_COLUMNS = ("candidate_number", "sitting_code", "raw_score")
SCALED_COLUMN = "scaled_score"
# Signatures of files that are certainly not CSV: zip (xlsx, docx), PDF, old Office, PNG, JPEG, gzip.
_BINARY_SIGNATURES = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b")
_OTHER_DELIMITERS = {";": _("semicolons"), "\t": _("tabs"), "|": _("vertical bars")}
_LOOKUP_CHUNK = 5000
CONFLICTED = gettext_lazy(
    "You declared a conflict of interest with this candidate; another examiner must record the result."
)
_SCORE_PLACES = Decimal("0.01")


class NotACsvFile(ApplicationError):
    """The upload is not a text CSV file at all."""


@dataclass
class RowProblem:
    row: int
    candidate_number: str
    problems: list[str]


@dataclass(frozen=True)
class CheckedRow:
    row: int
    booking_id: int
    candidate_id: int
    raw_score: Decimal
    scaled_score: Decimal | None
    pass_score: Decimal
    passed: bool
    replaces_draft_id: int | None


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


def results_file_decode(data: bytes) -> str:
    """The file's text, or NotACsvFile when it is empty, too big, or binary."""
    if len(data) > MAX_FILE_BYTES:
        raise NotACsvFile(_("The file is larger than 5 MB. Split it, or ask for a smaller export."))
    if not data.strip():
        raise NotACsvFile(_("The file is empty."))
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data[:8192]:
        raise NotACsvFile(
            _("This is not a CSV file (it looks like a spreadsheet, PDF or image). Export the results as CSV.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise NotACsvFile(_("The file's text could not be read. Save it as CSV in UTF-8.")) from exc


def _column_name(raw: str) -> str:
    return raw.strip().lower().replace(" ", "_").replace("-", "_")


def _header_problems(header: list[str], *, needs_scaled: bool) -> list[str]:
    if len(header) == 1:
        for delimiter, name in _OTHER_DELIMITERS.items():
            if delimiter in header[0]:
                return [
                    _("The columns are separated by %(delimiter)s, not commas. Save the file as comma-separated CSV.")
                    % {"delimiter": name}
                ]
    names = [_column_name(name) for name in header]
    required = [*REQUIRED_COLUMNS, SCALED_COLUMN] if needs_scaled else list(REQUIRED_COLUMNS)
    missing = [name for name in required if name not in names]
    problems = []
    if missing:
        problems.append(
            _("The header row lacks these columns: %(missing)s. It must have %(required)s.")
            % {"missing": ", ".join(missing), "required": ", ".join(required)}
        )
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        problems.append(_("These columns appear twice: %(columns)s.") % {"columns": ", ".join(duplicated)})
    return problems


def _score(raw: str, *, label: str, low: Decimal, high: Decimal, problems: list[str]) -> Decimal | None:
    text = raw.strip()
    if not text:
        problems.append(_("The %(score)s is missing.") % {"score": label})
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        problems.append(_("The %(score)s “%(value)s” is not a number.") % {"score": label, "value": text[:40]})
        return None
    if value != value.quantize(_SCORE_PLACES):
        problems.append(
            _("The %(score)s %(value)s has more than two decimal places.") % {"score": label, "value": text}
        )
        return None
    if not low <= value <= high:
        problems.append(
            _("The %(score)s %(value)s is out of range: it must be from %(low)s to %(high)s.")
            % {"score": label, "value": text, "low": low, "high": high}
        )
        return None
    return value.quantize(_SCORE_PLACES)


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


def results_file_check(*, text: str, sitting: Sitting, examiner: User) -> FileCheck:
    """Check every row against the sitting's bookings, scores' ranges, existing results and the examiner's
    declared conflicts. Reads the database in a handful of queries, whatever the file's length."""
    version = sitting.version
    check = FileCheck()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        check.file_errors.append(_("The file has no header row."))
        return check
    check.file_errors = _header_problems(header, needs_scaled=version.is_scaled)
    if check.file_errors:
        return check
    position = {_column_name(name): index for index, name in enumerate(header)}
    parsed: list[tuple[int, list[str], int | None]] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            number = values[position["candidate_number"]].strip() if len(values) > position["candidate_number"] else ""
            parsed.append((reader.line_num, values, booking_id_from_candidate_number(number)))
    except csv.Error as exc:
        check.file_errors.append(
            _("Line %(line)s cannot be read as CSV: %(error)s.") % {"line": reader.line_num, "error": exc}
        )
        return check
    check.row_count = len(parsed)
    if not parsed:
        check.file_errors.append(_("The file has a header row but no results."))
        return check

    ids = sorted({booking_id for _line, _values, booking_id in parsed if booking_id is not None})
    bookings: dict[int, tuple[int, str, str, int]] = {}
    for chunk in _chunks(ids):
        for pk, sitting_id, sitting_code, status, candidate_id in Booking.objects.filter(pk__in=chunk).values_list(
            "pk", "sitting_id", "sitting__code", "status", "candidate_id"
        ):
            bookings[pk] = (sitting_id, sitting_code, status, candidate_id)
    published: set[int] = set()
    drafts: dict[int, int] = {}
    for result_booking_id, status, result_id in Result.objects.filter(booking__sitting=sitting).values_list(
        "booking_id", "status", "pk"
    ):
        if status == Result.Status.PUBLISHED:
            published.add(result_booking_id)
        else:
            drafts[result_booking_id] = result_id
    conflicted = set(ConflictOfInterest.objects.filter(examiner=examiner).values_list("candidate_id", flat=True))

    raw_high = Decimal(version.max_raw_score)
    scaled_low = Decimal(version.scaled_min or 0)
    scaled_high = Decimal(version.scaled_max) if version.scaled_max is not None else Decimal("99999.99")
    pass_score = Decimal((version.scaled_pass_score if version.is_scaled else version.pass_raw_score) or 0)
    seen: dict[int, int] = {}
    width = len(header)
    for line, values, booking_id in parsed:
        problems: list[str] = []
        number = values[position["candidate_number"]].strip() if len(values) > position["candidate_number"] else ""
        if len(values) != width:
            problems.append(
                _("The row has %(found)s columns; the header has %(expected)s.")
                % {"found": len(values), "expected": width}
            )
            check.row_errors.append(RowProblem(line, number, problems))
            continue
        code = values[position["sitting_code"]].strip()
        booking = bookings.get(booking_id) if booking_id is not None else None
        if not number:
            problems.append(_("The candidate number is missing."))
        elif booking is None:
            problems.append(_("No candidate has the number %(number)s.") % {"number": number[:40]})
        if code != sitting.code:
            problems.append(
                _("The sitting code “%(code)s” is not this sitting's (%(expected)s).")
                % {"code": code[:40], "expected": sitting.code}
            )
        if booking is not None and booking_id is not None:
            sitting_id, booked_code, status, candidate_id = booking
            if sitting_id != sitting.pk:
                problems.append(
                    _("This candidate is booked on sitting %(code)s, not this one.") % {"code": booked_code}
                )
            elif status != Booking.Status.BOOKED:
                problems.append(_("This candidate's booking was cancelled."))
            if booking_id in seen:
                problems.append(_("This candidate is already on row %(row)s.") % {"row": seen[booking_id]})
            else:
                seen[booking_id] = line
            if booking_id in published:
                problems.append(_("This candidate's result is already published; record a correction instead."))
            if candidate_id in conflicted:
                problems.append(str(CONFLICTED))
        raw = _score(
            values[position["raw_score"]], label=_("raw score"), low=Decimal(0), high=raw_high, problems=problems
        )
        scaled = None
        if SCALED_COLUMN in position and (version.is_scaled or values[position[SCALED_COLUMN]].strip()):
            scaled = _score(
                values[position[SCALED_COLUMN]],
                label=_("scaled score"),
                low=scaled_low,
                high=scaled_high,
                problems=problems,
            )
        if problems or raw is None or booking_id is None or booking is None:
            check.row_errors.append(RowProblem(line, number, problems))
            continue
        deciding = scaled if version.is_scaled and scaled is not None else raw
        check.rows.append(
            CheckedRow(
                row=line,
                booking_id=booking_id,
                candidate_id=booking[3],
                raw_score=raw,
                scaled_score=scaled,
                pass_score=pass_score,
                passed=deciding >= pass_score,
                replaces_draft_id=drafts.get(booking_id),
            )
        )
    return check
