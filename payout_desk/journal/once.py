"""The journal's exactly-once writes and reads: attempts started, refused answers, re-binding.

* ``record_attempt_started`` commits before every request (the ``attempt_started`` event). An
  attempt still open when the next one starts — the app died mid-request — makes the payout
  ambiguous for good; the first one stamps ``first_attempt_at`` (the key's retention runs from it).
* ``record_outcome_unknown`` / ``record_needs_reconciliation`` / ``record_rejected``: the error
  statuses a send can end in, each with its message and event.
* ``record_mismatch``: the provider answered with another amount, currency, reference or id; the
  answer is kept raw, the payout is ``mismatch`` and nothing more happens to it automatically.
* ``rebind``: a person's audited decision that payouts of one connection belong to another
  (a renamed or edited profile, a new Live token of the same account).
* ``unsent`` / ``to_poll`` / ``waiting``: what a desk on one connection may touch, and what waits
  for another.

``Journal`` (store.py) mixes these in; they use its connection and write helpers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from payout_desk.journal.export.rows import SELECT as _SELECT
from payout_desk.journal.export.rows import record_from_row as _record
from payout_desk.journal.models import PayoutRecord
from payout_desk.journal.query import to_micros
from payout_desk.journal.reads import JournalReads

__all__ = ["MAX_ANSWER_CHARS", "OnceWrites", "WaitingConnection"]

#: A refused answer is kept up to this many characters (bodies are at most 1 MB anyway).
MAX_ANSWER_CHARS = 1_000_000
_SEND_STATUSES = "('confirmed', 'outcome_unknown')"
_POLL_STATUSES = "('pending', 'created')"
_OPEN_STATUSES = "('confirmed', 'outcome_unknown', 'pending', 'created')"


@dataclass(frozen=True)
class WaitingConnection:
    """Open payouts bound to a connection other than the active one."""

    connection_id: str | None
    profile: str
    count: int


class OnceWrites(JournalReads):
    """``Journal``'s base (below it, the reads); see the module notes."""

    _write: Callable[[Callable[[sqlite3.Connection], None]], None]
    _now: Callable[[], int]
    _current: Callable[[sqlite3.Connection, int, str], tuple[Any, ...]]
    _event: Callable[[sqlite3.Connection, int, int, str, str, Mapping[str, Any]], None]

    def _set_error_status(
        self, local_id: int, status: str, kind: str, actor: str, message: str, extra: Mapping[str, Any]
    ) -> PayoutRecord:
        def work(conn: sqlite3.Connection) -> None:
            (old_status,) = self._current(conn, local_id, "status")
            now = self._now()
            conn.execute(
                "UPDATE payouts SET status = ?, last_error = ?, updated_at = ? WHERE local_id = ?",
                (status, message, now, local_id),
            )
            detail = {**extra, "message": message, "old": old_status, "new": status}
            self._event(conn, local_id, now, kind, actor, detail)

        self._write(work)
        return self.get(local_id)

    def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """Retries ran out without a definitive answer: status ``outcome_unknown``, ``last_error``
        = message, an ``outcome_unknown`` event (also when it already was: a new failed round)."""
        return self._set_error_status(local_id, "outcome_unknown", "outcome_unknown", actor, message, {})

    def record_needs_reconciliation(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """Past the key's retention with no usable reference: ``needs_reconciliation``, never sent
        automatically again; ``last_error`` = message (what a person reads)."""
        return self._set_error_status(local_id, "needs_reconciliation", "needs_reconciliation", actor, message, {})

    def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord:
        """The provider refused the payout (definitive 4xx): status ``rejected``, ``last_error`` =
        the provider's message, a ``rejected`` event with the error code."""
        return self._set_error_status(local_id, "rejected", "rejected", actor, message, {"code": code})

    def record_attempt_started(self, local_id: int, *, number: int, actor: str, keyed: bool = True) -> PayoutRecord:
        """Commit that attempt ``number`` of ``local_id`` is about to be sent (before the request);
        ``keyed`` False: it goes without the Idempotency-Key (past the key's retention)."""

        def work(conn: sqlite3.Connection) -> None:
            (key,) = self._current(conn, local_id, "idempotency_key")
            now = self._now()
            conn.execute(
                "UPDATE payouts SET ambiguous = max(ambiguous, attempt_open), attempt_open = 1,"
                " first_attempt_at = coalesce(first_attempt_at, ?) WHERE local_id = ?",
                (now, local_id),
            )
            detail = {"number": number, "key": key if keyed else None}
            self._event(conn, local_id, now, "attempt_started", actor, detail)

        self._write(work)
        return self.get(local_id)

    def mark_ambiguous(self, local_id: int, *, reason: str, actor: str) -> PayoutRecord:
        """Make ``local_id`` ambiguous for good (e.g. an attempt left open by a crash), with a note."""

        def work(conn: sqlite3.Connection) -> None:
            (was,) = self._current(conn, local_id, "ambiguous")
            if was:
                return
            conn.execute("UPDATE payouts SET ambiguous = 1, attempt_open = 0 WHERE local_id = ?", (local_id,))
            self._event(conn, local_id, self._now(), "note", actor, {"ambiguous": True, "reason": reason})

        self._write(work)
        return self.get(local_id)

    def record_mismatch(
        self, local_id: int, *, problems: Sequence[str], answer: str, source: str, message: str, actor: str
    ) -> PayoutRecord:
        """The provider's answer does not fit the journal: status ``mismatch``, the raw answer kept,
        ``last_error`` = ``message``, a ``mismatch`` event naming every difference."""

        def work(conn: sqlite3.Connection) -> None:
            (old_status,) = self._current(conn, local_id, "status")
            now = self._now()
            conn.execute(
                "UPDATE payouts SET status = 'mismatch', answer = ?, last_error = ?, attempt_open = 0,"
                " updated_at = ? WHERE local_id = ?",
                (answer[:MAX_ANSWER_CHARS], message, now, local_id),
            )
            detail = {"problems": list(problems), "source": source, "old": old_status, "new": "mismatch"}
            self._event(conn, local_id, now, "mismatch", actor, detail)

        self._write(work)
        return self.get(local_id)

    def rebind(self, old_connection: str | None, new_connection: str, *, reason: str, actor: str) -> list[int]:
        """Bind every open payout of ``old_connection`` (None: payouts from before schema 3) to
        ``new_connection``, one ``rebound`` event each; the local ids re-bound."""
        moved: list[int] = []

        def work(conn: sqlite3.Connection) -> None:
            moved.clear()
            rows = conn.execute(
                f"SELECT local_id FROM payouts WHERE connection_id IS ? AND status IN {_OPEN_STATUSES}"  # noqa: S608
                " ORDER BY local_id",
                (old_connection,),
            ).fetchall()
            now = self._now()
            for (local_id,) in rows:
                conn.execute("UPDATE payouts SET connection_id = ? WHERE local_id = ?", (new_connection, local_id))
                detail = {"old_connection": old_connection, "new_connection": new_connection, "reason": reason}
                self._event(conn, local_id, now, "rebound", actor, detail)
                moved.append(int(local_id))

        self._write(work)
        return moved

    def payment_owner(self, payment_id: str) -> int | None:
        """The payout that holds the provider's ``payment_id``, if any (ids are unique)."""
        row = self.conn.execute("SELECT local_id FROM payouts WHERE payment_id = ?", (payment_id,)).fetchone()
        return None if row is None else int(row[0])

    def reference_owner(self, connection_id: str, external_id: str) -> int | None:
        """The payout of ``connection_id`` that already uses the reference ``external_id``, if any.
        A ``rejected`` payout does not hold it: a rejection follows no ambiguous attempt, so the
        provider never held that payout, and the corrected payout may carry the same reference."""
        row = self.conn.execute(
            "SELECT min(local_id) FROM payouts WHERE connection_id = ? AND external_id = ? AND status != 'rejected'",
            (connection_id, external_id),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def record_reconciled(self, local_id: int, *, decision: str, reason: str, actor: str, back_to: str) -> PayoutRecord:
        """A person's reconciliation of a ``needs_reconciliation`` payout, audited: ``decision`` is
        ``found:<payment id>`` or ``not_found``; the payout goes ``back_to`` ``outcome_unknown``
        (then sent without a key, with its reference) or stays for ``record_created``."""

        def work(conn: sqlite3.Connection) -> None:
            (old_status,) = self._current(conn, local_id, "status")
            if old_status != "needs_reconciliation":
                raise ValueError(f"payout {local_id} does not need reconciliation (it is {old_status})")
            now = self._now()
            conn.execute("UPDATE payouts SET status = ?, updated_at = ? WHERE local_id = ?", (back_to, now, local_id))
            detail = {"decision": decision, "reason": reason, "old": old_status, "new": back_to}
            self._event(conn, local_id, now, "reconciled", actor, detail)

        self._write(work)
        return self.get(local_id)

    def fingerprint_key(self) -> bytes:
        """The journal's key for token fingerprints (``domain.identity.token_fingerprint``)."""
        row = self.conn.execute("SELECT value FROM journal_meta WHERE name = 'fingerprint_key'").fetchone()
        return bytes.fromhex(str(row[0]))

    def unsent(self, connection_id: str) -> list[PayoutRecord]:
        """Payouts of ``connection_id`` to (re)send with their stored key and body (``confirmed``,
        ``outcome_unknown``), oldest first. Other connections' payouts are never returned."""
        rows = self.conn.execute(
            f"SELECT {_SELECT} FROM payouts WHERE connection_id = ? AND status IN {_SEND_STATUSES}"  # noqa: S608
            " ORDER BY created_at, local_id",
            (connection_id,),
        ).fetchall()
        return [_record(r) for r in rows]

    def to_poll(
        self, connection_id: str, *, after: PayoutRecord | None = None, limit: int = -1
    ) -> list[PayoutRecord]:
        """Payouts of ``connection_id`` the provider holds and has not finished (pending, created),
        oldest first. ``limit`` (-1: all) and ``after`` (the last record of the previous page) read
        them a page at a time, so the poller's recovery never holds all of them at once."""
        page, params = "", list[object]([connection_id])
        if after is not None:
            page = " AND (created_at, local_id) > (?, ?)"
            params += [to_micros(after.created_at), after.local_id]
        rows = self.conn.execute(
            f"SELECT {_SELECT} FROM payouts WHERE connection_id = ? AND status IN {_POLL_STATUSES}"  # noqa: S608
            f" AND payment_id IS NOT NULL{page} ORDER BY created_at, local_id LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [_record(r) for r in rows]

    def waiting(self, connection_id: str) -> list[WaitingConnection]:
        """Other connections with open payouts (each waits for its profile to be active)."""
        rows = self.conn.execute(
            f"SELECT connection_id, min(profile), count(*) FROM payouts WHERE status IN {_OPEN_STATUSES}"  # noqa: S608
            " AND connection_id IS NOT ? GROUP BY connection_id ORDER BY min(local_id)",
            (connection_id,),
        ).fetchall()
        return [WaitingConnection(c, str(p), int(n)) for c, p, n in rows]
