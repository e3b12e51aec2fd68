"""Automatic backups (online backup API, daily, before migrations, the last N within a disk cap, owner
only) and a restore that verifies the backup first and keeps the damaged journal aside."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from payout_desk.journal import Journal, JournalInUseError
from payout_desk.journal.backup import (
    backup_folder,
    daily_backup_if_due,
    list_backups,
    make_backup,
    newest_good_backup,
    prune,
    quick_check,
    restore_backup,
    start_new_journal,
    verify_backup,
)
from payout_desk.journal.identity import JournalError, JournalRegistry, check_journal, read_facts
from tests.unit.journal.helpers import CONNECTION, confirm, scribble_page

DAY0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "journal.sqlite3"
    with Journal.open(path) as journal:
        confirm(journal, "key-1")
        confirm(journal, "key-2")
    return path


def test_a_backup_of_an_open_journal_is_consistent_owner_only_and_verified(journal_path: Path) -> None:
    with Journal.open(journal_path) as journal:  # open and written to meanwhile: the backup API copes
        confirm(journal, "key-3")
        made = make_backup(journal_path, now=DAY0)
        confirm(journal, "key-4")
    assert made.parent == backup_folder(journal_path)
    assert _mode(made.parent) == 0o700
    assert _mode(made) == 0o600
    check = verify_backup(made)
    assert check.ok
    assert check.facts is not None
    assert check.facts.records == 3  # the snapshot at the time of the backup
    assert [b.path for b in list_backups(journal_path)] == [made]
    assert not list(made.parent.glob(".*partial"))


def test_daily_backups_once_a_day_and_pruned_to_the_last_n_within_the_cap(journal_path: Path) -> None:
    made = [daily_backup_if_due(journal_path, now=DAY0 + timedelta(days=d), keep=3) for d in range(5)]
    assert all(m is not None for m in made)
    assert daily_backup_if_due(journal_path, now=DAY0 + timedelta(days=4, hours=23), keep=3) is None
    kept = list_backups(journal_path)
    assert [b.created for b in kept] == [DAY0 + timedelta(days=d) for d in (4, 3, 2)]
    size = kept[0].size
    removed = prune(journal_path, keep=10, cap_bytes=size * 2 + size // 2)
    assert len(removed) == 1
    assert len(list_backups(journal_path)) == 2
    prune(journal_path, keep=10, cap_bytes=1)  # the newest is always kept, whatever the cap
    assert [b.created for b in list_backups(journal_path)] == [DAY0 + timedelta(days=4)]


def test_the_pre_migration_copy_lands_in_the_backups_folder(tmp_path: Path) -> None:
    from payout_desk.journal import schema

    path = tmp_path / "journal.sqlite3"
    conn = schema.connect(path)
    schema.apply_migrations(conn, upto=1)
    conn.close()
    with Journal.open(path) as journal:
        assert journal.backup_path is not None
        assert journal.backup_path.parent == backup_folder(path)
    listed = list_backups(path)
    assert [(b.kind, b.label) for b in listed] == [("migration", "Before an upgrade")]


def test_verify_refuses_a_damaged_or_foreign_backup(journal_path: Path, tmp_path: Path) -> None:
    made = make_backup(journal_path, now=DAY0)
    damaged = made.with_name(made.name.replace("T09", "T08"))
    damaged.write_bytes(made.read_bytes())
    scribble_page(damaged, "payouts")
    assert not verify_backup(damaged).ok
    foreign = tmp_path / "other.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    assert verify_backup(foreign).problem == "This file is not a Payout Desk journal."
    garbage = tmp_path / "garbage.bak"
    garbage.write_bytes(b"nothing" * 100)
    assert "cannot be read" in verify_backup(garbage).problem
    newest = newest_good_backup(journal_path)
    assert newest is not None
    assert newest[0].path == made  # the damaged one is newer-named but skipped


def test_restore_swaps_a_verified_backup_in_and_keeps_the_damaged_file_aside(
    journal_path: Path, tmp_path: Path
) -> None:
    registry = JournalRegistry(tmp_path / "journals.json")
    registry.remember(journal_path, read_facts(journal_path))
    made = make_backup(journal_path, now=DAY0)
    os.truncate(journal_path, 0)
    with pytest.raises(JournalError):
        check_journal(journal_path, registry)
    aside = restore_backup(made, journal_path, registry)
    assert aside is not None
    assert aside.exists()
    assert aside.stat().st_size == 0  # the damaged file, kept as it was
    assert _mode(journal_path) == 0o600
    assert check_journal(journal_path, registry) is not None  # accepted again
    with Journal.open(journal_path) as journal:
        assert [r.idempotency_key for r in journal.unsent(CONNECTION)] == ["key-1", "key-2"]
    assert made.exists()  # the backup itself stays


def test_restore_refuses_a_bad_backup_and_a_journal_open_elsewhere(journal_path: Path, tmp_path: Path) -> None:
    registry = JournalRegistry(tmp_path / "journals.json")
    bad = tmp_path / "bad.bak"
    bad.write_bytes(b"x" * 5000)
    before = journal_path.read_bytes()
    with pytest.raises(JournalError, match="cannot be read"):
        restore_backup(bad, journal_path, registry)
    assert journal_path.read_bytes() == before
    made = make_backup(journal_path, now=DAY0)
    with Journal.open(journal_path), pytest.raises(JournalInUseError):
        restore_backup(made, journal_path, registry)
    assert journal_path.read_bytes() == before


def test_start_new_journal_keeps_the_old_file_aside_and_forgets_it(journal_path: Path, tmp_path: Path) -> None:
    registry = JournalRegistry(tmp_path / "journals.json")
    registry.remember(journal_path, read_facts(journal_path))
    journal_path.unlink()
    journal_path.write_bytes(b"\x00" * 10)
    aside = start_new_journal(journal_path, registry)
    assert aside is not None
    assert aside.read_bytes() == b"\x00" * 10
    assert check_journal(journal_path, registry) is None
    with Journal.open(journal_path) as journal:
        assert journal.unsent(CONNECTION) == []


def test_quick_check_finds_damage_on_an_open_journal(journal_path: Path) -> None:
    assert quick_check(journal_path) == []
    scribble_page(journal_path, "payouts")
    problems = quick_check(journal_path)
    assert problems
    assert all(isinstance(p, str) and p for p in problems)
