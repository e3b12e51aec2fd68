"""The coroutine facades services hold, on both backends: every coroutine, the export's exact
bytes (what ``csv.writer`` writes for ``services.export.record_row`` of every record), cancelling an
export, closing. On PostgreSQL psycopg runs on the journal's one worker thread, never the event loop's."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from psycopg import sql

from payout_desk.domain.failures import failure_words
from payout_desk.journal import AttemptInfo, HistoryQuery, JournalError, PayoutRecord, SortKey
from payout_desk.journal.export.sql import iso_utc_seconds
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.export import TEAM_EXPORT_COLUMNS, _failure_words, _iso
from payout_desk.services.export import CSV_COLUMNS, FORMULA_PREFIXES, record_row
from tests.fixtures.postgres import TeamDb
from tests.unit.journal.backends import AnyAsyncJournal, Backend
from tests.unit.journal.helpers import ACTOR, CONNECTION, request

AWKWARD = [
    '=HYPERLINK("http://x")',
    "back\\slash \\n not a newline, vertical\x0btab, bell\x07",
    "+1 555",
    "-minus",
    "@at",
    "\ttab first",
    'comma, and "quotes"',
    "two\nlines",
    "Zoë pays €",
    None,
]


@pytest.fixture
async def journal(backend: Backend) -> AsyncIterator[AnyAsyncJournal]:
    opened = await backend.open_async()
    yield opened
    await opened.close()


METADATA = [
    {"ticket": "=1+1", "note": "Zoë"},
    None,
    {"é": "1", "z": "2", "Z": "3", "a b": 'say "hi"\n\t\\ \x01'},
    {"k": "v,w"},
]


async def _fill(journal: AnyAsyncJournal) -> None:
    for i, text in enumerate(AWKWARD):
        meta = METADATA[i % len(METADATA)]
        rec = await journal.record_confirmed(
            request(f"{i + 1}.50", description=text, external_id=None if i % 2 else f"=EXT-{i}", metadata=meta),
            idempotency_key=f"k-{i}",
            environment="sandbox",
            profile="P",
            actor=ACTOR,
        )
        if i % 2:
            await journal.record_created(
                rec.local_id, payment_id=f"pay_{i}", checkin_url=None, status="pending", actor=ACTOR
            )
        if i % 4 == 1:
            await journal.record_status(
                rec.local_id, status="failed", failure_reason="-expired", source="poll", actor=ACTOR
            )


async def _confirm(journal: AnyAsyncJournal, key: str, reference: str) -> PayoutRecord:
    req = request(external_id=reference)
    return await journal.record_confirmed(
        req, idempotency_key=key, environment="sandbox", profile="P", actor=ACTOR, connection_id=CONNECTION
    )


async def test_every_coroutine_of_the_interface(journal: AnyAsyncJournal, backend: Backend) -> None:
    first, second = [await _confirm(journal, key, f"ORD-{key}") for key in ("k1", "k2")]
    assert {first.created_by, second.created_by} == {backend.recorded(ACTOR)}
    a, b = first.local_id, second.local_id
    outcomes = [
        await journal.record_attempt(a, AttemptInfo(1, 201, None, 12.5), actor=ACTOR),
        (await journal.record_created(a, payment_id="pay_1", checkin_url=None, status="pending", actor=ACTOR)).status,
        await journal.record_status(a, status="pending", failure_reason=None, source="poll", actor=ACTOR),
        (await journal.record_outcome_unknown(b, message="timeout", actor=ACTOR)).status,
        [r.local_id for r in await journal.unsent(CONNECTION)],
        [r.local_id for r in await journal.to_poll(CONNECTION)],
        (await journal.record_rejected(b, code="validation_error", message="no", actor=ACTOR)).last_error,
        await journal.unsent(CONNECTION),
        await journal.count(HistoryQuery(statuses=frozenset({"pending"}))),
        [r.local_id for r in await journal.page(HistoryQuery(sort=SortKey.CREATED_AT, descending=False), 0, 1)],
        [r.local_id async for r in journal.iter_matching(HistoryQuery(), batch=1)],
        [e.kind for e in await journal.events(a)],
        (await journal.get(a)).payment_id,
    ]
    assert outcomes == [
        None,
        "pending",
        None,
        "outcome_unknown",
        [b],
        [a],
        "no",
        [],
        1,
        [a],
        [b, a],
        ["confirmed", "attempt", "created"],
        "pay_1",
    ]


@pytest.mark.parametrize(
    "query",
    [
        HistoryQuery(),
        HistoryQuery(sort=SortKey.DESCRIPTION, descending=False),
        HistoryQuery(text="Zoë"),
        HistoryQuery(statuses=frozenset({"pending"}), sort=SortKey.AMOUNT),
        HistoryQuery(statuses=frozenset()),
    ],
)
async def test_the_export_is_exactly_the_record_rows(
    journal: AnyAsyncJournal, backend: Backend, query: HistoryQuery
) -> None:
    await _fill(journal)
    team = backend.name == "postgres"
    assert journal.export_columns == (TEAM_EXPORT_COLUMNS if team else CSV_COLUMNS)
    approvals = ["0", "0", "", ""] if team else []  # the team's approvals: none needed, none given
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")
    async for record in journal.iter_matching(query):
        writer.writerow(record_row(record) + approvals)
    chunks: list[bytes] = []
    rows = await journal.write_export(query, chunks.append, defuse=FORMULA_PREFIXES, batch=2)
    assert b"".join(chunks) == buffer.getvalue().encode("utf-8")
    assert rows == await journal.count(query)
    assert all(len(chunk.splitlines()) >= 1 for chunk in chunks)


async def test_cancelling_an_export_stops_it_and_the_journal_goes_on(journal: AnyAsyncJournal) -> None:
    await _fill(journal)
    held, release = threading.Event(), threading.Event()
    written: list[bytes] = []

    def holding_sink(data: bytes) -> None:
        written.append(data)
        held.set()
        assert release.wait(30)

    task = asyncio.ensure_future(journal.write_export(HistoryQuery(), holding_sink, batch=2))
    assert await asyncio.to_thread(held.wait, 30)
    task.cancel()
    await asyncio.sleep(0)  # the cancellation reaches write_export while the sink is held
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert written  # (SQLite's writer may still empty its read-ahead queue: no bound on the count here)
    assert await journal.count(HistoryQuery()) == len(AWKWARD)


async def test_closed_journals_refuse_politely(journal: AnyAsyncJournal) -> None:
    await journal.close()
    await journal.close()
    with pytest.raises(JournalError, match="closed"):
        await journal.count(HistoryQuery())
    with pytest.raises(JournalError, match="closed"):
        await journal.write_export(HistoryQuery(), lambda _: None)


async def test_postgres_work_runs_on_the_journals_worker_thread(team_db: TeamDb) -> None:
    """(SQLite's: test_async.py.)"""
    journal = await AsyncPgJournal.open(team_db.as_person(ACTOR, "preparer", "agent"))
    try:
        inner = journal._journal
        threads: set[str] = set()
        real = inner.conn.execute

        def spying(*args: object, **kwargs: object) -> object:
            threads.add(threading.current_thread().name)
            return real(*args, **kwargs)  # type: ignore[arg-type]

        inner.conn.execute = spying  # type: ignore[method-assign]
        await journal.record_confirmed(request(), idempotency_key="t1", environment="sandbox", profile="P", actor=ACTOR)
        await journal.page(HistoryQuery(), 0, 5)
        assert len(threads) == 1
        (name,) = threads
        assert name.startswith("payout-journal-pg")
    finally:
        await journal.close()


def test_postgres_writes_times_as_the_desk_does(team_db: TeamDb) -> None:
    """(Payouts get the database's clock, which almost never lands on a whole second: checked here.)"""
    moments = [
        datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 12, 0, 0, 5, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 7, 1, 9, 30, 15, 120000, tzinfo=timezone(timedelta(hours=2))),
    ]
    statement = sql.SQL("SELECT {} FROM (SELECT %s::timestamptz AS created_at) p").format(sql.SQL(_iso("created_at")))
    with psycopg.connect(team_db.admin) as conn:
        written = [conn.execute(statement, (m,)).fetchone()[0] for m in moments]  # type: ignore[index]
    assert written == [iso_utc_seconds(m) for m in moments]


def test_postgres_writes_failure_words_as_the_desk_does(team_db: TeamDb) -> None:
    """The CSV's failure_reason_text: known codes (any case, padded) in words, unknown ones as they are."""
    codes = [None, "", "account_closed", "  Account_Closed\n", "expired", "-expired", "bad\x07code \u00a0", "Zoë"]
    statement = sql.SQL("SELECT {} FROM (SELECT %s::text AS failure_reason) p").format(_failure_words())
    with psycopg.connect(team_db.admin) as conn:
        written = [conn.execute(statement, (c,)).fetchone()[0] for c in codes]  # type: ignore[index]
    assert written == [failure_words(c) for c in codes]
    assert written[2].startswith("The recipient's bank account is closed.")
