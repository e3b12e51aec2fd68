"""The team journal's per-connection reads (issues 11/12): what a desk on one provider connection sends and
follows, and who already holds a payment id or a reference. ``PgJournal`` calls these on its connection."""

from __future__ import annotations

from typing import Any, Final, LiteralString

import psycopg
from psycopg import sql

from payout_desk.journal.models import PayoutRecord
from payout_desk.journal.once import WaitingConnection
from payout_desk.journal.postgres.queries import COLUMNS, record_from_pg

__all__ = ["OPEN", "payment_owner", "reference_owner", "to_poll", "unsent", "waiting"]

OPEN: Final = "p.status NOT IN ('failed', 'rejected', 'succeeded')"  # payouts_open's predicate, verbatim
_OLDEST_FIRST: Final = " ORDER BY p.created_at, p.local_id"


def _read(conn: psycopg.Connection[Any], where: LiteralString, params: tuple[object, ...]) -> list[PayoutRecord]:
    query = sql.SQL("SELECT {} FROM payout_desk.payouts p WHERE {}").format(COLUMNS, sql.SQL(where))
    return [record_from_pg(row) for row in conn.execute(query, params).fetchall()]


def unsent(conn: psycopg.Connection[Any], connection_id: str) -> list[PayoutRecord]:
    """``connection_id``'s ``confirmed`` and ``outcome_unknown`` payouts, oldest first."""
    where = OPEN + " AND p.connection_id = %s AND p.status IN ('confirmed', 'outcome_unknown')" + _OLDEST_FIRST
    return _read(conn, where, (connection_id,))


def to_poll(
    conn: psycopg.Connection[Any], connection_id: str, after: PayoutRecord | None, limit: int
) -> list[PayoutRecord]:
    """``connection_id``'s payouts with a provider id whose status is not final, oldest first; ``after``
    (the last record of the previous page) and ``limit`` (-1: all) read them a page at a time."""
    where = OPEN + " AND p.connection_id = %s AND p.payment_id IS NOT NULL"
    params: tuple[object, ...] = (connection_id,)
    if after is not None:
        where += " AND (p.created_at, p.local_id) > (%s, %s)"
        params += (after.created_at, after.local_id)
    if limit < 0:
        return _read(conn, where + _OLDEST_FIRST, params)
    return _read(conn, where + _OLDEST_FIRST + " LIMIT %s", (*params, limit))


def _owner(conn: psycopg.Connection[Any], where: LiteralString, params: tuple[object, ...]) -> int | None:
    query = sql.SQL("SELECT min(local_id) FROM payout_desk.payouts WHERE {}").format(sql.SQL(where))
    row = conn.execute(query, params).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def payment_owner(conn: psycopg.Connection[Any], payment_id: str) -> int | None:
    """The payout that holds the provider's ``payment_id``, if any."""
    return _owner(conn, "payment_id = %s", (payment_id,))


def reference_owner(conn: psycopg.Connection[Any], connection_id: str, external_id: str) -> int | None:
    """The payout of ``connection_id`` that already uses the reference ``external_id``, if any; a rejected
    payout, or one closed before approval, does not hold it (the provider never held that payout)."""
    where = (
        "connection_id = %s AND external_id = %s"
        " AND status NOT IN ('rejected', 'approval_rejected', 'withdrawn', 'expired')"
    )
    return _owner(conn, where, (connection_id, external_id))


def waiting(conn: psycopg.Connection[Any], connection_id: str) -> list[WaitingConnection]:
    """Other connections with open payouts (each waits for its profile to be active), oldest first."""
    rows = conn.execute(
        "SELECT connection_id, min(profile), count(*) FROM payout_desk.payouts"
        " WHERE status IN ('confirmed', 'outcome_unknown', 'pending', 'created')"
        " AND connection_id IS DISTINCT FROM %s GROUP BY connection_id ORDER BY min(local_id)",
        (connection_id,),
    ).fetchall()
    return [WaitingConnection(c, str(p), int(n)) for c, p, n in rows]
