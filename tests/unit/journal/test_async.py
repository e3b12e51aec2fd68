"""AsyncJournal: every call runs on one dedicated worker thread, never the event loop's."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from payout_desk.journal import AsyncJournal, AttemptInfo, HistoryQuery, Journal, JournalError
from tests.unit.journal.helpers import ACTOR, request


async def test_all_calls_run_on_one_non_main_thread(tmp_path: Path) -> None:
    journal = await AsyncJournal.open(tmp_path / "j.sqlite3")
    try:
        seen: set[int] = set()

        def where(j: Journal) -> int:
            return threading.get_ident()

        seen.add(await journal.run(where))
        rec = await journal.record_confirmed(
            request(), idempotency_key="k1", environment="sandbox", profile="Sandbox", actor=ACTOR, connection_id="c1"
        )
        await journal.record_attempt(rec.local_id, AttemptInfo(1, 201, None, 12.5), actor=ACTOR)
        created = await journal.record_created(
            rec.local_id, payment_id="pay_1", checkin_url=None, status="pending", actor=ACTOR
        )
        assert created.status == "pending"
        assert [r.local_id for r in await journal.to_poll("c1")] == [rec.local_id]
        assert await journal.to_poll("another connection") == []
        assert (
            await journal.record_status(rec.local_id, status="pending", failure_reason=None, source="poll", actor=ACTOR)
            is None
        )
        assert await journal.unsent("c1") == []
        assert await journal.count(HistoryQuery()) == 1
        assert [r.local_id for r in await journal.page(HistoryQuery(), 0, 10)] == [rec.local_id]
        assert [r.local_id async for r in journal.iter_matching(HistoryQuery(), batch=1)] == [rec.local_id]
        assert [e.kind for e in await journal.events(rec.local_id)] == ["confirmed", "attempt", "created"]
        assert (await journal.get(rec.local_id)).payment_id == "pay_1"
        other = await journal.record_confirmed(
            request(), idempotency_key="k2", environment="sandbox", profile="Sandbox", actor=ACTOR
        )
        await journal.record_outcome_unknown(other.local_id, message="timeout", actor=ACTOR)
        await journal.record_rejected(other.local_id, code="validation_error", message="no", actor=ACTOR)
        seen.add(await journal.run(where))
        (worker,) = seen
        assert worker != threading.get_ident()
        assert worker != threading.main_thread().ident
        # the connection belongs to the worker: touching it from here is refused by sqlite3 itself
        with pytest.raises(sqlite3.ProgrammingError):
            journal._journal.get(rec.local_id)
    finally:
        await journal.close()


async def test_close_stops_the_worker_and_is_idempotent(tmp_path: Path) -> None:
    journal = await AsyncJournal.open(tmp_path / "j.sqlite3")
    name = await journal.run(lambda j: threading.current_thread().name)
    assert name.startswith("payout-journal")
    await journal.close()
    await journal.close()
    assert not any(t.name == name and t.is_alive() for t in threading.enumerate())
    with pytest.raises(JournalError, match="closed"):
        await journal.count(HistoryQuery())


async def test_open_errors_propagate(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (a)")
    conn.close()
    with pytest.raises(JournalError):
        await AsyncJournal.open(path)


async def test_a_damaged_page_surfaces_as_a_journal_error_in_plain_words(tmp_path: Path) -> None:
    from payout_desk.journal.identity import JournalDamagedError
    from tests.unit.journal.helpers import CONNECTION, confirm, scribble_page

    path = tmp_path / "j.sqlite3"
    with Journal.open(path) as journal:
        for i in range(30):
            confirm(journal, f"key-{i}")
    scribble_page(path, "payouts")
    journal = await AsyncJournal.open(path)
    try:
        with pytest.raises(JournalDamagedError) as damaged:
            await journal.unsent(CONNECTION)  # where recover meets it first
        assert damaged.value.reason == "unreadable"
        assert "is damaged: part of it cannot be read" in str(damaged.value)
        assert isinstance(damaged.value.__cause__, sqlite3.DatabaseError)  # the technical detail, kept
    finally:
        await journal.close()
