"""What an approver should notice about a payout waiting for approval. Pure; no I/O.

Three kinds of warning, in plain words, amounts formatted as the confirmation formats them
(``money.format_amount`` in the person's locale):

* ``history`` — the recipient's earlier payouts in this currency over the last :data:`HISTORY_WINDOW`
  (365 days): how many, the usual range (smallest to largest) and the last date; or ``first`` when there
  is none ("First payout to this recipient").
* ``duplicate`` — near-duplicates among the journal's payouts, by the desk's one rule
  (``domain.duplicates.match``: same currency, 90 days, same recipient within 0.5 % or same description
  and amount); the payout itself is never its own duplicate, nor is one closed before sending.
* ``far_above`` — more than :data:`FAR_ABOVE_FACTOR` (3×) the largest payout to that recipient in the
  last 365 days.

Only the recipient's payouts confirmed *before* this one count as its history, so the payout itself
(and anything later) never makes its own history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

from payout_desk.domain.approvals import ApprovalRequest
from payout_desk.domain.duplicates import PastPayout, PayoutProbe, find_duplicates
from payout_desk.domain.money import Money, format_amount
from payout_desk.domain.money import currency as find_currency
from payout_desk.domain.status import is_closed

__all__ = [
    "FAR_ABOVE_FACTOR",
    "HISTORY_WINDOW",
    "ApprovalWarning",
    "WaitingPayout",
    "WarningKind",
    "approval_warnings",
    "request_warnings",
]

#: How far back the recipient's history (and the "far above usual" comparison) looks.
HISTORY_WINDOW: Final = timedelta(days=365)
#: "Far above usual": strictly more than this many times the recipient's largest payout in the window.
FAR_ABOVE_FACTOR: Final = Decimal(3)

WarningKind = Literal["first", "history", "duplicate", "far_above"]


@dataclass(frozen=True)
class ApprovalWarning:
    """One line for the approver. ``serious`` ones (duplicate, far above usual, first payout) are shown as
    warnings; the history line is information."""

    kind: WarningKind
    text: str
    serious: bool


@dataclass(frozen=True)
class WaitingPayout:
    """The payout waiting for approval, as far as the warnings look at it."""

    local_id: int
    amount: Decimal
    currency: str
    recipient: str | None
    description: str | None
    confirmed_at: datetime  # aware

    @classmethod
    def of(cls, request: ApprovalRequest) -> WaitingPayout:
        """The fields of a queued request the warnings look at."""
        return cls(
            request.local_id,
            request.amount.amount,
            request.amount.currency.code,
            request.recipient,
            request.description,
            request.confirmed_at,
        )


def _date(at: datetime, locale: str) -> str:
    from babel.dates import format_date

    try:
        return str(format_date(at.date(), format="medium", locale=locale.replace("-", "_")))
    except (ValueError, TypeError, LookupError):
        return at.date().isoformat()


def _times(ratio: Decimal) -> str:
    return f"{ratio.quantize(Decimal('0.1'))}×" if ratio < 100 else f"{ratio.quantize(Decimal(1))}×"


def _history(payout: WaitingPayout, history: Iterable[tuple[Decimal, datetime]], locale: str) -> list[ApprovalWarning]:
    cur = find_currency(payout.currency)
    since = payout.confirmed_at - HISTORY_WINDOW
    past = sorted(
        ((amount, at) for amount, at in history if since <= at < payout.confirmed_at), key=lambda item: item[1]
    )
    if not past:
        who = f" {payout.recipient}" if payout.recipient else ""
        return [
            ApprovalWarning(
                "first",
                f"First payout to this recipient{who}: none in {payout.currency} in the last 365 days.",
                serious=True,
            )
        ]
    amounts = [amount for amount, _ in past]
    low, high = min(amounts), max(amounts)
    count = len(past)
    usual = (
        f"always {format_amount(low, cur, locale)}"
        if low == high
        else f"from {format_amount(low, cur, locale)} to {format_amount(high, cur, locale)}"
    )
    found = [
        ApprovalWarning(
            "history",
            f"{count} earlier payout{'' if count == 1 else 's'} to this recipient in {payout.currency} in the last "
            f"365 days, {usual}; the last on {_date(past[-1][1], locale)}.",
            serious=False,
        )
    ]
    if payout.amount > FAR_ABOVE_FACTOR * high:
        found.append(
            ApprovalWarning(
                "far_above",
                f"Far above usual: {format_amount(payout.amount, cur, locale)} is {_times(payout.amount / high)} the "
                f"largest payout to this recipient in the last 365 days ({format_amount(high, cur, locale)}).",
                serious=True,
            )
        )
    return found


def _duplicates(payout: WaitingPayout, candidates: Iterable[PastPayout], locale: str) -> list[ApprovalWarning]:
    probe = PayoutProbe(
        amount=payout.amount,
        currency=payout.currency,
        recipient_id=payout.recipient,
        recipient_name=payout.recipient,
        description=payout.description,
        at=payout.confirmed_at,
    )
    # Closed before sending (withdrawn, expired, rejected by an approver): no money went, not a duplicate.
    others = (c for c in candidates if c.local_id != payout.local_id and not is_closed(c.status))
    found = []
    for match in find_duplicates(probe, others):
        old = match.past
        why = "same recipient, about the same amount" if match.reason == "recipient" else "same description and amount"
        amount = format_amount(old.amount, find_currency(old.currency), locale)
        found.append(
            ApprovalWarning(
                "duplicate",
                f"Looks like payout #{old.local_id} ({why}): {amount} on {_date(old.created_at, locale)}, "
                f"prepared by {old.created_by}.",
                serious=True,
            )
        )
    return found


def approval_warnings(
    payout: WaitingPayout,
    history: Sequence[tuple[Decimal, datetime]],
    open_payouts: Iterable[PastPayout],
    *,
    locale: str = "en_US",
) -> list[ApprovalWarning]:
    """The warnings for ``payout``: far above usual and near-duplicates first, then the history line.

    ``history`` is the recipient's earlier payouts in the payout's currency as (amount, confirmed at);
    ``open_payouts`` the journal's candidates for the duplicate rule (anything it does not match is ignored).
    """
    shown = _history(payout, history, locale)
    warnings = [w for w in shown if w.kind == "far_above"] + _duplicates(payout, open_payouts, locale)
    return warnings + [w for w in shown if w.kind != "far_above"]


def request_warnings(
    request: ApprovalRequest,
    history: Sequence[tuple[Money, datetime]],
    open_payouts: Iterable[PastPayout],
    *,
    locale: str = "en_US",
) -> list[ApprovalWarning]:
    """:func:`approval_warnings` for a queued request and the journal's ``recipient_history`` (amounts in
    another currency are not this recipient's history in the request's currency and are left out)."""
    code = request.amount.currency.code
    amounts = [(money.amount, at) for money, at in history if money.currency.code == code]
    return approval_warnings(WaitingPayout.of(request), amounts, open_payouts, locale=locale)
