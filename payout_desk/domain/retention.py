"""How long an Idempotency-Key may be sent: the provider's key retention, with a margin. Pure.

The provider keeps keys "at least 24 hours" (SPEC); past that, a resend with the same key could be
taken as a new payout. The retention runs from the payout's first ``attempt_started`` (committed
before the first request, so the provider's record of the key is never older than it), not from
confirmation (an approval may wait days before the first send). A key is sent only while its age is
below the retention minus 10 %. A clock earlier than the first attempt (set back, or a journal
from another machine) counts as expired, and so does an unknown retention once the key has been
sent: then every resend goes without the key, relying on the payout's reference (``externalId``),
whose replay has no time limit (SPEC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

__all__ = ["DEFAULT_RETENTION_SECONDS", "SAFETY_MARGIN", "key_deadline", "key_is_fresh"]

DEFAULT_RETENTION_SECONDS: Final = 86_400.0
#: The part of the retention never used: clocks drift, requests take time.
SAFETY_MARGIN: Final = 0.10


def key_deadline(first_attempt_at: datetime, retention_seconds: float) -> datetime:
    """The moment from which the key is no longer sent."""
    return first_attempt_at + timedelta(seconds=retention_seconds * (1.0 - SAFETY_MARGIN))


def key_is_fresh(first_attempt_at: datetime | None, now: datetime, retention_seconds: float | None) -> bool:
    """True when a request may still carry the payout's key.

    ``first_attempt_at`` None: never sent, so the provider cannot hold the key yet — fresh.
    ``retention_seconds`` None: unknown — every resend counts as past the retention."""
    if first_attempt_at is None:
        return True
    if retention_seconds is None or retention_seconds <= 0 or now < first_attempt_at:
        return False
    return now < key_deadline(first_attempt_at, retention_seconds)
