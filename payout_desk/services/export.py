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
* Fast at a million rows: no PayoutRecord is built. The journal computes each row's CSV line in
  SQL (``Journal.iter_export_lines``: cells, defusing and ``csv`` quoting) and hands over batches
  of lines, read on its worker thread while the previous batch is written. The bytes are exactly
  those of ``csv.writer`` writing ``record_row(record)`` for every record of ``iter_matching``
  (the reference; ``tests/unit/services/test_export_fast.py`` compares the two).
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
from payout_desk.journal.export_rows import EXPORT_COLUMNS

__all__ = ["CSV_COLUMNS", "FORMULA_PREFIXES", "defuse_cell", "export_csv", "record_row"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: The header, in column order (the journal's export cells).
CSV_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS


def defuse_cell(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would treat it as a formula."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def record_row(record: PayoutRecord) -> list[str]:
    """One CSV row (defused text cells) for ``record``, in CSV_COLUMNS order: the reference the
    journal's SQL-built lines match (``export_csv`` no longer builds records)."""
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

    The journal builds the lines on its worker thread (the next batch while this one is written);
    they are written here a batch at a time, yielding to the event loop between batches so the
    window stays responsive during a large export.
    """
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, dialect="excel").writerow(CSV_COLUMNS)
            batches = journal.iter_export_lines(query, batch, defuse=FORMULA_PREFIXES)
            async with contextlib.aclosing(batches):  # on an error, the read ahead is finished and closed
                async for lines in batches:
                    lines.append("")  # the last line's terminator
                    handle.write("\r\n".join(lines))
                    rows += len(lines) - 1
                    await asyncio.sleep(0)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return rows
