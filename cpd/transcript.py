"""A practitioner's CPD transcript as PDF: their log for a cycle and where they stand. Drawing only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from fpdf.enums import Align, TableBordersLayout
from fpdf.fonts import FontFace

from licensing.certificates import FONT, PdfDocument, pdf_date, pdf_text


@dataclass(frozen=True)
class TranscriptData:
    council_name: str
    practitioner_name: str
    registration_numbers: str
    cycle_label: str
    unit: str
    status: str
    required: Decimal
    earned: Decimal
    carried_forward: Decimal
    # (date, title, type, provider or accreditation code, points)
    lines: tuple[tuple[date, str, str, str, Decimal], ...]
    issued: date


def transcript_pdf(data: TranscriptData) -> bytes:
    title = _("CPD transcript")
    pdf = PdfDocument(title=f"{title} {data.practitioner_name}", council_name=data.council_name)
    pdf.write_centred(data.council_name, size=16, style="B", gap=4)
    pdf.write_centred(title, size=22, style="B", gap=8)
    pdf.write_row(_("Name"), data.practitioner_name)
    pdf.write_row(_("Registration number"), data.registration_numbers)
    pdf.write_row(_("Cycle"), data.cycle_label)
    pdf.write_row(_("Standing"), data.status)
    pdf.write_row(
        _("Counted"),
        _("%(earned)s of %(required)s %(unit)s (with %(carried)s carried forward)")
        % {"earned": data.earned, "required": data.required, "unit": data.unit, "carried": data.carried_forward},
    )
    pdf.write_row(_("Issued on"), pdf_date(data.issued))
    pdf.ln(6)
    pdf.set_font(FONT, size=10)
    with pdf.table(
        col_widths=(2, 5, 3, 3, 1),
        text_align=(Align.L, Align.L, Align.L, Align.L, Align.R),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=5,
        padding=(1.5, 0),
    ) as table:
        heading = table.row(style=FontFace(emphasis="BOLD"))
        for label in (_("Date"), _("Activity"), _("Type"), _("Provider"), data.unit.capitalize()):
            heading.cell(pdf_text(label))
        for when, activity, kind, provider, points in data.lines:
            table.row((pdf_date(when), pdf_text(activity), pdf_text(kind), pdf_text(provider), str(points)))
        if not data.lines:
            table.row((pdf_text(_("No activities logged in this cycle.")), "", "", "", ""))
    return pdf.finish()
