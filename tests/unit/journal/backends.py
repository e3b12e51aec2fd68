"""The journal's two backends for the contract tests: the SQLite ``Journal`` and the team ``PgJournal``
(PostgreSQL, started by the session fixture only when a test asks for it). Both have the same
synchronous methods; the coroutine facades over them share the ``PayoutJournal`` protocol.

On PostgreSQL the database records the login as the actor, whatever the caller passes: ``recorded``
says which actor a backend keeps for a given one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias

import pytest

from payout_desk.journal import AsyncJournal, Journal
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.store import PgJournal
from tests.unit.journal.helpers import ACTOR

AnyJournal: TypeAlias = Journal | PgJournal
AnyAsyncJournal: TypeAlias = AsyncJournal | AsyncPgJournal
BACKENDS = ("sqlite", "postgres")


class FakeClock:
    """Advances one second per reading (SQLite takes a clock; PostgreSQL uses the database's)."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Backend:
    """How to open (and reopen) one backend's journal, and what it records."""

    name: str
    opener: Callable[[], AnyJournal]
    target: Path | str  # the SQLite file or the PostgreSQL conninfo
    login: str | None = None  # PostgreSQL: the person the journal connects as
    opened: list[AnyJournal] | None = None

    def open(self) -> AnyJournal:
        """A journal on this backend's one database (the same data every time)."""
        journal = self.opener()
        if self.opened is None:
            self.opened = []
        self.opened.append(journal)
        return journal

    async def open_async(self) -> AnyAsyncJournal:
        """The coroutine facade services hold, on this backend's database."""
        if isinstance(self.target, Path):
            return await AsyncJournal.open(self.target, clock=FakeClock())
        return await AsyncPgJournal.open(self.target)

    def recorded(self, actor: str) -> str:
        """The actor this backend keeps when a caller passes ``actor``."""
        return self.login or actor

    def event_total(self, journal: AnyJournal) -> int:
        """Every event in the journal."""
        table = "events" if isinstance(journal, Journal) else "payout_desk.events"
        row = journal.conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[union-attr]
        assert row is not None
        return int(row[0])


def make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """The named backend; PostgreSQL gets a fresh migrated database and a preparer + agent login."""
    if name == "sqlite":
        path = tmp_path / "journal.sqlite3"
        clock = FakeClock()
        return Backend(name, lambda: Journal.open(path, clock=clock), path)
    team_db = request.getfixturevalue("team_db")
    conninfo = team_db.as_person(ACTOR, "preparer", "agent", "admin")  # admin: a resend decision (not_found)
    team_db.grant_unfenced_writes(ACTOR)
    return Backend(name, lambda: PgJournal.open(conninfo), conninfo, login=ACTOR)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn; every journal it opened is closed afterwards."""
    made = make_backend(request.param, request, tmp_path)
    yield made
    for journal in made.opened or []:
        journal.close()
