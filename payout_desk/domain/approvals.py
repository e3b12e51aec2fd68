"""Maker-checker approvals in team mode (issue 21): what an approver sees and decides. Pure; no I/O.

The database enforces every rule (``approve()`` refuses the preparer, a second approval by the same
person, anyone outside ``payout_desk_approver`` and a body other than the one confirmed); these types
carry what it returns. :func:`body_hash` is how both sides name the confirmed body: the SHA-256 of
its exact JSON text (UTF-8), hex — the same digest the journal's ``confirmed`` event records as
``body_sha256``. An approval carries it, so an approver never approves a body they were not shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
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
    "tier_in_force",
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


def tier_in_force(
    rules: Iterable[ApprovalRule], currency: str, amount: Decimal, preparer: str | None
) -> ApprovalRule | None:
    """The tier that decides a payout of ``amount`` in ``currency`` within one scope (``preparer`` None: the
    rules for everyone; a login: that preparer's own): the currency's tiers, or else ``*``'s, the one with
    the greatest ``amount_from`` ≤ ``amount``; None when no tier applies."""
    scope = [r for r in rules if r.preparer == preparer]
    own = [r for r in scope if r.currency == currency]
    tiers = [r for r in own or [r for r in scope if r.currency == "*"] if r.amount_from <= amount]
    return max(tiers, key=lambda r: r.amount_from) if tiers else None


def required_approvals(rules: Iterable[ApprovalRule], currency: str, amount: Decimal, preparer: str) -> int:
    """Approvals a payout needs, as the database decides at confirmation: the larger of the general
    rule (:func:`tier_in_force` for everyone) and the preparer's own; no tier: 0.
    A preparer's tiers can only add approvals."""
    rules = tuple(rules)
    tiers = [tier_in_force(rules, currency, amount, who) for who in (None, preparer)]
    return max((t.approvers for t in tiers if t is not None), default=0)


def _applies(rule: ApprovalRule, code: str, scope: Iterable[ApprovalRule]) -> bool:
    """True when ``rule`` is among the tiers that decide ``code`` in its scope (its own currency's, or
    ``*``'s when the scope has none for ``code``)."""
    return rule.currency == code or (rule.currency == "*" and not any(r.currency == code for r in scope))


def _preparers_beyond(rules: Sequence[ApprovalRule]) -> str:
    """The preparers whose own tiers ask approvals where the rules for everyone ask none at any amount:
    "anna (EUR) and bob (any currency)"; "" when there are none."""
    general = [r for r in rules if r.preparer is None]
    if any(r.currency == "*" for r in general):
        return ""
    covered = {r.currency for r in general}
    found: dict[str, set[str]] = {}
    for rule in rules:
        if rule.preparer is not None and rule.currency not in covered:
            found.setdefault(rule.preparer, set()).add("any currency" if rule.currency == "*" else rule.currency)
    named = [
        f"{who} ({'any currency' if 'any currency' in codes else ', '.join(sorted(codes))})"
        for who, codes in sorted(found.items())
    ]
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)


def _except_preparers(rules: Sequence[ApprovalRule], code: str | None, below: Decimal) -> str:
    """ ", except payouts prepared by anna (their own rules below)" when a preparer's own tier asks approvals
    below ``below`` for ``code`` (None: a currency without a rule for everyone)."""
    everyones = {r.currency for r in rules if r.preparer is None}
    names: set[str] = set()
    for who in {r.preparer for r in rules if r.preparer is not None}:
        own = [r for r in rules if r.preparer == who]
        for rule in (r for r in own if r.amount_from < below):
            other = rule.currency == "*" or rule.currency not in everyones
            if other if code is None else _applies(rule, code, own):
                names.add(who)
    if not names:
        return ""
    return f", except payouts prepared by {', '.join(sorted(names))} (their own rules below)"


def rules_summary(rules: Iterable[ApprovalRule]) -> list[str]:
    """What the rules mean, in plain sentences: first which currencies need no approval at all (naming the
    preparers whose own rules ask some anyway), then from which amount each rule asks approvals."""
    rules = tuple(rules)
    general = [r for r in rules if r.preparer is None]
    personal = [r for r in rules if r.preparer is not None]
    catch_all = sorted((r for r in general if r.currency == "*"), key=lambda r: r.amount_from)
    own = sorted({r.currency for r in general if r.currency != "*"})
    beyond = _preparers_beyond(rules)
    but = f", but payouts prepared by {beyond} do: their own rules below." if beyond else ""
    lines: list[str] = []
    if not catch_all and not own:
        if beyond:
            lines.append(f"No currency needs approval for everyone{but}")
        else:
            lines.append("No currency needs approval: no rule asks for any (* from 0 → 0 approvers).")
    elif not catch_all:
        lines.append(f"Every currency except {', '.join(own)} needs no approval (no rule for *)" + (but or "."))
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
            lines.append(
                f"{rule.currency} below {format(rule.amount_from, 'f')} needs no approval"
                f"{_except_preparers(rules, rule.currency, rule.amount_from)}."
            )
    if catch_all and catch_all[0].amount_from > 0:
        lines.append(
            f"Other currencies below {format(catch_all[0].amount_from, 'f')} need no approval"
            f"{_except_preparers(rules, None, catch_all[0].amount_from)}."
        )
    if personal:
        lines.append("A preparer's own rules can only add approvals to the rules for everyone.")
    return lines


def uncovered(rules: Iterable[ApprovalRule]) -> str | None:
    """A warning when some currencies need no approval at any amount for everyone (naming the preparers
    whose own rules still ask some), else None."""
    rules = tuple(rules)
    general = [r for r in rules if r.preparer is None]
    if any(r.currency == "*" for r in general):
        return None
    beyond = _preparers_beyond(rules)
    own = sorted({r.currency for r in general})
    if not own:
        if beyond:
            return f"Warning: no currency needs approval now for everyone; only payouts prepared by {beyond} do."
        return "Warning: no currency needs approval now (no rule asks for any)."
    but = f", but payouts prepared by {beyond} do." if beyond else "."
    return f"Warning: every currency except {', '.join(own)} needs no approval now (no rule for *){but}"
