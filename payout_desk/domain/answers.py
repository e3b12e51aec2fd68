"""Checking what the provider answers before any of it is applied, and bounding what is kept. Pure.

* :func:`answer_mismatches`: a create, replay or GET answer is applied to a journal entry only when
  its ``id`` (for a GET or a known payment), ``amount`` (compared as Decimal), ``currency`` and
  ``externalId`` are the entry's. Any difference makes the entry ``mismatch``.
* :func:`lifecycle_status`: the app's own state for a provider status. Only ``pending``,
  ``succeeded`` and ``failed`` mean something to the app; every other provider text (an unknown
  status, or one spelled like a local state such as ``rejected`` or ``confirmed``) is ``created``:
  the payout exists, is not final and keeps being followed, and the text is kept verbatim in
  ``provider_status``. No provider answer can put a created payout back among the unsent.
* Bounds: an answer body over :data:`MAX_BODY_BYTES` is a protocol error; a provider status is
  kept to :data:`MAX_STATUS_CHARS` characters and a failure reason to :data:`MAX_REASON_CHARS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from payout_desk.domain.status import CREATED, FAILED, PENDING, SUCCEEDED

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_REASON_CHARS",
    "MAX_STATUS_CHARS",
    "AnswerFields",
    "Expected",
    "answer_mismatches",
    "bounded",
    "is_stale",
    "lifecycle_status",
]

MAX_BODY_BYTES: Final = 1_000_000
MAX_STATUS_CHARS: Final = 64
MAX_REASON_CHARS: Final = 1_000
_PROVIDER_STATES: Final = frozenset({PENDING, SUCCEEDED, FAILED})


@dataclass(frozen=True)
class Expected:
    """What the journal says the payout is."""

    amount: Decimal
    currency: str
    external_id: str | None
    payment_id: str | None = None


@dataclass(frozen=True)
class AnswerFields:
    """The fields of a provider answer that are checked (as the provider sent them)."""

    id: str
    amount: str | None
    currency: str | None
    external_id: str | None


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _shown(value: object) -> str:
    """A checked value as a person reads it: quoted, or "(none)" when absent."""
    return "(none)" if value is None else repr(value)


def answer_mismatches(expected: Expected, answer: AnswerFields) -> list[str]:
    """Every difference between the journal and the answer, as short sentences (empty: it fits).

    A missing amount or currency is a difference (the answer cannot be verified); a missing
    ``externalId`` is one when the payout has a reference, and an extra one when it has none."""
    out: list[str] = []
    if expected.payment_id is not None and answer.id != expected.payment_id:
        out.append(f"payment id {_shown(answer.id)} instead of {_shown(expected.payment_id)}")
    amount = _decimal(answer.amount)
    if amount is None or amount != expected.amount:
        out.append(f"amount {_shown(answer.amount)} instead of {_shown(str(expected.amount))}")
    if answer.currency != expected.currency:
        out.append(f"currency {_shown(answer.currency)} instead of {_shown(expected.currency)}")
    if (answer.external_id or None) != expected.external_id:
        out.append(f"externalId {_shown(answer.external_id)} instead of {_shown(expected.external_id)}")
    return out


def lifecycle_status(provider_status: str) -> str:
    """The app's own status for a provider status (see the module notes)."""
    return provider_status if provider_status in _PROVIDER_STATES else CREATED


def is_stale(current_status: str, provider_status: str) -> bool:
    """True when applying ``provider_status`` would move a finished payout back to an open state
    (``succeeded``/``failed`` → ``pending`` or an unknown status): such an answer was read before the
    one already recorded (two requests in flight, a slow poll overtaken by a refresh) and changes
    nothing. ``succeeded`` → ``failed`` (a bank return) and the reverse stay possible."""
    return current_status in (SUCCEEDED, FAILED) and lifecycle_status(provider_status) not in (SUCCEEDED, FAILED)


def bounded(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters (the last one an ellipsis when cut); None stays None."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
