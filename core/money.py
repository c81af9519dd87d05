"""Money is integer minor units plus an ISO 4217 code. This formats it, with integers only."""

from __future__ import annotations

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
