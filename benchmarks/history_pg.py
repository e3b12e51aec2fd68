"""History at N payouts on the team journal (PostgreSQL): the same questions and targets as ``history``,
answered by ``PgJournal`` as a viewer over a unix socket, measured until the rows are read (the team desk's
panel is part 3 of team mode; the SQLite figures' "data" medians are the comparable ones).

A throwaway server (``initdb``/``pg_ctl``, as the tests start it; ``make test``'s bootstrap installs it) gets
the cached generated journal's payouts by COPY. Each figure reads through a fresh journal object, so no
count or keyset position is reused from an earlier run.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg

from benchmarks.harness import Figure, Options, median
from benchmarks.history_child import SEARCH_TERMS
from benchmarks.journals import cached_journal
from benchmarks.pg_load import copy_payouts
from payout_desk.journal import HistoryQuery, SortKey
from payout_desk.journal.postgres.export import copy_export
from payout_desk.journal.postgres.migrate import migrate
from payout_desk.journal.postgres.people import add_person
from payout_desk.journal.postgres.store import PgJournal
from tests.fixtures.postgres import postgres_bin, running_server

NAME = "history-pg"
#: Sized as a team's database server would be (the default 128 MB of shared buffers is a laptop's):
#: the payouts table's pages stay in PostgreSQL's own cache instead of being copied from the OS's.
SERVER_SETTINGS = {"shared_buffers": "1GB", "work_mem": "16MB"}
STATUSES = ("failed", "pending", "rejected", "succeeded")


def _timed(conninfo: str, work: Callable[[PgJournal], Any]) -> float:
    journal = PgJournal.open(conninfo)
    try:
        began = time.perf_counter()
        work(journal)
        return (time.perf_counter() - began) * 1000
    finally:
        journal.close()


class _Bytes:
    """An export sink that only counts."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, data: bytes) -> None:
        self.total += len(data)


def _jump(journal: PgJournal) -> None:
    total = journal.count(HistoryQuery())
    assert len(journal.page(HistoryQuery(), total - 50, 50)) == 50


def run(opts: Options) -> list[Figure]:
    label = f"{opts.rows:,} payouts"
    if postgres_bin() is None:
        print("history-pg: PostgreSQL is not installed (bash scripts/bootstrap.sh --with-postgres)", file=sys.stderr)
        return [Figure(NAME, f"history on PostgreSQL ({label})", None, "ms", note="PostgreSQL not installed")]
    big = cached_journal(opts.rows)
    with running_server(SERVER_SETTINGS) as server:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        admin = server.conninfo("bench")
        migrate(admin)
        began = time.perf_counter()
        source = sqlite3.connect(f"file:{big}?mode=ro", uri=True)
        try:
            copied = copy_payouts(source, admin)
        finally:
            source.close()
        load_s = time.perf_counter() - began
        with psycopg.connect(admin, autocommit=True) as conn:
            add_person(conn, "bench_viewer", "viewer")
        viewer = server.conninfo("bench", user="bench_viewer")

        def first_page(query: HistoryQuery) -> Callable[[PgJournal], Any]:
            return lambda journal: journal.page(query, 0, 50)

        plan: list[tuple[str, float, str, list[Callable[[PgJournal], Any]]]] = [
            (
                "first page after a text search",
                100.0,
                "terms " + ", ".join(SEARCH_TERMS),
                [first_page(HistoryQuery(text=term)) for term in SEARCH_TERMS],
            ),
            (
                "first page after a status filter",
                50.0,
                "statuses " + ", ".join(STATUSES),
                [first_page(HistoryQuery(statuses=frozenset({s}))) for s in STATUSES],
            ),
            (
                "first page after a sort by amount",
                200.0,
                "descending and ascending",
                [first_page(HistoryQuery(sort=SortKey.AMOUNT, descending=d)) for d in (True, False)],
            ),
            ("jump to the last row", 50.0, "count + the last 50 rows (read from the other end)", [_jump]),
            (
                "text search count",
                0.0,
                "informational: count(*) of each term's matches",
                [lambda j, t=term: j.count(HistoryQuery(text=t)) for term in SEARCH_TERMS],
            ),
        ]
        figures: list[Figure] = []
        for name, target, note, works in plan:
            samples = [_timed(viewer, work) for _ in range(opts.runs) for work in works]
            figures.append(
                Figure(
                    NAME,
                    f"{name} ({label})",
                    median(samples),
                    "ms",
                    runs=len(samples),
                    target_max=target or None,
                    note=note,
                    samples=samples,
                )
            )
        seconds: list[float] = []
        size = 0
        for _ in range(1 if opts.quick else 3):
            sink = _Bytes()
            began = time.perf_counter()
            rows = copy_export(viewer, HistoryQuery(), sink, defuse=("=", "+", "-", "@"))
            seconds.append(time.perf_counter() - began)
            size = sink.total
            assert rows == copied
        figures.append(
            Figure(
                NAME,
                f"CSV export of all rows ({label})",
                median(seconds),
                "s",
                runs=len(seconds),
                target_max=10.0,
                note=f"COPY TO STDOUT, {rows:,} rows, {size / 1e6:.0f} MB CSV",
                samples=seconds,
            )
        )
        figures.append(
            Figure(
                NAME,
                f"load by COPY + index build ({label})",
                load_s,
                "s",
                runs=1,
                note="informational: the benchmark's own set-up",
            )
        )
    return figures
