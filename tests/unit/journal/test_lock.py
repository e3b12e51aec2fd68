"""One process per journal: a second open is refused at once, and a killed holder frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from payout_desk.journal import Journal, JournalInUseError
from payout_desk.journal.lock import JournalLinkedError

HOLDER = """
import sys
from pathlib import Path
from payout_desk.journal import Journal
journal = Journal.open(Path(sys.argv[1]))
print("open", flush=True)
sys.stdin.read()  # hold the journal until killed
"""


def test_a_second_open_in_the_same_process_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    first = Journal.open(path)
    with pytest.raises(JournalInUseError, match="already open in another Payout Desk"):
        Journal.open(path)
    first.close()
    Journal.open(path).close()


def test_lock_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path):
        mode = (tmp_path / "journal.sqlite3.lock").stat().st_mode & 0o777
    assert mode == 0o600


def test_another_process_holding_the_journal_blocks_us_and_a_sigkill_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "open"
        with pytest.raises(JournalInUseError) as refused:
            Journal.open(path)
        assert refused.value.holder == str(child.pid)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    Journal.open(path).close()  # the OS dropped the dead process's lock


def test_a_symlink_to_an_open_journal_takes_the_same_lock(tmp_path: Path) -> None:
    real = tmp_path / "real" / "journal.sqlite3"
    alias_dir = tmp_path / "alias"
    alias_dir.mkdir()
    with Journal.open(real) as first:
        (alias_dir / "journal.sqlite3").symlink_to(real)
        with pytest.raises(JournalInUseError):
            Journal.open(alias_dir / "journal.sqlite3")
        linked_dir = tmp_path / "linked-dir"
        linked_dir.symlink_to(real.parent, target_is_directory=True)
        with pytest.raises(JournalInUseError):
            Journal.open(linked_dir / "journal.sqlite3")
        assert first.path == real
    with Journal.open(alias_dir / "journal.sqlite3") as through_link:
        assert through_link.path == real  # lock, WAL and backups beside the real file
        assert not (alias_dir / "journal.sqlite3-wal").exists()
        assert not (alias_dir / "journal.sqlite3.lock").exists()


def test_a_journal_with_more_than_one_hard_link_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    os.link(path, tmp_path / "second-name.sqlite3")
    for name in (path, tmp_path / "second-name.sqlite3"):
        with pytest.raises(JournalLinkedError, match="2 names on disk") as refused:
            Journal.open(name)
        assert refused.value.links == 2
    assert not (tmp_path / "second-name.sqlite3.lock").exists()
    os.unlink(tmp_path / "second-name.sqlite3")
    Journal.open(path).close()  # one name again: it opens
