"""The team schema: numbered migrations applied once, in order, under an advisory lock; a desk or agent
refuses a database whose version it does not know, with words that say what to do."""

from __future__ import annotations

import threading

import psycopg
import pytest

from payout_desk.journal import JournalError, SchemaTooNewError
from payout_desk.journal.postgres.migrate import migrate, migrations, supported_version
from payout_desk.journal.postgres.store import PgJournal
from tests.fixtures.postgres import TeamDb


def test_migrations_are_numbered_without_gaps_and_ship_as_package_data() -> None:
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert supported_version() == len(found) >= 3
    assert all(any(verb in m.sql for verb in ("CREATE", "GRANT", "ALTER")) for m in found)


def test_migrate_twice_changes_nothing_the_second_time(pg_empty_db: str) -> None:
    assert migrate(pg_empty_db) == (0, supported_version())
    assert migrate(pg_empty_db) == (supported_version(), supported_version())
    with psycopg.connect(pg_empty_db) as conn:
        rows = conn.execute("SELECT version, applied_by FROM payout_desk.schema_migrations ORDER BY version")
        assert rows.fetchall() == [(v, "postgres") for v in range(1, supported_version() + 1)]


def test_concurrent_migrations_wait_for_each_other(pg_empty_db: str) -> None:
    results: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            results.append(migrate(pg_empty_db))
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(after for _, after in results) == [supported_version()] * 3
    with psycopg.connect(pg_empty_db) as conn:
        assert conn.execute("SELECT count(*) FROM payout_desk.schema_migrations").fetchone() == (supported_version(),)


def test_a_newer_schema_is_refused_in_plain_words(team_db: TeamDb) -> None:
    with psycopg.connect(team_db.admin) as conn:
        conn.execute("INSERT INTO payout_desk.schema_migrations (version, description) VALUES (99, 'future')")
    person = team_db.as_person("newer_viewer", "viewer")
    with pytest.raises(SchemaTooNewError, match=r"schema version 99.*up to version") as caught:
        PgJournal.open(person)
    assert "Update Payout Desk" in str(caught.value)
    with pytest.raises(SchemaTooNewError):
        migrate(team_db.admin)  # nor does an older admin command touch it


def test_a_database_without_the_schema_is_refused_in_plain_words(pg_empty_db: str) -> None:
    with pytest.raises(JournalError, match=r"no Payout Desk team journal.*payout-desk-admin"):
        PgJournal.open(pg_empty_db)


def test_an_older_schema_asks_for_migrate(pg_empty_db: str) -> None:
    with psycopg.connect(pg_empty_db, autocommit=True) as conn:
        conn.execute(migrations()[0].sql.encode())
        conn.execute("INSERT INTO payout_desk.schema_migrations (version, description) VALUES (1, 'tables')")
    with pytest.raises(JournalError, match=r"schema version 1.*needs version .*migrate"):
        PgJournal.open(pg_empty_db)
    assert migrate(pg_empty_db) == (1, supported_version())
    with pytest.raises(JournalError, match="superuser is not a person of the team"):  # the version is fine now
        PgJournal.open(pg_empty_db)  # (only a person opens a journal, audit F9)


def test_an_unreachable_server_is_a_plain_journal_error(tmp_path: object) -> None:
    with pytest.raises(JournalError, match="Could not connect to the team database"):
        PgJournal.open(f"host={tmp_path} dbname=nowhere connect_timeout=2")
