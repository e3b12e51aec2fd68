"""The agent's claims on the team journal (synchronous; ``FencedPgJournal`` runs them on its worker thread).

An agent claims one unsent payout at a time (``claim_payout``: ``FOR UPDATE SKIP LOCKED``) under a lease the
database times with its own ``now()``; each claim raises the payout's fencing generation. Every send-path write
then names that generation (the ``fenced_*`` functions): when another claim came since, or the lease ran out,
the database refuses it (SQLSTATE ``PDL01``) and nothing is written — :class:`LeaseLostError` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, LiteralString

import psycopg
from psycopg import errors, sql

from payout_desk.journal.models import AttemptLike, LeaseLostError, PaymentIdTakenError
from payout_desk.journal.postgres.people import GROUPS
from payout_desk.journal.postgres.store import PgJournal

__all__ = ["LEASE_LOST", "Lease", "PgLeases"]

#: The SQLSTATE of a write refused for a claim that is no longer the caller's.
LEASE_LOST: Final = "PDL01"


@dataclass(frozen=True)
class Lease:
    """A claim: the payout, its fencing generation, and when it runs out (the database's clock)."""

    local_id: int
    generation: int
    expires_at: datetime


class PgLeases:
    """Claims and fenced writes on one ``PgJournal``'s connection (one thread)."""

    def __init__(self, journal: PgJournal) -> None:
        self.journal = journal

    def _select(self, function: LiteralString, args: Sequence[object]) -> list[tuple[object, ...]]:
        marks = sql.SQL(", ").join([sql.Placeholder()] * len(args))
        query = sql.SQL("SELECT * FROM payout_desk.{}({})").format(sql.Identifier(function), marks)
        try:
            return self.journal.conn.execute(query, tuple(args)).fetchall()
        except psycopg.Error as exc:
            if exc.sqlstate == LEASE_LOST:
                local_id, generation = args[0], args[1]
                assert isinstance(local_id, int)
                assert isinstance(generation, int)
                raise LeaseLostError(local_id, generation) from exc
            raise

    def roles(self) -> tuple[str, list[str]]:
        """``session_user`` and the app's group roles it holds (``payout_desk_agent`` …), sorted."""
        row = self.journal.conn.execute(
            "SELECT session_user, coalesce(array_agg(g ORDER BY g)"
            " FILTER (WHERE pg_has_role(session_user, g, 'USAGE')"
            " AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)), '{}')"
            " FROM unnest(%s::text[]) AS g",
            (sorted(GROUPS.values()),),
        ).fetchone()
        assert row is not None
        return str(row[0]), [str(g) for g in row[1]]

    def database(self) -> str:
        """Which database this is, for people: name, host (or socket folder) and port; never the password."""
        info = self.journal.conn.info
        return f"“{info.dbname}” on {info.host or 'localhost'}:{info.port}"

    def claim(self, connection_id: str, instance: str, lease_seconds: float) -> Lease | None:
        """The oldest claimable unsent payout of ``connection_id``, now claimed; None when there is none."""
        rows = self._select("claim_payout", (connection_id, instance, float(lease_seconds)))
        if not rows:
            return None
        local_id, generation, expires_at = rows[0]
        assert isinstance(local_id, int)
        assert isinstance(generation, int)
        assert isinstance(expires_at, datetime)
        return Lease(local_id, generation, expires_at)

    def renew(self, lease: Lease, lease_seconds: float) -> Lease:
        """The lease extended by ``lease_seconds`` from the database's now; LeaseLostError when it is gone."""
        rows = self._select("renew_lease", (lease.local_id, lease.generation, float(lease_seconds)))
        until = rows[0][0]
        assert isinstance(until, datetime)
        return Lease(lease.local_id, lease.generation, until)

    def release(self, lease: Lease, retry_after: float) -> None:
        """Give the claim up; an unanswered payout waits ``retry_after`` seconds before its next claim."""
        self._select("release_payout", (lease.local_id, lease.generation, float(retry_after)))

    def fenced(self, function: LiteralString, local_id: int, generation: int, *args: object) -> None:
        """Call ``fenced_<function>`` under the claim ``generation`` of ``local_id``."""
        try:
            self._select("fenced_" + function, (local_id, generation, *args))
        except errors.UniqueViolation as exc:  # another payout holds the payment id: nothing written
            if function == "record_created":
                payment_id = args[0]
                raise PaymentIdTakenError(str(payment_id), int(exc.diag.message_detail or 0)) from exc
            raise

    def attempt(self, local_id: int, generation: int, attempt: AttemptLike, ambiguous: bool) -> None:
        """``fenced_record_attempt`` for one attempt."""
        number, code, error = attempt.number, attempt.status_code, attempt.error
        self.fenced("record_attempt", local_id, generation, number, code, error, float(attempt.duration_ms), ambiguous)
