"""Payout statuses: the app's own lifecycle (``payouts.status``). Pure.

``confirmed`` (journaled, not answered yet), ``outcome_unknown`` (maybe sent, no definitive answer),
``rejected`` (a definitive 4xx with no ambiguous attempt before it), ``mismatch`` (the provider
answered with another amount, currency, reference or id: nothing more is done automatically) and
``needs_reconciliation`` (past the key's retention with no usable reference: a person checks the
provider and says whether it is there) are the app's alone. Once the provider holds the payout the
status follows the provider's known statuses ``pending``, ``succeeded``, ``failed``; any other
provider text is ``created`` (exists, not final, still followed) and the text itself is kept
verbatim in ``provider_status`` (:func:`shown_status`). A ``succeeded`` payout may later read
``failed`` (a bank return)."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Final

__all__ = [
    "AUTOMATIC_STATUSES",
    "CONFIRMED",
    "CREATED",
    "FAILED",
    "FINAL_STATUSES",
    "KNOWN_STATUSES",
    "MISMATCH",
    "NEEDS_RECONCILIATION",
    "OUTCOME_UNKNOWN",
    "PENDING",
    "REJECTED",
    "SUCCEEDED",
    "StatusTone",
    "is_final",
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

KNOWN_STATUSES: Final[frozenset[str]] = frozenset(
    {CONFIRMED, OUTCOME_UNKNOWN, REJECTED, PENDING, SUCCEEDED, FAILED, CREATED, MISMATCH, NEEDS_RECONCILIATION}
)
FINAL_STATUSES: Final[frozenset[str]] = frozenset({REJECTED, SUCCEEDED, FAILED})
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
    if not attempted and status == CONFIRMED:
        return "none — not sent yet"
    return "not known — the provider may hold this payout; do not create it again"
