"""Retype thresholds per currency: about the same money in every currency, never the same number."""

from __future__ import annotations

from decimal import Decimal

from payout_desk.domain.money import amount_to_wire, currency
from payout_desk.domain.thresholds import DEFAULT_RETYPE_THRESHOLDS, default_retype_thresholds, retype_threshold
from payout_desk.ui.settings.rules import parse_currency_threshold


def test_the_issues_examples() -> None:
    defaults = default_retype_thresholds()
    assert Decimal("98000") < retype_threshold(defaults, "JPY")  # JPY 98,000 (about €550) no longer asks
    assert retype_threshold(defaults, "BHD") <= Decimal("9999.000")  # BHD 9,999.000 (about €24,000) asks
    for code in ("BHD", "KWD", "JOD", "OMR"):  # the three-decimal currencies have their own
        assert code in defaults
    assert retype_threshold(defaults, "PEN") == 0  # a currency without one always asks
    assert retype_threshold(defaults, "eur") == Decimal("10000")


def test_every_default_is_an_active_currency_and_reads_back_in_settings() -> None:
    for code, amount in DEFAULT_RETYPE_THRESHOLDS.items():
        cur = currency(code)  # UnknownCurrencyError for a withdrawn code
        assert amount > 0
        assert parse_currency_threshold(code, amount_to_wire(amount, cur)) == amount


def test_the_defaults_are_a_fresh_copy() -> None:
    mine = default_retype_thresholds()
    mine["EUR"] = Decimal(1)
    assert DEFAULT_RETYPE_THRESHOLDS["EUR"] == Decimal("10000")
