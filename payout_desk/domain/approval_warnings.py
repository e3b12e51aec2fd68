"""What an approver should notice about a payout waiting for approval. Pure; no I/O.

Three kinds of warning, in plain words, amounts formatted as the confirmation formats them
(``money.format_amount`` in the person's locale):

* ``history`` — the recipient's earlier payouts in this currency that *paid* (succeeded) over the last
  :data:`HISTORY_WINDOW` (365 days): how many, the usual range (smallest to largest) and the last date; or
  ``first`` when there is none ("First payout to this recipient"). A failed payout never counts, and one
  approved or sent but not yet paid (``in_flight``) is listed apart, never part of the usual range: a large
  payout that never paid must not make the next one look usual.
* ``duplicate`` — near-duplicates among the journal's payouts, by the desk's one rule
  (``domain.duplicates.match``: same currency, 90 days, same recipient within 0.5 % or same description
  and amount); the payout itself is never its own duplicate, nor is one closed before sending.
* ``far_above`` — more than :data:`FAR_ABOVE_FACTOR` (3×) the largest paid payout to that recipient in
  the last 365 days.
* ``in_flight`` — (information) the recipient's payouts approved or sent whose payment is not known yet.
* ``later_duplicate`` — a payout confirmed *after* this one looks like it (the same rule seen from the later
  one): both of a pair are warned, so an approver working from the top is told of the twin below.

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
from payout_desk.domain.duplicates import IGNORED_STATUSES, PastPayout, PayoutProbe, find_duplicates
from payout_desk.domain.duplicates import match as duplicate_reason
from payout_desk.domain.money import Money, format_amount
from payout_desk.domain.money import currency as find_currency
from payout_desk.domain.status import AWAITING_APPROVAL, is_closed, status_label

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

WarningKind = Literal["first", "history", "in_flight", "duplicate", "later_duplicate", "far_above"]


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


def _before(payout: WaitingPayout, found: Iterable[tuple[Decimal, datetime]]) -> list[tuple[Decimal, datetime]]:
    since = payout.confirmed_at - HISTORY_WINDOW
    return sorted(((amount, at) for amount, at in found if since <= at < payout.confirmed_at), key=lambda i: i[1])


def _in_flight(
    payout: WaitingPayout, in_flight: Iterable[tuple[Decimal, datetime]], locale: str
) -> list[ApprovalWarning]:
    unpaid = _before(payout, in_flight)
    if not unpaid:
        return []
    cur = find_currency(payout.currency)
    count = len(unpaid)
    amounts = ", ".join(format_amount(amount, cur, locale) for amount, _ in unpaid[-3:])
    more = f" (the last 3: {amounts})" if count > 3 else f" ({amounts})"
    return [
        ApprovalWarning(
            "in_flight",
            f"Not counted above: {count} more payout{'' if count == 1 else 's'} to this recipient in "
            f"{payout.currency} approved or sent but not paid yet{more}.",
            serious=False,
        )
    ]


def _history(payout: WaitingPayout, history: Iterable[tuple[Decimal, datetime]], locale: str) -> list[ApprovalWarning]:
    cur = find_currency(payout.currency)
    past = _before(payout, history)
    if not past:
        who = f" {payout.recipient}" if payout.recipient else ""
        return [
            ApprovalWarning(
                "first",
                f"First payout to this recipient{who}: none paid in {payout.currency} in the last 365 days.",
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
            f"{count} earlier payout{'' if count == 1 else 's'} paid to this recipient in {payout.currency} in the "
            f"last 365 days, {usual}; the last on {_date(past[-1][1], locale)}.",
            serious=False,
        )
    ]
    if payout.amount > FAR_ABOVE_FACTOR * high:
        found.append(
            ApprovalWarning(
                "far_above",
                f"Far above usual: {format_amount(payout.amount, cur, locale)} is {_times(payout.amount / high)} the "
                f"largest payout paid to this recipient in the last 365 days ({format_amount(high, cur, locale)}).",
                serious=True,
            )
        )
    return found


def _twin(other: PastPayout, why: str, locale: str) -> str:
    """``why`` the two look alike, then the other payout's amount, date and preparer."""
    amount = format_amount(other.amount, find_currency(other.currency), locale)
    reason = "same recipient, about the same amount" if why == "recipient" else "same description and amount"
    return f"({reason}): {amount} on {_date(other.created_at, locale)}, prepared by {other.created_by}"


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
    return [
        ApprovalWarning(
            "duplicate", f"Looks like payout #{found.past.local_id} {_twin(found.past, found.reason, locale)}.", True
        )
        for found in find_duplicates(probe, others)
    ]


def _later_duplicates(payout: WaitingPayout, later: Iterable[PastPayout], locale: str) -> list[ApprovalWarning]:
    """The payouts confirmed after ``payout`` whose own duplicate check names ``payout`` (the rule applied
    from the later one's side, as its warning says "Looks like payout #<this>")."""
    this = PastPayout(payout.local_id, payout.confirmed_at, payout.amount, payout.currency, payout.recipient,
                      payout.recipient, payout.description, AWAITING_APPROVAL, "")  # fmt: skip
    found = []
    for other in sorted(later, key=lambda c: (c.created_at, c.local_id)):
        after = (other.created_at, other.local_id) > (payout.confirmed_at, payout.local_id)
        if not after or is_closed(other.status) or other.status in IGNORED_STATUSES:
            continue
        probe = PayoutProbe(other.amount, other.currency, other.recipient_id, other.recipient_name,
                            other.description, other.created_at)  # fmt: skip
        reason = duplicate_reason(probe, this)
        if reason is not None:
            state = "also waiting for approval" if other.status == AWAITING_APPROVAL else status_label(other.status)
            like = _twin(other, reason, locale)
            text = f"Payout #{other.local_id}, confirmed later, looks like this one {like} — {state}."
            found.append(ApprovalWarning("later_duplicate", text, serious=True))
    return found


def approval_warnings(
    payout: WaitingPayout,
    history: Sequence[tuple[Decimal, datetime]],
    open_payouts: Iterable[PastPayout],
    *,
    later: Iterable[PastPayout] = (),
    in_flight: Sequence[tuple[Decimal, datetime]] = (),
    locale: str = "en_US",
) -> list[ApprovalWarning]:
    """The warnings for ``payout``: far above usual and near-duplicates (earlier, then later ones) first,
    then the history line and the payouts not paid yet.

    ``history`` is the recipient's earlier *paid* payouts in the payout's currency as (amount, confirmed at);
    ``in_flight`` those approved or sent but not paid yet (listed apart, never in the usual range);
    ``open_payouts`` the journal's candidates for the duplicate rule (anything it does not match is ignored);
    ``later`` the journal's payouts confirmed after this one that may name it as their near-duplicate.
    """
    shown = _history(payout, history, locale)
    warnings = [w for w in shown if w.kind == "far_above"] + _duplicates(payout, open_payouts, locale)
    warnings += _later_duplicates(payout, later, locale)
    return warnings + [w for w in shown if w.kind != "far_above"] + _in_flight(payout, in_flight, locale)


def request_warnings(
    request: ApprovalRequest,
    history: Sequence[tuple[Money, datetime]],
    open_payouts: Iterable[PastPayout],
    *,
    later: Iterable[PastPayout] = (),
    in_flight: Sequence[tuple[Money, datetime]] = (),
    locale: str = "en_US",
) -> list[ApprovalWarning]:
    """:func:`approval_warnings` for a queued request and the journal's ``recipient_history`` and
    ``recipient_in_flight`` (amounts in another currency are not this recipient's history in the request's
    currency and are left out)."""
    code = request.amount.currency.code

    def own(found: Sequence[tuple[Money, datetime]]) -> list[tuple[Decimal, datetime]]:
        return [(money.amount, at) for money, at in found if money.currency.code == code]

    return approval_warnings(
        WaitingPayout.of(request), own(history), open_payouts, later=later, in_flight=own(in_flight), locale=locale
    )
