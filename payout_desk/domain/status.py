"""Payout statuses: the local lifecycle plus the provider's, one string as stored in the journal.

``confirmed`` (journaled, not answered yet) and ``outcome_unknown`` (sent, no definitive answer) are
local; ``pending``, ``succeeded``, ``failed`` come from the provider; ``rejected`` is a definitive 4xx.
A ``succeeded`` payout may later read ``failed`` (a bank return); callers record that too. Pure."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Final

__all__ = [
    "CONFIRMED",
    "FAILED",
    "FINAL_STATUSES",
    "KNOWN_STATUSES",
    "OUTCOME_UNKNOWN",
    "PENDING",
    "REJECTED",
    "SUCCEEDED",
    "StatusTone",
    "is_final",
    "status_label",
    "status_tone",
]

CONFIRMED: Final = "confirmed"
OUTCOME_UNKNOWN: Final = "outcome_unknown"
REJECTED: Final = "rejected"
PENDING: Final = "pending"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"

KNOWN_STATUSES: Final[frozenset[str]] = frozenset({CONFIRMED, OUTCOME_UNKNOWN, REJECTED, PENDING, SUCCEEDED, FAILED})
FINAL_STATUSES: Final[frozenset[str]] = frozenset({REJECTED, SUCCEEDED, FAILED})


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
}

_TONES: Final[dict[str, StatusTone]] = {
    CONFIRMED: StatusTone.PROGRESS,
    OUTCOME_UNKNOWN: StatusTone.WARNING,
    REJECTED: StatusTone.FAILURE,
    PENDING: StatusTone.PROGRESS,
    SUCCEEDED: StatusTone.SUCCESS,
    FAILED: StatusTone.FAILURE,
}


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
