"""A whole CSV export, read from one consistent snapshot, off the journal's thread and connection.

The export opens its own read-only connection and reads everything in one read transaction: WAL
readers never block the journal's writer and see the database as it was when their transaction
began, so the file is that snapshot exactly, however long it takes, while pages load and the poller
writes on the journal's own connection.

Two worker threads share the work. The reader asks SQLite for one batch at a time as a single value
(``group_concat`` of ``export_sql.csv_row`` over the batch's rows, in the query's order), so the
whole batch is computed inside one ``sqlite3_step`` without the GIL; the writer turns the previous
batch into CSV (``export_render``) and hands it to the sink meanwhile. Python's ``sqlite3`` takes
the GIL back after every row it returns, so a row-at-a-time reader would stall while the writer
holds the GIL; a batch-at-a-time one does not.

A second reading connection does not help here: SQLite's memory statistics (on by default) put every
allocation behind one process-wide mutex, and two threads building rows contend on it until each
runs at half speed (measured: two connections took longer than one).

A batch is the next ``batch`` rows of the sort index after the previous batch's last key (sorts by
an immutable key, created / amount / currency, without text), or of the query's ordered ids, read
once in the snapshot (any other query). ``ORDER BY`` with ``LIMIT`` in the subquery of an aggregate
is kept by SQLite and feeds the aggregate in that order; the row counts are checked per batch and in
total against the snapshot's count.
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, TypeVar, cast

from payout_desk.journal.export.render import exact_lines, render, row_id, to_rebuild
from payout_desk.journal.export.sql import csv_row, register_functions
from payout_desk.journal.history import KEYSET_SORTS, SORTS, HistoryReader
from payout_desk.journal.models import HistoryQuery, JournalError
from payout_desk.journal.query import compile_query

__all__ = ["ExportStopped", "export_rows"]

#: The history caches' version: a snapshot never changes.
_VERSION: Final = "snapshot"
#: How long a blocked thread waits before looking at the stop flag again (seconds).
_POLL: Final = 0.05
_DONE: Final = object()
_T = TypeVar("_T")


class ExportStopped(JournalError):
    """The export stopped before it finished (cancelled, or the other thread failed)."""


def _connect(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA temp_store = MEMORY")  # a text query's hits table
        conn.execute("PRAGMA mmap_size = 2000000000")
        register_functions(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class _Export:
    """One export's connection, plan and threads (see ``export_rows``)."""

    def __init__(self, path: Path, query: HistoryQuery, defuse: Collection[str], batch: int) -> None:
        self._path, self._query, self._defuse, self._batch = path, query, tuple(defuse), batch
        self._conn: sqlite3.Connection | None = None
        self._ids: list[int] | None = None
        self._stop = threading.Event()
        self.total = 0

    # -- the reader thread ------------------------------------------------------------------------

    def open(self) -> None:
        """Connect, begin the snapshot, count and (for an id-ordered query) list the rows."""
        conn = self._conn = _connect(self._path)
        conn.execute("BEGIN")
        reader = HistoryReader(conn)
        self.total = reader.count(self._query, _VERSION)  # the first read: the snapshot starts here
        if self._query.sort not in KEYSET_SORTS or compile_query(self._query).has_text:
            self._ids = reader.ids(self._query, 0, -1, _VERSION)
            if len(self._ids) != self.total:
                raise JournalError(f"export: {len(self._ids)} payouts listed, {self.total} counted")

    def stop(self) -> None:
        """Ask both threads to stop at their next batch."""
        self._stop.set()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the read transaction
            self._conn = None

    def _batches(self) -> Iterator[tuple[bytes, int]]:
        """(rows joined by CRLF, how many) for each batch, in order."""
        conn, query, batch = self._conn, self._query, self._batch
        assert conn is not None
        if not self.total:  # nothing matches (an empty status set has no SQL filter of its own)
            return
        row = csv_row(self._defuse)

        def aggregate(rows: str) -> str:
            return f"SELECT CAST(group_concat(row, char(13, 10)) AS BLOB), count(*) FROM ({rows})"  # noqa: S608

        if self._ids is not None:
            sql = aggregate(
                f"SELECT {row} AS row FROM json_each(?) j JOIN payouts p ON p.local_id = j.value"  # noqa: S608
                " ORDER BY j.key LIMIT -1"
            )
            for start in range(0, len(self._ids), batch):
                chunk = self._ids[start : start + batch]
                blob, count = conn.execute(sql, (json.dumps(chunk),)).fetchone()
                if count != len(chunk):
                    raise JournalError(f"export: {len(chunk)} payouts listed, {count} read")
                yield blob, count
            return
        compiled = compile_query(query)
        expression, index = SORTS[query.sort]
        direction, beyond = ("DESC", "<") if query.descending else ("ASC", ">")
        where = " AND ".join(compiled.filters) or "1"
        head = f"SELECT {row} AS row FROM payouts p INDEXED BY {index} WHERE {where}"  # noqa: S608
        tail = f"ORDER BY {expression} {direction}, p.local_id {direction} LIMIT ?"
        # After the previous batch's last row: its sort key is looked up in the same statement.
        after = f"({expression}, p.local_id) {beyond} ((SELECT {expression} FROM payouts p WHERE p.local_id = ?), ?)"  # noqa: S608
        sql, params = aggregate(f"{head} {tail}"), (*compiled.filter_params, batch)
        while True:
            blob, count = conn.execute(sql, params).fetchone()
            if not count:
                return
            yield blob, count
            if count < batch:
                return
            last = row_id(blob[blob.rfind(b"\r\n") + 2 :] if count > 1 else blob)  # the batch's last row
            sql = aggregate(f"{head} AND {after} {tail}")
            params = (*compiled.filter_params, last, last, batch)

    def read(self, out: queue.Queue[object]) -> None:
        """Put every batch (and the lines only SQL can write) on ``out``, then ``_DONE``."""
        assert self._conn is not None
        exact = exact_lines(HistoryReader(self._conn), self._defuse)
        try:
            for blob, count in self._batches():
                ids = to_rebuild(blob)
                rebuilt = dict(zip(ids, exact(ids), strict=True)) if ids else {}
                self._put(out, (blob, count, rebuilt))
            self._put(out, _DONE)
        except BaseException:
            self._stop.set()
            raise

    def _put(self, out: queue.Queue[object], item: object) -> None:
        while True:
            if self._stop.is_set():
                raise ExportStopped("the export was stopped")
            try:
                out.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    # -- the writer thread ------------------------------------------------------------------------

    def write(self, source: queue.Queue[object], sink: Callable[[bytes], object]) -> int:
        """Render every batch from ``source`` to ``sink``; the number of rows."""
        rows = 0
        try:
            while True:
                try:
                    item = source.get(timeout=_POLL)
                except queue.Empty:
                    if self._stop.is_set():
                        raise ExportStopped("the export was stopped") from None
                    continue
                if item is _DONE:
                    return rows
                blob, count, rebuilt = cast("tuple[bytes, int, dict[int, str]]", item)
                sink(render(blob, count, _lookup(rebuilt)))
                rows += count
        except BaseException:
            self._stop.set()
            raise


def _lookup(known: dict[int, str]) -> Callable[[list[int]], list[str]]:
    return lambda ids: [known[i] for i in ids]


async def export_rows(
    path: Path,
    query: HistoryQuery,
    sink: Callable[[bytes], object],
    *,
    defuse: Collection[str] = (),
    batch: int = 2000,
) -> int:
    """Write the CSV lines (CRLF-terminated, no header) of every payout matching ``query`` in the
    journal at ``path``, in the query's order and from one snapshot, to ``sink`` (called on a worker
    thread, one batch at a time); the number of rows.

    Cancelling stops both threads within a batch; they have returned before this raises.
    """
    if batch <= 0:
        raise ValueError("batch must be positive")
    export = _Export(path, query, defuse, batch)
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="payout-export")
    try:
        await _await_or_stop(loop.run_in_executor(executor, export.open), export)
        batches: queue.Queue[object] = queue.Queue(maxsize=3)
        reading = loop.run_in_executor(executor, export.read, batches)
        writing = loop.run_in_executor(executor, export.write, batches, sink)
        outcomes = await _await_or_stop(asyncio.gather(reading, writing, return_exceptions=True), export)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        for failure in sorted(failures, key=lambda f: isinstance(f, ExportStopped)):
            raise failure  # the cause first, not the other thread's ExportStopped
        rows = outcomes[1]
        assert isinstance(rows, int)
        if rows != export.total:
            raise JournalError(f"export: {rows} payouts written, {export.total} in the snapshot")
        return rows
    finally:
        await loop.run_in_executor(executor, export.close)
        executor.shutdown(wait=False)


async def _await_or_stop(work: asyncio.Future[_T], export: _Export) -> _T:
    """``await work``; when cancelled, stop ``export`` and wait for its threads before raising."""
    try:
        return await asyncio.shield(work)
    except BaseException:
        export.stop()
        await asyncio.wait([work])
        raise
