"""Payout statuses: the app's own lifecycle (``payouts.status``). Pure.

``confirmed`` (journaled, not answered yet), ``outcome_unknown`` (maybe sent, no definitive answer),
``rejected`` (a definitive 4xx with no ambiguous attempt before it), ``mismatch`` (the provider
answered with another amount, currency, reference or id: nothing more is done automatically) and
``needs_reconciliation`` (past the key's retention with no usable reference: a person checks the
provider and says whether it is there) are the app's alone. Once the provider holds the payout the
status follows the provider's known statuses ``pending``, ``succeeded``, ``failed``; any other
provider text is ``created`` (exists, not final, still followed) and the text itself is kept
verbatim in ``provider_status`` (:func:`shown_status`). A ``succeeded`` payout may later read
``failed`` (a bank return).

Team mode adds the maker-checker states (issue 21). ``awaiting_approval``: confirmed by its preparer
(body and key journaled), waiting for the approvals its rule required at confirmation; never sent
in this state. The last required approval makes it ``confirmed`` (sendable) in the same
transaction. ``approval_rejected`` (an approver refused it, with a reason), ``withdrawn`` (its
preparer took it back while it waited) and ``expired`` (not approved in time) are terminal: closed,
never sent, no payment at the provider (:data:`CLOSED_STATUSES`, :func:`is_terminal`).
:data:`FINAL_STATUSES` keeps its meaning (the provider's answer is final): it is frozen into the
journals' open-payout indexes."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Final

__all__ = [
    "APPROVAL_REJECTED",
    "AUTOMATIC_STATUSES",
    "AWAITING_APPROVAL",
    "CLOSED_STATUSES",
    "CONFIRMED",
    "CREATED",
    "EXPIRED",
    "FAILED",
    "FINAL_STATUSES",
    "KNOWN_STATUSES",
    "MISMATCH",
    "NEEDS_RECONCILIATION",
    "OUTCOME_UNKNOWN",
    "PENDING",
    "REJECTED",
    "SUCCEEDED",
    "TERMINAL_STATUSES",
    "WITHDRAWN",
    "StatusTone",
    "is_closed",
    "is_final",
    "is_terminal",
    "payment_id_words",
    "shown_status",
    "status_label",
    "status_tone",
]

CONFIRMED: Final = "confirmed"
OUTCOME_UNKNOWN: Final = "outcome_unknown"
REJECTED: Final = "rejected"
PENDING: Final = "pending"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
CREATED: Final = "created"
MISMATCH: Final = "mismatch"
NEEDS_RECONCILIATION: Final = "needs_reconciliation"
AWAITING_APPROVAL: Final = "awaiting_approval"
APPROVAL_REJECTED: Final = "approval_rejected"
WITHDRAWN: Final = "withdrawn"
EXPIRED: Final = "expired"

#: Closed before any sending (team mode's approvals): never sent, no payment at the provider.
CLOSED_STATUSES: Final[frozenset[str]] = frozenset({APPROVAL_REJECTED, WITHDRAWN, EXPIRED})
KNOWN_STATUSES: Final[frozenset[str]] = frozenset(
    {CONFIRMED, OUTCOME_UNKNOWN, REJECTED, PENDING, SUCCEEDED, FAILED, CREATED, MISMATCH, NEEDS_RECONCILIATION}
    | {AWAITING_APPROVAL}
    | CLOSED_STATUSES
)
#: The provider's final answers (frozen into the journals' ``payouts_open`` indexes: unchanged).
FINAL_STATUSES: Final[frozenset[str]] = frozenset({REJECTED, SUCCEEDED, FAILED})
#: Nothing more will ever happen to the payout: a final answer, or closed before sending.
TERMINAL_STATUSES: Final[frozenset[str]] = FINAL_STATUSES | CLOSED_STATUSES
#: Statuses the app acts on by itself (resend or poll); every other one waits for a person or is final.
AUTOMATIC_STATUSES: Final[frozenset[str]] = frozenset({CONFIRMED, OUTCOME_UNKNOWN, PENDING, CREATED})


class StatusTone(StrEnum):
    """How the UI should colour a status."""

    NEUTRAL = "neutral"
    PROGRESS = "progress"
    SUCCESS = "success"
    FAILURE = "failure"
    WARNING = "warning"


def is_final(status: str) -> bool:
    """True for rejected, succeeded and failed. Exact match: any other string (an unknown provider
    status included) is not final, so the payout stays visible and keeps being polled."""
    return status in FINAL_STATUSES


def is_closed(status: str) -> bool:
    """True for approval_rejected, withdrawn and expired: closed before sending, never sent."""
    return status in CLOSED_STATUSES


def is_terminal(status: str) -> bool:
    """True when nothing more will happen to the payout: :func:`is_final` or :func:`is_closed`."""
    return status in TERMINAL_STATUSES


_LABELS: Final[dict[str, str]] = {
    CONFIRMED: "Sending…",
    OUTCOME_UNKNOWN: "Outcome unknown — retrying",
    REJECTED: "Rejected",
    PENDING: "Pending",
    SUCCEEDED: "Succeeded",
    FAILED: "Failed",
    CREATED: "Created at the provider",
    MISMATCH: "Answer mismatch — check",
    NEEDS_RECONCILIATION: "Needs reconciliation",
    AWAITING_APPROVAL: "Awaiting approval",
    APPROVAL_REJECTED: "Rejected by an approver",
    WITHDRAWN: "Withdrawn",
    EXPIRED: "Expired — not approved in time",
}

_TONES: Final[dict[str, StatusTone]] = {
    CONFIRMED: StatusTone.PROGRESS,
    OUTCOME_UNKNOWN: StatusTone.WARNING,
    REJECTED: StatusTone.FAILURE,
    PENDING: StatusTone.PROGRESS,
    SUCCEEDED: StatusTone.SUCCESS,
    FAILED: StatusTone.FAILURE,
    CREATED: StatusTone.WARNING,
    MISMATCH: StatusTone.FAILURE,
    NEEDS_RECONCILIATION: StatusTone.FAILURE,
    AWAITING_APPROVAL: StatusTone.NEUTRAL,
    APPROVAL_REJECTED: StatusTone.FAILURE,
    WITHDRAWN: StatusTone.NEUTRAL,
    EXPIRED: StatusTone.NEUTRAL,
}


def shown_status(status: str, provider_status: str | None) -> str:
    """What to show for a payout: the provider's own text for ``created`` (an unknown provider
    status, verbatim), the app's status otherwise. A provider text spelled like one of the app's
    own states or labels in any case (``rejected``, ``Failed``, …) is shown as ``provider: <text>``,
    so it never reads as that state (the app's "Rejected" means the provider never held the
    payout; its "Failed" is final, while this payout is still followed)."""
    if status == CREATED and provider_status:
        if _reads_as_own(provider_status):
            return f"provider: {provider_status}"
        return provider_status
    return status


def _reads_as_own(text: str) -> bool:
    """True when a provider text would read like one of the app's states or labels (any case);
    ``created`` reads true either way."""
    folded = text.strip().casefold()
    return any(folded in (state, _LABELS[state].casefold()) for state in KNOWN_STATUSES - {CREATED})


def status_label(status: str) -> str:
    """Human label: "Sending…", "Outcome unknown — retrying", "Rejected", "Pending", "Succeeded",
    "Failed". An unknown provider status is shown verbatim (as the provider sent it, so staff can
    quote it to support), with control characters made visible as U+FFFD; empty → "Unknown"."""
    known = _LABELS.get(status)
    if known is not None:
        return known
    shown = "".join("\ufffd" if unicodedata.category(c) == "Cc" else c for c in str(status)).strip()
    return shown or "Unknown"


def status_tone(status: str) -> StatusTone:
    """The tone the UI maps to a colour and an icon. An unknown status is WARNING: not final, and
    worth a look (the provider said something this version does not know)."""
    return _TONES.get(status, StatusTone.WARNING)


def payment_id_words(status: str, *, attempted: bool) -> str:
    """What the details say for a payout the journal holds no payment id of. Only a payout never
    sent ("not sent yet") or refused without an ambiguous attempt ("not created") is known not to be
    at the provider; after any other attempt the provider may hold it (a dropped answer, an
    answer that did not match), and reading "not created" a person would key it again."""
    if status == REJECTED:
        return "not created at the provider (refused)"
    if status in CLOSED_STATUSES:
        return "none — never sent (closed before approval)"
    if not attempted and status in (CONFIRMED, AWAITING_APPROVAL):
        return "none — not sent yet"
    return "not known — the provider may hold this payout; do not create it again"
