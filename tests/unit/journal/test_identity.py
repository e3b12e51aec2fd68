"""A journal the app has seen is never silently replaced: missing, emptied, unreadable, swapped or
shortened, it is refused with a plain message, before anything opens (or creates) it."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from payout_desk.journal import Journal
from payout_desk.journal.identity import (
    JournalDamagedError,
    JournalFacts,
    JournalRegistry,
    check_journal,
    read_facts,
    set_aside,
)
from tests.unit.journal.helpers import confirm


def _journal_with(path: Path, *keys: str) -> JournalFacts:
    with Journal.open(path) as journal:
        for key in keys:
            confirm(journal, key)
    return read_facts(path)


@pytest.fixture
def registry(tmp_path: Path) -> JournalRegistry:
    return JournalRegistry(tmp_path / "config" / "journals.json")


def test_a_new_journal_is_fine_and_its_facts_are_remembered_owner_only(
    tmp_path: Path, registry: JournalRegistry
) -> None:
    path = tmp_path / "journal.sqlite3"
    assert check_journal(path, registry) is None  # nothing there, nothing remembered: a new journal
    facts = _journal_with(path, "key-1", "key-2")
    assert facts.records == 2
    assert facts.fingerprint is not None
    assert "key-1" not in facts.fingerprint
    registry.remember(path, facts)
    assert check_journal(path, registry) == facts
    assert registry.known(path) == facts
    assert stat.S_IMODE(registry.path.stat().st_mode) == 0o600
    assert "key-1" not in registry.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "reason", "words"),
    [
        ("delete", "missing", "is missing"),
        ("truncate", "empty", "is empty (0 bytes)"),
        ("garbage", "unreadable", "is damaged and cannot be read"),
        ("swap", "replaced", "is not the journal this app used here before"),
        ("older", "shortened", "has fewer entries than when it was last used (1 instead of 2)"),
    ],
)
def test_a_seen_journal_that_was_damaged_is_refused_with_a_plain_message(
    tmp_path: Path, registry: JournalRegistry, damage: str, reason: str, words: str
) -> None:
    path = tmp_path / "journal.sqlite3"
    older = tmp_path / "older.sqlite3"
    _journal_with(older, "key-1")
    registry.remember(path, _journal_with(path, "key-1", "key-2"))
    if damage == "delete":
        path.unlink()
    elif damage == "truncate":
        os.truncate(path, 0)
    elif damage == "garbage":
        path.write_bytes(b"this is not an sqlite file at all" * 200)
    elif damage == "swap":
        path.unlink()
        _journal_with(path, "another-key")
    elif damage == "older":
        os.replace(older, path)
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(JournalDamagedError) as refused:
        check_journal(path, registry)
    assert refused.value.reason == reason
    message = str(refused.value)
    assert words in message
    assert "Restore the newest backup, or start a new journal" in message
    assert "sqlite" not in message.replace(str(path), "").lower()
    assert (path.read_bytes() if path.exists() else None) == before  # nothing touched


def test_an_unreadable_file_never_seen_is_refused_too(tmp_path: Path, registry: JournalRegistry) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(JournalDamagedError, match="is damaged and cannot be read"):
        check_journal(path, registry)


def test_corrupt_pages_are_refused_as_unreadable(tmp_path: Path, registry: JournalRegistry) -> None:
    path = tmp_path / "journal.sqlite3"
    registry.remember(path, _journal_with(path, *(f"key-{i}" for i in range(50))))
    with open(path, "r+b") as handle:  # overwrite the schema page: sqlite_master is unreadable
        handle.seek(100)
        handle.write(b"\xff" * 3000)
    with pytest.raises(JournalDamagedError) as refused:
        check_journal(path, registry)
    assert refused.value.reason == "unreadable"
    assert refused.value.detail  # the technical detail is kept for the log


def test_the_count_only_grows_and_a_reset_replaces_it(tmp_path: Path, registry: JournalRegistry) -> None:
    path = tmp_path / "journal.sqlite3"
    facts = _journal_with(path, "key-1", "key-2")
    registry.remember(path, facts)
    registry.remember(path, JournalFacts(facts.fingerprint, 1))
    assert registry.known(path) == facts
    registry.reset(path, JournalFacts(facts.fingerprint, 1))
    assert registry.known(path) == JournalFacts(facts.fingerprint, 1)
    registry.reset(path, None)
    assert registry.known(path) is None


def test_an_unreadable_registry_is_an_error_not_amnesia(tmp_path: Path, registry: JournalRegistry) -> None:
    registry.path.parent.mkdir(parents=True)
    registry.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception, match="registry"):
        check_journal(tmp_path / "journal.sqlite3", registry)


def test_set_aside_keeps_the_file_and_its_wal_under_a_new_name(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _journal_with(path, "key-1")
    conn = sqlite3.connect(path)  # leave a -wal behind, as a crash would
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE scratch (x)")
    aside = set_aside(path, "damaged")
    assert aside is not None
    assert not path.exists()
    assert aside.name.startswith("journal.sqlite3.damaged-")
    assert aside.with_name(aside.name + "-wal").exists()
    conn.close()
