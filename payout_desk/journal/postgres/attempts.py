"""The team journal's attempts and the outcomes that stop automatic sending (issues 11/12): an attempt
committed before each request (``record_attempt_started``), its outcome (``record_attempt``, possibly
ambiguous for good), ``mark_ambiguous``, ``record_mismatch``, ``record_needs_reconciliation``, a person's
``record_reconciled`` and ``rebind``, and the checkin's return (``record_checkin_completed``). Each is one call
of the database function of the same name (migrations 0009, 0010, 0013); the actor is the database login.
``PgJournal``'s base."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, LiteralString

from psycopg import errors

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

    def record_mismatch(
        self, local_id: int, *, problems: Sequence[str], answer: str, source: str, message: str, actor: str
    ) -> PayoutRecord:
        """The provider's answer does not fit the journal: status ``mismatch``, the raw answer kept,
        ``last_error`` = ``message``, a ``mismatch`` event naming every difference."""
        del actor
        self._attempt_call("record_mismatch", local_id, list(problems), answer, source, message)
        return self.get(local_id)

    def record_needs_reconciliation(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """Past the key's retention with no usable reference: ``needs_reconciliation`` for a person."""
        del actor
        self._attempt_call("record_needs_reconciliation", local_id, message)
        return self.get(local_id)

    def record_checkin_completed(self, local_id: int, *, actor: str) -> None:
        """The checkin page redirected back: an event and ``updated_at`` (the status stays)."""
        del actor
        self._attempt_call("record_checkin_completed", local_id)

    def record_reconciled(self, local_id: int, *, decision: str, reason: str, actor: str, back_to: str) -> PayoutRecord:
        """A person's reconciliation of a ``needs_reconciliation`` payout, audited; ValueError for a payout
        that does not need it."""
        del actor
        try:
            self._attempt_call("record_reconciled", local_id, decision, reason, back_to)
        except errors.InvalidParameterValue as exc:
            raise ValueError(exc.diag.message_primary or str(exc)) from exc
        return self.get(local_id)

    def rebind(self, old_connection: str | None, new_connection: str, *, reason: str, actor: str) -> list[int]:
        """Bind every open payout of ``old_connection`` (None: from before connections) to ``new_connection``,
        one ``rebound`` event each; the local ids re-bound."""
        del actor
        moved = self._call("rebind", old_connection, new_connection, reason)
        return [int(i) for i in moved or []]
