"""Practising certificates and receipts: the text the PDF really holds, and the QR code it really shows.

The PDF is read back with a small parser (no PDF library is installed): each object's stream is
inflated, the text comes from the content streams' `(...) Tj` operators (fpdf2 writes core-font text
in Windows-1252), and the QR image is rebuilt from its image XObject as a PNG (FlateDecode with the
PNG predictor is exactly a PNG's IDAT data) and scanned with zxing-cpp.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import replace
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from licensing.certificates import (
    CertificateData,
    ReceiptData,
    certificate_pdf,
    certificate_token,
    format_amount,
    pdf_text,
    qr_png,
    receipt_pdf,
)
from licensing.signing import payload_verify, public_key_jwk

COUNCIL = "Council for Social Service Professions"
VERIFY_URL = "https://registry.council.example/register/SW-000123-4/"
CERTIFICATE = CertificateData(
    council_name=COUNCIL,
    practitioner_name="José Núñez",
    registration_number="SW-000123-4",
    category_name="Social worker",
    licence_number="PL-2026-000123",
    valid_from=date(2026, 4, 1),
    valid_to=date(2027, 3, 31),
    issued_on=date(2026, 3, 15),
    verify_url=VERIFY_URL,
    conditions="Supervised practice only",
)
RECEIPT = ReceiptData(
    council_name=COUNCIL,
    receipt_number="R-2026-000045",
    payer_name="José Núñez",
    registration_number="SW-000123-4",
    paid_date=date(2026, 3, 14),
    currency="ZAR",
    lines=[("Annual practising licence 2026/27", 42000), ("Late renewal fee", 4500)],
    total_minor=46500,
    payment_method="Card",
    reference="pi_3PzQ8x2eZvKYlo2C",
)


# --- A small PDF reader -------------------------------------------------------------------------

_OBJECT = re.compile(rb"\d+ 0 obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n", re.DOTALL)
_TEXT = re.compile(rb"\(((?:\\.|[^\\()])*)\)\s*Tj", re.DOTALL)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def pdf_streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """Each stream object as (its dictionary, its raw, still-encoded data)."""
    streams = []
    for found in _OBJECT.finditer(pdf):
        dictionary = found.group(1)
        length = re.search(rb"/Length (\d+)", dictionary)
        assert length is not None
        streams.append((dictionary, pdf[found.end() : found.end() + int(length.group(1))]))
    return streams


def _unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped.isdigit():
        return bytes([int(escaped, 8)])
    return _ESCAPES.get(escaped, escaped)


def pdf_texts(pdf: bytes) -> list[str]:
    """Every string shown by a Tj operator, in page order."""
    texts = []
    for dictionary, data in pdf_streams(pdf):
        if b"/Subtype /Image" in dictionary:
            continue
        content = zlib.decompress(data) if b"/FlateDecode" in dictionary else data
        texts += [_ESCAPE.sub(_unescape, found.group(1)).decode("cp1252") for found in _TEXT.finditer(content)]
    return texts


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pdf_images(pdf: bytes) -> list[Image.Image]:
    """Every 8-bit greyscale image XObject, rebuilt as a PNG and opened with Pillow."""
    images = []
    for dictionary, data in pdf_streams(pdf):
        if b"/Subtype /Image" not in dictionary:
            continue
        assert b"/ColorSpace /DeviceGray" in dictionary
        assert b"/BitsPerComponent 8" in dictionary
        assert b"/Filter /FlateDecode" in dictionary
        assert b"/Predictor 15" in dictionary  # rows carry PNG filter bytes: the data is a PNG's IDAT
        width = int(re.search(rb"/Width (\d+)", dictionary).group(1))  # type: ignore[union-attr]
        height = int(re.search(rb"/Height (\d+)", dictionary).group(1))  # type: ignore[union-attr]
        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
        png = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")
        image = Image.open(io.BytesIO(png))
        image.load()
        images.append(image)
    return images


def scan(image: Image.Image) -> list[str]:
    return [
        barcode.text for barcode in zxingcpp.read_barcodes(image) if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]


# --- Text and amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "printed"),
    [
        ("José Núñez", "José Núñez"),
        ("Søren Ørsted", "Søren Ørsted"),
        ("Françoise Lefèvre-Œuvray", "Françoise Lefèvre-Œuvray"),
        ("Jose\u0301 Nu\u0301n\u0303ez", "José Núñez"),  # decomposed input is composed first
        ("Łukasz Żółć", "Lukasz Zólc"),
        ("Şükrü Đorđević", "Sükrü Dordevic"),
        ("محمد", "????"),
        ("Ivan \u0301", "Ivan "),  # a mark with no letter to sit on is dropped
    ],
)
def test_pdf_text_keeps_windows_1252_and_degrades_the_rest(given: str, printed: str) -> None:
    assert pdf_text(given) == printed


@pytest.mark.parametrize(
    ("amount_minor", "currency", "formatted"),
    [
        (46500, "ZAR", "465.00"),
        (5, "ZAR", "0.05"),
        (0, "ZAR", "0.00"),
        (-1250, "ZAR", "-12.50"),
        (123456789, "USD", "1234567.89"),
        (50000, "UGX", "50000"),
        (1234, "KWD", "1.234"),
    ],
)
def test_format_amount_uses_integer_minor_units(amount_minor: int, currency: str, formatted: str) -> None:
    assert format_amount(amount_minor, currency) == formatted


@pytest.mark.parametrize("currency", ["zar", "RAND", "", "Z1R"])
def test_format_amount_refuses_a_non_iso_currency(currency: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO 4217 currency code"):
        format_amount(100, currency)


# --- Practising certificate ---------------------------------------------------------------------


def test_certificate_is_an_a4_pdf_holding_every_fact() -> None:
    # when the certificate is drawn
    pdf = certificate_pdf(CERTIFICATE)
    # then it is a one-page A4 PDF
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    # and it shows each fact, the accented name exactly
    texts = pdf_texts(pdf)
    assert texts[:5] == [
        COUNCIL,
        "Practising certificate",
        "This certifies that",
        "José Núñez",
        "is registered with the council and holds a practising licence, as set out below.",
    ]
    rows = texts[5:19]
    assert list(zip(rows[::2], rows[1::2], strict=True)) == [
        ("Registration number", "SW-000123-4"),
        ("Category", "Social worker"),
        ("Licence number", "PL-2026-000123"),
        ("Valid from", "1 April 2026"),
        ("Valid to", "31 March 2027"),
        ("Conditions", "Supervised practice only"),
        ("Issued on", "15 March 2026"),
    ]
    assert VERIFY_URL in texts


def test_certificate_without_conditions_has_no_conditions_row() -> None:
    texts = pdf_texts(certificate_pdf(replace(CERTIFICATE, conditions="")))
    assert "Conditions" not in texts
    assert texts[5:17:2] == ["Registration number", "Category", "Licence number", "Valid from", "Valid to", "Issued on"]


def test_certificate_name_outside_windows_1252_is_printed_readably() -> None:
    texts = pdf_texts(certificate_pdf(replace(CERTIFICATE, practitioner_name="Łukasz Żółć")))
    assert texts[3] == "Lukasz Zólc"


def test_certificate_qr_code_is_the_signed_payload_and_opens_the_record() -> None:
    # given a certificate
    pdf = certificate_pdf(CERTIFICATE)
    # when its one image is taken out of the PDF and scanned
    (image,) = pdf_images(pdf)
    (text,) = scan(image)
    # then it is exactly the image qr_png draws for the certificate's signed token
    token = certificate_token(CERTIFICATE)
    expected = Image.open(io.BytesIO(qr_png(token)))
    assert (image.size, image.mode) == (expected.size, "L")
    assert image.tobytes() == expected.convert("L").tobytes()
    # and the scanned text is that token, whose signature holds and whose url opens the public record
    assert text == token
    assert payload_verify(text) == {
        "url": VERIFY_URL,
        "reg": "SW-000123-4",
        "lic": "PL-2026-000123",
        "valid_to": "2027-03-31",
        "kid": public_key_jwk()["kid"],
    }


def test_qr_png_decodes_to_the_token() -> None:
    token = certificate_token(CERTIFICATE)
    png = qr_png(token)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert scan(Image.open(io.BytesIO(png))) == [token]


# --- Receipt ------------------------------------------------------------------------------------


def test_receipt_shows_the_payment_and_amounts_in_minor_units() -> None:
    # when a receipt for 465.00 ZAR is drawn
    pdf = receipt_pdf(RECEIPT)
    # then it is a PDF with every fact and the amounts to two decimals
    assert pdf.startswith(b"%PDF-")
    texts = pdf_texts(pdf)
    assert texts[:2] == [COUNCIL, "Receipt"]
    rows = texts[2:14]
    assert list(zip(rows[::2], rows[1::2], strict=True)) == [
        ("Receipt number", "R-2026-000045"),
        ("Date paid", "14 March 2026"),
        ("Received from", "José Núñez"),
        ("Registration number", "SW-000123-4"),
        ("Payment method", "Card"),
        ("Reference", "pi_3PzQ8x2eZvKYlo2C"),
    ]
    assert texts[14:] == [
        "Description",
        "Amount (ZAR)",
        "Annual practising licence 2026/27",
        "420.00",
        "Late renewal fee",
        "45.00",
        "Total paid",
        "ZAR 465.00",
    ]


def test_receipt_refuses_a_total_that_is_not_the_sum_of_its_lines() -> None:
    with pytest.raises(ValueError, match=r"^receipt R-2026-000045: lines add up to 46500, not 46000$"):
        receipt_pdf(replace(RECEIPT, total_minor=46000))


def test_receipt_in_a_zero_decimal_currency() -> None:
    texts = pdf_texts(receipt_pdf(replace(RECEIPT, currency="UGX", lines=[("Licence", 150000)], total_minor=150000)))
    assert texts[14:] == ["Description", "Amount (UGX)", "Licence", "150000", "Total paid", "UGX 150000"]
