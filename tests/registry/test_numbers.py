"""Registration numbers: format, Damm check digit, and normalising what people type."""

from __future__ import annotations

import itertools

import pytest

from registry.numbers import damm_check_digit, format_registration_number, normalise_registration_number


def test_format_pads_and_appends_the_check_digit():
    assert format_registration_number(prefix="SW", sequence_value=1, digits=6) == "SW-000001-3"
    assert format_registration_number(prefix="CYCW", sequence_value=572, digits=6) == "CYCW-000572-4"


def test_damm_known_value():
    # the algorithm's published example: 572 -> check digit 4
    assert damm_check_digit("572") == 4


def test_every_single_digit_error_is_caught():
    body = "004217"
    number = f"SW-{body}-{damm_check_digit(body)}"
    for position, replacement in itertools.product(range(len(body)), "0123456789"):
        if body[position] == replacement:
            continue
        typo = body[:position] + replacement + body[position + 1 :]
        assert normalise_registration_number(f"SW-{typo}-{number[-1]}") is None, typo


def test_every_adjacent_swap_is_caught():
    for body in ("004217", "918273", "120034"):
        check = damm_check_digit(body)
        for position in range(len(body) - 1):
            swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
            if swapped != body:
                assert normalise_registration_number(f"SW-{swapped}-{check}") is None, swapped


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SW-000001-3", "SW-000001-3"),
        ("sw0000013", "SW-000001-3"),
        (" sw 000001 3 ", "SW-000001-3"),
        ("SW-000001-4", None),
        ("SW-1-3", None),
        ("000001-3", None),
    ],
)
def test_normalise(typed, expected):
    assert normalise_registration_number(typed) == expected
