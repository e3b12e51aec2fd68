"""Team feed latency (issue 20): one desk's commit (a payout confirmed by ``pia`` through ``confirm_payout``) →
another desk's change (a :class:`TeamDesk` listener told of that payout), p50/p99 over ``ROUNDS``; then the same
with ``LISTENERS`` desks listening at once in this process (each its own FeedListener, journal and TeamDesk).
A throwaway PostgreSQL cluster. In ``make bench`` as ``team-feed``; alone: ``python -m benchmarks.team_feed``."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import psycopg

from benchmarks.harness import Figure, Options
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.migrate import migrate
from payout_desk.journal.postgres.people import add_person
from payout_desk.journal.postgres.store import PgJournal
from payout_desk.services.team import team_identity
from payout_desk.services.team_desk import TeamDesk
from tests.fixtures.postgres import running_server
from tests.unit.journal.helpers import request

ROUNDS = 200
LISTENERS = 20
PROVIDER = "http://127.0.0.1:9"


ARRIVED: list[asyncio.Event] = []  # this run's event, set by every listener (one loop thread: no race)


def _seen(seen: dict[int, float], local_id: int) -> None:
    seen.setdefault(local_id, time.perf_counter())
    ARRIVED[-1].set()


async def _desks(conninfo: str, count: int) -> list[tuple[TeamDesk, dict[int, float]]]:
    identity = team_identity(PROVIDER)
    made = []
    for _ in range(count):
        journal = await AsyncPgJournal.open(conninfo)
        desk = TeamDesk(journal, identity, login="bob", roles=frozenset({"payout_desk_viewer"}), database="bench")
        seen: dict[int, float] = {}
        desk.subscribe(lambda change, seen=seen: _seen(seen, change.record.local_id))
        await desk.start()
        made.append((desk, seen))
    return made


async def _measure(writer: PgJournal, conninfo: str, listeners: int, start: int) -> list[float]:
    ARRIVED.append(asyncio.Event())
    arrived = ARRIVED[-1]
    desks = await _desks(conninfo, listeners)
    await asyncio.sleep(0.5)  # the listeners' LISTEN in place (benchmark setup, not the app)
    identity = team_identity(PROVIDER)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    for n in range(start, start + ROUNDS):
        before = time.perf_counter()
        record = await loop.run_in_executor(
            None,
            lambda n=n: writer.record_confirmed(
                request(amount=f"{n}.00", external_id=f"B-{n}"),
                idempotency_key=f"00000000-0000-4000-8000-{n:012d}",
                environment=identity.environment,
                profile=identity.profile,
                actor="pia",
                connection_id=identity.key,
            ),
        )
        while True:
            arrived.clear()
            if all(record.local_id in seen for _, seen in desks):
                break
            await arrived.wait()
        latencies.extend(seen[record.local_id] - before for _, seen in desks)
    for desk, _ in desks:
        await desk.stop()
        await desk._journal.close()
    return latencies


def _figures(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"{name}: p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms (n={len(ordered)})"


NAME = "team-feed"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] * 1000


def _latencies() -> tuple[list[float], list[float]]:
    with running_server() as server:
        admin = server.conninfo()
        migrate(admin)
        with psycopg.connect(admin, autocommit=True) as conn:
            add_person(conn, "pia", "preparer")
            add_person(conn, "bob", "viewer")
            conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (PROVIDER,))
        writer = PgJournal.open(server.conninfo(user="pia"))
        reader = server.conninfo(user="bob")
        try:
            one: Any = asyncio.run(_measure(writer, reader, 1, 1))
            many: Any = asyncio.run(_measure(writer, reader, LISTENERS, 1 + ROUNDS))
        finally:
            writer.close()
    return one, many


def run(opts: Options) -> list[Figure]:
    """``make bench``: the feed latency with 1 and with 20 listening desks (p50, p99; target p99 <= 250 ms)."""
    del opts  # ROUNDS is small enough for --quick too
    one, many = _latencies()
    label = "feed latency: a desk's commit → another desk told"
    return [
        Figure(NAME, f"{label}, 1 desk, p50", _percentile(one, 0.5), "ms", runs=len(one)),
        Figure(NAME, f"{label}, 1 desk, p99", _percentile(one, 0.99), "ms", runs=len(one), target_max=250.0),
        Figure(NAME, f"{label}, {LISTENERS} desks, p50", _percentile(many, 0.5), "ms", runs=len(many)),
        Figure(
            NAME, f"{label}, {LISTENERS} desks, p99", _percentile(many, 0.99), "ms", runs=len(many), target_max=250.0
        ),
    ]


def main() -> None:
    with running_server() as server:
        admin = server.conninfo()
        migrate(admin)
        with psycopg.connect(admin, autocommit=True) as conn:
            add_person(conn, "pia", "preparer")
            add_person(conn, "bob", "viewer")
            conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (PROVIDER,))
        writer = PgJournal.open(server.conninfo(user="pia"))
        reader = server.conninfo(user="bob")
        try:
            one: Any = asyncio.run(_measure(writer, reader, 1, 1))
            print(_figures("feed latency, 1 listening desk (target p99 <= 250 ms)", one))
            many: Any = asyncio.run(_measure(writer, reader, LISTENERS, 1 + ROUNDS))
            print(_figures(f"feed latency, {LISTENERS} listening desks", many))
        finally:
            writer.close()


if __name__ == "__main__":
    main()
