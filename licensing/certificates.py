"""Practising certificates and payment receipts as PDF (fpdf2), the certificate with a signed QR code.

These functions only draw: the caller (a selector or task) gathers the facts into CertificateData
or ReceiptData, and stores or sends the bytes. Labels go through gettext, so a caller can render in
the council's language with `translation.override`.

Fonts and characters: fpdf2's built-in Helvetica, written with the Windows-1252 (WinAnsi)
encoding. No Unicode TrueType font ships in a package this project depends on (fpdf2 bundles none,
and the python:slim image has no system fonts), while the core fonts need no file at all.
Windows-1252 holds every Latin-1 letter (á é í ó ú ñ ç è ë ï ø å æ ß ...) and also Š š Ž ž Œ œ Ÿ
and typographic quotes and dashes, so names such as "José Núñez", "Søren Ørsted" and "Françoise
Lefèvre" print exactly as registered. A character outside it cannot be drawn by a core font at all:
`pdf_text` prints its base letter when Unicode gives one ("Ş" -> "S"), uses a small table for
letters with a stroke that Unicode does not decompose ("Łukasz" -> "Lukasz"), and otherwise prints
"?" (e.g. Arabic or Cyrillic script). The QR code opens the live public record, which shows the name
exactly. Printing every script needs a Unicode TTF embedded with `FPDF.add_font` in place of
`pdf_text`: that needs a font file shipped with the project or a package.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import qrcode
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from licensing.signing import payload_sign

FONT = "helvetica"
CORE_FONT_ENCODING = "windows-1252"
DATE_FORMAT = "j F Y"  # "1 April 2026", month names in the active language
QR_BOX_PIXELS = 8  # pixels per QR module: about 350 dpi at the printed size
QR_SIZE_MM = 45.0

# Letters that Unicode does not decompose into a base letter plus a mark.
_UNDECOMPOSABLE = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "\u0131": "i", "Ŧ": "T", "ŧ": "t"}
)

# ISO 4217 currencies whose minor unit is not a hundredth (Stripe's zero-decimal list and the
# three-decimal dinars). Every other currency has two decimals.
_CURRENCY_DECIMALS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"), 0
    ),
    "XPF": 0,
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


# --- Text and amounts ---------------------------------------------------------------------------


def _encodable(char: str) -> bool:
    try:
        char.encode(CORE_FONT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def pdf_text(text: str) -> str:
    """`text` in characters the core font can draw: unchanged for Windows-1252, else see the module doc."""
    printable = []
    for char in unicodedata.normalize("NFC", text):
        if _encodable(char):
            printable.append(char)
            continue
        if unicodedata.combining(char):  # a mark that did not compose with its letter
            continue
        base = "".join(
            part
            for part in unicodedata.normalize("NFKD", char.translate(_UNDECOMPOSABLE))
            if not unicodedata.combining(part)
        )
        printable.append(base if base and all(_encodable(part) for part in base) else "?")
    return "".join(printable)


def format_amount(amount_minor: int, currency: str) -> str:
    """Integer minor units as a decimal string, e.g. (46500, "ZAR") -> "465.00". No floats."""
    if not _CURRENCY_CODE.fullmatch(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    decimals = _CURRENCY_DECIMALS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    units, minor = divmod(abs(amount_minor), 10**decimals)
    return f"{sign}{units}.{minor:0{decimals}d}" if decimals else f"{sign}{units}"


def _date(value: date) -> str:
    return date_format(value, DATE_FORMAT)


# --- QR code ------------------------------------------------------------------------------------


def qr_png(token: str) -> bytes:
    """A QR code of `token` as an 8-bit greyscale PNG (medium error correction, 4-module quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=QR_BOX_PIXELS, border=4)
    code.add_data(token)
    code.make(fit=True)
    image = code.make_image().get_image().convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- Practising certificate ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CertificateData:
    council_name: str
    practitioner_name: str
    registration_number: str
    category_name: str
    licence_number: str
    valid_from: date
    valid_to: date
    issued_on: date
    verify_url: str
    conditions: str = ""


def certificate_token(data: CertificateData) -> str:
    """The signed payload in the certificate's QR code (format: licensing.signing)."""
    return payload_sign(
        {
            "url": data.verify_url,
            "reg": data.registration_number,
            "lic": data.licence_number,
            "valid_to": data.valid_to.isoformat(),
        }
    )


class _Document(FPDF):
    def __init__(self, *, title: str, council_name: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = CORE_FONT_ENCODING
        self.set_margins(left=22, top=22, right=22)
        self.set_auto_page_break(auto=True, margin=22)
        self.set_title(title)
        self.set_author(council_name)
        self.set_creator(council_name)
        self.add_page()

    def write_centred(self, text: str, *, size: float, style: str = "", gap: float = 0) -> None:
        self.set_font(FONT, style=style, size=size)
        self.multi_cell(0, size * 0.5, pdf_text(text), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def write_row(self, label: str, value: str, *, label_width: float = 55) -> None:
        self.set_font(FONT, style="B", size=11)
        self.cell(label_width, 7, pdf_text(label))
        self.set_font(FONT, size=11)
        self.multi_cell(0, 7, pdf_text(value), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def finish(self) -> bytes:
        return bytes(self.output())


def certificate_pdf(data: CertificateData) -> bytes:
    """An A4 practising certificate with a QR code of the signed payload (certificate_token)."""
    title = _("Practising certificate")
    pdf = _Document(title=f"{title} {data.licence_number}", council_name=data.council_name)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_y(28)
    pdf.write_centred(data.council_name, size=16, style="B", gap=6)
    pdf.write_centred(title, size=26, style="B", gap=10)
    pdf.write_centred(_("This certifies that"), size=12, gap=3)
    pdf.write_centred(data.practitioner_name, size=22, style="B", gap=3)
    pdf.write_centred(
        _("is registered with the council and holds a practising licence, as set out below."), size=12, gap=10
    )
    pdf.write_row(_("Registration number"), data.registration_number)
    pdf.write_row(_("Category"), data.category_name)
    pdf.write_row(_("Licence number"), data.licence_number)
    pdf.write_row(_("Valid from"), _date(data.valid_from))
    pdf.write_row(_("Valid to"), _date(data.valid_to))
    if data.conditions:
        pdf.write_row(_("Conditions"), data.conditions)
    pdf.write_row(_("Issued on"), _date(data.issued_on))
    pdf.ln(8)
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(certificate_token(data))), x=pdf.l_margin, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM)
    text_x = pdf.l_margin + QR_SIZE_MM + 6
    pdf.set_xy(text_x, top + 4)
    pdf.set_font(FONT, size=10)
    caption = _(
        "Scan the code, or open the address below, to see this practitioner's current record on the "
        "public register. The code is signed by the council: its keys are published at "
        "/.well-known/council-verification-keys.json."
    )
    pdf.multi_cell(0, 5, pdf_text(caption), align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(text_x, pdf.get_y() + 2)
    pdf.set_font(FONT, style="B", size=10)
    pdf.multi_cell(0, 5, pdf_text(data.verify_url), align=Align.L, wrapmode=WrapMode.CHAR)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE_MM) + 8)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        4.5,
        pdf_text(
            _(
                "This certificate is valid only for the dates shown, and only while the registration is in "
                "good standing. The public register is the authoritative record."
            )
        ),
        align=Align.C,
    )
    return pdf.finish()


# --- Receipt ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReceiptData:
    council_name: str
    receipt_number: str
    payer_name: str
    registration_number: str
    paid_date: date
    currency: str
    lines: Sequence[tuple[str, int]]  # (description, amount_minor)
    total_minor: int
    payment_method: str
    reference: str


def receipt_pdf(data: ReceiptData) -> bytes:
    """An A4 receipt. Refuses a total that is not the sum of the lines."""
    line_sum = sum(amount_minor for _description, amount_minor in data.lines)
    if line_sum != data.total_minor:
        raise ValueError(f"receipt {data.receipt_number}: lines add up to {line_sum}, not {data.total_minor}")
    title = _("Receipt")
    pdf = _Document(title=f"{title} {data.receipt_number}", council_name=data.council_name)
    pdf.write_centred(data.council_name, size=16, style="B", gap=4)
    pdf.write_centred(title, size=22, style="B", gap=8)
    pdf.write_row(_("Receipt number"), data.receipt_number)
    pdf.write_row(_("Date paid"), _date(data.paid_date))
    pdf.write_row(_("Received from"), data.payer_name)
    pdf.write_row(_("Registration number"), data.registration_number)
    pdf.write_row(_("Payment method"), data.payment_method)
    pdf.write_row(_("Reference"), data.reference)
    pdf.ln(8)
    pdf.set_font(FONT, size=11)
    heading = _("Amount (%(currency)s)") % {"currency": data.currency}
    with pdf.table(
        col_widths=(3, 1),
        text_align=(Align.L, Align.R),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=5.5,
        padding=(2, 0),
    ) as table:
        table.row((pdf_text(_("Description")), pdf_text(heading)))
        for description, amount_minor in data.lines:
            table.row((pdf_text(description), format_amount(amount_minor, data.currency)))
        total = table.row(style=FontFace(emphasis="BOLD"))
        total.cell(pdf_text(_("Total paid")))
        total.cell(f"{data.currency} {format_amount(data.total_minor, data.currency)}")
    return pdf.finish()


# Shared with the other modules' PDFs (the CPD transcript).
PdfDocument = _Document
pdf_date = _date
