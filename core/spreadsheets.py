"""Values written into CSV or spreadsheet files that staff open on their own computers."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A value safe to open in a spreadsheet: text that would start a formula is prefixed with an apostrophe.

    Names, details and numbers in these files were typed by applicants, vendors or old systems; none of
    them may run as a formula on a member of staff's computer.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
