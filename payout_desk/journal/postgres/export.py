"""CSV export from the team database: ``COPY (SELECT …) TO STDOUT`` inside one REPEATABLE READ, READ ONLY
transaction on its own connection (one snapshot, streamed, no cursor paging), each row formatted and quoted
by ``csv.writer`` exactly as ``services.export.record_row`` cells are (the tests compare the bytes).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import sql

from payout_desk.journal.export_sql import EXPORT_COLUMNS
from payout_desk.journal.models import HistoryQuery, JournalError
from payout_desk.journal.postgres.queries import compile_pg
from payout_desk.journal.postgres.store import connect

__all__ = ["ExportCancelledError", "copy_export"]

_TYPES: Final = ["int8", "timestamptz", "timestamptz"] + ["text"] * (len(EXPORT_COLUMNS) - 3)


class ExportCancelledError(JournalError):
    """The export was stopped before it finished."""


def _cells(row: Sequence[Any], defuse: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for name, value in zip(EXPORT_COLUMNS, row, strict=True):
        if value is None:
            text = ""
        elif isinstance(value, datetime):
            text = value.isoformat()
        elif name == "metadata":
            parsed = json.loads(value)
            text = json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if parsed else ""
        else:
            text = str(value)
        out.append("'" + text if defuse and text.startswith(defuse) else text)
    return out


def copy_export(
    conninfo: str,
    query: HistoryQuery,
    sink: Callable[[bytes], object],
    *,
    defuse: Collection[str] = (),
    batch: int = 2000,
    stop: threading.Event | None = None,
) -> int:
    """Write the CRLF-terminated CSV line of every payout matching ``query``, in its order, to ``sink``
    (``batch`` lines a call); the number of rows. Blocking: run it on a worker thread."""
    if batch <= 0:
        raise ValueError("batch must be positive")
    compiled = compile_pg(query)
    prefixes = tuple(defuse)
    columns = sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(c)) for c in EXPORT_COLUMNS)
    rows_written = 0
    with connect(conninfo, autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if compiled.empty:
            return 0
        select = sql.SQL("COPY (SELECT {} FROM payout_desk.payouts p WHERE {} ORDER BY {}) TO STDOUT").format(
            columns, compiled.where, compiled.order
        )
        # COPY takes no parameters: the filter's values are bound client-side, as quoted literals.
        statement = psycopg.ClientCursor(conn).mogrify(select, compiled.params)
        buffer = io.StringIO()
        writer = csv.writer(buffer, dialect="excel")
        pending = 0
        with conn.cursor().copy(statement) as copy:
            copy.set_types(_TYPES)
            for row in copy.rows():
                writer.writerow(_cells(row, prefixes))
                pending += 1
                if pending >= batch:
                    if stop is not None and stop.is_set():
                        raise ExportCancelledError("the export was stopped")
                    sink(buffer.getvalue().encode("utf-8"))
                    rows_written += pending
                    buffer.seek(0)
                    buffer.truncate()
                    pending = 0
        if pending:
            sink(buffer.getvalue().encode("utf-8"))
            rows_written += pending
        conn.rollback()
    return rows_written
