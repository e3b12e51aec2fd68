"""Maker-checker approvals in team mode (issue 21): what an approver sees and decides. Pure; no I/O.

The database enforces every rule (``approve()`` refuses the preparer, a second approval by the same
person, anyone outside ``payout_desk_approver`` and a body other than the one confirmed); these types
carry what it returns. :func:`body_hash` is how both sides name the confirmed body: the SHA-256 of
its exact JSON text (UTF-8), hex — the same digest the journal's ``confirmed`` event records as
``body_sha256``. An approval carries it, so an approver never approves a body they were not shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
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
    "required_approvals",
    "rules_summary",
    "uncovered",
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


def required_approvals(rules: Iterable[ApprovalRule], currency: str, amount: Decimal, preparer: str) -> int:
    """Approvals a payout needs, as the database decides at confirmation: the larger of the general
    rule (the currency's tiers for everyone, or else ``*``'s: the tier with the greatest ``amount_from``
    ≤ ``amount``) and the preparer's own (the same among the tiers for ``preparer`` alone); no tier: 0.
    A preparer's tiers can only add approvals."""
    rules = tuple(rules)
    found = 0
    for personal in (False, True):
        scope = [r for r in rules if (r.preparer == preparer if personal else r.preparer is None)]
        own = [r for r in scope if r.currency == currency]
        tiers = [r for r in own or [r for r in scope if r.currency == "*"] if r.amount_from <= amount]
        if tiers:
            found = max(found, max(tiers, key=lambda r: r.amount_from).approvers)
    return found


def rules_summary(rules: Iterable[ApprovalRule]) -> list[str]:
    """What the rules mean, in plain sentences: first which currencies need no approval at all, then
    from which amount each rule asks approvals."""
    rules = tuple(rules)
    general = [r for r in rules if r.preparer is None]
    personal = [r for r in rules if r.preparer is not None]
    catch_all = sorted((r for r in general if r.currency == "*"), key=lambda r: r.amount_from)
    own = sorted({r.currency for r in general if r.currency != "*"})
    lines: list[str] = []
    if not catch_all and not own:
        lines.append("No currency needs approval: no rule asks for any (* from 0 → 0 approvers).")
    elif not catch_all:
        lines.append(f"Every currency except {', '.join(own)} needs no approval (no rule for *).")
    else:
        lines.append("Every currency needs approval from some amount on (a rule for * covers the others).")
    for rule in sorted(rules, key=lambda r: (r.currency != "*", r.currency, r.preparer or "", r.amount_from)):
        who = f", prepared by {rule.preparer}" if rule.preparer else ""
        what = "any currency without its own rule" if rule.currency == "*" else rule.currency
        lines.append(
            f"{what}{who}: from {format(rule.amount_from, 'f')} on, {rule.approvers} "
            f"approver{'s' if rule.approvers != 1 else ''}"
        )
    for rule in general:
        if (
            rule.currency != "*"
            and rule.amount_from > 0
            and rule is min((r for r in general if r.currency == rule.currency), key=lambda r: r.amount_from)
        ):
            lines.append(f"{rule.currency} below {format(rule.amount_from, 'f')} needs no approval.")
    if catch_all and catch_all[0].amount_from > 0:
        lines.append(f"Other currencies below {format(catch_all[0].amount_from, 'f')} need no approval.")
    if personal:
        lines.append("A preparer's own rules can only add approvals to the rules for everyone.")
    return lines


def uncovered(rules: Iterable[ApprovalRule]) -> str | None:
    """A warning when some currencies need no approval at any amount (for everyone), else None."""
    rules = tuple(rules)
    general = [r for r in rules if r.preparer is None]
    if any(r.currency == "*" for r in general):
        return None
    own = sorted({r.currency for r in general})
    if not own:
        return "Warning: no currency needs approval now (no rule asks for any)."
    return f"Warning: every currency except {', '.join(own)} needs no approval now (no rule for *)."
