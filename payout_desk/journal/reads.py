"""The reading half of the journal: single payouts, the sets recover and the poller need, a payout's
audit events, and the history queries (count, page, full iteration, CSV lines for export).

``Journal`` (store.py) inherits these and adds the connection's life cycle and every write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Generator, Iterator
from decimal import Decimal

from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
from payout_desk.domain.totals import CurrencyTotals, group_totals
from payout_desk.journal.duplicates import near_duplicates as _near_duplicates
from payout_desk.journal.export.rows import SELECT as _SELECT
from payout_desk.journal.export.rows import SELECT_P as _SELECT_P
from payout_desk.journal.export.rows import iter_export_lines
from payout_desk.journal.export.rows import record_from_row as _record
from payout_desk.journal.history import HistoryReader, from_micros
from payout_desk.journal.models import HistoryQuery, JournalEvent, PayoutNotFoundError, PayoutRecord
from payout_desk.journal.query import AMOUNT_SCALE

__all__ = ["JournalReads"]


class JournalReads:
    """Read-only queries over the journal's connection (see ``Journal``)."""

    _history: HistoryReader
    _writes: int  # this connection's write counter, part of the history cache's version

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection (``Journal`` provides it)."""
        raise NotImplementedError

    # -- reading ----------------------------------------------------------------------------------

    def get(self, local_id: int) -> PayoutRecord:
        """The payout with this local id; PayoutNotFoundError otherwise."""
        row = self.conn.execute(f"SELECT {_SELECT} FROM payouts WHERE local_id = ?", (local_id,)).fetchone()  # noqa: S608
        if row is None:
            raise PayoutNotFoundError(local_id)
        return _record(row)

    def events(self, local_id: int) -> list[JournalEvent]:
        """The payout's audit events, oldest first (empty for an unknown id)."""
        rows = self.conn.execute(
            "SELECT event_id, local_id, at, kind, actor, detail FROM events WHERE local_id = ? ORDER BY event_id",
            (local_id,),
        ).fetchall()
        return [
            JournalEvent(e, lid, from_micros(at), kind, actor, json.loads(d)) for e, lid, at, kind, actor, d in rows
        ]

    def near_duplicates(self, probe: PayoutProbe) -> list[DuplicateMatch]:
        """Journaled payouts ``probe`` nearly duplicates (``domain.duplicates``), newest first;
        one index range (``journal.duplicates``), never a scan."""
        return _near_duplicates(self.conn, probe)

    # -- history ----------------------------------------------------------------------------------

    def _version(self) -> tuple[int, int]:
        """Changes since: by others (``data_version``) and by this connection (write counter)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self._writes

    def count(self, query: HistoryQuery) -> int:
        """How many payouts match the query (exact; cached until the journal changes)."""
        return self._history.count(query, self._version())

    def totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        """Per currency, the matching payouts' count and exact sum by status (``domain.totals``)."""
        rows = self._history.totals(query, self._version())
        return group_totals((c, s, n, Decimal(total) / AMOUNT_SCALE) for c, s, n, total in rows)

    def page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        """Rows ``offset`` … ``offset + limit - 1`` of the query's order (fewer at the end).

        Past the middle of a large result the reversed order is read and flipped, so jumping to the
        last row costs what the first does. The first rows of a text search in created order are read
        without counting its matches first (``history_first``): ask for them before ``count``.
        """
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        ids = self._history.ids(query, offset, limit, self._version())
        return [_record(r) for r in self._history.rows(ids, _SELECT_P)]

    def iter_matching(self, query: HistoryQuery, batch: int = 5000) -> Iterator[PayoutRecord]:
        """Every matching payout in the query's order, read ``batch`` rows at a time.

        No statement stays open between batches (writes may come in between); no row appears
        twice, and a row changed while iterating appears with its latest values.
        """
        if batch <= 0:
            raise ValueError("batch must be positive")
        for row in self._history.iter_rows(query, _SELECT_P, batch, self._version()):
            yield _record(row)

    def iter_export_lines(
        self, query: HistoryQuery, batch: int = 5000, *, defuse: Collection[str] = ()
    ) -> Generator[list[str], None, None]:
        """The CSV line (``export_rows``: EXPORT_COLUMNS, cells defused with ``defuse``, no line end)
        of every matching payout in the query's order, ``batch`` a list; no PayoutRecord is built.
        Same reading guarantees as ``iter_matching``."""
        if batch <= 0:
            raise ValueError("batch must be positive")
        return iter_export_lines(self._history, query, batch, self._version(), defuse)
