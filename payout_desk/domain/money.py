"""Money: ISO 4217 currencies, strict amount parsing, the wire format and display. Pure; no I/O.

Minor units come from the ``iso4217`` package (ISO 4217), never from Babel/CLDR, whose digits differ
for 13 currencies (IQD, RSD, …). Babel is used for display only, after quantizing to ISO digits.

Decisions on what a person may type (:func:`parse_amount`):

* Surrounding whitespace is trimmed; any whitespace inside is rejected.
* Only ASCII digits 0-9. Other scripts' digits (full-width ``１``, Arabic-Indic ``٣`` …), signs,
  letters, exponents (``1e3``), ``NaN``/``Infinity`` are rejected. Raw text never reaches ``Decimal``
  before a strict check.
* ``decimal_separators`` lists the characters accepted as THE decimal separator; at most one occurs.
  Grouping (thousands) separators are always rejected, never stripped: with ``".,"`` allowed,
  ``"1,234.56"`` is an error (two separators), never 1234.56; with only ``"."``, ``"10,00"`` is an error.
* Ambiguity: when a separator besides ``"."`` is allowed (the user's locale writes decimals with
  it, so ``"."`` may be that user's thousands separator), ``"1.000"``/``"12.500"``/``"999.999"``
  (1–3 digits, ".", exactly 3 digits) is rejected as ambiguous — it could be 1000 or 1 — for every
  currency; 3-decimal currencies (BHD, KWD, …) would otherwise silently read one thousand as one.
  ``"0.500"``, ``"1234.567"`` and ``"1,500"`` are unambiguous and accepted (where the digits fit).
* ``".5"`` is 0.5; ``"10."`` (nothing after the separator) is rejected as incomplete — a half-typed
  or truncated amount must not pass as a round number.
* Leading zeros are accepted (``"007.50"`` is 7.50): they cannot change the magnitude.
* Fraction digits are counted as typed, as the SPEC counts them: ``"10.000"`` EUR is rejected even
  though it equals 10.00; ``"5.0"`` JPY is rejected.
* Bounds: more than 0, at most :data:`MAX_AMOUNT`.
* The result is quantized to the currency's minor units (``"10.5"`` EUR → ``Decimal("10.50")``),
  which is exact: it only appends zeros.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation, localcontext
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import iso4217

if TYPE_CHECKING:  # Babel is imported lazily, at first display: importing this module stays cheap
    from babel import Locale

__all__ = [
    "MAX_AMOUNT",
    "AmountError",
    "Currency",
    "Money",
    "UnknownCurrencyError",
    "active_currencies",
    "amount_to_wire",
    "check_amount",
    "currency",
    "display_name",
    "format_amount",
    "format_amount_number",
    "parse_amount",
]

MAX_AMOUNT: Decimal = Decimal("1000000000")
"""The largest amount one payout may carry (SPEC **D**), in the currency's major unit."""

WIRE_AMOUNT_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
"""The SPEC's amount syntax on the wire (ASCII only)."""

_SIGNS = frozenset("+-\u2212\u2012\u2013\u2014\ufe62\ufe63\uff0b\uff0d")
_DEFAULT_LOCALE = "en_US"
_GROUPED_LOOKING = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{3}")
"""Where "." is also a thousands separator (de, es, it, nl, pt, tr, …), "1.000" may mean 1000."""
_EXACT = Context(prec=80)
"""Arithmetic here never depends on the caller's decimal context: 80 digits hold any valid amount."""


@dataclass(frozen=True)
class Currency:
    """An active ISO 4217 currency: code, English name and minor-unit digits (JPY 0, EUR 2, BHD 3)."""

    code: str
    name: str
    minor_units: int

    @property
    def quantum(self) -> Decimal:
        """The smallest amount this currency can carry: ``Decimal("0.01")`` for EUR, ``1`` for JPY."""
        return Decimal(1).scaleb(-self.minor_units)


@dataclass(frozen=True)
class Money:
    """An exact amount in a currency (``Decimal``, never float), at most the currency's minor-unit
    digits; zero allowed (a rule's lowest tier), negatives not. :attr:`wire` is the SPEC string."""

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"amount must be a Decimal, not {type(self.amount).__name__}")
        if not self.amount.is_finite() or self.amount < 0:
            raise AmountError("sign", "Amount: must be a finite amount of zero or more.")
        with localcontext(_EXACT):
            quantized = self.amount.quantize(self.currency.quantum)
        if quantized != self.amount:
            raise AmountError("precision", f"Amount: {self.currency.code} allows {_places(self.currency.minor_units)}.")
        object.__setattr__(self, "amount", quantized)

    @property
    def wire(self) -> str:
        """Plain notation with exactly the currency's minor-unit digits (``"15000.00"``)."""
        return format(self.amount, "f")


class UnknownCurrencyError(ValueError):
    """The code is not an active ISO 4217 currency with a numeric minor unit."""


class AmountError(ValueError):
    """An amount broke a rule. ``str(e)`` is a sentence a finance user understands; ``rule`` is a
    stable identifier for code and tests: ``empty``, ``sign``, ``digits``, ``characters``,
    ``separators``, ``incomplete``, ``ambiguous``, ``precision``, ``zero``, ``maximum``, ``not_finite``."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@cache
def _currencies() -> dict[str, Currency]:
    found: dict[str, Currency] = {}
    for member in iso4217.Currency:
        exponent = member.exponent
        if isinstance(exponent, int) and not isinstance(exponent, bool) and exponent >= 0:
            found[member.code] = Currency(member.code, member.currency_name, exponent)
    return dict(sorted(found.items()))


def currency(code: str) -> Currency:
    """The active currency with exactly this code (``"EUR"``); UnknownCurrencyError otherwise.

    The lookup is exact: ``"eur"`` or ``" EUR"`` are not codes. XAU, XDR, XXX … (no numeric minor
    unit) are unknown here."""
    found = _currencies().get(code) if isinstance(code, str) else None
    if found is None:
        raise UnknownCurrencyError(f"Currency: {code!r} is not an active ISO 4217 currency.")
    return found


def active_currencies() -> tuple[Currency, ...]:
    """ISO 4217 active currencies with a numeric minor unit, sorted by code."""
    return tuple(_currencies().values())


def display_name(currency: Currency, locale: str) -> str:
    """The currency's name in the user's language via Babel (``"Euro"``, ``"ユーロ"``); the ISO
    English name when Babel has none or the locale is unknown."""
    from babel.numbers import get_currency_name

    try:
        name = get_currency_name(currency.code, locale=_locale(locale))
    except (ValueError, TypeError):  # pragma: no cover - babel data problems
        return currency.name
    return name if name and name != currency.code else currency.name


def _places(n: int) -> str:
    if n == 0:
        return "no decimal places"
    return f"at most {n} decimal place" + ("" if n == 1 else "s")


def _classify(char: str, seps: str) -> str | None:
    """The rule a single character breaks, or None when it is an ASCII digit or a separator."""
    if "0" <= char <= "9" or char in seps:
        return None
    if char in _SIGNS:
        return "sign"
    if unicodedata.category(char) == "Nd" or unicodedata.numeric(char, None) is not None:
        return "digits"
    return "characters"


_MESSAGES = {
    "empty": "Amount: enter an amount.",
    "sign": "Amount: enter the amount without a sign (no + or −); it must be more than zero.",
    "digits": "Amount: type the digits 0-9 only (digits from other scripts or full-width digits are not accepted).",
    "characters": "Amount: use digits only — no thousands separators, spaces, signs or letters.",
    "incomplete": "Amount: add digits after the decimal separator, or remove the separator.",
    "zero": "Amount: must be more than zero.",
    "maximum": "Amount: must not be more than 1,000,000,000.",
    "not_finite": "Amount: must be a finite number.",
}


def _error(rule: str) -> AmountError:
    return AmountError(rule, _MESSAGES[rule])


def _check_separators(decimal_separators: str) -> str:
    if not isinstance(decimal_separators, str) or not decimal_separators:
        raise ValueError("decimal_separators must be a non-empty string")
    for sep in decimal_separators:
        if sep.isdigit() or sep.isspace() or sep in _SIGNS or unicodedata.category(sep) == "Cc":
            raise ValueError(f"{sep!r} cannot be a decimal separator")
    return decimal_separators


def _parse_text(text: str, minor_units: int | None, code: str, decimal_separators: str) -> Decimal:
    """Parse typed text. ``minor_units=None`` skips the precision rule (currency not known yet).

    Shared by :func:`parse_amount` and payout validation; see the module docstring for the rules."""
    seps = _check_separators(decimal_separators)
    if not isinstance(text, str):
        raise _error("empty")
    stripped = text.strip()
    if not stripped:
        raise _error("empty")
    worst: str | None = None
    for char in stripped:
        rule = _classify(char, seps)
        if rule is not None and (worst is None or _RANK[rule] < _RANK[worst]):
            worst = rule
    if worst == "characters" and "," not in seps and _DECIMAL_COMMA.fullmatch(stripped):
        raise AmountError(
            "decimal_comma",
            f"Amount: use a dot as the decimal separator — type {stripped.replace(',', '.')}.",
        )
    if worst is not None:
        raise _error(worst)
    positions = [i for i, char in enumerate(stripped) if char in seps]
    if len(positions) > 1:
        shown = " or ".join(f'"{s}"' for s in seps)
        raise AmountError(
            "separators",
            f"Amount: use one decimal separator ({shown}) at most, and no thousands separators — for example 1234.56.",
        )
    if positions:
        whole, fraction = stripped[: positions[0]], stripped[positions[0] + 1 :]
        if not fraction:
            raise _error("incomplete")
        if _GROUPED_LOOKING.fullmatch(stripped) and stripped[positions[0]] == "." and seps.strip("."):
            other = next(s for s in seps if s != ".")
            raise AmountError(
                "ambiguous",
                f'Amount: "{stripped}" is ambiguous — type {whole}{fraction} without the dot,'
                f" or {whole}{other}{fraction} if the dot is the decimal separator.",
            )
    else:
        whole, fraction = stripped, ""
    if minor_units is not None and len(fraction) > minor_units:
        raise AmountError("precision", f"Amount: {code} allows {_places(minor_units)}.")
    if len(whole.lstrip("0")) > len(str(int(MAX_AMOUNT))):
        raise _error("maximum")  # decided before building a huge Decimal
    value = Decimal(f"{whole or '0'}.{fraction or '0'}")
    if value == 0:
        raise _error("zero")
    if value > MAX_AMOUNT:
        raise _error("maximum")
    if minor_units is not None:
        with localcontext(_EXACT):
            return value.quantize(Decimal(1).scaleb(-minor_units))
    return value


#: "1250,00" where only "." is a decimal separator: a decimal comma, not a thousands separator
#: (which would group exactly three digits).
_DECIMAL_COMMA = re.compile(r"[0-9]*,(?:[0-9]{1,2}|[0-9]{4,})")
#: A currency code written against the number ("BHD310.500"): CLDR's currency spacing wants a space.
_CODE_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=[0-9])")
_DIGIT_THEN_CODE = re.compile(r"(?<=[0-9])(?=[^\W\d_])")

_RANK = {"sign": 0, "digits": 1, "characters": 2}


def parse_amount(text: str, currency: Currency, *, decimal_separators: str = ".") -> Decimal:
    """Parse what a person typed into an exact Decimal quantized to ``currency``'s minor units.

    ``decimal_separators``: the characters accepted as the (single) decimal separator — ``"."`` by
    default; the UI passes ``"."`` plus the user's locale separator, e.g. ``".,"``. Grouping
    separators are always rejected. Raises :class:`AmountError` (and only that, for any text) with a
    sentence naming the broken rule; ``ValueError`` for an unusable ``decimal_separators``."""
    return _parse_text(text, currency.minor_units, currency.code, decimal_separators)


def check_amount(amount: Decimal, currency: Currency) -> Decimal:
    """Check a Decimal against the SPEC (finite, > 0, ≤ MAX_AMOUNT, ≤ minor-unit digits) and return it
    quantized to exactly the currency's minor units. AmountError; never rounds."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise _error("not_finite")
    if amount <= 0:
        raise _error("zero")
    if amount > MAX_AMOUNT:
        raise _error("maximum")
    with localcontext(_EXACT):
        quantized = amount.quantize(currency.quantum)
        if quantized != amount:
            raise AmountError("precision", f"Amount: {currency.code} allows {_places(currency.minor_units)}.")
    return quantized


def amount_to_wire(amount: Decimal, currency: Currency) -> str:
    """The SPEC wire string: plain notation with exactly ``currency.minor_units`` fraction digits
    (``"10.00"`` EUR, ``"5"`` JPY, ``"1.500"`` BHD, ``Decimal("1E+3")`` EUR → ``"1000.00"``).

    Raises :class:`AmountError` when the amount is not finite, not > 0, over :data:`MAX_AMOUNT`, or
    more precise than the currency allows — money is never rounded silently; ``TypeError`` for a
    non-Decimal (a float must never get here)."""
    wire = format(check_amount(amount, currency), "f")
    if not WIRE_AMOUNT_RE.fullmatch(wire):  # pragma: no cover - guarded by check_amount
        raise AmountError("characters", f"Amount: cannot send {wire!r}.")
    return wire


def _locale(locale: str) -> Locale:
    """The parsed Babel locale for ``"de_DE"`` / ``"de-DE"`` (en_US when unknown), cached per string:
    ``Locale.parse`` costs about a millisecond, and the history formats thousands of cells."""
    return _parsed_locale(str(locale).replace("-", "_"))


@lru_cache(maxsize=32)
def _parsed_locale(name: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(_DEFAULT_LOCALE) if name == _DEFAULT_LOCALE else _parsed_locale(_DEFAULT_LOCALE)


def _display_value(amount: Decimal, currency: Currency) -> tuple[Decimal, int]:
    """``amount`` quantized for display and the number of fraction digits to show: the currency's
    ISO 4217 minor units, or more when the amount is more precise (never rounded away)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError("cannot format a non-finite amount")
    exponent = amount.as_tuple().exponent
    shown = max(currency.minor_units, -exponent if isinstance(exponent, int) else 0)
    try:
        with localcontext(_EXACT):
            return amount.quantize(Decimal(1).scaleb(-shown)), shown
    except InvalidOperation:  # absurdly large: Babel shows it as it is
        return amount, shown


def format_amount(amount: Decimal, currency: Currency, locale: str) -> str:
    """The amount for people, in ``locale``'s conventions (``"1.234,50 €"`` for de_DE), with exactly
    the ISO 4217 minor-unit digits (IQD 3, RSD 2 — not Babel's CLDR digits).

    Babel ``format_currency`` with ``currency_digits=False`` and the locale's currency pattern fixed
    to the ISO digits. An amount more precise than the currency is shown with all its digits, never
    rounded away. ``locale`` is ``"de_DE"`` or ``"de-DE"``; an unknown locale falls back to en_US.
    Raises ``ValueError`` for a non-finite amount, ``TypeError`` for a non-Decimal."""
    from babel.numbers import format_currency

    value, shown = _display_value(amount, currency)
    loc = _locale(locale)
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (currency.minor_units, shown)
    text = format_currency(value, currency.code, format=pattern, locale=loc, currency_digits=False)
    # A letter symbol (a code like BHD, CHF) is kept apart from the digits by a no-break space,
    # as CLDR's currency spacing says; "€310.50" and "310,50 €" are left as they are.
    return _DIGIT_THEN_CODE.sub("\xa0", _CODE_THEN_DIGIT.sub("\xa0", text))


def format_amount_number(amount: Decimal, currency: Currency, locale: str) -> str:
    """The amount as a plain number in ``locale``'s conventions, without any currency symbol or code,
    with exactly the ISO 4217 minor-unit digits: ``"4,999.99"`` USD, ``"98,000"`` JPY, ``"310.500"``
    BHD in en_US; ``"4.999,99"`` in de_DE. For tables whose next column names the currency.

    Babel ``format_decimal`` with the locale's decimal pattern fixed to the ISO digits, after
    quantizing (never a float). An amount more precise than the currency keeps all its digits, never
    rounded away. An unknown locale falls back to en_US. Raises ``ValueError`` for a non-finite
    amount, ``TypeError`` for a non-Decimal."""
    from babel.numbers import format_decimal

    value, shown = _display_value(amount, currency)
    loc = _locale(locale)
    pattern = copy.copy(loc.decimal_formats[None])
    pattern.frac_prec = (currency.minor_units, shown)
    return format_decimal(value, format=pattern, locale=loc)
