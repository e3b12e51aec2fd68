"""How payout rows leave the journal: as PayoutRecords, or as CSV lines.

``record_from_row`` builds a PayoutRecord from a row of ``SELECT`` columns (pages, the send loop).

``iter_export_lines`` gives the CSV line (``EXPORT_COLUMNS``, no line end) of every payout of a
history query, with the same filter and order as ``Journal.iter_matching`` (the same
``HistoryReader.iter_batches``), but builds no PayoutRecord: SQLite formats and defuses the cells
(``export_sql``) and ``export_render`` quotes them, so the lines are byte for byte what ``csv.writer``
(excel dialect) writes for the record-based cells (``services.export.record_row``). The SQL and its
rules are in ``export_sql``; a whole export reads from one snapshot in parallel (``export_snapshot``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Generator
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

from payout_desk.domain.payout import FrozenMetadata
from payout_desk.journal.export.render import iter_csv_batches
from payout_desk.journal.export.sql import EXPORT_COLUMNS, csv_cell, export_line, register_functions
from payout_desk.journal.history import HistoryReader
from payout_desk.journal.models import HistoryQuery, PayoutRecord
from payout_desk.journal.query import EPOCH

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


def iter_export_lines(
    reader: HistoryReader,
    query: HistoryQuery,
    batch: int,
    version: object,
    defuse: Collection[str] = (),
) -> Generator[list[str], None, None]:
    """The CSV line of every payout matching ``query``, in its order, in lists of at most ``batch``
    (see ``HistoryReader.iter_batches``); its connection has ``register_functions``."""
    for lines in iter_csv_batches(reader, query, batch, version, defuse):
        yield [line.decode("utf-8") for line in lines]
