"""CSV formula-injection defusing, cell by cell."""

from __future__ import annotations

import pytest

from payout_desk.services.export import defuse_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("10.00", "10.00"),
        ("Order #1456", "Order #1456"),
        ("a=b", "a=b"),
        ("", ""),
        (" =1", " =1"),
        ("Zoë €", "Zoë €"),
    ],
)
def test_defuse_cell(value: str, expected: str) -> None:
    assert defuse_cell(value) == expected
