"""The first rows of a text search in created order, read without counting every match first.

A text query's exact count materialises every FTS match (tens of milliseconds at a million rows for
a broad term); its first page needs a few hundred. Payouts are journaled as they are created, so the
local id (the FTS rowid) grows with ``created_at`` nearly always — but not always (the wall clock may
step back), so nothing here assumes it. The plan:

1. read the FTS matches in rowid order from the newest id (oldest for an ascending order), in growing
   batches, joined to their rows for ``created_at`` and the other filters, until ``need`` rows match;
2. sort them by ``(created_at, local_id)`` — the query's exact order — and take the ``need``-th, the
   pivot; every unread match lies beyond the ``bound`` (the last rowid read);
3. prove that no payout beyond the bound sorts before the pivot: one covering scan of the
   ``payouts_created`` index between the newest entry and the pivot (entries only, no rows, stopping
   at the first counter-example). If one exists, read every match up to it and go back to 2.

When the proof holds, the first ``need`` sorted rows are exactly those of the full query: any match
sorting before the pivot is either read or beyond the bound, and the scan found nothing beyond the
bound before the pivot. When the FTS matches run out, the rows read are all the matches (the caller
then knows the exact count too). The scan costs at most one index entry per payout on the read side
of the bound: a result lying far from the newest ids gives up (``None``) instead, as does a search
needing too many reads; the caller then uses its counted plan.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from payout_desk.journal.query import CompiledQuery

__all__ = ["CHECK_SPAN", "FIRST_MAX", "READ_MAX", "first_ids"]

#: Pages ending at most here (offset + limit) may be read this way.
FIRST_MAX: Final = 1000
#: At most this many FTS matches are read before giving up (a rare status or an old date range).
READ_MAX: Final = 5_000
#: The proof is not tried when more payouts than this lie beyond the bound (one index entry each).
CHECK_SPAN: Final = 300_000
#: At most this many counter-examples are followed before giving up.
ROUNDS: Final = 8
_TOP: Final = 2**63 - 1
_BOTTOM: Final = -(2**63)


class _Beyond(Exception):
    """The plan's limits were reached: the caller counts instead."""


class _Matches:
    """Reads FTS matches (with their rows' ``created_at``, other filters applied) away from the newest
    id (descending) or the oldest (ascending); ``bound`` is the last rowid covered."""

    def __init__(self, conn: sqlite3.Connection, compiled: CompiledQuery, descending: bool) -> None:
        self._conn = conn
        self._fts = compiled.fts
        self._descending = descending
        self.bound = _TOP if descending else _BOTTOM
        self.exhausted = False
        self.read = 0
        self._tail = (*compiled.filter_params, *compiled.like_params)
        on = " AND ".join(("p.local_id = f.rowid", *compiled.filters, *compiled.likes))
        beyond, upto, order = ("<", ">=", "DESC") if descending else (">", "<=", "ASC")
        fts = f"SELECT rowid FROM payouts_fts WHERE payouts_fts MATCH ? AND rowid {beyond} ? AND rowid {upto} ?"  # noqa: S608
        self._sql = (
            f"SELECT f.rowid, p.created_at FROM ({fts} ORDER BY rowid {order} LIMIT ?) f LEFT JOIN payouts p ON {on}"  # noqa: S608
        )

    def _read(self, stop: int, limit: int) -> list[tuple[int, int | None]]:
        rows: list[tuple[int, int | None]] = self._conn.execute(
            self._sql, (self._fts, self.bound, stop, limit, *self._tail)
        ).fetchall()
        self.read += len(rows)
        return rows

    def next(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` more FTS matches; those passing the other filters as (created_at, local_id)."""
        rows = self._read(_BOTTOM if self._descending else _TOP, limit)
        if len(rows) < limit:
            self.exhausted = True
        if rows:
            self.bound = min(r[0] for r in rows) if self._descending else max(r[0] for r in rows)
        return [(created, rowid) for rowid, created in rows if created is not None]

    def through(self, local_id: int) -> list[tuple[int, int]]:
        """Every further FTS match up to ``local_id`` (inclusive), as ``next``; _Beyond past READ_MAX."""
        room = READ_MAX - self.read
        rows = self._read(local_id, room + 1)
        if len(rows) > room:
            raise _Beyond
        self.bound = local_id
        return [(created, rowid) for rowid, created in rows if created is not None]


def _counter_example(conn: sqlite3.Connection, pivot: tuple[int, int], bound: int, descending: bool) -> int | None:
    """A payout beyond ``bound`` that sorts before ``pivot`` (created_at, local_id), or None.

    A payout beyond the bound with the pivot's very time sorts after it (the local id breaks ties and
    every id read lies on the pivot's side of the bound), so only strictly newer (older) times count.
    """
    where = "created_at > ? AND local_id < ?" if descending else "created_at < ? AND local_id > ?"
    sql = f"SELECT local_id FROM payouts INDEXED BY payouts_created WHERE {where} LIMIT 1"  # noqa: S608
    row = conn.execute(sql, (pivot[0], bound)).fetchone()
    return None if row is None else int(row[0])


def _span(conn: sqlite3.Connection, bound: int, descending: bool) -> int:
    """How many local ids lie beyond ``bound`` at most (the proof's cost in index entries)."""
    if descending:
        newest = conn.execute("SELECT max(local_id) FROM payouts").fetchone()[0]
        return 0 if newest is None else int(newest) - bound
    oldest = conn.execute("SELECT min(local_id) FROM payouts").fetchone()[0]
    return 0 if oldest is None else bound - int(oldest)


def _dense_enough(conn: sqlite3.Connection, statuses: tuple[str, ...] | None, need: int) -> bool:
    """Whether a status filter leaves enough rows to find ``need`` within READ_MAX matches, if the
    statuses are spread evenly (the maintained counts table: O(1))."""
    if not statuses:
        return True
    marks = ", ".join("?" * len(statuses))
    sql = (
        f"SELECT coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE status IN ({marks})), 0) FROM payout_status_counts"  # noqa: S608
    )
    everyone, chosen = conn.execute(sql, statuses).fetchone()
    return bool(chosen) and need * int(everyone) <= READ_MAX * int(chosen)


def first_ids(
    conn: sqlite3.Connection, compiled: CompiledQuery, descending: bool, need: int
) -> tuple[list[int], bool] | None:
    """The local ids of the first ``need`` rows of a text query ordered by ``created_at`` (then
    ``local_id``) in that direction, and whether they are all its rows; None: use the counted plan.

    ``compiled`` must have an FTS expression (terms of three or more characters).
    """
    if compiled.fts is None or compiled.empty or not 0 < need <= FIRST_MAX:
        return None
    if not _dense_enough(conn, compiled.statuses, need):
        return None
    matches = _Matches(conn, compiled, descending)
    found: list[tuple[int, int]] = []
    batch = need
    try:
        while len(found) < need and not matches.exhausted:
            room = READ_MAX - matches.read
            if room <= 0:
                return None
            found += matches.next(min(batch, room))
            batch *= 4
        for _ in range(ROUNDS):
            found.sort(reverse=descending)
            if matches.exhausted:
                return [local_id for _, local_id in found], True
            if _span(conn, matches.bound, descending) > CHECK_SPAN:
                return None
            example = _counter_example(conn, found[need - 1], matches.bound, descending)
            if example is None:
                return [local_id for _, local_id in found[:need]], False
            found += matches.through(example)
    except _Beyond:
        return None
    return None
