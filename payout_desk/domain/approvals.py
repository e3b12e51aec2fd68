"""Maker-checker approvals in team mode (issue 21): what an approver sees and decides. Pure; no I/O.

The database enforces every rule (``approve()`` refuses the preparer, a second approval by the same
person, anyone outside ``payout_desk_approver`` and a body other than the one confirmed); these types
carry what it returns. :func:`body_hash` is how both sides name the confirmed body: the SHA-256 of
its exact JSON text (UTF-8), hex — the same digest the journal's ``confirmed`` event records as
``body_sha256``. An approval carries it, so an approver never approves a body they were not shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from payout_desk.domain.money import Money

__all__ = [
    "DEFAULT_EXPIRY_DAYS",
    "ApprovalDecision",
    "ApprovalRefusedError",
    "ApprovalRequest",
    "ApprovalRule",
    "Money",
    "body_hash",
]

DEFAULT_EXPIRY_DAYS: Final = 7
"""Days a payout may wait for its approvals before it expires (``set-expiry`` changes it)."""


def body_hash(body_json: str) -> str:
    """SHA-256 (lower-case hex) of the request body's exact JSON text, UTF-8."""
    return hashlib.sha256(body_json.encode("utf-8")).hexdigest()


class ApprovalRefusedError(Exception):
    """The database refused an approval step; ``str(e)`` names the rule in plain words
    ("You prepared this payout: someone else must approve it.")."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ApprovalDecision:
    """One approver's decision: who, when, approved or rejected (``reason`` is the rejection's,
    required then; None for an approval), and the hash of the body they decided on."""

    by: str
    at: datetime
    approved: bool
    reason: str | None
    body_hash: str


@dataclass(frozen=True)
class ApprovalRequest:
    """A payout awaiting approval, as the queue shows it. ``required`` was fixed at confirmation (a
    later rule change does not touch it); ``decisions`` are in the order they were made;
    ``body_hash`` is the confirmed body's (:func:`body_hash`); ``expires_at`` is when it closes
    unapproved."""

    local_id: int
    amount: Money
    description: str | None
    recipient: str | None
    reference: str | None
    prepared_by: str
    confirmed_at: datetime
    required: int
    decisions: tuple[ApprovalDecision, ...]
    body_hash: str
    expires_at: datetime

    @property
    def approvals(self) -> int:
        """How many approvals it has so far."""
        return sum(1 for d in self.decisions if d.approved)

    @property
    def missing(self) -> int:
        """How many approvals it still needs (0 once complete)."""
        return max(0, self.required - self.approvals)

    def decided_by(self, login: str) -> bool:
        """True when ``login`` already approved or rejected it."""
        return any(d.by == login for d in self.decisions)


@dataclass(frozen=True)
class ApprovalRule:
    """One tier of the rules: payouts in ``currency`` (``"*"``: any currency without its own rule)
    of ``amount_from`` (inclusive, in the currency's major unit; for ``*``, compared with the
    amount's number) or more need ``approvers`` approvals; ``preparer`` None applies to everyone,
    a login only to that preparer's payouts (and wins over the general tiers of that currency)."""

    currency: str
    amount_from: Decimal
    approvers: int
    preparer: str | None
