"""The streamed export (``export_stream.export_rows``): byte for byte the record-based rows for every
query, plan and batch size; one snapshot however the journal changes meanwhile; off the event loop;
stopped cleanly by a cancellation or an error on either thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.journal_fill import fill
from payout_desk.journal import HistoryQuery, Journal, SortKey, history
from payout_desk.journal.export.stream import export_rows
from payout_desk.services.export import FORMULA_PREFIXES
from tests.unit.journal.helpers import ACTOR, confirm, request
from tests.unit.journal.test_export_rows import QUERIES, add_awkward_rows, insert_raw, reference_body


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    path: Path = tmp_path_factory.mktemp("stream") / "journal.sqlite3"
    fill(path, 2500, seed=11)
    opened = Journal.open(path)
    add_awkward_rows(opened)
    yield opened
    opened.close()


class Sink:
    """Collects the batches (from the writer thread); can hold a batch until released."""

    def __init__(self, hold_at: int | None = None, fail_at: int | None = None) -> None:
        self.parts: list[bytes] = []
        self.threads: set[int] = set()
        self.held = threading.Event()
        self.release = threading.Event()
        self._hold_at, self._fail_at = hold_at, fail_at

    def __call__(self, data: bytes) -> None:
        self.threads.add(threading.get_ident())
        if len(self.parts) == self._fail_at:
            raise OSError("disk full")
        self.parts.append(data)
        if len(self.parts) == self._hold_at:
            self.held.set()
            assert self.release.wait(30)

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


async def stream(journal: Journal, query: HistoryQuery, batch: int) -> bytes:
    sink = Sink()
    rows = await export_rows(journal.path, query, sink, defuse=FORMULA_PREFIXES, batch=batch)
    assert rows == journal.count(query)
    assert all(part.count(b"\r\n") > 0 for part in sink.parts)
    return sink.body


@pytest.mark.parametrize("plan", ["sorted-once", "index-walk"])
@pytest.mark.parametrize("query", QUERIES, ids=repr)
async def test_rows_match_the_record_based_rows(
    journal: Journal, query: HistoryQuery, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "SMALL", 0 if plan == "index-walk" else 50_000)
    want = reference_body(journal, query).encode("utf-8")
    assert await stream(journal, query, batch=97) == want
    assert await stream(journal, query, batch=5000) == want


@pytest.mark.parametrize("batch", [1, 2, 3])
async def test_tiny_batches_keep_order(journal: Journal, batch: int) -> None:
    query = HistoryQuery(created_from=datetime(2023, 12, 1, tzinfo=UTC), sort=SortKey.AMOUNT, descending=False)
    assert journal.count(query) > 5
    assert await stream(journal, query, batch) == reference_body(journal, query).encode("utf-8")


async def test_an_empty_result_writes_nothing(journal: Journal) -> None:
    assert await stream(journal, HistoryQuery(text="no-such-text-anywhere"), 10) == b""
    assert await stream(journal, HistoryQuery(statuses=frozenset()), 10) == b""


async def test_the_export_is_one_snapshot(tmp_path: Path) -> None:
    """Writes made while the export runs (new payouts, changed ones) are not in it, in any batch."""
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        ids = [confirm(journal, f"k{i}", request(description=f"payout {i}", external_id=f"R{i}")).local_id
               for i in range(40)]  # fmt: skip
        query = HistoryQuery(sort=SortKey.CREATED_AT, descending=False)
        before = reference_body(journal, query).encode("utf-8")
        sink = Sink(hold_at=1)
        task = asyncio.ensure_future(export_rows(journal.path, query, sink, defuse=FORMULA_PREFIXES, batch=5))
        assert await asyncio.to_thread(sink.held.wait, 30)
        for local_id in ids:  # every row, the unread ones included
            journal.record_status(local_id, status="failed", failure_reason="=changed", source="poll", actor=ACTOR)
        confirm(journal, "late", request(description="written during the export"))
        sink.release.set()
        assert await task == 40
        assert sink.body == before
        assert reference_body(journal, query).encode("utf-8") != before  # the journal did change


async def test_the_work_runs_off_the_event_loop_thread(journal: Journal) -> None:
    sink = Sink()
    await export_rows(journal.path, HistoryQuery(), sink, batch=500)
    assert sink.threads
    assert threading.get_ident() not in sink.threads


async def test_cancelling_stops_both_threads_and_ends_the_snapshot(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        for i in range(30):
            confirm(journal, f"k{i}")
        sink = Sink(hold_at=1)
        task = asyncio.ensure_future(export_rows(journal.path, HistoryQuery(), sink, batch=2))
        assert await asyncio.to_thread(sink.held.wait, 30)
        task.cancel()
        sink.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        written = len(sink.parts)
        assert written < 15  # stopped within a batch or two of the cancellation
        # both threads have returned, and no reader holds an old snapshot: the WAL can be reset
        assert len(sink.parts) == written
        confirm(journal, "after")
        busy, _, _ = journal.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0


@pytest.mark.parametrize(
    ("fail", "error"),
    [("sink", OSError), ("sql", sqlite3.Error)],
)
async def test_an_error_on_either_thread_is_raised_as_is(tmp_path: Path, fail: str, error: type[Exception]) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        for i in range(50):
            insert_raw(journal, i + 1, 1_000_000 * (i + 1), 1_000_000 * (i + 1), "1.00")
        if fail == "sql":
            insert_raw(journal, 51, 1, 1, "1.00", metadata="not json")  # the oldest: read last
        sink = Sink(fail_at=2 if fail == "sink" else None)
        with pytest.raises(error):
            await export_rows(journal.path, HistoryQuery(), sink, batch=10)
        assert journal.count(HistoryQuery()) == 50 + (fail == "sql")


async def test_a_bad_batch_size_is_refused(journal: Journal) -> None:
    with pytest.raises(ValueError, match="positive"):
        await export_rows(journal.path, HistoryQuery(), Sink(), batch=0)


async def test_cancelling_while_the_snapshot_opens_waits_for_it_then_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from payout_desk.journal.export import stream as export_stream

    entered, release = threading.Event(), threading.Event()
    real_open = export_stream._Export.open

    def slow_open(self: export_stream._Export) -> None:
        entered.set()
        assert release.wait(30)
        real_open(self)

    monkeypatch.setattr(export_stream._Export, "open", slow_open)
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        confirm(journal, "k1")
        sink = Sink()
        task = asyncio.ensure_future(export_rows(journal.path, HistoryQuery(), sink))
        assert await asyncio.to_thread(entered.wait, 30)
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sink.parts == []
        confirm(journal, "k2")
        assert journal.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
