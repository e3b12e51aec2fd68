"""How payout rows leave the journal: as PayoutRecords, or as CSV lines computed in SQL.

``record_from_row`` builds a PayoutRecord from a row of ``SELECT`` columns (pages, the send loop).

``iter_export_lines`` gives the CSV line (``EXPORT_COLUMNS``, no line end) of every payout of a
history query, with the same filter and order as ``Journal.iter_matching`` (the same
``HistoryReader.iter_batches``), but builds no PayoutRecord: SQLite computes each line, so a row
reaches Python as one string. A line is byte for byte what ``csv.writer`` (excel dialect) writes
for the record-based cells (``services.export.record_row``):

- ``local_id``: the integer's digits;
- ``created_at`` / ``updated_at``: ``datetime.isoformat()`` of the UTC time, e.g.
  ``2024-05-01T09:30:00.250000+00:00`` (``.ffffff`` only when not zero), from ``strftime`` and
  ``printf`` on the exact integer microseconds; a value outside 1970–9999 is formatted by Python;
- ``amount``: the stored wire text, which is ``format(Decimal(text), "f")`` already unless it has a
  redundant leading zero or a leading / trailing point (then Python formats it);
- ``metadata``: ``""`` for NULL, else the stored JSON re-encoded canonically by Python (``""`` for
  an empty object), as a CSV cell;
- every other column: the stored text (``""`` for NULL), defused and quoted as below.

Defusing: a text cell (or ``local_id``) whose first character is one of ``defuse`` gets a leading
``'``. Times start with a digit of the year, amounts are digits and ``.`` only and ``environment``
is ``sandbox`` or ``live`` (the schema's CHECKs), so those are neither defused nor quoted; metadata
is ``""`` or a JSON object (``{``), so it is quoted but never needs defusing. Quoting:
a cell holding a comma, ``"``, CR or LF is put in quotes with ``"`` doubled, as ``csv`` does (its
``QUOTE_MINIMAL``); ``instr``, ``replace`` and ``||`` work on byte lengths, so an embedded NUL hides
nothing.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Collection, Generator
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final, cast

from payout_desk.domain.payout import FrozenMetadata
from payout_desk.journal.history import EPOCH, HistoryReader, from_micros
from payout_desk.journal.models import HistoryQuery, PayoutRecord

__all__ = [
    "EXPORT_COLUMNS",
    "FIELDS",
    "SELECT",
    "SELECT_P",
    "csv_cell",
    "export_line",
    "iter_export_lines",
    "record_from_row",
    "register_functions",
]

FIELDS: Final = tuple(f.name for f in fields(PayoutRecord))
#: Every PayoutRecord field is a payouts column of the same name; records are read in field order.
SELECT: Final = ", ".join(FIELDS)
SELECT_P: Final = ", ".join(f"p.{c}" for c in FIELDS)
_I_CREATED, _I_UPDATED, _I_AMOUNT, _I_METADATA = (
    FIELDS.index(n) for n in ("created_at", "updated_at", "amount", "metadata")
)


def record_from_row(row: tuple[Any, ...]) -> PayoutRecord:
    """A PayoutRecord from a row of ``SELECT`` columns.

    Hot path (pages, the send loop): the frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) is bypassed by filling the instance dict directly, which
    gives an identical object.
    """
    values = list(row)
    values[_I_CREATED] = EPOCH + timedelta(0, 0, values[_I_CREATED])  # from_micros, inlined
    values[_I_UPDATED] = EPOCH + timedelta(0, 0, values[_I_UPDATED])
    values[_I_AMOUNT] = Decimal(values[_I_AMOUNT])
    if values[_I_METADATA] is not None:
        values[_I_METADATA] = FrozenMetadata(json.loads(values[_I_METADATA]))
    record: PayoutRecord = object.__new__(PayoutRecord)
    record.__dict__.update(zip(FIELDS, values, strict=True))
    return record


#: The exported columns, in order (the CSV header).
EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "local_id",
    "created_at",
    "updated_at",
    "status",
    "amount",
    "currency",
    "description",
    "recipient_id",
    "recipient_name",
    "external_id",
    "metadata",
    "payment_id",
    "failure_reason",
    "last_error",
    "environment",
    "profile",
    "created_by",
    "idempotency_key",
)
#: 9999-12-31T23:59:59.999999 UTC (``datetime.max``) in epoch microseconds.
_MAX_MICROS: Final = 253_402_300_799_999_999
_ISO_FN, _AMOUNT_FN, _METADATA_FN = "payout_export_iso", "payout_export_amount", "payout_export_metadata"


def _iso(micros: int) -> str:
    return from_micros(micros).isoformat()


def _amount(text: str) -> str:
    return format(Decimal(text), "f")


def csv_cell(value: str) -> str:
    """``value`` as ``csv.writer`` (excel dialect) writes it in a row of several cells."""
    if not value:
        return value
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel").writerow([value])
    return buffer.getvalue()[:-2]


def _metadata(text: str) -> str:
    """The metadata cell: the JSON re-encoded as the record-based export does, as a CSV cell."""
    mapping = dict(json.loads(text) or {})  # as FrozenMetadata(json.loads(text)) reads it
    if not mapping:
        return ""
    return csv_cell(json.dumps(mapping, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def register_functions(conn: sqlite3.Connection) -> None:
    """Define the SQL functions ``export_line`` uses on ``conn`` (once, when the journal opens)."""
    conn.create_function(_ISO_FN, 1, _iso, deterministic=True)
    conn.create_function(_AMOUNT_FN, 1, _amount, deterministic=True)
    conn.create_function(_METADATA_FN, 1, _metadata, deterministic=True)


def _time(column: str) -> str:
    fast = (
        f"strftime('%Y-%m-%dT%H:%M:%S', {column} / 1000000, 'unixepoch')"
        f" || iif({column} % 1000000, printf('.%06d', {column} % 1000000), '') || '+00:00'"
    )
    return f"iif({column} BETWEEN 0 AND {_MAX_MICROS}, {fast}, {_ISO_FN}({column}))"


def _text(column: str, codes: str) -> str:
    """A text column's CSV cell: '' for NULL, defused (``codes``: code points) and quoted."""
    special = " OR ".join(f"instr({column}, {x})" for x in ("','", "'\"'", "char(10)", "char(13)"))
    defused = f"unicode({column}) IN ({codes})"
    quoted = f"""'"' || iif({defused}, '''', '') || replace({column}, '"', '""') || '"'"""
    return f"CASE WHEN {column} IS NULL THEN '' WHEN {special} THEN {quoted} WHEN {defused} THEN '''' || {column} ELSE {column} END"  # noqa: E501


def export_line(defuse: Collection[str]) -> str:
    """The SQL expression of a payout's CSV line (columns of ``payouts p``), without its line end."""
    codes = ", ".join(map(str, sorted({ord(c) for c in defuse}))) or "NULL"  # one character each; ints
    odd_amount = " OR ".join(f"p.amount GLOB '{g}'" for g in ("0[0-9]*", ".*", "*.", "*.*.*"))
    cells = {
        "local_id": f"iif(unicode(p.local_id) IN ({codes}), '''' || p.local_id, p.local_id)",
        "created_at": _time("p.created_at"),
        "updated_at": _time("p.updated_at"),
        "amount": f"iif({odd_amount}, {_AMOUNT_FN}(p.amount), p.amount)",
        "metadata": f"iif(p.metadata IS NULL, '', {_METADATA_FN}(p.metadata))",
        "environment": "p.environment",
    }
    return " || ',' || ".join(cells.get(name) or _text(f"p.{name}", codes) for name in EXPORT_COLUMNS)


def iter_export_lines(
    reader: HistoryReader,
    query: HistoryQuery,
    batch: int,
    version: object,
    defuse: Collection[str] = (),
) -> Generator[list[str], None, None]:
    """The CSV line of every payout matching ``query``, in its order, in lists of at most ``batch``
    (see ``HistoryReader.iter_batches``); its connection has ``register_functions``."""
    for rows in reader.iter_batches(query, export_line(defuse), batch, version):
        yield cast("list[str]", [row[0] for row in rows])
