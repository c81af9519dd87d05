"""Money is integer minor units plus an ISO 4217 code. This formats it, with integers only."""

from __future__ import annotations

import decimal

# Currencies whose minor unit is not the cent (ISO 4217 exponent other than 2).
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "UGX": 0,
    "RWF": 0,
    "XOF": 0,
    "XAF": 0,
    "CLP": 0,
    "PYG": 0,
    "BHD": 3,
    "KWD": 3,
    "TND": 3,
}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def format_minor(amount_minor: int, currency: str) -> str:
    """12345, "ZAR" -> "ZAR 123.45"; -500 -> "ZAR -5.00"; 1000, "UGX" -> "UGX 1000"."""
    places = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**places)
    number = f"{whole:,}" + (f".{fraction:0{places}d}" if places else "")
    return f"{currency.upper()} {sign}{number}"


class AmountInvalid(ValueError):
    """Text that is not an amount of money in the currency's units."""


def parse_major(text: str, currency: str) -> int:
    """ "520", "520.5", "1,520.50" in `currency` -> minor units (52000, 52050, 152050). Never a float."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    places = exponent(currency)
    if not cleaned or not all(char.isdigit() or char in ".-" for char in cleaned):
        raise AmountInvalid(text)
    try:
        value = decimal.Decimal(cleaned)
    except decimal.InvalidOperation as exc:
        raise AmountInvalid(text) from exc
    if not value.is_finite() or value != value.quantize(decimal.Decimal(1).scaleb(-places)):
        raise AmountInvalid(text)
    return int(value.scaleb(places))
