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
* Amounts are the exact wire text (``10.00``), never floats; times are ISO 8601 UTC to the second
  (``2026-12-06T02:34:09Z``). The checkin link and the failure reason's words (beside its code)
  come last; the column names stay as they are for scripts. A team desk's file has the approvals after them
  (who decided, when, approve or reject, the reason: ``journal.postgres.export``); a single desk has none, so
  its file is unchanged (no empty columns scripts would have to skip).
* Fast at a million rows: no PayoutRecord is built. The journal writes the lines (``write_export``):
  SQLite formats and defuses the cells and the journal's export quotes them (``journal.export.sql`` /
  ``export.render``), on two worker threads reading one consistent snapshot through their own
  connection (``journal.export.stream``); PostgreSQL streams ``COPY … TO STDOUT`` from one snapshot
  (``journal.postgres.export``). The event loop only awaits. The bytes are exactly those of ``csv.writer`` writing
  ``record_row(record)`` for every record of ``iter_matching`` (the reference;
  ``tests/unit/services/test_export_fast.py`` compares the two).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from payout_desk.domain.failures import failure_words
from payout_desk.journal import HistoryQuery, PayoutJournal, PayoutRecord
from payout_desk.journal.export.sql import EXPORT_COLUMNS, iso_utc_seconds

__all__ = ["CSV_COLUMNS", "FORMULA_PREFIXES", "defuse_cell", "export_csv", "record_row"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: A single desk's header, in column order (the journal's export cells); the team journal's adds its approvals
#: after them (``PayoutJournal.export_columns``).
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
        iso_utc_seconds(record.created_at),
        iso_utc_seconds(record.updated_at),
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
        record.checkin_url,
        failure_words(record.failure_reason),
    )
    return [defuse_cell("" if value is None else str(value)) for value in values]


def _header(columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel").writerow(columns)
    return buffer.getvalue().encode("utf-8-sig")  # with the BOM


def _finish(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


async def export_csv(journal: PayoutJournal, query: HistoryQuery, path: Path, *, batch: int = 2000) -> int:
    """Write every payout matching ``query`` (in its order, as one snapshot) to ``path``; the number of
    rows. Reading, writing and the final ``fsync`` run on worker threads, never on the event loop's.

    Cancelling the task stops the export within a batch and leaves no file behind.
    """
    loop = asyncio.get_running_loop()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    handle = os.fdopen(fd, "wb")
    syncing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-export-sync")  # not the loop's own
    try:
        handle.write(_header(journal.export_columns))
        rows = await journal.write_export(query, handle.write, defuse=FORMULA_PREFIXES, batch=batch)
        await loop.run_in_executor(syncing, _finish, handle)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            handle.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    finally:
        syncing.shutdown(wait=False)
    return rows
