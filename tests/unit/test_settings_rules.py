"""The settings dialog's rules, without widgets: the retype threshold is parsed as strictly as a payout
amount (a separator is never stripped: "10,00" is never 1000, "2.500,50" is never 2.5005)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payout_desk.ui.settings.rules import parse_threshold


@pytest.mark.parametrize(
    ("text", "decimal_point", "expected"),
    [
        ("10000", ".", Decimal("10000")),
        ("2500.50", ".", Decimal("2500.50")),
        (" 2500.5 ", ".", Decimal("2500.5")),
        ("2500,50", ",", Decimal("2500.50")),  # the locale's own decimal comma
        ("2500.50", ",", Decimal("2500.50")),  # a dot is always a decimal point
    ],
)
def test_plain_amounts_are_read_exactly(text: str, decimal_point: str, expected: Decimal) -> None:
    assert parse_threshold(text, decimal_point) == expected


@pytest.mark.parametrize(
    ("text", "decimal_point"),
    [
        ("10,00", "."),  # was read as 1000 by stripping the comma
        ("10,000", "."),  # grouping separators are rejected, never stripped
        ("2.500,50", ","),  # was read as 2.50050
        ("1.000", ","),  # ambiguous where "." groups thousands
        ("-5", "."),
        ("0", "."),
        ("", "."),
        ("1e4", "."),
        ("ten", "."),
        ("NaN", "."),
    ],
)
def test_anything_ambiguous_or_not_a_positive_amount_is_refused(text: str, decimal_point: str) -> None:
    assert parse_threshold(text, decimal_point) is None
