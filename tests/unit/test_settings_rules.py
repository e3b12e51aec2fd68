"""The settings dialog's rules, without widgets: a retype threshold is parsed as strictly as a payout
amount in its own currency (a separator is never stripped: "10,00" is never 1000, "2.500,50" is never
2.5005), and a currency has its own decimal places."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payout_desk.ui.settings.rules import parse_currency_threshold


@pytest.mark.parametrize(
    ("code", "text", "decimal_point", "expected"),
    [
        ("EUR", "10000", ".", Decimal("10000.00")),
        ("EUR", "2500.50", ".", Decimal("2500.50")),
        ("EUR", " 2500.5 ", ".", Decimal("2500.50")),
        ("EUR", "2500,50", ",", Decimal("2500.50")),  # the locale's own decimal comma
        ("EUR", "2500.50", ",", Decimal("2500.50")),  # a dot is always a decimal point
        ("BHD", "4000.500", ".", Decimal("4000.500")),
        ("JPY", "1500000", ".", Decimal("1500000")),
    ],
)
def test_plain_amounts_are_read_exactly(code: str, text: str, decimal_point: str, expected: Decimal) -> None:
    assert parse_currency_threshold(code, text, decimal_point) == expected


@pytest.mark.parametrize(
    ("code", "text", "decimal_point"),
    [
        ("EUR", "10,00", "."),  # was read as 1000 by stripping the comma
        ("EUR", "10,000", "."),  # grouping separators are rejected, never stripped
        ("EUR", "2.500,50", ","),  # was read as 2.50050
        ("EUR", "1.000", ","),  # ambiguous where "." groups thousands
        ("EUR", "-5", "."),
        ("EUR", "0", "."),
        ("EUR", "", "."),
        ("EUR", "1e4", "."),
        ("EUR", "ten", "."),
        ("EUR", "NaN", "."),
        ("JPY", "1000.5", "."),  # JPY has no decimal places
        ("XYZ", "100", "."),  # not a currency
    ],
)
def test_anything_ambiguous_or_not_a_positive_amount_is_refused(code: str, text: str, decimal_point: str) -> None:
    problem = parse_currency_threshold(code, text, decimal_point)
    assert isinstance(problem, str)
    assert problem.startswith(f"{code}: ")
