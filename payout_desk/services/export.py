"""CSV export of the payout history, safe to open in Excel.

Decisions:

* **Formula injection defused.** Any cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return gets a leading ``'`` so a spreadsheet shows it as text instead of running it
  (OWASP's rule). Every column goes through it, amounts included (they never start with ``-``).
* **UTF-8 with a BOM** (``utf-8-sig``): Excel on Windows — what finance staff open CSVs with —
  reads BOM-less UTF-8 as the ANSI code page and garbles names like "Zoë" or "€"; LibreOffice
  and Python's ``csv`` handle the BOM fine.
* Written with the ``csv`` module (RFC 4180 quoting, ``\\r\\n`` line ends) to a temporary file in
  the target directory, then ``os.replace``: a failed export never leaves half a file.
* The file is owner-only (0600), like the journal: it lists payouts and recipients.
* Amounts are the exact wire text (``10.00``), never floats; times are ISO 8601 UTC.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from payout_desk.journal import AsyncJournal, HistoryQuery, PayoutRecord

__all__ = ["CSV_COLUMNS", "FORMULA_PREFIXES", "defuse_cell", "export_csv", "record_row"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: (header, how to read it from a record)
CSV_COLUMNS: tuple[str, ...] = (
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


def defuse_cell(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would treat it as a formula."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def record_row(record: PayoutRecord) -> list[str]:
    """One CSV row (defused text cells) for ``record``, in CSV_COLUMNS order."""
    metadata = ""
    if record.metadata:
        metadata = json.dumps(dict(record.metadata), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    values: Sequence[object | None] = (
        record.local_id,
        record.created_at.isoformat(),
        record.updated_at.isoformat(),
        record.status,
        format(record.amount, "f"),
        record.currency,
        record.description,
        record.recipient_id,
        record.recipient_name,
        record.external_id,
        metadata,
        record.payment_id,
        record.failure_reason,
        record.last_error,
        record.environment,
        record.profile,
        record.created_by,
        record.idempotency_key,
    )
    return [defuse_cell("" if value is None else str(value)) for value in values]


async def export_csv(journal: AsyncJournal, query: HistoryQuery, path: Path, *, batch: int = 2000) -> int:
    """Write every payout matching ``query`` (in its order) to ``path``; the number of rows.

    The journal reads on its worker thread; rows are written here in batches, yielding to the
    event loop between batches so the window stays responsive during a large export.
    """
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, dialect="excel")
            writer.writerow(CSV_COLUMNS)
            async for record in journal.iter_matching(query, batch):
                writer.writerow(record_row(record))
                rows += 1
                if rows % batch == 0:
                    await asyncio.sleep(0)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return rows
