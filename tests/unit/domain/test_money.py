"""Money: currencies from ISO 4217, strict parsing, the wire format and display."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from payout_desk.domain.money import (
    MAX_AMOUNT,
    AmountError,
    Currency,
    UnknownCurrencyError,
    active_currencies,
    amount_to_wire,
    check_amount,
    currency,
    display_name,
    format_amount,
    parse_amount,
)

EUR, JPY, BHD, IQD, RSD, CLF = (currency(c) for c in ("EUR", "JPY", "BHD", "IQD", "RSD", "CLF"))

CHARACTERS = "Amount: use digits only — no thousands separators, spaces, signs or letters."
SEPARATORS_DOT = 'Amount: use one decimal separator (".") at most, and no thousands separators — for example 1234.56.'


# --- currencies -------------------------------------------------------------------------------------


def test_minor_units_come_from_iso4217() -> None:
    assert (EUR.minor_units, JPY.minor_units, BHD.minor_units, CLF.minor_units) == (2, 0, 3, 4)
    # Babel/CLDR says IQD 0 and RSD 0; ISO 4217 says 3 and 2.
    assert (IQD.minor_units, RSD.minor_units) == (3, 2)


def test_currency_has_english_name_and_quantum() -> None:
    assert Currency("EUR", "Euro", 2) == EUR
    assert EUR.quantum == Decimal("0.01")
    assert JPY.quantum == Decimal("1")
    assert BHD.quantum == Decimal("0.001")


def test_active_currencies_sorted_unique_and_numeric() -> None:
    codes = [c.code for c in active_currencies()]
    assert codes == sorted(set(codes))
    assert len(codes) > 150
    assert {"EUR", "USD", "JPY", "BHD", "CHF", "GBP"} <= set(codes)
    assert all(isinstance(c.minor_units, int) and 0 <= c.minor_units <= 4 for c in active_currencies())
    assert all(c.name for c in active_currencies())


@pytest.mark.parametrize("code", ["XAU", "XDR", "XXX", "XTS", "XAG", "XPT", "XPD", "XSU", "XUA", "XBA"])
def test_codes_without_numeric_minor_unit_are_not_active(code: str) -> None:
    assert code not in {c.code for c in active_currencies()}
    with pytest.raises(UnknownCurrencyError):
        currency(code)


@pytest.mark.parametrize("code", ["eur", " EUR", "EUR ", "EU", "EURO", "", "ZZZ", "DEM"])
def test_currency_lookup_is_exact(code: str) -> None:
    with pytest.raises(UnknownCurrencyError) as info:
        currency(code)
    assert isinstance(info.value, ValueError)


def test_display_name_uses_babel_with_iso_fallback() -> None:
    assert display_name(EUR, "en_US") == "Euro"
    assert display_name(EUR, "de_DE") == "Euro"
    assert display_name(JPY, "ja_JP") == "日本円"
    assert display_name(IQD, "de_DE") == "Irakischer Dinar"
    assert display_name(EUR, "not a locale") == "Euro"


# --- parse_amount: accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cur", "seps", "expected"),
    [
        ("10.00", EUR, ".", "10.00"),
        ("10", EUR, ".", "10.00"),
        ("10.5", EUR, ".", "10.50"),
        ("  10.5\t", EUR, ".", "10.50"),
        ("\u00a010\u3000", EUR, ".", "10.00"),
        ("10,00", EUR, ".,", "10.00"),
        ("10,00", EUR, ",", "10.00"),
        ("10.00", EUR, ".,", "10.00"),
        (".5", EUR, ".", "0.50"),
        (",5", EUR, ".,", "0.50"),
        ("0.01", EUR, ".", "0.01"),
        ("007.50", EUR, ".", "7.50"),
        ("5", JPY, ".", "5"),
        ("1.5", BHD, ".", "1.500"),
        ("1.500", BHD, ".", "1.500"),
        ("0.001", BHD, ".", "0.001"),
        ("0.0001", CLF, ".", "0.0001"),
        ("1000000000", EUR, ".", "1000000000.00"),
        ("1000000000.00", EUR, ".", "1000000000.00"),
        ("0001000000000", JPY, ".", "1000000000"),
    ],
)
def test_parse_accepts(text: str, cur: Currency, seps: str, expected: str) -> None:
    value = parse_amount(text, cur, decimal_separators=seps)
    assert value == Decimal(expected)
    assert str(value) == expected  # quantized to exactly the minor units


def test_parse_default_separator_is_dot_only() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount("10,00", EUR)
    assert info.value.rule == "decimal_comma"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1250,00", "Amount: use a dot as the decimal separator — type 1250.00."),
        ("0,5", "Amount: use a dot as the decimal separator — type 0.5."),
        (",5", "Amount: use a dot as the decimal separator — type .5."),
    ],
)
def test_a_decimal_comma_in_an_english_locale_says_use_a_dot(text: str, message: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text, EUR)
    assert str(info.value) == message
    with pytest.raises(AmountError) as grouped:
        parse_amount("1,250", EUR)  # three digits: a thousands separator, refused as one
    assert grouped.value.rule == "characters"


# --- parse_amount: rejected, with the rule and the sentence ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "cur", "seps", "rule", "message"),
    [
        ("", EUR, ".", "empty", "Amount: enter an amount."),
        ("   ", EUR, ".", "empty", "Amount: enter an amount."),
        ("10.000", EUR, ".", "precision", "Amount: EUR allows at most 2 decimal places."),
        ("10.001", EUR, ".", "precision", "Amount: EUR allows at most 2 decimal places."),
        ("5.0", JPY, ".", "precision", "Amount: JPY allows no decimal places."),
        ("1.0000", BHD, ".", "precision", "Amount: BHD allows at most 3 decimal places."),
        ("0.00001", CLF, ".", "precision", "Amount: CLF allows at most 4 decimal places."),
        ("0", EUR, ".", "zero", "Amount: must be more than zero."),
        ("0.00", EUR, ".", "zero", "Amount: must be more than zero."),
        (".0", EUR, ".", "zero", "Amount: must be more than zero."),
        ("1000000000.01", EUR, ".", "maximum", "Amount: must not be more than 1,000,000,000."),
        ("1000000001", JPY, ".", "maximum", "Amount: must not be more than 1,000,000,000."),
        ("9" * 5000, EUR, ".", "maximum", "Amount: must not be more than 1,000,000,000."),
        ("10.", EUR, ".", "incomplete", "Amount: add digits after the decimal separator, or remove the separator."),
        ("10,", EUR, ".,", "incomplete", "Amount: add digits after the decimal separator, or remove the separator."),
        (".", EUR, ".", "incomplete", "Amount: add digits after the decimal separator, or remove the separator."),
        ("1,234.56", EUR, ".", "characters", CHARACTERS),
        ("1.234.56", EUR, ".", "separators", SEPARATORS_DOT),
        ("1.234", EUR, ".", "precision", "Amount: EUR allows at most 2 decimal places."),
        ("1,000", JPY, ".", "characters", CHARACTERS),
        ("1.000", JPY, ".", "precision", "Amount: JPY allows no decimal places."),
        ("1 000", EUR, ".", "characters", CHARACTERS),
        ("1\u00a0000", EUR, ".", "characters", CHARACTERS),
        ("1\u202f000", EUR, ".", "characters", CHARACTERS),
        ("1'000", EUR, ".", "characters", CHARACTERS),
        ("1_000", EUR, ".", "characters", CHARACTERS),
        ("1e3", EUR, ".", "characters", CHARACTERS),
        ("1E+3", EUR, ".", "sign", None),
        ("NaN", EUR, ".", "characters", CHARACTERS),
        ("Infinity", EUR, ".", "characters", CHARACTERS),
        ("sNaN", EUR, ".", "characters", CHARACTERS),
        ("0x10", EUR, ".", "characters", CHARACTERS),
        ("€10", EUR, ".", "characters", CHARACTERS),
        ("10 EUR", EUR, ".", "characters", CHARACTERS),
        ("10\n", EUR, ".", None, None),  # trailing whitespace is trimmed: accepted below
        ("-10", EUR, ".", "sign", "Amount: enter the amount without a sign (no + or −); it must be more than zero."),
        ("+10", EUR, ".", "sign", None),
        ("\u221210", EUR, ".", "sign", None),
        ("(10)", EUR, ".", "characters", CHARACTERS),
        ("１０", EUR, ".", "digits", None),
        ("١٠", EUR, ".", "digits", None),
        ("१०", EUR, ".", "digits", None),
        ("½", EUR, ".", "digits", None),
        ("1\u0660", EUR, ".", "digits", None),
    ],
)
def test_parse_rejects(text: str, cur: Currency, seps: str, rule: str | None, message: str | None) -> None:
    if rule is None:
        assert parse_amount(text, cur, decimal_separators=seps) == Decimal(text.strip())
        return
    with pytest.raises(AmountError) as info:
        parse_amount(text, cur, decimal_separators=seps)
    assert info.value.rule == rule
    assert str(info.value).startswith("Amount: ")
    if message is not None:
        assert str(info.value) == message


@pytest.mark.parametrize("text", ["1,234.56", "1.234,56", "1,234,567.89", "12.34,5", "1,2"])
def test_grouping_with_two_allowed_separators_is_rejected_not_stripped(text: str) -> None:
    """The 10.00 → 1000 class of bug: a grouping separator is never dropped."""
    if text == "1,2":
        assert parse_amount(text, EUR, decimal_separators=".,") == Decimal("1.20")
        return
    with pytest.raises(AmountError) as info:
        parse_amount(text, EUR, decimal_separators=".,")
    assert info.value.rule == "separators"
    assert str(info.value) == (
        'Amount: use one decimal separator ("." or ",") at most, and no thousands separators — for example 1234.56.'
    )


def test_internal_whitespace_rejected() -> None:
    for text in ("10 .00", "10. 00", "1\t0", "1\u200b0"):
        with pytest.raises(AmountError) as info:
            parse_amount(text, EUR)
        assert info.value.rule == "characters"


def test_sign_is_reported_before_other_problems() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount("-1,000.00x", EUR)
    assert info.value.rule == "sign"


@pytest.mark.parametrize("seps", ["", "1", " ", "-", "+", "\n"])
def test_unusable_separator_configuration_is_a_programming_error(seps: str) -> None:
    with pytest.raises(ValueError, match="separator") as info:
        parse_amount("10", EUR, decimal_separators=seps)
    assert not isinstance(info.value, AmountError)


def test_parse_independent_of_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert parse_amount("999999999.99", EUR) == Decimal("999999999.99")
        assert amount_to_wire(Decimal("999999999.99"), EUR) == "999999999.99"


# --- amount_to_wire ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "cur", "wire"),
    [
        ("10", EUR, "10.00"),
        ("10.5", EUR, "10.50"),
        ("10.000", EUR, "10.00"),  # trailing zeros are not precision: exact
        ("1E+3", EUR, "1000.00"),
        ("1E+9", JPY, "1000000000"),
        ("5", JPY, "5"),
        ("5.000", JPY, "5"),
        ("50E-1", JPY, "5"),
        ("1.5", BHD, "1.500"),
        ("0.001", BHD, "0.001"),
        ("1E-4", CLF, "0.0001"),
        ("1000000000", EUR, "1000000000.00"),
        ("0.01", EUR, "0.01"),
    ],
)
def test_amount_to_wire(amount: str, cur: Currency, wire: str) -> None:
    assert amount_to_wire(Decimal(amount), cur) == wire


@pytest.mark.parametrize(
    ("amount", "cur", "rule"),
    [
        ("10.001", EUR, "precision"),
        ("5.5", JPY, "precision"),
        ("0.0001", BHD, "precision"),
        ("0", EUR, "zero"),
        ("-0", EUR, "zero"),
        ("-10", EUR, "zero"),
        ("1000000000.01", EUR, "maximum"),
        ("1E+10", EUR, "maximum"),
        ("NaN", EUR, "not_finite"),
        ("sNaN", EUR, "not_finite"),
        ("Infinity", EUR, "not_finite"),
        ("-Infinity", EUR, "not_finite"),
    ],
)
def test_amount_to_wire_never_rounds_or_sends_nonsense(amount: str, cur: Currency, rule: str) -> None:
    with pytest.raises(AmountError) as info:
        amount_to_wire(Decimal(amount), cur)
    assert info.value.rule == rule


@pytest.mark.parametrize("amount", [10.0, 10, "10.00", True])
def test_amount_to_wire_refuses_non_decimal(amount: object) -> None:
    with pytest.raises(TypeError):
        amount_to_wire(amount, EUR)  # type: ignore[arg-type]


def test_check_amount_returns_quantized() -> None:
    assert str(check_amount(Decimal("1E+3"), EUR)) == "1000.00"
    assert Decimal("1000000000") == MAX_AMOUNT


# --- format_amount -------------------------------------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("amount", "cur", "locale", "shown"),
    [
        ("1234.5", EUR, "en_US", "€1,234.50"),
        ("1234.5", EUR, "de_DE", f"1.234,50{NBSP}€"),
        ("1234.5", EUR, "fr_CH", f"1{NNBSP}234,50{NBSP}€"),
        ("1234.5", EUR, "ja_JP", "€1,234.50"),
        ("1234", JPY, "en_US", "¥1,234"),
        ("1234", JPY, "de_DE", f"1.234{NBSP}¥"),
        ("1234", JPY, "ja_JP", "￥1,234"),
        ("1234", JPY, "fr_CH", f"1{NNBSP}234{NBSP}JPY"),
        ("1.5", BHD, "en_US", f"BHD{NBSP}1.500"),
        ("1234.5", BHD, "de_DE", f"1.234,500{NBSP}BHD"),
        ("1234.5", BHD, "fr_CH", f"1{NNBSP}234,500{NBSP}BHD"),
        ("1234.5", BHD, "ja_JP", f"BHD{NBSP}1,234.500"),
        # Babel's own digits would give IQD 0 / RSD 0: ISO 4217 digits are shown.
        ("1234", IQD, "en_US", f"IQD{NBSP}1,234.000"),
        ("1234.125", IQD, "de_DE", f"1.234,125{NBSP}IQD"),
        ("1234.5", RSD, "en_US", f"RSD{NBSP}1,234.50"),
        ("1E+3", EUR, "en_US", "€1,000.00"),
        ("1000000000", EUR, "de_DE", f"1.000.000.000,00{NBSP}€"),
        ("1234.5", EUR, "de-DE", f"1.234,50{NBSP}€"),
        ("1234.5", EUR, "not_a_locale", "€1,234.50"),
    ],
)
def test_format_amount(amount: str, cur: Currency, locale: str, shown: str) -> None:
    assert format_amount(Decimal(amount), cur, locale) == shown


def test_format_never_rounds_money_away() -> None:
    assert format_amount(Decimal("10.005"), EUR, "en_US") == "€10.005"
    assert format_amount(Decimal("5.5"), JPY, "en_US") == "¥5.5"


def test_format_refuses_non_decimal_and_non_finite() -> None:
    with pytest.raises(TypeError):
        format_amount(10.5, EUR, "en_US")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        format_amount(Decimal("NaN"), EUR, "en_US")


# --- the "1.000" ambiguity where "." may be the user's thousands separator -------------------------------


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            "1.000",
            "BHD",
            'Amount: "1.000" is ambiguous — type 1000 without the dot, or 1,000 if the dot is the decimal separator.',
        ),
        (
            "12.500",
            "KWD",
            'Amount: "12.500" is ambiguous — type 12500 without the dot,'
            " or 12,500 if the dot is the decimal separator.",
        ),
        ("999.999", "IQD", None),
        ("1.000", "EUR", None),  # clearer than "EUR allows at most 2 decimal places" for someone who meant 1000
        ("1.000", "JPY", None),
        (" 1.234 ", "CLF", None),
    ],
)
def test_dot_with_three_decimals_is_ambiguous_when_another_separator_is_allowed(
    text: str, code: str, message: str | None
) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text, currency(code), decimal_separators=".,")
    assert info.value.rule == "ambiguous"
    if message:
        assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "seps", "expected"),
    [
        ("1.500", ".", "1.500"),  # only "." allowed: "." is the decimal separator, nothing to confuse
        ("1,500", ".,", "1.500"),  # the locale's own separator
        ("0.500", ".,", "0.500"),  # nobody groups with a leading zero
        ("1234.567", ".,", "1234.567"),  # grouped would be 1.234.567
        ("1.5", ".,", "1.500"),
        ("12.50", ".,", "12.500"),
    ],
)
def test_unambiguous_three_decimal_amounts(text: str, seps: str, expected: str) -> None:
    assert str(parse_amount(text, BHD, decimal_separators=seps)) == expected
