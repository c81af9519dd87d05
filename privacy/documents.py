"""The subject-access export as a readable PDF: the same document as the JSON, drawn with fpdf2.

A heading per section, a sub-heading per row, then one "label: value" line per field, labelled with the
field's verbose name. Text goes through licensing.certificates.pdf_text like every PDF of the project
(the core font's Windows-1252; see that module for what it does with other scripts). The JSON holds
every character exactly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from fpdf.enums import Align, XPos, YPos

from licensing.certificates import FONT, PdfDocument, pdf_text

LABEL_WIDTH_MM = 60
EMPTY = "-"


def personal_data_pdf(*, document: Mapping[str, Any]) -> bytes:
    subject = document["subject"]
    title = _("Your personal data")
    pdf = PdfDocument(title=f"{title}: {subject['name']}", council_name=document["council"])
    pdf.write_centred(document["council"], size=16, style="B", gap=4)
    pdf.write_centred(title, size=22, style="B", gap=8)
    pdf.write_row(_("Name"), subject["name"])
    if subject["email"]:
        pdf.write_row(_("Email"), subject["email"])
    if subject["registration_numbers"]:
        pdf.write_row(_("Registration number"), ", ".join(subject["registration_numbers"]))
    pdf.write_row(_("Produced"), _datetime_text(document["generated_at"]))
    pdf.ln(4)
    _paragraph(
        pdf,
        _(
            "Everything the council's register holds about you, one section for each kind of record. "
            "Past versions of your records are included. Records that name you only as the person who "
            "acted (for example a decision you made as a member of staff) are listed, not copied: they are "
            "about someone else. Passwords, security codes and other credentials are never included."
        ),
    )
    for section in document["sections"]:
        model = apps.get_model(section["model"])
        _heading(pdf, f"{capfirst(section['verbose_name'])} ({section['model']})", size=14)
        for row in section["rows"]:
            _row(pdf, model, row)
    return pdf.finish()


def _paragraph(pdf: PdfDocument, text: str, *, size: float = 10) -> None:
    pdf.set_font(FONT, size=size)
    pdf.multi_cell(0, size * 0.5, pdf_text(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _heading(pdf: PdfDocument, text: str, *, size: float) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, style="B", size=size)
    pdf.multi_cell(0, size * 0.5, pdf_text(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _row(pdf: PdfDocument, model: type[models.Model], row: Mapping[str, Any]) -> None:
    if row["extent"] == "mention":
        names = ", ".join(_label(model, name) for name in row["named_as"])
        _heading(pdf, _("#%(pk)s: names you as %(names)s") % {"pk": row["pk"], "names": names}, size=11)
    else:
        _heading(pdf, f"#{row['pk']}", size=11)
    for name, value in row["fields"].items():
        _line(pdf, _label(model, name), _value_text(model, name, value))
    for name, reason in row.get("withheld", {}).items():
        _line(pdf, _label(model, name), _("Withheld. %(reason)s") % {"reason": reason})


def _line(pdf: PdfDocument, label: str, value: str) -> None:
    """ "Label: value", the label in a column of its own, both wrapped, on the same page."""
    pdf.set_font(FONT, style="B", size=9)
    label_lines = _line_count(pdf, LABEL_WIDTH_MM, f"{label}:")
    pdf.set_font(FONT, size=9)
    lines = max(label_lines, _line_count(pdf, pdf.epw - LABEL_WIDTH_MM, value))
    if pdf.will_page_break(lines * 4.5):
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_font(FONT, style="B", size=9)
    pdf.multi_cell(LABEL_WIDTH_MM, 4.5, pdf_text(f"{label}:"), align=Align.L, new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 4.5, pdf_text(value), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + lines * 4.5))


def _line_count(pdf: PdfDocument, width: float, text: str) -> int:
    wrapped = pdf.multi_cell(width, 4.5, pdf_text(text), dry_run=True, output="LINES")
    assert isinstance(wrapped, list)  # noqa: S101 (output="LINES" gives the lines)
    return len(wrapped)


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _label(model: type[models.Model], name: str) -> str:
    found = _field(model, name)
    verbose = getattr(found, "verbose_name", None) or name.replace("_", " ")
    return str(capfirst(str(verbose)))


def _value_text(model: type[models.Model], name: str, value: Any) -> str:
    found = _field(model, name)
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict) and set(value) == {"pk", "label"}:
        return value["label"] or f"#{value['pk']}"
    if isinstance(value, list) and all(isinstance(item, dict) and "pk" in item for item in value):
        return ", ".join(item["label"] or f"#{item['pk']}" for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    choices = dict(getattr(found, "flatchoices", None) or ())
    if value in choices:
        return f"{choices[value]} ({value})"
    if isinstance(found, models.DateTimeField):
        return _datetime_text(value)
    if isinstance(found, models.DateField):
        return date_format(dt.date.fromisoformat(value), "j F Y")
    return str(value)


def _datetime_text(value: str) -> str:
    """An ISO 8601 moment in the council's time zone, e.g. "3 November 2026 10:15"."""
    return date_format(timezone.localtime(dt.datetime.fromisoformat(value)), "j F Y H:i")
