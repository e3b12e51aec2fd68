"""Shared helpers for the history GUI tests (no tests here): a journal filled through the Journal API
once per session, copied per test, and a source wrapper that counts fetches."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.journal import AsyncJournal, HistoryQuery, Journal, PayoutRecord

START = datetime(2025, 1, 1, tzinfo=UTC)
ROWS = 2400
CURRENCIES = ("EUR", "JPY", "BHD")
AMOUNTS = {"EUR": "12.50", "JPY": "1500", "BHD": "1.500"}


def request(i: int, description: str | None = None) -> PayoutRequest:
    code = CURRENCIES[i % 3]
    draft = PayoutDraft(
        amount=AMOUNTS[code],
        currency=code,
        description=description if description is not None else f"Invoice {i:05d}",
        recipient_id=f"cust_{i % 97}",
        recipient_name=f"Recipient {i % 97}",
        external_id=f"ref-{i:05d}",
    )
    result = validate_draft(draft)
    assert isinstance(result, PayoutRequest), result
    return result


class Clock:
    """Twenty minutes per journal write, from START."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=20)
        return self.now


def fill(path: Path, rows: int = ROWS) -> None:
    """``rows`` payouts, statuses cycling confirmed/pending/succeeded/failed/rejected; every 500th
    description starts with ``=`` (formula injection bait)."""
    journal = Journal.open(path, clock=Clock())
    journal.conn.execute("PRAGMA synchronous=OFF")  # a throwaway test file: skip the fsyncs
    try:
        for i in range(rows):
            bait = f'=HYPERLINK("x") {i}' if i % 500 == 7 else None
            rec = journal.record_confirmed(
                request(i, bait), idempotency_key=f"key-{i}", environment="sandbox", profile="Sandbox", actor="alice"
            )
            kind = i % 5
            if kind == 0:
                continue
            if kind == 4:
                journal.record_rejected(rec.local_id, code="validation_error", message="Bad IBAN", actor="alice")
                continue
            journal.record_created(
                rec.local_id,
                payment_id=f"pay_{i:06d}",
                checkin_url=f"http://127.0.0.1:1/checkin/pay_{i:06d}",
                status="pending",
                actor="alice",
            )
            if kind == 2:
                journal.record_status(
                    rec.local_id, status="succeeded", failure_reason=None, source="poll", actor="poller"
                )
            elif kind == 3:
                journal.record_status(
                    rec.local_id, status="failed", failure_reason="account_closed", source="poll", actor="poller"
                )
    finally:
        journal.close()


_TEMPLATE: dict[int, Path] = {}


def template(base: Path, rows: int = ROWS) -> Path:
    """A filled journal file, built once per process per size."""
    if rows not in _TEMPLATE:
        path = base / f"template-{rows}.db"
        fill(path, rows)
        _TEMPLATE[rows] = path
    return _TEMPLATE[rows]


def copy_of(template_path: Path, target_dir: Path) -> Path:
    target = target_dir / "journal.db"
    shutil.copy(template_path, target)
    return target


@contextmanager
def opened_copy(base: Path, target_dir: Path, run_async: Callable[..., object]) -> Iterator[AsyncJournal]:
    """An AsyncJournal on a fresh copy of the filled template, closed on exit."""
    journal = run_async(AsyncJournal.open(copy_of(template(base), target_dir)))
    assert isinstance(journal, AsyncJournal)
    try:
        yield journal
    finally:
        run_async(journal.close())


@dataclass
class CountingSource:
    """Wraps a HistorySource, recording every call (query, offset, limit)."""

    inner: object
    counts: list[HistoryQuery] = field(default_factory=list)
    pages: list[tuple[HistoryQuery, int, int]] = field(default_factory=list)

    async def history_count(self, query: HistoryQuery) -> int:
        self.counts.append(query)
        return await self.inner.history_count(query)  # type: ignore[attr-defined,no-any-return]

    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        self.pages.append((query, offset, limit))
        return await self.inner.history_page(query, offset, limit)  # type: ignore[attr-defined,no-any-return]

    def reset(self) -> None:
        self.counts.clear()
        self.pages.clear()


def offsets(source: CountingSource) -> Iterator[int]:
    return (offset for _, offset, _ in source.pages)
