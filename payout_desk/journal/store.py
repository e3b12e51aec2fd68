"""The synchronous journal: one SQLite connection, used from one thread (AsyncJournal's worker).

Every write is one ``BEGIN IMMEDIATE`` … ``COMMIT`` with ``synchronous=FULL``: when a ``record_*``
method returns, the change is on disk and survives a crash or power loss. ``record_confirmed`` is
the commit that precedes any network traffic.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from payout_desk.domain.answers import MAX_REASON_CHARS, MAX_STATUS_CHARS, bounded, lifecycle_status
from payout_desk.journal import schema
from payout_desk.journal.export.rows import register_functions
from payout_desk.journal.history import HistoryReader, to_micros
from payout_desk.journal.lock import JournalLock, real_journal_path
from payout_desk.journal.models import (
    AttemptLike,
    DuplicateIdempotencyKeyError,
    DuplicateReferenceError,
    JournalError,
    PaymentIdTakenError,
    PayoutNotFoundError,
    PayoutRecord,
)
from payout_desk.journal.once import OnceWrites

if TYPE_CHECKING:
    from payout_desk.domain.payout import PayoutRequest

__all__ = ["Journal"]

_ENVIRONMENTS: Final = frozenset({"sandbox", "live"})
#: Statuses a provider answer may update (the payout exists at the provider and is not refused).
_FOLLOWED: Final = frozenset({"pending", "created", "succeeded", "failed"})


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class Journal(OnceWrites):
    """The payout journal. Synchronous; owns one connection; use it from one thread only.

    ``clock`` (default: the system clock) gives the aware datetime written as created/updated/event
    times; tests pass a fake one.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        clock: Callable[[], datetime] | None = None,
        backup: Path | None = None,
        lock: JournalLock | None = None,
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._lock = lock
        self.path = path
        #: The pre-migration copy written by this open, if any.
        self.backup_path = backup
        self._clock = clock or (lambda: datetime.now(UTC))
        self._history = HistoryReader(conn)
        register_functions(conn)  # the export's SQL helpers
        self._writes = 0

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], datetime] | None = None) -> Journal:
        """Open (creating or migrating) the journal at ``path``.

        Creates the directory (0700) and file (0600) when missing; copies an older database aside
        before migrating it (``backup_path``); raises SchemaTooNewError for a newer schema and
        JournalError for an SQLite file that is not a journal.
        """
        path = Path(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = real_journal_path(path)  # a symlink's target; one hard link only (JournalLinkedError)
        lock = JournalLock(path)
        lock.acquire()  # JournalInUseError when another process has it open: one sender per journal
        try:
            conn, backup = schema.open_database(path)
        except BaseException:
            lock.release()
            raise
        return cls(conn, path, clock=clock, backup=backup, lock=lock)

    def close(self) -> None:
        """Close the connection (idempotent); runs ``PRAGMA optimize`` first."""
        if self._conn is None:
            return
        try:
            self._conn.execute("PRAGMA analysis_limit = 1000")  # an approximate ANALYZE, if any: quick
            self._conn.execute("PRAGMA optimize")
        finally:
            self._conn.close()
            self._conn = None
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection; JournalError once closed."""
        if self._conn is None:
            raise JournalError("the journal is closed")
        return self._conn

    # -- writing ----------------------------------------------------------------------------------

    def _now(self) -> int:
        return to_micros(self._clock())

    def _write(self, work: Callable[[sqlite3.Connection], None]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self._writes += 1

    @staticmethod
    def _event(
        conn: sqlite3.Connection, local_id: int, at: int, kind: str, actor: str, detail: Mapping[str, Any]
    ) -> None:
        conn.execute(
            "INSERT INTO events (local_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)",
            (local_id, at, kind, actor, _dumps(detail)),
        )

    def _current(self, conn: sqlite3.Connection, local_id: int, columns: str) -> tuple[Any, ...]:
        row = conn.execute(f"SELECT {columns} FROM payouts WHERE local_id = ?", (local_id,)).fetchone()  # noqa: S608
        if row is None:
            raise PayoutNotFoundError(local_id)
        return tuple(row)

    def record_confirmed(
        self,
        request: PayoutRequest,
        *,
        idempotency_key: str,
        environment: str,
        profile: str,
        actor: str,
        connection_id: str | None = None,
        duplicates_shown: Sequence[int] = (),
    ) -> PayoutRecord:
        """Journal a confirmed payout (status ``confirmed``) and commit durably before returning.

        Stores ``request.body_json()`` verbatim as ``request_body``; the amount and currency columns
        are taken from that body, so they are exactly what is sent. DuplicateIdempotencyKeyError if
        the key is already journaled; ValueError for an empty key or an unknown environment.
        ``connection_id`` binds it to the connection it was confirmed for (``domain.identity``);
        a reference (``externalId``) already used on that connection is DuplicateReferenceError.
        ``duplicates_shown``: the local ids of the near-duplicates the confirmation warned about and
        the person sent anyway; recorded in the same commit as a ``duplicate_warning`` event
        (``shown``, ``overridden``).
        """
        if not idempotency_key:
            raise ValueError("an Idempotency-Key is required")
        if environment not in _ENVIRONMENTS:
            raise ValueError(f"environment must be 'sandbox' or 'live', not {environment!r}")
        body = request.body_json()
        parsed = json.loads(body)
        wire, code = parsed.get("amount"), parsed.get("currency")
        if not isinstance(wire, str) or not isinstance(code, str):
            raise ValueError("the request body has no amount/currency strings")
        metadata = None if request.metadata is None else _dumps(dict(request.metadata))
        now = self._now()
        values = (
            now,
            now,
            "confirmed",
            wire,
            schema.scaled_amount(wire),
            code,
            request.description,
            request.recipient_id,
            request.recipient_name,
            request.external_id,
            metadata,
            request.redirect_url,
            request.webhook_url,
            body,
            idempotency_key,
            None,
            None,
            None,
            None,
            environment,
            profile,
            actor,
            connection_id,
        )
        columns = (*schema.PAYOUT_COLUMNS, "connection_id")
        local_id = 0

        def work(conn: sqlite3.Connection) -> None:
            nonlocal local_id
            if connection_id is not None and request.external_id is not None:
                owner = self.reference_owner(connection_id, request.external_id)
                if owner is not None:
                    raise DuplicateReferenceError(request.external_id, owner)
            marks = ", ".join("?" * len(columns))
            try:
                cur = conn.execute(f"INSERT INTO payouts ({', '.join(columns)}) VALUES ({marks})", values)  # noqa: S608
            except sqlite3.IntegrityError as exc:
                if "idempotency_key" in str(exc):
                    raise DuplicateIdempotencyKeyError(idempotency_key) from exc
                raise
            local_id = int(cur.lastrowid or 0)
            detail = {
                "idempotency_key": idempotency_key,
                "body_sha256": _sha256(body),
                "environment": environment,
                "profile": profile,
                "connection": connection_id,
                "old": None,
                "new": "confirmed",
            }
            self._event(conn, local_id, now, "confirmed", actor, detail)
            if duplicates_shown:
                warning = {"shown": [int(i) for i in duplicates_shown], "overridden": True}
                self._event(conn, local_id, now, "duplicate_warning", actor, warning)

        self._write(work)
        return self.get(local_id)

    def record_attempt(self, local_id: int, attempt: AttemptLike, *, actor: str, ambiguous: bool = False) -> None:
        """Append an ``attempt`` event: number, the payout's stored key and body hash (the only
        ones ever sent), status code, error, duration and whether it left the payout ambiguous.
        Closes the open attempt; ``ambiguous`` sets the payout's sticky flag (never cleared)."""

        def work(conn: sqlite3.Connection) -> None:
            key, body = self._current(conn, local_id, "idempotency_key, request_body")
            conn.execute(
                "UPDATE payouts SET attempt_open = 0, ambiguous = max(ambiguous, ?) WHERE local_id = ?",
                (int(ambiguous), local_id),
            )
            detail = {
                "number": attempt.number,
                "key": key,
                "body_sha256": _sha256(body),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "duration_ms": round(float(attempt.duration_ms), 3),
                "ambiguous": ambiguous,
            }
            self._event(conn, local_id, self._now(), "attempt", actor, detail)

        self._write(work)

    def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord:
        """The provider created (or replayed) the payout: store its id, checkin url and the
        provider's ``status`` (verbatim in ``provider_status``, at most 64 characters; the app's
        status is ``domain.answers.lifecycle_status`` of it), clear ``last_error``, and append a
        ``created`` event (old/new status, source ``create``). PaymentIdTakenError (nothing
        written) when another payout already holds ``payment_id``."""
        provider_status = bounded(status, MAX_STATUS_CHARS) or ""
        new_status = lifecycle_status(provider_status)

        def work(conn: sqlite3.Connection) -> None:
            old_status, old_id = self._current(conn, local_id, "status, payment_id")
            owner = conn.execute(
                "SELECT local_id FROM payouts WHERE payment_id = ? AND local_id <> ?", (payment_id, local_id)
            ).fetchone()
            if owner is not None:
                raise PaymentIdTakenError(payment_id, int(owner[0]))
            now = self._now()
            conn.execute(
                "UPDATE payouts SET payment_id = ?, checkin_url = ?, status = ?, provider_status = ?,"
                " last_error = NULL, updated_at = ? WHERE local_id = ?",
                (payment_id, checkin_url, new_status, provider_status, now, local_id),
            )
            detail: dict[str, Any] = {
                "payment_id": payment_id,
                "checkin_url": checkin_url,
                "old": old_status,
                "new": new_status,
                "provider_status": provider_status,
                "source": "create",
            }
            if old_id is not None and old_id != payment_id:
                detail["previous_payment_id"] = old_id
            self._event(conn, local_id, now, "created", actor, detail)

        self._write(work)
        return self.get(local_id)

    def record_status(
        self, local_id: int, *, status: str, failure_reason: str | None, source: str, actor: str
    ) -> PayoutRecord | None:
        """Record the provider's ``status`` read for a created payout (source: create/poll/refresh/
        webhook/recover): verbatim in ``provider_status`` (at most 64 characters), the app's
        status ``lifecycle_status`` of it; ``failure_reason`` at most 1,000 characters.

        Returns None when nothing changed (same status, and no new failure reason), so polling
        writes no duplicate events — and for a payout the provider does not hold by the journal's
        account (unsent, rejected, mismatch): a provider answer never moves it. A change of status
        (``succeeded``→``failed`` included) updates the row and appends a ``status`` event; a new
        failure reason under the same status is stored with a ``note`` event.
        """
        changed = False
        provider_status = bounded(status, MAX_STATUS_CHARS) or ""
        failure_reason = bounded(failure_reason, MAX_REASON_CHARS)

        def work(conn: sqlite3.Connection) -> None:
            nonlocal changed
            old_status, old_reason, old_provider = self._current(
                conn, local_id, "status, failure_reason, provider_status"
            )
            if old_status not in _FOLLOWED:
                return
            new_status = lifecycle_status(provider_status)
            now = self._now()
            if old_provider == provider_status:
                if failure_reason is None or failure_reason == old_reason:
                    return
                conn.execute(
                    "UPDATE payouts SET failure_reason = ?, updated_at = ? WHERE local_id = ?",
                    (failure_reason, now, local_id),
                )
                detail: dict[str, Any] = {"status": provider_status, "failure_reason": failure_reason, "source": source}
                self._event(conn, local_id, now, "note", actor, detail)
            else:
                conn.execute(
                    "UPDATE payouts SET status = ?, provider_status = ?, failure_reason = ?, updated_at = ?"
                    " WHERE local_id = ?",
                    (new_status, provider_status, failure_reason, now, local_id),
                )
                detail = {
                    "old": old_status,
                    "new": new_status,
                    "provider_status": provider_status,
                    "source": source,
                    "failure_reason": failure_reason,
                }
                self._event(conn, local_id, now, "status", actor, detail)
            changed = True

        self._write(work)
        return self.get(local_id) if changed else None

    def record_checkin_completed(self, local_id: int, *, actor: str) -> None:
        """The checkin page redirected back (the recipient entered their details): an event, and the
        payout's ``updated_at`` (its status stays as the provider says)."""

        def work(conn: sqlite3.Connection) -> None:
            (payment_id,) = self._current(conn, local_id, "payment_id")
            now = self._now()
            conn.execute("UPDATE payouts SET updated_at = ? WHERE local_id = ?", (now, local_id))
            self._event(conn, local_id, now, "checkin_completed", actor, {"payment_id": payment_id})

        self._write(work)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
