"""Schema creation, migrations with the pre-migration copy, version refusal, permissions, WAL."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from payout_desk.domain.status import FINAL_STATUSES
from payout_desk.journal import Journal, JournalError, SchemaTooNewError, schema
from payout_desk.journal.history import to_micros
from payout_desk.journal.models import HistoryQuery
from tests.unit.journal.helpers import confirm

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, so 0600 can only come from the journal itself."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_fresh_database_has_current_schema_and_settings(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path) as journal:
        conn = journal.conn
        assert schema.schema_version(conn) == schema.SCHEMA_VERSION == 4
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"payouts", "events", "payouts_fts", "events_no_update", "events_no_delete"} <= names
        assert journal.backup_path is None
    assert not list(tmp_path.glob("*.bak"))


def test_no_column_stores_floats(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        for table in ("payouts", "events"):
            types = {r[2] for r in journal.conn.execute(f"PRAGMA table_info({table})")}
            assert types <= {"INTEGER", "TEXT"}
        strict = journal.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'payouts'").fetchone()[0]
        assert strict.rstrip().endswith("STRICT")


def test_final_statuses_in_sql_match_domain() -> None:
    assert "(" + ", ".join(f"'{s}'" for s in sorted(FINAL_STATUSES)) + ")" == schema.FINAL_SQL


@posix_only
@pytest.mark.usefixtures("open_umask")
def test_creates_private_directory_and_files(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "journal.sqlite3"
    with Journal.open(path) as journal:
        confirm(journal, "k1")
        assert mode(path.parent) == 0o700
        for suffix in ("", "-wal", "-shm"):
            f = path.with_name(path.name + suffix)
            assert f.exists(), suffix
            assert mode(f) == 0o600, suffix


@posix_only
def test_tightens_existing_loose_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    os.chmod(path, 0o644)
    with Journal.open(path):
        assert mode(path) == 0o600


def test_empty_v0_file_is_initialised_without_backup(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.touch()
    with Journal.open(path) as journal:
        assert schema.schema_version(journal.conn) == schema.SCHEMA_VERSION
        assert journal.backup_path is None


def _build_v1(path: Path) -> None:
    """A version-1 journal, as the first release wrote it, with two payouts and their events."""
    conn = schema.connect(path)
    assert schema.apply_migrations(conn, upto=1) == 1
    marks = ", ".join("?" * len(schema.PAYOUT_COLUMNS))
    for i, (desc, status) in enumerate([("Refund order #777", "succeeded"), ("Bonus für Zoë", "confirmed")]):
        body = f'{{"amount":"5.00","currency":"EUR","description":"{desc}","type":"payout"}}'
        conn.execute(
            f"INSERT INTO payouts ({', '.join(schema.PAYOUT_COLUMNS)}) VALUES ({marks})",
            (
                1_600_000_000_000_000 + i,
                1_600_000_000_000_000 + i,
                status,
                "5.00",
                50_000,
                "EUR",
                desc,
                None,
                None,
                None,
                None,
                None,
                None,
                body,
                f"key-{i}",
                None,
                None,
                None,
                None,
                "live",
                "Main",
                "olduser",
            ),
        )
        conn.execute(
            "INSERT INTO events (local_id, at, kind, actor, detail) VALUES (?, 1, 'confirmed', 'olduser', '{}')",
            (i + 1,),
        )
    conn.close()


@posix_only
def test_migrates_v1_with_a_consistent_backup(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _build_v1(path)
    with Journal.open(path) as journal:
        assert schema.schema_version(journal.conn) == schema.SCHEMA_VERSION
        backup = journal.backup_path
        assert backup is not None
        assert backup.exists()
        assert backup.name.startswith("journal.sqlite3.v1-")
        assert backup.suffix == ".bak"
        assert mode(backup) == 0o600
        # the search index was built from the rows the old version wrote
        assert [r.description for r in journal.page(HistoryQuery(text="order #777"), 0, 10)] == ["Refund order #777"]
        assert journal.count(HistoryQuery(text="zoë")) == 1
        # unsent before v3: bound to no connection, so it waits for a person's re-bind (and may
        # have been sent: ambiguous)
        assert journal.unsent("sandbox|embedded|merchant:m|Sandbox") == []
        [waiting] = journal.waiting("sandbox|embedded|merchant:m|Sandbox")
        assert (waiting.connection_id, waiting.profile, waiting.count) == (None, "Main", 1)
        assert (journal.get(1).ambiguous, journal.get(2).ambiguous) == (0, 1)  # succeeded; confirmed
        assert len(journal.events(1)) == 1
    old = sqlite3.connect(backup)
    try:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT count(*) FROM payouts").fetchone()[0] == 2
        assert old.execute("SELECT count(*) FROM sqlite_master WHERE name = 'payouts_fts'").fetchone()[0] == 0
    finally:
        old.close()
    with Journal.open(path) as again:  # already current: no second copy
        assert again.backup_path is None
    assert len(list((tmp_path / "backups").glob("*.bak"))) == 1  # in the backups folder (journal/backup.py)


def test_refuses_a_newer_schema_and_leaves_it_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError) as info:
        Journal.open(path)
    assert info.value.found == 99
    assert info.value.supported == schema.SCHEMA_VERSION
    assert "newer" in str(info.value)
    assert "update" in str(info.value)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.bak"))


def test_refuses_a_foreign_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match="not a Payout Desk journal"):
        Journal.open(path)
    assert path.read_bytes() == before  # not even switched to WAL


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    broken = (
        *schema.MIGRATIONS,
        schema.Migration(
            schema.SCHEMA_VERSION + 1, "broken", "CREATE TABLE x (a INTEGER);\nSELECT nonsense FROM nowhere;"
        ),
    )
    with pytest.raises(sqlite3.OperationalError):
        schema.open_database(path, migrations=broken)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'x'").fetchone()[0] == 0
    conn.close()
    # the copy was taken before trying
    assert len(list((tmp_path / "backups").glob(f"*.v{schema.SCHEMA_VERSION}-*.bak"))) == 1


def test_scaled_amount_is_exact() -> None:
    assert schema.scaled_amount("10.00") == 100_000
    assert schema.scaled_amount("5") == 50_000
    assert schema.scaled_amount("1.500") == 15_000
    assert schema.scaled_amount("1000000000.0000") == 10_000_000_000_000
    with pytest.raises(ValueError):
        schema.scaled_amount("0.00001")


def test_micros_round_trip_is_exact() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from payout_desk.journal.history import from_micros

    moment = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert from_micros(to_micros(moment)) == moment
    assert from_micros(to_micros(moment)).tzinfo is UTC
    with pytest.raises(ValueError):
        to_micros(datetime(2020, 1, 1))
