"""The team journal's half of the near-duplicate rule (``domain.duplicates``), as the desk's
``journal.duplicates``: the candidates are one range over ``payouts_duplicates (currency, amount_scaled,
created_at)`` (migration 0011) without the statuses never sent, newest first and at most ``CANDIDATE_LIMIT``;
the domain decides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import psycopg

from payout_desk.domain.duplicates import WINDOW, DuplicateMatch, PastPayout, PayoutProbe, find_duplicates
from payout_desk.journal.duplicates import CANDIDATE_LIMIT, IGNORED_SQL, scaled_band

__all__ = ["near_duplicates"]

#: Without the statuses never sent (``domain.duplicates.IGNORED_STATUSES``, constants).
_CANDIDATES: Final = f"""
SELECT local_id, created_at, amount, currency, recipient_id, recipient_name, description, status, created_by
FROM payout_desk.payouts WHERE currency = %s AND amount_scaled BETWEEN %s AND %s AND created_at BETWEEN %s AND %s
  AND status NOT IN ({IGNORED_SQL})
ORDER BY created_at DESC LIMIT %s
"""  # noqa: S608 (constants only)


def near_duplicates(conn: psycopg.Connection[Any], probe: PayoutProbe) -> list[DuplicateMatch]:
    """The journaled payouts that ``probe`` nearly duplicates, newest first."""
    low, high = scaled_band(probe.amount)
    rows = conn.execute(
        _CANDIDATES, (probe.currency, low, high, probe.at - WINDOW, probe.at, CANDIDATE_LIMIT)
    ).fetchall()
    candidates = (
        PastPayout(
            local_id=int(lid),
            created_at=created,
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
