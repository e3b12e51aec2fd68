"""Retype thresholds: from which amount, per currency, the confirmation asks for the amount again. Pure.

A single number across currencies made JPY 98,000 (about €550) ask and BHD 9,999.000 (about €24,000)
not. The defaults are each currency's round amount near €10,000; staff change them in Settings. A
currency without a threshold always asks: an unfamiliar currency is where a slip costs most.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final

__all__ = ["DEFAULT_RETYPE_THRESHOLDS", "default_retype_thresholds", "retype_threshold"]

_DEFAULTS: Final = {
    # Europe
    "EUR": "10000", "USD": "10000", "GBP": "8000", "CHF": "10000", "SEK": "110000", "NOK": "110000",
    "DKK": "75000", "ISK": "1500000", "PLN": "40000", "CZK": "250000", "HUF": "4000000", "RON": "50000",
    "TRY": "350000", "UAH": "450000",
    # Americas, Asia-Pacific, Africa
    "CAD": "15000", "MXN": "200000", "BRL": "55000", "AUD": "15000", "NZD": "17000", "JPY": "1500000",
    "CNY": "75000", "HKD": "80000", "SGD": "15000", "KRW": "15000000", "INR": "900000", "THB": "380000",
    "MYR": "50000", "IDR": "170000000", "PHP": "600000", "ZAR": "200000", "NGN": "16000000", "KES": "1400000",
    "EGP": "500000", "MAD": "110000",
    # Middle East, with the three-decimal currencies (a slip of the separator is a factor of 1000)
    "ILS": "40000", "AED": "40000", "SAR": "40000", "QAR": "40000", "BHD": "4000", "KWD": "3000",
    "JOD": "7000", "OMR": "4000", "TND": "35000", "LYD": "50000", "IQD": "14000000",
}  # fmt: skip

#: The defaults, read-only: currency code → the amount from which the retype is asked.
DEFAULT_RETYPE_THRESHOLDS: Final[Mapping[str, Decimal]] = MappingProxyType(
    {code: Decimal(value) for code, value in _DEFAULTS.items()}
)


def default_retype_thresholds() -> dict[str, Decimal]:
    """A fresh, editable copy of the defaults."""
    return dict(DEFAULT_RETYPE_THRESHOLDS)


def retype_threshold(thresholds: Mapping[str, Decimal], code: str) -> Decimal:
    """The amount from which ``code`` payouts are typed twice; 0 (always) without a threshold."""
    return thresholds.get(code.upper(), Decimal(0))
