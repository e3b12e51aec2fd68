"""The team journal's side of the agent's watching (synchronous psycopg; callers run it on a thread of theirs).

* :func:`send_poll_hint` — a desk's hint (a payout selected, its checkin just completed): ``hint_poll`` in the
  database, which coalesces repeats and NOTIFYs ``payout_desk_hints``; the agent polling for the team hears it.
* :class:`PollLock` — the team's poll lock: a session-level advisory lock on a connection of its own. Whoever
  holds it is the only agent of the team that polls, so the provider's rate cap is never multiplied by the
  number of agents; when the holder dies its connection, and with it the lock, goes.
* :func:`store_webhook` — a verified webhook kept first (its id the durable replay guard); the database wakes
  the poller when it is new and names a payout of the team.
* :func:`unheard_webhooks` — open payouts with a webhook kept after their last change: wake-ups that came while
  no poller listened (an agent starting, a takeover), which a new poll term catches up on.
* :func:`parse_hint` — a ``payout_desk_hints`` payload (``local_id:reason``).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, Final, Literal

import psycopg

from payout_desk.journal.models import JournalEvent
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.store import connect, plain_error

__all__ = [
    "HINTS_CHANNEL",
    "HINT_REASONS",
    "POLL_LOCK",
    "Hint",
    "PollLock",
    "StoredWebhook",
    "WatchPgJournal",
    "parse_hint",
    "send_poll_hint",
    "store_webhook",
    "unheard_webhooks",
]

#: The channel ``hint_poll`` and ``store_webhook`` NOTIFY.
HINTS_CHANNEL: Final = "payout_desk_hints"
#: pg_advisory_lock key of the team's poller ("PDPL").
POLL_LOCK: Final = 0x5044504C
HintReason = Literal["selected", "checkin_completed", "webhook"]
#: What a desk may say (``webhook`` comes from the agent's receiver only).
HINT_REASONS: Final[frozenset[str]] = frozenset({"selected", "checkin_completed"})


@dataclass(frozen=True)
class Hint:
    """One payout to look at first, and why."""

    local_id: int
    reason: HintReason


def parse_hint(payload: str) -> Hint | None:
    """The hint in a ``payout_desk_hints`` payload; None when it is not one."""
    local_id, _, reason = payload.partition(":")
    if not local_id.isdigit() or reason not in ("selected", "checkin_completed", "webhook"):
        return None
    return Hint(int(local_id), reason)  # type: ignore[arg-type]  # checked just above


def send_poll_hint(conn: psycopg.Connection[Any], local_id: int, reason: str) -> bool:
    """Ask the team's poller to look at ``local_id`` first (``reason``: selected or checkin_completed).
    True when the hint went out; False when the payout is not one the provider holds unfinished, or the same
    hint was sent less than a second ago. ValueError for another reason; JournalError when the database says no.
    For a desk's preparer, approver or viewer login; on the caller's connection (autocommit, or committed by
    the caller: the NOTIFY goes out on commit)."""
    if reason not in HINT_REASONS:
        raise ValueError(f"a poll hint's reason is selected or checkin_completed, not {reason!r}")
    try:
        row = conn.execute("SELECT payout_desk.hint_poll(%s, %s)", (local_id, reason)).fetchone()
    except psycopg.Error as exc:
        raise plain_error(exc) from exc
    return bool(row and row[0])


@dataclass(frozen=True)
class StoredWebhook:
    """What keeping one webhook found: the team's payout it names (None: not the team's), and whether its
    id was new (False: a redelivery, already kept)."""

    local_id: int | None
    fresh: bool


def store_webhook(conn: psycopg.Connection[Any], webhook_id: str, payment_id: str | None, body: str) -> StoredWebhook:
    """Keep a verified webhook (the agent's login); the database wakes the poller for a new one of the team's."""
    try:
        row = conn.execute(
            "SELECT payout_id, fresh FROM payout_desk.store_webhook(%s, %s, %s)", (webhook_id, payment_id, body)
        ).fetchone()
    except psycopg.Error as exc:
        raise plain_error(exc) from exc
    assert row is not None
    local_id, fresh = row
    return StoredWebhook(None if local_id is None else int(local_id), bool(fresh))


def unheard_webhooks(conn: psycopg.Connection[Any]) -> list[int]:
    """Payouts still open (pending) with a webhook kept after their last change, oldest first: each webhook's
    wake-up may have come while no poller listened. JournalError when the database says no."""
    try:
        rows = conn.execute(
            "SELECT p.local_id FROM payout_desk.payouts p WHERE p.status IN ('pending', 'created') AND EXISTS"
            " (SELECT 1 FROM payout_desk.webhooks w WHERE w.local_id = p.local_id AND w.received_at >= p.updated_at)"
            " ORDER BY p.local_id"
        ).fetchall()
    except psycopg.Error as exc:
        raise plain_error(exc) from exc
    return [int(row[0]) for row in rows]


class PollLock:
    """The team's poll lock on a connection of its own (not thread-safe: one thread uses it at a time).

    :meth:`try_acquire` takes it when free; :meth:`held` says whether the connection (and so the lock) is still
    there; :meth:`close` lets it go. A session-level lock: it lasts exactly as long as this connection.
    """

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: psycopg.Connection[Any] | None = None
        self._guard = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the lock if no other session holds it (connecting first); JournalError when it cannot connect."""
        with self._guard:
            if self._conn is None or self._conn.closed:
                self._conn = connect(self._conninfo)
            try:
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (POLL_LOCK,)).fetchone()
            except psycopg.Error as exc:
                self._drop()
                raise plain_error(exc) from exc
            return bool(row and row[0])

    def held(self) -> bool:
        """Whether this session still holds the lock (a round trip; False once the connection is gone)."""
        with self._guard:
            if self._conn is None or self._conn.closed:
                return False
            try:
                row = self._conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                    " AND granted AND classid = %s AND objid = %s AND objsubid = 1",
                    (POLL_LOCK >> 32, POLL_LOCK & 0xFFFFFFFF),
                ).fetchone()
            except psycopg.Error:
                self._drop()
                return False
            return bool(row and row[0])

    def close(self) -> None:
        """Let the lock go (closing the connection)."""
        with self._guard:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):  # closing a broken connection: nothing to keep
                conn.close()


class WatchPgJournal(AsyncPgJournal):
    """``AsyncPgJournal`` (the poll path's unfenced ``record_status``/``record_mismatch``) plus the feed's reads:
    the agent's poller holds one of its own, so polling never queues behind the sender's writes."""

    async def last_event_id(self) -> int:
        """The newest event id: a feed cursor that starts from now."""
        return await self._run(self._journal.last_event_id)

    async def events_after(self, cursor: int, limit: int = 1000) -> list[JournalEvent]:
        """The feed's events after ``cursor``, in id order."""
        return await self._run(self._journal.events_after, cursor, limit)

    async def unheard_webhooks(self) -> list[int]:
        """:func:`unheard_webhooks` on this journal's connection."""
        return await self._run(unheard_webhooks, self._journal.conn)
