"""Reading a legacy register file (CSV or XLSX) into a header and rows of text, before any checking.

Spreadsheet cells keep their meaning: a date cell becomes ISO 8601 text, a whole number loses Excel's
".0", and everything else is its text, trimmed. Blank rows are skipped; every row keeps the number it
has in the file, so a problem is reported where the registrar will find it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.uploads import csv_text

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
_OTHER_DELIMITERS = (";", "\t", "|")
# Signatures of files that are certainly neither CSV nor XLSX: PDF, old Office (.xls), PNG, JPEG, gzip.
_NOT_TEXT = (b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b")


class UnreadableFile(ApplicationError):
    """The upload is not a register file this importer can read."""


@dataclass
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_csv(data: bytes) -> list[list[str]]:
    text = csv_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = next((candidate for candidate in _OTHER_DELIMITERS if candidate in first_line), ",")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows_from_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(_("The spreadsheet could not be opened. Save it again as .xlsx or as CSV.")) from error
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def sheet_read(data: bytes) -> Sheet:
    """The file's header and non-blank rows, or UnreadableFile saying what to do instead."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(_("The file is larger than 20 MB. Split it into several files."))
    if not data.strip():
        raise UnreadableFile(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        table = _rows_from_xlsx(data)
    elif (
        data.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b"))
        or b"\x00" in data[:8192]
    ):
        raise UnreadableFile(
            _(
                "This is not a CSV or XLSX file (old .xls workbooks, PDFs and images cannot be read). "
                "Save it as .xlsx or CSV."
            )
        )
    else:
        table = _rows_from_csv(data)
    numbered = [(number, row) for number, row in enumerate(table, start=1) if any(cell for cell in row)]
    if not numbered:
        raise UnreadableFile(_("The file has no rows."))
    (_header_number, header), *rows = numbered
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(
            _("The file has %(count)s rows; at most %(limit)s can be imported at once. Split it into several files.")
            % {"count": f"{len(rows):,}", "limit": f"{MAX_ROWS:,}"}
        )
    if not rows:
        raise UnreadableFile(_("The file has a header row but no registrants under it."))
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    header = [name or _("Column %(number)s") % {"number": index + 1} for index, name in enumerate(header[:width])]
    # Rows are padded to the header's width, never cut: cells past it are reported by the check.
    return Sheet(header=header, rows=[(number, row + [""] * (width - len(row))) for number, row in rows])
