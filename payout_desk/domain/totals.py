"""Totals per currency of a set of payouts: how many and how much, by status. Pure.

Amounts are summed exactly (the journal sums ``amount_scaled`` integers), never as floats; different
currencies are never added together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["CurrencyTotals", "StatusTotal", "group_totals"]


@dataclass(frozen=True)
class StatusTotal:
    """``count`` payouts of one status adding up to ``amount``."""

    status: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class CurrencyTotals:
    """One currency's payouts: per status (most first) and overall."""

    currency: str
    by_status: tuple[StatusTotal, ...]

    @property
    def count(self) -> int:
        return sum(s.count for s in self.by_status)

    @property
    def amount(self) -> Decimal:
        return sum((s.amount for s in self.by_status), Decimal(0))


def group_totals(rows: Iterable[tuple[str, str, int, Decimal]]) -> list[CurrencyTotals]:
    """(currency, status, count, amount) rows → per currency, the currency with most payouts first."""
    grouped: dict[str, list[StatusTotal]] = {}
    for code, status, count, amount in rows:
        grouped.setdefault(code, []).append(StatusTotal(status, int(count), amount))
    out = [
        CurrencyTotals(code, tuple(sorted(parts, key=lambda s: (-s.count, s.status))))
        for code, parts in grouped.items()
    ]
    out.sort(key=lambda t: (-t.count, t.currency))
    return out
