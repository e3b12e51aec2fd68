"""History queries: count, page and iterate payouts matching a HistoryQuery, fast at a million rows.

Text: the text is split on whitespace; every term must occur as literal text. Terms of three or more
characters go to the FTS5 trigram index as quoted phrases (``"`` doubled, so no FTS syntax survives);
shorter terms, which a trigram index cannot serve, become ``LIKE`` patterns with ``%``, ``_`` and
``\\`` escaped (a full scan: see ``HistoryReader``).

Plans. Every sort key has an index whose implicit last column is the rowid (local_id), the
tie-breaker, so the order is total and reversing it is exact. The first rows of a text search in
created order come from ``history_first`` without any count (proven exact; it gives up otherwise).
Everything else knows the exact count of its query first (cached until the journal changes; an
unfiltered or status-only count is O(1) from the trigger-maintained ``payout_status_counts`` table),
which decides the plan:

- a text query materialises its matching ids once into an in-memory temp table (``temp.journal_hits``);
- a result of at most ``SMALL`` rows is read once through its most selective index, sorted, and its
  ordered ids cached, so every page is a slice;
- a larger result walks the sort key's index (a text query probing the temp table), reading the
  reversed order past the middle, so the last page costs what the first does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Iterator
from typing import Final

from payout_desk.journal.history_first import FIRST_MAX, first_ids
from payout_desk.journal.models import HistoryQuery, SortKey
from payout_desk.journal.query import (
    CompiledQuery,
    compile_query,
    from_micros,
    fts_expression,
    like_pattern,
    to_micros,
)

__all__ = [
    "CompiledQuery",
    "HistoryReader",
    "compile_query",
    "from_micros",
    "fts_expression",
    "like_pattern",
    "to_micros",
]

#: Results up to this size are sorted once and cached as an ordered id list.
SMALL: Final = 50_000
#: (SQL expression sorted on, the index that serves it): must match schema.py's indexes.
SORTS: Final[dict[SortKey, tuple[str, str]]] = {
    SortKey.CREATED_AT: ("p.created_at", "payouts_created"),
    SortKey.UPDATED_AT: ("p.updated_at", "payouts_updated"),
    SortKey.STATUS: ("p.status", "payouts_status"),
    SortKey.AMOUNT: ("p.amount_scaled", "payouts_amount"),
    SortKey.CURRENCY: ("p.currency", "payouts_currency"),
    SortKey.DESCRIPTION: ("p.description COLLATE NOCASE", "payouts_description"),
    SortKey.RECIPIENT: ("p.recipient_name COLLATE NOCASE", "payouts_recipient"),
    SortKey.EXTERNAL_ID: ("p.external_id COLLATE NOCASE", "payouts_external_id"),
    SortKey.PAYMENT_ID: ("p.payment_id", "payouts_payment_id"),
}
#: Sort keys that are immutable and never NULL: exports walk them in keyset batches.
KEYSET_SORTS: Final = frozenset({SortKey.CREATED_AT, SortKey.AMOUNT, SortKey.CURRENCY})


def _where(clauses: list[str] | tuple[str, ...]) -> str:
    return " AND ".join(clauses) if clauses else "1"


class HistoryReader:
    """Runs history queries on one connection, with caches valid for one journal ``version``.

    ``version`` is any value that changes whenever the journal may have changed (the Journal passes
    its write counter and ``PRAGMA data_version``); every cache is dropped when it changes.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        #: Results up to this many rows are sorted once and cached (tests lower it to 0).
        self.small = SMALL
        self._version: object = None
        self._counts: dict[tuple[object, ...], int] = {}
        self._ordered: dict[tuple[object, ...], list[int]] = {}
        self._hits_key: tuple[object, ...] | None = None
        self._hits_count = 0
        self._unproven: set[tuple[object, ...]] = set()  # first pages history_first could not prove

    def _sync(self, version: object) -> None:
        if version != self._version:
            self._version = version
            self._counts.clear()
            self._ordered.clear()
            self._hits_key = None
            self._unproven.clear()

    def _status_total(self, statuses: tuple[str, ...]) -> int:
        """How many payouts have one of these statuses (O(1): the maintained counts table)."""
        marks = ", ".join("?" * len(statuses))
        sql = f"SELECT coalesce(sum(n), 0) FROM payout_status_counts WHERE status IN ({marks})"  # noqa: S608
        return int(self._conn.execute(sql, statuses).fetchone()[0])

    def _hits(self, compiled: CompiledQuery) -> int:
        """Materialise the text query's matching ids into ``temp.journal_hits``; their number.

        FTS matches are inserted straight from the index (no row reads); other filters then remove
        ids, through the status index when that set is the smaller one, else by reading the rows.
        """
        if self._hits_key == compiled.key:
            return self._hits_count
        conn = self._conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS journal_hits (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.journal_hits")
        self._hits_key = None
        insert = "INSERT INTO temp.journal_hits (id) "
        if compiled.fts is None:
            where = _where([*compiled.filters, *compiled.likes])
            sql = f"{insert} SELECT p.local_id FROM payouts p WHERE {where}"  # noqa: S608
            count = conn.execute(sql, (*compiled.filter_params, *compiled.like_params)).rowcount
        else:
            sql = f"{insert} SELECT rowid FROM payouts_fts WHERE payouts_fts MATCH ?"  # noqa: S608
            count = conn.execute(sql, (compiled.fts,)).rowcount
            drop = "DELETE FROM temp.journal_hits WHERE "
            if compiled.filters:
                where = _where(compiled.filters)
                if compiled.statuses and self._status_total(compiled.statuses) < count:
                    sql = f"{drop} id NOT IN (SELECT p.local_id FROM payouts p INDEXED BY payouts_status_created WHERE {where})"  # noqa: E501, S608
                else:
                    sql = f"{drop} NOT EXISTS (SELECT 1 FROM payouts p WHERE p.local_id = journal_hits.id AND {where})"  # noqa: S608
                count -= conn.execute(sql, compiled.filter_params).rowcount
            if compiled.likes:
                where = _where(compiled.likes)
                sql = f"{drop} NOT EXISTS (SELECT 1 FROM payouts p WHERE p.local_id = journal_hits.id AND {where})"  # noqa: S608
                count -= conn.execute(sql, compiled.like_params).rowcount
        if compiled.amount is not None:  # beside the text matches: exactly this amount (its index)
            where = _where(["p.amount_scaled = ?", *compiled.filters])
            sql = f"INSERT OR IGNORE INTO temp.journal_hits (id) SELECT p.local_id FROM payouts p INDEXED BY payouts_amount WHERE {where}"  # noqa: E501, S608
            count += conn.execute(sql, (compiled.amount, *compiled.filter_params)).rowcount
        self._hits_key, self._hits_count = compiled.key, count
        return count

    def count(self, query: HistoryQuery, version: object) -> int:
        """The exact number of matching payouts."""
        self._sync(version)
        compiled = compile_query(query)
        if compiled.empty:
            return 0
        cached = self._counts.get(compiled.key)
        if cached is not None:
            return cached
        if compiled.has_text:
            total = self._hits(compiled)
        elif not compiled.filters:
            total = self._conn.execute("SELECT coalesce(sum(n), 0) FROM payout_status_counts").fetchone()[0]
        elif compiled.statuses and len(compiled.filters) == 1:
            total = self._status_total(compiled.statuses)
        else:
            sql = f"SELECT count(*) FROM payouts p WHERE {_where(compiled.filters)}"  # noqa: S608
            total = self._conn.execute(sql, compiled.filter_params).fetchone()[0]
        self._counts[compiled.key] = int(total)
        return int(total)

    def totals(self, query: HistoryQuery, version: object) -> list[tuple[str, str, int, int]]:
        """(currency, status, count, sum of ``amount_scaled``) of the matching payouts: exact integers."""
        self._sync(version)
        compiled = compile_query(query)
        if compiled.empty:
            return []
        params: tuple[object, ...] = ()
        if compiled.has_text:
            self._hits(compiled)
            source = "FROM temp.journal_hits h CROSS JOIN payouts p ON p.local_id = h.id"
        else:
            source, params = f"FROM payouts p WHERE {_where(compiled.filters)}", compiled.filter_params
        sql = f"SELECT p.currency, p.status, count(*), sum(p.amount_scaled) {source} GROUP BY p.currency, p.status"
        return [(str(c), str(s), int(n), int(total)) for c, s, n, total in self._conn.execute(sql, params)]

    def _source(self, compiled: CompiledQuery, index: str) -> tuple[str, tuple[object, ...]]:
        """FROM … WHERE … walking ``index`` (the text filter probes the hits table)."""
        if compiled.has_text:
            self._hits(compiled)
            return f"FROM payouts p INDEXED BY {index} WHERE p.local_id IN temp.journal_hits", ()
        return f"FROM payouts p INDEXED BY {index} WHERE {_where(compiled.filters)}", compiled.filter_params

    def _small_source(self, compiled: CompiledQuery) -> tuple[str, tuple[object, ...]]:
        """FROM … WHERE … reading a small result through its most selective access path."""
        if compiled.has_text:
            self._hits(compiled)
            return "FROM temp.journal_hits h CROSS JOIN payouts p ON p.local_id = h.id", ()
        index = "payouts_status_created" if compiled.statuses else "payouts_created"
        return f"FROM payouts p INDEXED BY {index} WHERE {_where(compiled.filters)}", compiled.filter_params

    def _first(self, query: HistoryQuery, offset: int, limit: int, version: object) -> list[int] | None:
        """Rows near the start of a text query in created order, without its count (``history_first``);
        None when that plan does not apply. When they are all the rows, the count is cached too."""
        if query.sort is not SortKey.CREATED_AT or limit <= 0 or offset + limit > FIRST_MAX:
            return None
        self._sync(version)
        compiled = compile_query(query)
        key = (compiled.key, query.sort, query.descending)
        if compiled.fts is None or compiled.amount is not None or compiled.empty:
            return None
        if key in self._ordered or key in self._unproven:
            return None
        found = first_ids(self._conn, compiled, query.descending, offset + limit)
        if found is None:
            self._unproven.add(key)
            return None
        ids, complete = found
        if complete:
            self._counts[compiled.key] = len(ids)
            if len(ids) <= self.small:
                if len(self._ordered) >= 8:
                    self._ordered.clear()
                self._ordered[key] = ids
        return ids[offset : offset + limit]

    def ids(self, query: HistoryQuery, offset: int, limit: int, version: object) -> list[int]:
        """The local ids of rows ``offset`` … ``offset + limit - 1`` (``limit`` < 0: to the end)."""
        first = self._first(query, offset, limit, version)
        if first is not None:
            return first
        total = self.count(query, version)
        compiled = compile_query(query)
        if compiled.empty or offset >= total or limit == 0:
            return []
        end = total if limit < 0 else min(offset + limit, total)
        expression, index = SORTS[query.sort]
        if total <= self.small:
            key = (compiled.key, query.sort, query.descending)
            ordered = self._ordered.get(key)
            if ordered is None:
                source, params = self._small_source(compiled)
                direction = "DESC" if query.descending else "ASC"
                sql = f"SELECT p.local_id {source} ORDER BY {expression} {direction}, p.local_id {direction}"
                ordered = [r[0] for r in self._conn.execute(sql, params)]
                if len(self._ordered) >= 8:
                    self._ordered.clear()
                self._ordered[key] = ordered
            return ordered[offset:end]
        source, params = self._source(compiled, index)
        reverse = offset > total // 2
        descending = query.descending != reverse
        direction = "DESC" if descending else "ASC"
        skip, count = (total - end, end - offset) if reverse else (offset, end - offset)
        sql = f"SELECT p.local_id {source} ORDER BY {expression} {direction}, p.local_id {direction} LIMIT ? OFFSET ?"
        found = [r[0] for r in self._conn.execute(sql, (*params, count, skip))]
        if reverse:
            found.reverse()
        return found

    def iter_rows(self, query: HistoryQuery, select: str, batch: int, version: object) -> Iterator[tuple[object, ...]]:
        """Every matching row (``select``: columns of ``p``) in the query's order (see ``iter_batches``)."""
        for rows in self.iter_batches(query, select, batch, version):
            yield from rows

    def iter_batches(
        self, query: HistoryQuery, select: str, batch: int, version: object
    ) -> Generator[list[tuple[object, ...]], None, None]:
        """Every matching row (``select``: columns of ``p``) in the query's order, in lists of at most
        ``batch`` rows (never an empty list).

        Sorted by an immutable, never-NULL key (created, amount, currency) without text, rows are
        read in keyset batches straight from the sort index; otherwise the matching ids are read
        first (one index walk) and their rows fetched in batches. Either way no statement stays
        open between batches and no row appears twice; a row changed meanwhile has its latest values.
        """
        compiled = compile_query(query)
        if compiled.empty:
            return
        if query.sort not in KEYSET_SORTS or compiled.has_text:
            ids = self.ids(query, 0, -1, version)
            for start in range(0, len(ids), batch):
                if rows := self.rows(ids[start : start + batch], select):
                    yield rows
            return
        expression, index = SORTS[query.sort]
        direction, beyond = ("DESC", "<") if query.descending else ("ASC", ">")
        where = _where(compiled.filters)
        # The keyset (local id, sort value) is read after the selected columns and cut off.
        head = f"SELECT {select}, p.local_id, {expression} FROM payouts p INDEXED BY {index} WHERE {where}"  # noqa: S608
        tail = f"ORDER BY {expression} {direction}, p.local_id {direction} LIMIT ?"
        sql, params = f"{head} {tail}", (*compiled.filter_params, batch)
        while rows := self._conn.execute(sql, params).fetchall():
            yield [row[:-2] for row in rows]
            if len(rows) < batch:
                return
            sql = f"{head} AND ({expression}, p.local_id) {beyond} (?, ?) {tail}"
            params = (*compiled.filter_params, rows[-1][-1], rows[-1][-2], batch)

    def rows(self, ids: list[int], select: str) -> list[tuple[object, ...]]:
        """The payout rows (``select``: columns of ``p``) of ``ids``, in that order."""
        if not ids:
            return []
        sql = f"SELECT {select} FROM json_each(?) j JOIN payouts p ON p.local_id = j.value ORDER BY j.key"  # noqa: S608
        rows: list[tuple[object, ...]] = self._conn.execute(sql, (json.dumps(ids),)).fetchall()
        return rows
