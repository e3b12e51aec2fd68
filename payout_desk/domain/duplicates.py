"""Near-duplicate payouts: the one rule, shared by the confirmation and (later) approvals. Pure.

A journaled payout is a near-duplicate of a new one when, in the same currency and within the last
:data:`WINDOW` (90 days) before the new one:

* it went to the same recipient — the same recipient id, or the same name once case-folded and its
  whitespace collapsed (:func:`normalise`) — with an amount within :data:`TOLERANCE` (0.5 %) of the
  new amount, both ends inclusive; or
* it has the same description (normalised the same way, not empty) and exactly the same amount.

Payouts never sent are not duplicates: refused by the provider (``rejected``) or closed before sending
(``approval_rejected``, ``withdrawn``, ``expired``: ``status.CLOSED_STATUSES``). Every other status is: a
payout still pending, outcome-unknown or awaiting approval is as much money on its way as a succeeded one.
The stores leave these statuses out of their candidates too (:data:`IGNORED_STATUSES`), so closed payouts
never take the places of the ``CANDIDATE_LIMIT`` newest.

Both branches need the amount within the band, so a store finds the candidates with one range over
(currency, amount, created) — an index, never a scan — and this module decides (:func:`match`).
A repeated *reference* (externalId) is a different, stricter rule: refused outright elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

from payout_desk.domain.status import CLOSED_STATUSES, REJECTED

__all__ = [
    "IGNORED_STATUSES",
    "TOLERANCE",
    "WINDOW",
    "DuplicateMatch",
    "PastPayout",
    "PayoutProbe",
    "amount_band",
    "find_duplicates",
    "match",
    "normalise",
]

#: How far back a payout counts.
WINDOW: Final = timedelta(days=90)
#: The relative amount difference still counted as "the same recipient, about the same amount".
TOLERANCE: Final = Decimal("0.005")
#: Statuses that never count: nothing was sent, nor ever will be.
IGNORED_STATUSES: Final[frozenset[str]] = frozenset({REJECTED}) | CLOSED_STATUSES

Reason = Literal["recipient", "description"]


def normalise(text: str | None) -> str:
    """Case-folded, whitespace collapsed to single spaces, trimmed ("" for None)."""
    return " ".join((text or "").casefold().split())


@dataclass(frozen=True)
class PayoutProbe:
    """The new payout, as far as the rule looks at it."""

    amount: Decimal
    currency: str
    recipient_id: str | None
    recipient_name: str | None
    description: str | None
    at: datetime  # aware; "now" for a payout about to be confirmed


@dataclass(frozen=True)
class PastPayout:
    """A journaled payout, as far as the rule and the warning look at it."""

    local_id: int
    created_at: datetime  # aware
    amount: Decimal
    currency: str
    recipient_id: str | None
    recipient_name: str | None
    description: str | None
    status: str
    created_by: str


@dataclass(frozen=True)
class DuplicateMatch:
    """One near-duplicate and why it matched (``recipient`` wins when both do)."""

    past: PastPayout
    reason: Reason


def amount_band(amount: Decimal) -> tuple[Decimal, Decimal]:
    """The inclusive amount range the recipient branch accepts (it contains the description's)."""
    spread = abs(amount) * TOLERANCE
    return amount - spread, amount + spread


def _same_recipient(new: PayoutProbe, old: PastPayout) -> bool:
    if new.recipient_id and old.recipient_id and new.recipient_id.strip() == old.recipient_id.strip():
        return True
    name = normalise(new.recipient_name)
    return bool(name) and name == normalise(old.recipient_name)


def match(new: PayoutProbe, old: PastPayout) -> Reason | None:
    """Why ``old`` is a near-duplicate of ``new``, or None when it is not."""
    if old.currency != new.currency or old.status in IGNORED_STATUSES:
        return None
    if not (new.at - WINDOW <= old.created_at <= new.at):
        return None
    low, high = amount_band(new.amount)
    if not (low <= old.amount <= high):
        return None
    if _same_recipient(new, old):
        return "recipient"
    description = normalise(new.description)
    if description and description == normalise(old.description) and old.amount == new.amount:
        return "description"
    return None


def find_duplicates(new: PayoutProbe, candidates: Iterable[PastPayout]) -> list[DuplicateMatch]:
    """The candidates that match, newest first."""
    found = [DuplicateMatch(old, reason) for old in candidates if (reason := match(new, old)) is not None]
    found.sort(key=lambda m: (m.past.created_at, m.past.local_id), reverse=True)
    return found
