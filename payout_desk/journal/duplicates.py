"""The journal's half of the near-duplicate rule (``domain.duplicates``): find the candidates with
one index range, let the domain decide.

Both branches of the rule need the amount within 0.5 % of the new one in the same currency and a
payout from the last 90 days, so the candidates are one range over the index
``payouts_duplicates (currency, amount_scaled, created_at)`` (migration 4): the cost follows the
number of payouts of about that amount, never the journal's size.
"""

from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from typing import Final

from payout_desk.domain.duplicates import (
    IGNORED_STATUSES,
    DuplicateMatch,
    PastPayout,
    PayoutProbe,
    amount_band,
    find_duplicates,
)
from payout_desk.domain.duplicates import WINDOW as _WINDOW
from payout_desk.journal.query import from_micros, to_micros
from payout_desk.journal.schema import AMOUNT_SCALE

__all__ = ["CANDIDATES_SQL", "CANDIDATE_LIMIT", "DUPLICATE_INDEX", "IGNORED_SQL", "near_duplicates", "scaled_band"]

DUPLICATE_INDEX: Final = "payouts_duplicates"
#: At most this many candidates are read (the newest first); a band holding more is a bulk payroll,
#: where the newest ones are the ones worth showing.
CANDIDATE_LIMIT: Final = 2000
#: ``domain.duplicates.IGNORED_STATUSES`` as an SQL list (never sent: left out of the candidates, so they take
#: no place among the newest ``CANDIDATE_LIMIT``); the same text on SQLite and PostgreSQL.
IGNORED_SQL: Final = ", ".join(f"'{status}'" for status in sorted(IGNORED_STATUSES))
CANDIDATES_SQL: Final = f"""
SELECT local_id, created_at, amount, currency, recipient_id, recipient_name, description, status, created_by
FROM payouts INDEXED BY {DUPLICATE_INDEX}
WHERE currency = ? AND amount_scaled BETWEEN ? AND ? AND created_at BETWEEN ? AND ?
  AND status NOT IN ({IGNORED_SQL})
ORDER BY created_at DESC LIMIT {CANDIDATE_LIMIT:d}
"""  # noqa: S608 (constants only)


def scaled_band(amount: Decimal) -> tuple[int, int]:
    """The amount band of the rule as ``amount_scaled`` integers (inclusive; both journals use it)."""
    low, high = amount_band(amount)
    return math.ceil(low * AMOUNT_SCALE), math.floor(high * AMOUNT_SCALE)


def near_duplicates(conn: sqlite3.Connection, probe: PayoutProbe) -> list[DuplicateMatch]:
    """The journaled payouts that ``probe`` nearly duplicates, newest first."""
    low, high = scaled_band(probe.amount)
    rows = conn.execute(
        CANDIDATES_SQL,
        (probe.currency, low, high, to_micros(probe.at - _WINDOW), to_micros(probe.at)),
    ).fetchall()
    candidates = (
        PastPayout(
            local_id=int(lid),
            created_at=from_micros(created),
            amount=Decimal(amount),
            currency=code,
            recipient_id=rid,
            recipient_name=rname,
            description=desc,
            status=status,
            created_by=by,
        )
        for lid, created, amount, code, rid, rname, desc, status, by in rows
    )
    return find_duplicates(probe, candidates)
