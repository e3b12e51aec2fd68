"""The team journal's attempts (issue 11): committed before each request (``record_attempt_started``), its
outcome (``record_attempt``, possibly ambiguous for good), and ``mark_ambiguous``. Each is one call of the
agent's function of the same name (migration 0009); the actor is the database login. ``PgJournal``'s base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, LiteralString

from payout_desk.journal.models import AttemptLike, PayoutRecord

__all__ = ["PgAttempts"]


class PgAttempts:
    """Attempt writes; ``PgJournal`` provides the function call and the read."""

    _call: Callable[..., Any]
    get: Callable[[int], PayoutRecord]

    def _attempt_call(self, function: LiteralString, *args: object) -> None:
        self._call(function, *args)

    def record_attempt_started(self, local_id: int, *, number: int, actor: str, keyed: bool = True) -> PayoutRecord:
        """Commit that attempt ``number`` is about to be sent (before the request); ``keyed`` False: it goes
        without the Idempotency-Key (past the key's retention)."""
        del actor  # the database's session_user
        self._attempt_call("record_attempt_started", local_id, number, keyed)
        return self.get(local_id)

    def record_attempt(self, local_id: int, attempt: AttemptLike, *, actor: str, ambiguous: bool = False) -> None:
        """Append an ``attempt`` event (the stored key and body hash); closes the open attempt, and
        ``ambiguous`` makes the payout ambiguous for good."""
        del actor
        duration = float(attempt.duration_ms)
        self._attempt_call(
            "record_attempt", local_id, attempt.number, attempt.status_code, attempt.error, duration, ambiguous
        )

    def mark_ambiguous(self, local_id: int, *, reason: str, actor: str) -> PayoutRecord:
        """Make ``local_id`` ambiguous for good (e.g. an attempt left open by a crash), with a note."""
        del actor
        self._attempt_call("mark_ambiguous", local_id, reason)
        return self.get(local_id)
