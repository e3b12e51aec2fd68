"""format_amount_number: the plain locale-formatted number (no currency symbol) the history table
shows beside its Currency column, with exactly the ISO 4217 minor-unit digits; and the money
module's cheap import and cached locales."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from payout_desk.domain.money import currency, format_amount, format_amount_number

EUR, JPY, BHD, IQD = (currency(c) for c in ("EUR", "JPY", "BHD", "IQD"))


@pytest.mark.parametrize(
    ("amount", "code", "locale", "shown"),
    [
        ("4999.99", "EUR", "en_US", "4,999.99"),
        ("4999.99", "EUR", "de_DE", "4.999,99"),
        ("10.5", "EUR", "en_US", "10.50"),
        ("10.5", "EUR", "de_DE", "10,50"),
        ("1E+3", "EUR", "en_US", "1,000.00"),  # exponent notation: plain digits, minor units appended
        ("1000000000", "EUR", "de_DE", "1.000.000.000,00"),
        ("98000", "JPY", "en_US", "98,000"),
        ("98000", "JPY", "de_DE", "98.000"),
        ("5", "JPY", "en_US", "5"),
        ("310.5", "BHD", "en_US", "310.500"),
        ("310.500", "BHD", "de_DE", "310,500"),
        ("1234.5", "BHD", "de_DE", "1.234,500"),
        # IQD: ISO 4217 says 3 minor units, Babel/CLDR 0 — ISO wins.
        ("1234.5", "IQD", "en_US", "1,234.500"),
        ("1234.5", "IQD", "de_DE", "1.234,500"),
        ("1500", "IQD", "en_US", "1,500.000"),
        ("4999.99", "EUR", "de-DE", "4.999,99"),  # BCP 47 spelling
        ("4999.99", "EUR", "not_a_locale", "4,999.99"),  # unknown locale: en_US
    ],
)
def test_format_amount_number(amount: str, code: str, locale: str, shown: str) -> None:
    assert format_amount_number(Decimal(amount), currency(code), locale) == shown


def test_no_symbol_no_code_and_the_same_digits_as_format_amount() -> None:
    for cur in (EUR, JPY, BHD, IQD):
        for locale in ("en_US", "de_DE", "fr_FR", "ja_JP"):
            number = format_amount_number(Decimal("1234.5") if cur.minor_units else Decimal(1234), cur, locale)
            assert cur.code not in number
            assert not any(symbol in number for symbol in "€¥$£")
            full = format_amount(Decimal("1234.5") if cur.minor_units else Decimal(1234), cur, locale)
            assert number in full  # the full format is the same number plus the currency


def test_more_precise_than_the_currency_is_shown_not_rounded() -> None:
    assert format_amount_number(Decimal("10.005"), EUR, "en_US") == "10.005"
    assert format_amount_number(Decimal("5.5"), JPY, "en_US") == "5.5"


def test_rejects_floats_and_non_finite_amounts() -> None:
    with pytest.raises(TypeError):
        format_amount_number(10.5, EUR, "en_US")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_amount_number(Decimal("NaN"), EUR, "en_US")
    with pytest.raises(ValueError):
        format_amount_number(Decimal("Infinity"), EUR, "en_US")


def test_locales_are_parsed_once() -> None:
    from payout_desk.domain import money

    assert money._locale("de_DE") is money._locale("de-DE")
    assert money._locale("nonsense") is money._locale("en_US")


def test_importing_money_does_not_import_babel() -> None:
    code = "import sys, payout_desk.domain.money; print('babel' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"
