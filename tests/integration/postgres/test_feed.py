"""The change feed: every event reaches a reader in id order, from any writer, through lost connections;
the wake-up is a LISTEN notification carrying only the new id. And the journal's own connection: lost,
refused — plain words, then it goes on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import psycopg
import pytest

from payout_desk.journal import JournalError, JournalEvent
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.feed import CHANNEL
from tests.fixtures.postgres import TeamDb
from tests.unit.journal.helpers import request


async def _collect(feed: AsyncIterator[list[JournalEvent]], into: list[JournalEvent], want: int) -> None:
    async for batch in feed:
        into.extend(batch)
        if len(into) >= want:
            return


async def test_a_reader_sees_every_event_in_order_from_other_writers(team_db: TeamDb) -> None:
    reader = await AsyncPgJournal.open(team_db.as_person("viewer_1", "viewer"))
    writer_info = team_db.as_person("prep_1", "preparer")
    seen: list[JournalEvent] = []
    feed = reader.changes(0)
    collecting = asyncio.ensure_future(_collect(feed, seen, 40))

    def write(offset: int) -> None:  # two writers at once, each on its own connection
        with psycopg.connect(writer_info, autocommit=True) as conn:
            for i in range(20):
                body = request().body_json()
                conn.execute("SELECT payout_desk.confirm_payout(%s, %s, 'sandbox', 'P')", (body, f"k{offset}-{i}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    await asyncio.to_thread(lambda: [t.join() for t in threads])
    await asyncio.wait_for(collecting, 20)
    await feed.aclose()
    assert [e.event_id for e in seen] == list(range(1, 41))
    assert {e.actor for e in seen} == {"prep_1"}
    assert {e.detail["idempotency_key"] for e in seen} == {f"k{o}-{i}" for o in (1, 2) for i in range(20)}
    await reader.close()


async def test_the_notification_carries_only_the_new_id(team_db: TeamDb) -> None:
    with psycopg.connect(team_db.admin, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with psycopg.connect(team_db.as_person("prep_2", "preparer"), autocommit=True) as conn:
            conn.execute("SELECT payout_desk.confirm_payout(%s, 'k-n', 'sandbox', 'P')", (request().body_json(),))
        (note,) = list(listener.notifies(timeout=10, stop_after=1))
    assert note.payload == "1"


async def test_the_feed_catches_up_after_its_connection_is_lost(team_db: TeamDb) -> None:
    reader = await AsyncPgJournal.open(team_db.as_person("viewer_2", "viewer"))
    writer = await AsyncPgJournal.open(team_db.as_person("prep_3", "preparer"))
    seen: list[JournalEvent] = []
    feed = reader.changes(0)
    await writer.record_confirmed(request(), idempotency_key="before", environment="sandbox", profile="P", actor="x")
    await asyncio.wait_for(_collect(feed, seen, 1), 20)
    with psycopg.connect(team_db.admin, autocommit=True) as admin:  # the server drops the listening session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
        await writer.record_confirmed(request(), idempotency_key="while", environment="sandbox", profile="P", actor="x")
    await asyncio.wait_for(_collect(feed, seen, 2), 20)
    await feed.aclose()
    assert [e.detail["idempotency_key"] for e in seen] == ["before", "while"]
    await reader.close()
    await writer.close()


async def test_a_lost_connection_is_a_plain_error_and_the_next_call_reconnects(team_db: TeamDb) -> None:
    journal = await AsyncPgJournal.open(team_db.as_person("prep_4", "preparer"))
    try:
        first = await journal.record_confirmed(
            request(), idempotency_key="a", environment="sandbox", profile="P", actor="x"
        )
        with psycopg.connect(team_db.admin, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'prep_4'")
        with pytest.raises(JournalError, match="Lost the connection to the team database"):
            await journal.get(first.local_id)
        assert (await journal.get(first.local_id)).idempotency_key == "a"  # a new connection
    finally:
        await journal.close()


async def test_a_login_without_an_app_role_gets_words_not_a_traceback(team_db: TeamDb) -> None:
    with psycopg.connect(team_db.admin, autocommit=True) as admin:
        admin.execute("CREATE ROLE outsider LOGIN")
    try:
        with pytest.raises(JournalError, match=r"login outsider has no Payout Desk role.*add-person"):
            await AsyncPgJournal.open(team_db.server.conninfo(team_db.name, user="outsider"))
    finally:
        with psycopg.connect(team_db.admin, autocommit=True) as admin:
            admin.execute("DROP ROLE outsider")
