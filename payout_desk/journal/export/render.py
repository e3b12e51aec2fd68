"""CSV bytes from the rows of ``export_sql.csv_row``, a batch at a time.

A batch is its rows joined by CRLF (a row holds no CR or LF: JSON escapes them, and the metadata
cell after the 0x01 byte is canonical JSON, escaped as well). A row's array ``["c0","c1",…,"c17"]``
(JSON strings, formatted and defused in SQL) becomes its CSV line by one of three routes:

- no backslash and exactly 17 commas: no cell holds a quote, a control character or a comma, so the
  line is the array without its brackets and quotes (for a whole batch at once: the rows' ``]CRLF[``
  joints become CRLF, then one ``translate`` drops every quote);
- no backslash but more commas: the cells are what lies between the separators ``","`` (a cell holds
  no quote, so each ``","`` found left to right is a separator, even around a cell that is just a
  comma), and a cell holding a comma is quoted, as ``csv`` does;
- a backslash in the array: some cell holds a quote, a backslash or a control character (JSON
  escapes them), so the line is the one ``export_sql.export_line`` computes in SQL (``exact``), by
  id, from the same snapshot.

A row with metadata has its CSV cell after the 0x01 byte; it goes into the 11th slot, which the
array leaves empty. Nothing is decoded: the journal's text is UTF-8 and is copied as it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator
from itertools import repeat
from typing import Final, cast

from payout_desk.journal.export.sql import EXPORT_COLUMNS, csv_row, export_line
from payout_desk.journal.history import HistoryReader
from payout_desk.journal.models import HistoryQuery, JournalError

__all__ = ["Exact", "exact_lines", "iter_csv_batches", "render", "render_lines", "row_id", "to_rebuild"]

#: The commas of a row none of whose cells holds one.
_SEPARATORS: Final = len(EXPORT_COLUMNS) - 1
_METADATA: Final = EXPORT_COLUMNS.index("metadata")
_CRLF: Final = b"\r\n"
#: Bytes looked for with ``in`` as integers (a bytes operand would first be tried as an index).
_BACKSLASH: Final = 0x5C
_MARK: Final = 0x01
#: The ids of rows → their exact lines (``export_line``), in that order.
Exact = Callable[[list[int]], list[str]]


def row_id(row: bytes) -> int:
    """The local id of a ``csv_row`` (its first cell: digits, perhaps defused with a ``'``)."""
    return int(row[2 : row.index(b'"', 2)].lstrip(b"'"))


def to_rebuild(batch: bytes) -> list[int]:
    """The ids of the batch's rows that only ``export_line`` can write (a backslash in the array)."""
    if _BACKSLASH not in batch:
        return []
    rows = (row.partition(b"\x01")[0] for row in batch.split(_CRLF))
    return [row_id(row) for row in rows if _BACKSLASH in row]


def _line(row: bytes) -> bytes | None:
    """A row's CSV line by the second route (None: its array has a backslash, or is malformed)."""
    array, marker, metadata = row.partition(b"\x01")
    if _BACKSLASH in array:
        return None
    if array.count(b",") == _SEPARATORS:
        cells = array[1:-1].translate(None, b'"').split(b",")
    else:
        cells = [b'"' + cell + b'"' if 0x2C in cell else cell for cell in array[2:-2].split(b'","')]
        if len(cells) != len(EXPORT_COLUMNS):
            return None
    if marker:
        cells[_METADATA] = metadata
    return b",".join(cells)


def _render(batch: bytes, count: int, exact: Exact) -> bytes | list[bytes]:
    """The batch's lines, joined by CRLF when every row took the first route, else as a list."""
    metadata = _MARK in batch
    if not metadata:
        plain = batch[1:-1].translate(None, b'"')  # "]CRLF[" now separates the rows
        if _BACKSLASH not in batch and batch.count(b",") == _SEPARATORS * count:
            return plain.replace(b"]\r\n[", _CRLF)
    rows = batch.split(_CRLF)
    lines = [row[1:-1].translate(None, b'"') for row in rows] if metadata else plain.split(b"]\r\n[")
    if len(rows) != count or len(lines) != count:
        raise JournalError(f"export: a batch of {count} payouts came as {len(rows)} rows")
    todo = [i for i, commas in enumerate(map(bytes.count, rows, repeat(b","))) if commas != _SEPARATORS]
    if metadata or _BACKSLASH in batch:
        todo = sorted({*todo, *(i for i, row in enumerate(rows) if _MARK in row or _BACKSLASH in row)})
    by_sql: list[int] = []
    for i in todo:
        line = _line(rows[i])
        if line is None:
            by_sql.append(i)
        else:
            lines[i] = line
    if by_sql:
        ids = [row_id(rows[i]) for i in by_sql]
        rebuilt = exact(ids)
        if len(rebuilt) != len(ids):
            raise JournalError(f"export: {len(ids)} payouts to rebuild, {len(rebuilt)} found")
        for i, text in zip(by_sql, rebuilt, strict=True):
            lines[i] = text.encode("utf-8")
    return lines


def render(batch: bytes, count: int, exact: Exact) -> bytes:
    """The CSV bytes of a batch of ``count`` rows joined by CRLF, every line ending in CRLF."""
    if not count:
        return b""
    rendered = _render(batch, count, exact)
    if isinstance(rendered, bytes):
        return rendered + _CRLF
    rendered.append(b"")
    return _CRLF.join(rendered)


def render_lines(batch: bytes, count: int, exact: Exact) -> list[bytes]:
    """The CSV line of each of the batch's ``count`` rows (no line end), in order."""
    if not count:
        return []
    rendered = _render(batch, count, exact)
    return rendered.split(_CRLF) if isinstance(rendered, bytes) else rendered


def exact_lines(reader: HistoryReader, defuse: Collection[str]) -> Exact:
    """``Exact`` on ``reader``'s connection."""
    line = export_line(defuse)

    def exact(ids: list[int]) -> list[str]:
        return [cast("str", row[0]) for row in reader.rows(ids, line)]

    return exact


def iter_csv_batches(
    reader: HistoryReader,
    query: HistoryQuery,
    batch: int,
    version: object,
    defuse: Collection[str] = (),
) -> Generator[list[bytes], None, None]:
    """The CSV line (no line end) of every payout matching ``query``, in its order, in lists of at most
    ``batch`` (``HistoryReader.iter_batches``); the connection has ``export_sql.register_functions``."""
    select, exact = f"CAST({csv_row(defuse)} AS BLOB)", exact_lines(reader, defuse)
    for rows in reader.iter_batches(query, select, batch, version):
        yield render_lines(_CRLF.join(cast("list[bytes]", [row[0] for row in rows])), len(rows), exact)
