"""export_csv (SQL-built lines) writes exactly the bytes of the record-based export, keeps its
file safety (BOM, 0600, temp file + rename) and leaves the journal usable when stopped early or
cancelled."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sqlite3
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.journal_fill import fill
from payout_desk.journal import AsyncJournal, HistoryQuery, Journal, JournalError, SortKey
from payout_desk.services.export import CSV_COLUMNS, FORMULA_PREFIXES, export_csv, record_row
from tests.unit.journal.test_export_rows import add_awkward_rows, insert_raw


def record_based_export(journal: Journal, query: HistoryQuery) -> bytes:
    """The previous export, cell by cell from PayoutRecords: the reference bytes."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow(CSV_COLUMNS)
    for record in journal.iter_matching(query, batch=2000):
        writer.writerow(record_row(record))
    return buffer.getvalue().encode("utf-8-sig")


@pytest.fixture(scope="module")
def journal_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export-fast") / "journal.sqlite3"
    fill(path, 4000, seed=3)
    with Journal.open(path) as journal:
        add_awkward_rows(journal)
    return path


@pytest.mark.parametrize(
    "query",
    [
        HistoryQuery(),
        HistoryQuery(sort=SortKey.AMOUNT, descending=False),
        HistoryQuery(sort=SortKey.RECIPIENT),
        HistoryQuery(sort=SortKey.UPDATED_AT, descending=False),
        HistoryQuery(text="refund"),
        HistoryQuery(text="Zoë", sort=SortKey.RECIPIENT, descending=False),
        HistoryQuery(statuses=frozenset({"failed"}), sort=SortKey.DESCRIPTION),
        HistoryQuery(text="nothing-matches-this"),
    ],
    ids=repr,
)
async def test_export_bytes_match_the_record_based_export(
    journal_path: Path, tmp_path: Path, query: HistoryQuery
) -> None:
    journal = await AsyncJournal.open(journal_path)
    try:
        want = await journal.run(lambda j: record_based_export(j, query))
        expected_rows = await journal.count(query)
        (tmp_path / "out").mkdir()
        target = tmp_path / "out" / "history.csv"
        assert await export_csv(journal, query, target, batch=333) == expected_rows
    finally:
        await journal.close()
    assert target.read_bytes() == want
    assert want.startswith(b"\xef\xbb\xbflocal_id,created_at,")
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["history.csv"]  # no temp file left


async def test_stopping_early_leaves_the_journal_usable(journal_path: Path) -> None:
    journal = await AsyncJournal.open(journal_path)
    try:
        query = HistoryQuery(sort=SortKey.AMOUNT)
        seen = 0
        async for lines in journal.iter_export_lines(query, 100, defuse=FORMULA_PREFIXES):
            seen += len(lines)
            assert await journal.count(query) > seen  # other calls run between batches
            if seen >= 300:
                break
        assert seen == 300
        lines_all = [line async for batch in journal.iter_export_lines(query, 1000) for line in batch]
        assert len(lines_all) == await journal.count(query)
    finally:
        await journal.close()


async def test_a_failed_export_leaves_no_file(journal_path: Path, tmp_path: Path) -> None:
    journal = await AsyncJournal.open(journal_path)
    try:
        await journal.close()
        (tmp_path / "out").mkdir()
        with pytest.raises(JournalError, match="closed"):
            await export_csv(journal, HistoryQuery(), tmp_path / "out" / "history.csv")
    finally:
        await journal.close()
    assert list((tmp_path / "out").iterdir()) == []


async def test_an_export_failing_midway_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal.open(path) as journal:
        for i in range(50):
            insert_raw(journal, i + 1, 1_000_000 * (i + 1), 1_000_000 * (i + 1), "1.00")
        insert_raw(journal, 51, 1, 1, "1.00", metadata="not json")  # the oldest: exported last
    journal_async = await AsyncJournal.open(path)
    (tmp_path / "out").mkdir()
    try:
        with pytest.raises(sqlite3.Error):
            await export_csv(journal_async, HistoryQuery(), tmp_path / "out" / "history.csv", batch=10)
        assert await journal_async.count(HistoryQuery()) == 51  # still usable
    finally:
        await journal_async.close()
    assert list((tmp_path / "out").iterdir()) == []


async def test_cancelling_the_export_leaves_no_file(
    journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task is cancelled mid-way (the writer thread held after its first batch): no file, no
    temporary file, and the journal goes on working."""
    from payout_desk.journal import async_journal as service  # where the SQLite journal's export starts

    held, release = threading.Event(), threading.Event()
    real = service.export_rows

    async def held_export(path: Path, query: HistoryQuery, sink: Callable[[bytes], object], **kw: Any) -> int:
        def holding_sink(data: bytes) -> None:
            sink(data)
            held.set()
            assert release.wait(30)

        return await real(path, query, holding_sink, **kw)

    monkeypatch.setattr(service, "export_rows", held_export)
    journal = await AsyncJournal.open(journal_path)
    (tmp_path / "out").mkdir()
    try:
        task = asyncio.ensure_future(export_csv(journal, HistoryQuery(), tmp_path / "out" / "history.csv", batch=100))
        assert await asyncio.to_thread(held.wait, 30)
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await journal.count(HistoryQuery()) > 100
    finally:
        await journal.close()
    assert list((tmp_path / "out").iterdir()) == []
