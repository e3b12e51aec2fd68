"""Totals per currency of a set of payouts: how many and how much, by status. Pure.

Amounts are summed exactly (the journal sums ``amount_scaled`` integers), never as floats; different
currencies are never added together.

A payout that was never sent and never will be (:data:`NOT_SENT_STATUSES`: refused by the provider, rejected by
an approver, withdrawn, expired) is never part of a headline sum: :attr:`CurrencyTotals.sent_amount` leaves it
out and :attr:`CurrencyTotals.not_sent` lists it apart. ``count``/``amount`` still cover every row shown (they
equal the exported rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from payout_desk.domain.status import CLOSED_STATUSES, REJECTED

__all__ = ["NOT_SENT_STATUSES", "CurrencyTotals", "StatusTotal", "group_totals"]

#: Never sent and never will be: not money paid out, nor on its way.
NOT_SENT_STATUSES: Final[frozenset[str]] = CLOSED_STATUSES | {REJECTED}


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

    @property
    def sent(self) -> tuple[StatusTotal, ...]:
        """The statuses of payouts sent, on their way or waiting to be (everything but :attr:`not_sent`)."""
        return tuple(s for s in self.by_status if s.status not in NOT_SENT_STATUSES)

    @property
    def not_sent(self) -> tuple[StatusTotal, ...]:
        """The statuses of payouts never sent and never to be (:data:`NOT_SENT_STATUSES`)."""
        return tuple(s for s in self.by_status if s.status in NOT_SENT_STATUSES)

    @property
    def sent_count(self) -> int:
        return sum(s.count for s in self.sent)

    @property
    def sent_amount(self) -> Decimal:
        """The headline sum: never includes a payout that was not and will not be sent."""
        return sum((s.amount for s in self.sent), Decimal(0))


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
