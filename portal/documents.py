"""Verification statements and roster reports as PDF, and the register as streamed CSV. Drawing only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from fpdf.enums import Align, TableBordersLayout, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from licensing.certificates import FONT, QR_SIZE_MM, PdfDocument, pdf_date, pdf_text, qr_png
from portal.models import VerificationStatement
from portal.selectors import RosterRow, licensing_in_force, status_headline
from registry.models import RegisterEntryStatus

STATUS_LABELS = dict(RegisterEntryStatus.choices)


def statement_status_words(payload: dict[str, Any]) -> str:
    if not payload.get("on_register"):
        return _("Not on the register on this date")
    licence = payload.get("licence")
    status = payload["status"]
    return status_headline(
        status=status,
        status_label=str(STATUS_LABELS.get(status, status)),
        licence_valid_to=dt.date.fromisoformat(licence["valid_to"]) if licence else None,
        licensing=licensing_in_force(on_date=dt.date.fromisoformat(payload["as_at"])),
    )


def statement_pdf(*, statement: VerificationStatement, council_name: str, verify_url: str) -> bytes:
    """An A4 statement: the facts as at the date, and a QR code holding the signed token itself, so the
    statement can be checked offline against the council's published key."""
    payload = statement.payload
    title = _("Verification statement")
    pdf = PdfDocument(title=f"{title} {statement.reference}", council_name=council_name)
    pdf.write_centred(council_name, size=16, style="B", gap=4)
    pdf.write_centred(title, size=22, style="B", gap=8)
    as_at = dt.date.fromisoformat(payload["as_at"])
    pdf.write_row(_("Reference"), statement.reference)
    pdf.write_row(_("As at"), pdf_date(as_at))
    pdf.write_row(_("Name"), f"{payload['given_names']} {payload['family_name']}")
    if payload.get("previous_names"):
        pdf.write_row(_("Previous names"), payload["previous_names"])
    if payload.get("work_town"):
        pdf.write_row(_("Town or city of work"), payload["work_town"])
    pdf.write_row(_("Registration number"), payload["registration_number"])
    pdf.write_row(_("Category"), payload["category_name"])
    pdf.write_row(_("Standing"), statement_status_words(payload))
    pdf.write_row(_("Unrestricted"), _("Yes") if payload["unrestricted"] else _("No"))
    if payload.get("conditions"):
        pdf.write_row(_("Conditions"), payload["conditions"])
    for notice in payload.get("notices", []):
        pdf.write_row(_("Notice"), f"{notice['kind']} {notice['start_date']} - {notice['end_date'] or ''}")
    pdf.write_row(_("Issued"), pdf_date(statement.issued_at.date()))
    pdf.ln(6)
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(statement.token)), x=pdf.l_margin, y=top, w=QR_SIZE_MM * 1.4, h=QR_SIZE_MM * 1.4)
    text_x = pdf.l_margin + QR_SIZE_MM * 1.4 + 6
    pdf.set_xy(text_x, top + 2)
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(
        0,
        5,
        pdf_text(
            _(
                "The code holds this statement signed by the council (Ed25519). Check it offline with the "
                "council's public key from /.well-known/council-verification-keys.json, or online at:"
            )
        ),
        align=Align.L,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_xy(text_x, pdf.get_y() + 2)
    pdf.set_font(FONT, style="B", size=10)
    pdf.multi_cell(0, 5, pdf_text(verify_url), align=Align.L, wrapmode=WrapMode.CHAR)
    return pdf.finish()


def roster_pdf(*, rows: Iterable[RosterRow], organisation_name: str, council_name: str, on_date: dt.date) -> bytes:
    title = _("Roster report")
    pdf = PdfDocument(title=f"{title} {organisation_name}", council_name=council_name)
    pdf.write_centred(council_name, size=14, style="B", gap=2)
    pdf.write_centred(f"{title}: {organisation_name}", size=18, style="B", gap=2)
    pdf.write_centred(pdf_date(on_date), size=11, gap=6)
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=(4, 3, 3, 3, 3),
        text_align=(Align.L, Align.L, Align.L, Align.L, Align.L),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=4.5,
        padding=(1.2, 0),
    ) as table:
        heading = table.row(style=FontFace(emphasis="BOLD"))
        for label in (_("Name"), _("Registration number"), _("Status"), _("Licence valid to"), _("Flags")):
            heading.cell(pdf_text(label))
        for row in rows:
            entry = row.entry
            valid_to = getattr(entry, "licence_valid_to", None)
            table.row(
                (
                    pdf_text(entry.practitioner.full_name),
                    entry.registration_number,
                    pdf_text(str(entry.get_status_display())),
                    pdf_date(valid_to) if valid_to else "-",
                    pdf_text(", ".join(flag_label(flag) for flag in row.flags)),
                )
            )
    return pdf.finish()


def flag_label(flag: str) -> str:
    return {
        "lapsed": _("Lapsed"),
        "suspended": _("Suspended"),
        "removed": _("Not on the register"),
        "conditioned": _("Conditions"),
        "expiring": _("Licence expires within 60 days"),
        "unlicensed": _("No licence in force"),
    }[flag]


class _Echo:
    def write(self, value: str) -> str:
        return value


def roster_csv_chunks(rows: Iterable[RosterRow]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()  # a BOM, so Excel reads the accents
    yield writer.writerow(
        [
            "registration_number",
            "reference",
            "given_names",
            "family_name",
            "category",
            "status",
            "licence_valid_to",
            "flags",
        ]
    ).encode()
    for row in rows:
        entry = row.entry
        valid_to = getattr(entry, "licence_valid_to", None)
        yield writer.writerow(
            [
                entry.registration_number,
                row.staff_reference,
                entry.practitioner.given_names,
                entry.practitioner.family_name,
                entry.category.code,
                entry.status,
                valid_to.isoformat() if valid_to else "",
                " ".join(row.flags),
            ]
        ).encode()


REGISTER_EXPORT_SQL = """
SELECT e.registration_number, p.given_names, p.family_name, c.code, e.status, e.registered_date, e.conditions,
       (SELECT max(l.valid_to_date) FROM licensing_licence l
         WHERE l.register_entry_id = e.id AND l.valid_from_date <= %s AND l.valid_to_date >= %s)
FROM registry_registerentry e
JOIN registry_practitioner p ON p.id = e.practitioner_id
JOIN registry_registercategory c ON c.id = e.category_id
ORDER BY e.registration_number
"""
EXPORT_FETCH_ROWS = 5000


def register_csv_chunks(*, on_date: dt.date | None = None) -> Iterator[bytes]:
    """The whole register's public fields as CSV, in bounded memory: a server-side cursor on PostgreSQL
    (a named cursor, fetched 5,000 rows at a time), one chunk of bytes per batch."""
    from core.selectors import council_today

    day = on_date or council_today()
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(
        [
            "registration_number",
            "given_names",
            "family_name",
            "category",
            "status",
            "registered_since",
            "conditions",
            "licence_valid_to",
        ]
    ).encode()
    with connection.chunked_cursor() as cursor:
        cursor.execute(REGISTER_EXPORT_SQL, [day, day])
        while rows := cursor.fetchmany(EXPORT_FETCH_ROWS):
            yield "".join(
                writer.writerow([number, given, family, code, status, since, conditions, valid_to or ""])
                for number, given, family, code, status, since, conditions, valid_to in rows
            ).encode()
